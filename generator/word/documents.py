"""The documents the tool writes: which template, which output name, which prose writer."""

from __future__ import annotations

from pathlib import Path

from generator.core.limits import MAX_OUTPUT_NAME_BYTES
from generator.errors import ToolError
from generator.form.declaration import DocumentSpec, load_form
from generator.i18n import _
from generator.model import Application

#: The templates shipped with the tool: the repo's `templates/` in a checkout, else the copy
#: installed inside the package.
_CHECKOUT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES_DIR = _CHECKOUT_TEMPLATES if _CHECKOUT_TEMPLATES.is_dir() else Path(__file__).resolve().parents[1] / "templates"


#: One official document: its id, title, template file, default output name and the content
#: files it reads. The round's declaration (`form/rounds/<version>.yaml`, `documents:`) says
#: which documents there are; this module only names them for the code.
Document = DocumentSpec

_FORM = load_form()
DOCUMENTS: tuple[Document, ...] = _FORM.documents
PLAN = next(d for d in DOCUMENTS if d.id == "plan")
RECOMMENDATION = next(d for d in DOCUMENTS if d.id == "recommendation")
PACKAGE_DEFAULT_NAME = _FORM.package_name

_UNSAFE_IN_NAMES = str.maketrans({c: "_" for c in '/\\:*?"<>|\0'})


def template_font_families() -> tuple[str, ...]:
    """Every font family the templates name (styles and direct formatting), sorted."""
    # lxml only when fonts are asked for: the no-op build imports this module and must stay light.
    import zipfile

    from generator.word.ooxml import font_families

    found: set[str] = set()
    for doc in DOCUMENTS:
        path = TEMPLATES_DIR / doc.template
        if not path.is_file():
            continue
        with zipfile.ZipFile(path) as zf:
            found |= font_families(zf)
    return tuple(sorted(found))


def templates_dir() -> Path:
    """Where the templates are; a clear error when the installation lacks them."""
    if TEMPLATES_DIR.is_dir():
        return TEMPLATES_DIR
    raise ToolError(_("找不到模板目录 {path}：安装不完整").format(path=TEMPLATES_DIR))


def full_output_stem(app: Application, pattern_path: str, default: str) -> str:
    """The file name (without suffix) the project file's pattern asks for, before shortening."""
    pattern = app.get(pattern_path) or default
    name = str(app.get("basics.name") or "联合体")  # a file name: never translated
    return pattern.replace("{联合体名称}", name).translate(_UNSAFE_IN_NAMES).strip() or name


def shorten_stem(stem: str, limit: int = MAX_OUTPUT_NAME_BYTES) -> str:
    """`stem` within `limit` bytes of UTF-8: the middle gives way to "…", so the start (the
    consortium) and the end (which document: -建设方案, -推荐书) both stay readable and distinct."""
    if len(stem.encode("utf-8")) <= limit:
        return stem
    keep = (limit - len("…".encode())) // 2
    head, tail = stem, stem
    while len(head.encode("utf-8")) > keep:
        head = head[:-1]
    while len(tail.encode("utf-8")) > keep:
        tail = tail[1:]
    return f"{head}…{tail}"


def output_stem(app: Application, pattern_path: str, default: str) -> str:
    """A file name (without suffix) from the project file's pattern, safe on every file system:
    no separators or reserved characters, and short enough for the name limit of 255 bytes."""
    return shorten_stem(full_output_stem(app, pattern_path, default))


def document_stem(app: Application, doc: Document) -> str:
    """The output file name of `doc` without suffix."""
    return output_stem(app, f"project.output_names.{doc.id}", doc.default_name)
