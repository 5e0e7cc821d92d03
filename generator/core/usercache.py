"""The user's cache folder: what a later process may reuse (compiled template code), never output.

`$CHANJIAO_CACHE_DIR`, else `$XDG_CACHE_HOME/chanjiao`, else `~/.cache/chanjiao`; one subfolder
per kind. Only a folder that is ours and closed to others is used (another user who could write
there could have us load their code): otherwise, and with `CHANJIAO_CACHE=0`, there is no cache
and every process starts from nothing, which is slower, never wrong.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: set to 0 to work without the user cache (measurements, or doubt)
CACHE_ENV = "CHANJIAO_CACHE"
CACHE_DIR_ENV = "CHANJIAO_CACHE_DIR"


def cache_root() -> Path:
    """Where the caches live (see module doc); not created."""
    own = os.environ.get(CACHE_DIR_ENV)
    if own:
        return Path(own)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "chanjiao"


def cache_dir(kind: str) -> Path | None:
    """The cache folder for `kind`, created (mode 0700) if needed; None when caching is off or
    the folder is unsafe (a symlink, not ours, open to others) or cannot be made."""
    if os.environ.get(CACHE_ENV) == "0":
        return None
    try:
        root = cache_root()
        # the root is looked at before anything is made in it: nothing of ours lands in a folder
        # another user can write
        for path in (root, root / kind):
            with contextlib.suppress(FileExistsError):
                path.mkdir(mode=0o700, parents=True)
            info = path.lstat()
            if not path.is_dir() or path.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None
    except (OSError, RuntimeError):  # RuntimeError: no home folder to expand
        return None
    return root / kind
