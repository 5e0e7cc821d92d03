"""Model blocks → styled Word paragraphs, tables and images in a docxtpl subdocument.

(First version: plain paragraphs; the plan issue replaces it with the full writer.)
"""

from __future__ import annotations

from typing import Any

from .model import Prose, block_texts


def write_prose(tpl: Any, prose: Prose) -> Any:
    """A subdocument holding `prose` as paragraphs in the template's body style."""
    sub = tpl.new_subdoc()
    for block in prose.blocks:
        for text in block_texts(block):
            sub.add_paragraph(text)
    return sub
