"""Files the content refers to (images in Markdown, attachments): resolved safely inside the repo.

Nothing outside the content repo is ever read: absolute paths, `..` that climbs out, URLs and
symlinks that leave the repo are refused, and a file must really be what its name says.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from .i18n import _

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
}
IMAGE_KINDS = ("png", "jpeg", "gif")


class AssetProblem(Exception):
    """Raised when a referenced file cannot be used; the message says why, in the user's language."""


def sniff(path: Path) -> str | None:
    """The kind of file by its first bytes: png, jpeg, gif, pdf, or None."""
    with path.open("rb") as fh:
        head = fh.read(8)
    for kind, magics in _MAGIC.items():
        if any(head.startswith(m) for m in magics):
            return kind
    return None


def resolve_asset(root: Path, base_rel: str, ref: str, kinds: tuple[str, ...]) -> Path:
    """The real path of `ref`, written in the file `base_rel` (relative to `root`).

    Raises AssetProblem when `ref` is a URL, absolute, leaves the repo (directly or through a
    symlink), is missing, or is not one of `kinds`.
    """
    if not ref.strip():
        raise AssetProblem(_("没有写文件路径"))
    if _URL.match(ref) and not re.match(r"^[A-Za-z]:[\\/]", ref):
        raise AssetProblem(_("不能引用网址或外部链接“{ref}”：请把文件放进申报材料目录，写相对路径").format(ref=ref))
    pure = PurePosixPath(ref.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", ref):
        raise AssetProblem(_("不能使用绝对路径“{ref}”：请写相对于本文件的路径").format(ref=ref))
    root_real = root.resolve()
    candidate = (root / PurePosixPath(base_rel).parent / pure)
    real = candidate.resolve()
    if not real.is_relative_to(root_real):
        raise AssetProblem(_("路径“{ref}”指向申报材料目录之外：只能引用目录内的文件").format(ref=ref))
    if not real.is_file():
        raise AssetProblem(_("找不到文件“{ref}”").format(ref=ref))
    kind = sniff(real)
    if kind not in kinds:
        raise AssetProblem(
            _("文件“{ref}”不是有效的 {kinds} 文件").format(ref=ref, kinds="/".join(k.upper() for k in kinds))
        )
    return real
