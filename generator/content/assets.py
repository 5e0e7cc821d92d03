"""Files the content refers to (images in Markdown, attachments): resolved safely inside the repo.

Nothing outside the content repo is ever read: absolute paths, `..` that climbs out, URLs and
symlinks that leave the repo are refused, and a file must really be what its name says. Only
regular files are opened (a FIFO would hang the build, `/dev/zero` would fill memory), and each
within a size limit.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path, PurePosixPath

from generator.core.limits import MAX_ATTACHMENT_BYTES, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from generator.i18n import _

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "pdf": (b"%PDF-",),
    # Recognised only to name them in the error: neither the package (img2pdf) nor every Word
    # reader takes them.
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "bmp": (b"BM",),
    "tiff": (b"II*\x00", b"MM\x00*"),
}
IMAGE_KINDS = ("png", "jpeg")
#: The file name endings each kind must have: the package reads a part by its ending.
_SUFFIXES = {"png": (".png",), "jpeg": (".jpg", ".jpeg"), "pdf": (".pdf",)}
_SIZE_LIMITS = {"png": MAX_IMAGE_BYTES, "jpeg": MAX_IMAGE_BYTES, "pdf": MAX_ATTACHMENT_BYTES}


class AssetProblem(Exception):
    """Raised when a referenced file cannot be used; the message says why, in the user's language."""


def sniff(path: Path) -> str | None:
    """The kind of file by its first bytes: png, jpeg, pdf, gif, webp, bmp, tiff, or None."""
    with path.open("rb") as fh:
        head = fh.read(12)
    for kind, magics in _MAGIC.items():
        if any(head.startswith(m) for m in magics):
            if kind == "webp" and head[8:12] != b"WEBP":
                continue
            return kind
    return None


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("文件夹")
    if stat.S_ISFIFO(mode):
        return _("命名管道")
    if stat.S_ISSOCK(mode):
        return _("套接字")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("设备文件")
    return _("特殊文件")


def regular_file_inside(root: Path, path: Path, shown: str) -> Path:
    """The real path of `path` when it is a regular file inside `root`.

    Raises FileNotFoundError when nothing is there (or a symlink points nowhere), AssetProblem
    when it leaves `root` through a symlink, is a folder, FIFO, socket or device, or is a
    symlink loop. `shown` is how the message names the file.
    """
    try:
        real = path.resolve()
        mode = os.stat(real).st_mode
    except RuntimeError as exc:  # Python 3.11 reports a symlink loop this way
        raise AssetProblem(_("“{ref}”是循环的符号链接").format(ref=shown)) from exc
    except ValueError as exc:  # a NUL in the name
        raise AssetProblem(_("无法读取“{ref}”：{reason}").format(ref=shown, reason=exc)) from exc
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise AssetProblem(_("无法读取“{ref}”：{reason}").format(ref=shown, reason=exc.strerror)) from exc
    if not real.is_relative_to(root.resolve()):
        raise AssetProblem(_("“{ref}”是指向申报材料目录之外的链接：只能使用目录内的文件").format(ref=shown))
    if not stat.S_ISREG(mode):
        raise AssetProblem(_("“{ref}”不是普通文件，而是{kind}").format(ref=shown, kind=_file_kind(mode)))
    return real


def read_content_file(root: Path, rel_path: str, limit: int) -> bytes:
    """The bytes of the regular file `rel_path` inside `root`, at most `limit` of them.

    Raises FileNotFoundError when it is missing, AssetProblem when it is not a regular file
    inside the repo or is larger than `limit`.
    """
    real = regular_file_inside(root, root / rel_path, rel_path)
    try:
        with real.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise AssetProblem(_("无法读取文件：{reason}").format(reason=exc.strerror)) from exc
    if len(data) > limit:
        raise AssetProblem(_("文件超过 {limit}：内容文件不应这么大").format(limit=format_bytes(limit)))
    return data


def format_bytes(n: int) -> str:
    """`n` bytes as a reader says it (MB for large sizes)."""
    mib = 1024 * 1024
    if n < mib:
        return f"{n // 1024} KB" if n % 1024 == 0 else f"{n} B"
    return f"{n // mib} MB" if n % mib == 0 else f"{n / mib:.1f} MB"


