"""Messages and locale formatting: gettext catalogs managed with Babel, Chinese by default.

Source strings are written in Chinese, the language of the form and of most users, so the
default needs no catalog. Other languages (English) live in `locale/<lang>/LC_MESSAGES/
messages.po`; a compiled `.mo` beside it is used when present, the `.po` otherwise.
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
from pathlib import Path

from babel.dates import format_date as _babel_format_date
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SUPPORTED = ("zh", "en")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_lang = "zh"


def detect_language(explicit: str | None = None) -> str:
    """The language to speak: `--lang` if given, else the first of LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG that names a supported language, else Chinese."""
    if explicit:
        return explicit
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            code = value.split(":")[0].split("_")[0].split(".")[0].lower()
            return code if code in SUPPORTED else "zh"
    return "zh"


def _load_catalog(lang: str) -> gettext.NullTranslations:
    mo_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if mo_path.exists():
        with mo_path.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    po_path = mo_path.with_suffix(".po")
    if not po_path.exists():
        return gettext.NullTranslations()
    # Compile in memory: no build step is needed to run from a checkout.
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def set_language(lang: str) -> None:
    """Switch every later message to `lang` ("zh" or "en")."""
    global _translations, _lang
    _lang = lang if lang in SUPPORTED else "zh"
    _translations = gettext.NullTranslations() if _lang == "zh" else _load_catalog(_lang)


def language() -> str:
    """The language messages are in now."""
    return _lang


def _(message: str) -> str:
    """Translate `message` (written in Chinese) into the current language."""
    return _translations.gettext(message)


def babel_locale() -> str:
    """The Babel locale for numbers and dates in messages."""
    return "zh_Hans_CN" if _lang == "zh" else "en_US"


def format_date(value: dt.date, locale: str | None = None) -> str:
    """A date the way the locale writes it in full: 2024年6月3日, never 2024年06月03日."""
    return _babel_format_date(value, format="long", locale=locale or babel_locale())


def format_number(value: float | int, locale: str | None = None) -> str:
    """A figure for messages, grouped the locale's way, with at most two decimals."""
    return format_decimal(value, format="#,##0.##", locale=locale or babel_locale())
