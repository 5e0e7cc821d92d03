"""Which content files changed since the last look: their stat compared, woken by inotify.

Comparing stat is what decides: it works the same on every file system the content may sit on
(network shares, bind mounts, WSL's /mnt/c where inotify sees nothing), and stat-ing the few
hundred files of an application costs well under a millisecond each. Where inotify works (Linux,
preview/inotify.py), it only says *when* to look: at once after a save instead of at the next poll,
and when the save's writes have stopped instead of after a fixed wait.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from generator.preview.inotify import Inotify

#: Folders never watched: version control, editors' and tools' own, and where outputs go.
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", "build", ".venv"})
#: At most this many files are watched: an application has a few hundred at most; a content folder
#: that is really a home directory must not make every poll walk it all.
MAX_WATCHED_FILES = 5000

Stamp = tuple[int, int, int]


def _editor_litter(name: str) -> bool:
    """Swap, backup and lock files editors write beside the file being edited."""
    return name.startswith((".#", "~$")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name.startswith(".")


class ContentWatcher:
    """Remembers each content file's (mtime, size, inode) and reports which ones differ."""

    def __init__(self, root: Path, *, ignore: tuple[Path, ...] = (), notify: bool = True) -> None:
        self.root = root
        self._ignore = {os.path.realpath(p) for p in ignore}
        self._inotify: Inotify | None = None
        if notify:
            with contextlib.suppress(OSError):  # not Linux, or no inotify instance left: poll only
                self._inotify = Inotify()
        self._stamps = self._scan()

    @property
    def notified(self) -> bool:
        """True while inotify wakes this watcher (False: it is polled only)."""
        return self._inotify is not None

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, less if inotify reports a change; True if it did."""
        if self._inotify is None:
            time.sleep(timeout)
            return False
        return self._inotify.wait(timeout)

    def settle(self, quiet: float, longest: float) -> None:
        """Return once no change was reported for `quiet` seconds (at most `longest`): an editor's
        save is a burst of writes (truncate, write, close, or write a new file and rename it)."""
        if self._inotify is None:
            time.sleep(quiet)
            return
        deadline = time.monotonic() + longest
        while self._inotify.wait(min(quiet, max(deadline - time.monotonic(), 0))):
            if time.monotonic() >= deadline:
                return

    def close(self) -> None:
        """Stop inotify (polling still works after)."""
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None

    def _watch(self, folder: str) -> None:
        if self._inotify is None or self._inotify.watching(folder):
            return
        try:
            self._inotify.watch(folder)
        except OSError:
            # e.g. fs.inotify.max_user_watches reached by other programs: polling covers it
            self.close()

    def _scan(self) -> dict[str, Stamp]:
        stamps: dict[str, Stamp] = {}
        stack = [self.root]
        while stack and len(stamps) < MAX_WATCHED_FILES:
            folder = stack.pop()
            self._watch(str(folder))
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if _editor_litter(entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in _SKIPPED_DIRS and os.path.realpath(entry.path) not in self._ignore:
                            stack.append(Path(entry.path))
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                # The inode too: editors that save by writing a new file and renaming it over the
                # old one may keep size and (coarse) mtime.
                stamps[Path(entry.path).relative_to(self.root).as_posix()] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return stamps

    def changes(self) -> set[str]:
        """Paths (relative to the root, with /) added, changed or removed since the last call."""
        new = self._scan()
        old, self._stamps = self._stamps, new
        return {p for p in new.keys() | old.keys() if new.get(p) != old.get(p)}
