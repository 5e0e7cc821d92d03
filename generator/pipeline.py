"""The orchestrator: load → check → render → convert → assemble, read top to bottom."""

from __future__ import annotations

from pathlib import Path

from .context import build_context, document_date
from .documents import DOCUMENTS, Document, document_stem, templates_dir
from .docx_blocks import write_prose
from .model import Application
from .render import render_document


def render_documents(app: Application, out_dir: Path, docs: tuple[Document, ...] = DOCUMENTS) -> list[Path]:
    """Render each document of `docs` into `out_dir` as .docx; returns the paths written."""
    context = build_context(app)
    when = document_date(app)
    written = []
    for doc in docs:
        out_path = out_dir / f"{document_stem(app, doc)}.docx"
        render_document(templates_dir() / doc.template, context, out_path, when=when, write_prose=write_prose)
        written.append(out_path)
    return written
