"""A LibreOffice user profile made once, copied for every LibreOffice we start.

Each LibreOffice of ours has a profile of its own (parallel conversions, no lock on the user's
profile, nothing of ours left in theirs). Started on an empty folder, LibreOffice first builds the
profile (registering its bundled extensions, running its graphics self-test) and restarts itself:
a cold conversion of the 自评表 took 4.5–5.8 s on a busy 2-core machine with a fresh profile and
2.2–2.8 s with a copy of one made earlier (552 KB, 36 files, copied in 10–40 ms). So the first
LibreOffice that ends normally on a fresh profile leaves a copy in the user cache
(core/usercache.py, kind "libreoffice-profile", one per LibreOffice installation), and later
starts, cold or warm, get a copy of it. No cache (CHANJIAO_CACHE=0, an unsafe folder): a fresh
profile every time, as before. A copy LibreOffice stumbles on is dropped (forget), so the next
start makes a fresh one; LibreOffice also rebuilds what it cannot read in a profile.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from generator.core.usercache import cache_dir

KIND = "libreoffice-profile"
#: what is not kept: locks, logs and LibreOffice's scratch folders
_NOT_KEPT = shutil.ignore_patterns(".lock", ".~lock*", "*.log", "temp", "backup", "crash")


def _template(soffice: Path) -> Path | None:
    """The kept profile for this LibreOffice installation (None: no usable cache)."""
    folder = cache_dir(KIND)
    if folder is None:
        return None
    real = soffice.resolve()
    parts = [str(real)]
    # a LibreOffice upgrade changes these files: its profile is made afresh
    for path in (real, real.parent / "soffice.bin", real.parent / "versionrc"):
        with contextlib.suppress(OSError):
            info = path.stat()
            parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    return folder / hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def kept(soffice: Path) -> bool:
    """Whether a made profile is kept for this LibreOffice (its starts need no first-start work)."""
    template = _template(soffice)
    return template is not None and (template / "user").is_dir()


def seed(profile: Path, soffice: Path) -> bool:
    """Fill `profile` (not yet there) with a copy of the kept profile; False when there is none
    (LibreOffice then makes a fresh one there, and keep() may keep it)."""
    template = _template(soffice)
    if template is None or not (template / "user").is_dir():
        return False
    try:
        shutil.copytree(template, profile, symlinks=True)
    except OSError:
        shutil.rmtree(profile, ignore_errors=True)
        return False
    return True


def keep(profile: Path, soffice: Path) -> None:
    """After a LibreOffice that made `profile` ended normally: keep a copy, if none is kept yet.
    Written beside and renamed into place, so a copy is never seen half made."""
    template = _template(soffice)
    if template is None or template.exists() or not (profile / "user" / "registrymodifications.xcu").is_file():
        return
    scratch = template.with_name(f".{template.name}.{os.getpid()}.tmp")
    try:
        shutil.copytree(profile, scratch, symlinks=True, ignore=_NOT_KEPT)
        os.rename(scratch, template)  # fails if another process kept one meanwhile: theirs stays
    except OSError:
        pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def forget(soffice: Path) -> None:
    """Drop the kept profile (a LibreOffice started on a copy of it failed): the next start
    makes a fresh one."""
    template = _template(soffice)
    if template is not None and template.exists():
        scratch = template.with_name(f".{template.name}.{os.getpid()}.gone")
        with contextlib.suppress(OSError):
            os.rename(template, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