def fonts_folder(root: Path, ref: object, *, existing: bool = True) -> Path | None:
    """The 字体目录 `ref` (项目.yaml) as a folder inside `root`; None when it is not set, lies outside
    the content folder (an error the rules report: LibreOffice would scan `/` or `/proc`) or, with
    `existing`, is not a folder (then the stand-in fonts are used). Every command that uses the
    fonts asks here; `doctor` asks with existing=False to report a folder that is missing."""
    if not ref:
        return None
    base = root.resolve()
    pure = PurePosixPath(str(ref).replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", str(ref)):
        return None
    try:
        real = (base / pure).resolve()
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(base) or (existing and not real.is_dir()):
        return None
    return root / pure


def resolve_asset(root: Path, base_rel: str, ref: str, kinds: tuple[str, ...]) -> Path:
    """The real path of `ref`, written in the file `base_rel` (relative to `root`).

    Raises AssetProblem when `ref` is a URL, absolute, leaves the repo (directly or through a
    symlink), is missing, or is not one of `kinds`.
    """
    if not ref.strip():
        raise AssetProblem(_("没有写文件路径"))
    bad = re.search(r"[\x00-\x1f\x7f]", ref)
    if bad:
        # `%00` in a Markdown link decodes to NUL, which no file system call accepts.
        raise AssetProblem(
            _("文件路径“{ref}”含有控制字符 U+{code:04X}：请改为普通文件名").format(
                ref=re.sub(r"[\x00-\x1f\x7f]", "\ufffd", ref), code=ord(bad.group())
            )
        )
    if _URL.match(ref) and not re.match(r"^[A-Za-z]:[\\/]", ref):
        raise AssetProblem(_("不能引用网址或外部链接“{ref}”：请把文件放进申报材料目录，写相对路径").format(ref=ref))
    pure = PurePosixPath(ref.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", ref):
        raise AssetProblem(_("不能使用绝对路径“{ref}”：请写相对于本文件的路径").format(ref=ref))
    root_real = root.resolve()
    candidate = (root / PurePosixPath(base_rel).parent / pure)
    try:
        outside = not candidate.resolve().is_relative_to(root_real)
    except RuntimeError as exc:  # Python 3.11 reports a symlink loop this way
        raise AssetProblem(_("“{ref}”是循环的符号链接").format(ref=ref)) from exc
    if outside:
        raise AssetProblem(_("路径“{ref}”指向申报材料目录之外：只能引用目录内的文件").format(ref=ref))
    try:
        real = regular_file_inside(root, candidate, ref)
    except FileNotFoundError:
        raise AssetProblem(_("找不到文件“{ref}”").format(ref=ref)) from None
    try:
        kind = sniff(real)
    except OSError as exc:
        raise AssetProblem(_("无法读取“{ref}”：{reason}").format(ref=ref, reason=exc.strerror)) from exc
    if kind not in kinds:
        wanted = "/".join(k.upper() for k in kinds)
        if kind is not None:
            raise AssetProblem(
                _("文件“{ref}”是 {found} 格式，不支持：请转换为 {kinds}").format(ref=ref, found=kind.upper(), kinds=wanted)
            )
        raise AssetProblem(_("文件“{ref}”不是有效的 {kinds} 文件").format(ref=ref, kinds=wanted))
    if real.suffix.lower() not in _SUFFIXES[kind]:
        raise AssetProblem(
            _("文件“{ref}”的内容是 {kind}，扩展名却是“{suffix}”：请改为 {want}").format(
                ref=ref, kind=kind.upper(), suffix=real.suffix, want="/".join(_SUFFIXES[kind])
            )
        )
    size = real.stat().st_size
    if size > _SIZE_LIMITS[kind]:
        raise AssetProblem(
            _("文件“{ref}”有 {size}，超过上限 {limit}").format(
                ref=ref, size=format_bytes(size), limit=format_bytes(_SIZE_LIMITS[kind])
            )
        )
    return real


def inspect_image(path: Path, ref: str) -> None:
    """Check that a PNG or JPEG is whole and not too large in pixels, without decoding it all.

    The size comes from the header; a PNG's chunks are read through with their checksums, a
    JPEG is decoded at 1/8 scale. Raises AssetProblem naming `ref` and the reason.
    """
    from PIL import Image, UnidentifiedImageError  # only content with images needs Pillow

    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns above 89 million pixels; our limit speaks first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            width, height = im.size
            if width * height > MAX_IMAGE_PIXELS:
                raise AssetProblem(
                    _("图片“{ref}”为 {w}×{h} 像素，超过上限 {limit} 万像素：请缩小后再放入").format(
                        ref=ref, w=width, h=height, limit=MAX_IMAGE_PIXELS // 10000
                    )
                )
            if im.format == "PNG":
                im.verify()
            else:
                im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                im.load()
    except AssetProblem:
        raise
    except Image.DecompressionBombError as exc:
        raise AssetProblem(
            _("图片“{ref}”的像素数超过上限 {limit} 万像素：请缩小后再放入").format(ref=ref, limit=MAX_IMAGE_PIXELS // 10000)
        ) from exc
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as exc:
        raise AssetProblem(_("图片“{ref}”已损坏或不完整：{reason}").format(ref=ref, reason=exc)) from exc
