"""Linux inotify through ctypes: tells the preview the moment a content file is saved.

Polling alone (watcher.py) notices a save only at its next look, 50 ms later on average with a
0.1 s interval, then waits a fixed settle time for the rest of the save. inotify wakes the preview
within a millisecond of the write and says when the writes have stopped. It is only the wake-up:
which files changed is still decided by comparing the files' stat, so an event lost (a full queue,
a file system inotify does not see, such as network shares or WSL's /mnt/c) costs latency, never
a missed save, and polling goes on beside it.

Why not a library: watchdog and inotify_simple would each be a new dependency for the ~80 lines
below, the standard library has no inotify, and the C library already exports the three calls.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import select
import struct
import sys

#: The events that mean a save happened or finished: a write, a close after writing, a file
#: renamed into or out of a folder (editors that write a new file and rename it over the old one),
#: a file or folder created or removed.
_IN_MODIFY = 0x00000002
_IN_ATTRIB = 0x00000004
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_FROM = 0x00000040
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_DELETE = 0x00000200
_IN_DELETE_SELF = 0x00000400
_IN_MOVE_SELF = 0x00000800
_IN_IGNORED = 0x00008000  # the kernel dropped a watch (its folder was removed)
_IN_ONLYDIR = 0x01000000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
WATCH_MASK = (
    _IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_ONLYDIR
)
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library this Python already uses
        for name in ("inotify_init1", "inotify_add_watch", "inotify_rm_watch"):
            getattr(libc, name)
    except (OSError, AttributeError):
        return None
    libc.inotify_add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
    return libc


class Inotify:
    """One inotify instance watching folders (not recursive: every folder is added by itself)."""

    def __init__(self) -> None:
        libc = _libc()
        if libc is None:
            raise OSError(errno.ENOSYS, "inotify is not available")
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        self._libc, self.fd = libc, fd
        self._watches: dict[int, str] = {}  # watch descriptor → folder
        self._folders: set[str] = set()

    def watching(self, folder: str) -> bool:
        """True if `folder` is watched now."""
        return folder in self._folders

    def watch(self, folder: str) -> None:
        """Watch a folder's entries; OSError when the kernel refuses (e.g. the user's watch limit)."""
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), WATCH_MASK)
        if wd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), folder)
        self._watches[wd] = folder
        self._folders.add(folder)

    def wait(self, timeout: float) -> bool:
        """Block until an event arrives or `timeout` seconds pass; True if events came (all are
        read, so the next wait blocks again)."""
        if self.fd < 0:
            return False
        ready, _w, _x = select.select([self.fd], [], [], max(timeout, 0))
        return bool(ready) and self._drain()

    def _drain(self) -> bool:
        got = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return got
            except OSError:
                return got
            if not data:
                return got
            got = True
            offset = 0
            while offset + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size + length
                if mask & _IN_IGNORED:  # the folder is gone: a new one at that path needs a new watch
                    self._folders.discard(self._watches.pop(wd, ""))

    def close(self) -> None:
        """Stop watching; safe to call again."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
            self._watches.clear()
            self._folders.clear()
