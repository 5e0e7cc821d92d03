"""Processes chanjiao starts, and what they leave: the converter setting, run markers, clean-up.

Deliberately light (standard library only): the no-op build and the watchdog import it.
"""

from __future__ import annotations

import os

from .errors import ToolError
from .i18n import _

SOFFICE_ENV = "CHANJIAO_SOFFICE"  # an explicit LibreOffice program, for unusual installs


def check_soffice_setting() -> None:
    """Refuse a $CHANJIAO_SOFFICE that names no runnable program (a ToolError, exit 3).

    Someone who set it meant that LibreOffice: a typo must not read as "not installed" and quietly
    build without PDFs.
    """
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit and not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
        raise ToolError(_("环境变量 {var} 指向的程序不存在或不可执行：{path}").format(var=SOFFICE_ENV, path=explicit))
