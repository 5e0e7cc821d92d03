"""What the page shows, shared between the rebuild loop (one writer) and the server's threads."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

#: Pictures of earlier versions kept for a browser still loading them when the next rebuild lands.
_KEPT_GENERATIONS = 2


class PreviewState:
    """The page's data as one JSON document with a version number, the page pictures by name, and
    the built files the server may hand out. Every change bumps the version and wakes the
    Server-Sent Events streams waiting for it."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._cond = threading.Condition()
        self._version = 0
        self._data: dict[str, Any] = {"version": 0, "status": {"phase": "starting"}, "documents": []}
        self._pictures: dict[str, tuple[int, bytes]] = {}
        self._pending: set[str] = set()  # published, being made
        self._outputs: dict[str, Path] = {}
        self._closed = False

    def update(self, **fields: Any) -> int:
        """Set top-level fields of the page's data; returns the new version."""
        with self._cond:
            self._data.update(fields)
            self._version += 1
            self._data["version"] = self._version
            # the version each field last changed at: the page redraws only what changed
            self._data["changed"] = {**self._data.get("changed", {}), **dict.fromkeys(fields, self._version)}
            self._cond.notify_all()
            return self._version

    def status(self, phase: str, message: str, **extra: Any) -> None:
        """What is happening now (checking, rendering, converting, done, failed)."""
        self.update(status={"phase": phase, "message": message, "at": time.time(), **extra})

    def get(self, key: str) -> Any:
        """One top-level field of the page's data."""
        with self._cond:
            return self._data.get(key)

    def snapshot(self) -> tuple[int, bytes]:
        """The current version and the page's data as JSON."""
        with self._cond:
            return self._version, json.dumps(self._data, ensure_ascii=False).encode("utf-8")

    def wait_newer(self, version: int, timeout: float) -> tuple[int, bytes] | None:
        """The data once its version is above `version`; None on timeout or when closed."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._version > version or self._closed, timeout):
                return None
            if self._closed:
                return None
        return self.snapshot()

    def close(self) -> None:
        """Wake every waiting stream so that the server can end."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once the preview is ending."""
        return self._closed

    # -- pictures and files ------------------------------------------------------------------------

    def has_picture(self, name: str) -> bool:
        """True if that picture is there already (a page that did not change keeps its picture)."""
        with self._cond:
            return name in self._pictures

    def expect_pictures(self, names: set[str]) -> None:
        """Pictures about to be made: a browser asking for one waits for it instead of a 404 (the
        page's data names them before they exist, so that the text is shown first)."""
        with self._cond:
            self._pending |= names - self._pictures.keys()

    def add_picture(self, name: str, picture: bytes) -> None:
        """A page picture, served at /pages/<name> (names carry the page's fingerprint)."""
        with self._cond:
            self._pictures[name] = (self._version, picture)
            self._pending.discard(name)
            self._cond.notify_all()

    def give_up_pictures(self) -> None:
        """The pictures expected and not made (the rebuild failed): stop waiting for them."""
        with self._cond:
            self._pending.clear()
            self._cond.notify_all()

    def keep_pictures(self, names: set[str]) -> None:
        """Forget pictures no document shows any more, but not the ones a browser may be loading."""
        with self._cond:
            horizon = self._version - _KEPT_GENERATIONS
            self._pictures = {n: (v, p) for n, (v, p) in self._pictures.items() if n in names or v >= horizon}
            for name in names & self._pictures.keys():
                self._pictures[name] = (self._version, self._pictures[name][1])

    def picture(self, name: str, wait: float = 0) -> bytes | None:
        """A page picture by its served name, None when there is no such picture; one still being
        made is waited for, up to `wait` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: name not in self._pending or self._closed, wait)
            found = self._pictures.get(name)
            return found[1] if found else None

    def set_outputs(self, outputs: dict[str, Path]) -> None:
        """The built files by their served name (the file name); nothing else is ever served."""
        with self._cond:
            self._outputs = dict(outputs)

    def output(self, name: str) -> Path | None:
        """Where the built file of that exact name is, None when no rebuild wrote one."""
        with self._cond:
            return self._outputs.get(name)
