"""`chanjiao preview`: serve the page, watch the content, rebuild on every save until stopped.

The main thread runs the rebuilds (and so starts LibreOffice: procs.die_with_parent ties a child
to the thread that started it, and this thread lives as long as the preview), the server answers
in its own threads. Ctrl-C and SIGTERM arrive in the main thread as exceptions, wherever a rebuild
is, and unwind through the converter's clean-up; SIGKILL is the watchdog's (core/procs.py).
"""

from __future__ import annotations

import faulthandler
import secrets
import shutil
import signal
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from generator.core import procs
from generator.errors import ToolError
from generator.i18n import _
from generator.pdf.convert import INSTALL_HINT, find_soffice
from generator.preview.converter import Converter, open_converter
from generator.preview.server import PreviewServer
from generator.preview.session import Session, Superseded
from generator.preview.state import PreviewState
from generator.preview.watcher import ContentWatcher

#: Seconds between two looks at the content files (inotify, where it works, wakes the loop sooner).
POLL_INTERVAL = 0.1
#: After a change is seen, wait this long for the rest of the save (an editor writing several
#: files, or a file in two writes) before rebuilding; with inotify, until the writes have been
#: quiet for SETTLE_QUIET (an editor's save is a burst of microseconds), at most SETTLE_LONGEST.
SETTLE = 0.05
SETTLE_QUIET = 0.01
SETTLE_LONGEST = 0.25

Echo = Callable[[str], None]


class Stopped(BaseException):
    """SIGTERM or SIGHUP reached the preview: it stops at the next check, cleans up, and exits.

    A BaseException, so that no `except Exception` in a rebuild keeps the preview running."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Changes:
    """The saves not yet rebuilt: what the watcher saw, and whether the page asked for everything."""

    def __init__(self, watcher: ContentWatcher) -> None:
        self.watcher = watcher
        self.pending: set[str] = set()
        self.everything = threading.Event()  # set by the page's 全部重新生成 (another thread)
        self.stop_signal = 0  # set by the signal handler; checked between every step

    def seen(self) -> bool:
        """Look at the files now; True when something is waiting to be rebuilt. Raises Stopped
        once a termination signal came (a rebuild asks between its steps, the idle loop every poll)."""
        if self.stop_signal:
            raise Stopped(self.stop_signal)
        self.pending |= self.watcher.changes()
        return bool(self.pending) or self.everything.is_set()

    def take(self) -> set[str] | None:
        """The waiting changes, emptied (None: rebuild everything)."""
        changed: set[str] | None = None if self.everything.is_set() else set(self.pending)
        self.everything.clear()
        self.pending.clear()
        return changed

    def wait(self, poll: float) -> set[str] | None:
        """Block until something changed; the changes once the save has settled."""
        while not self.seen():
            self.watcher.wait(poll)
        if self.watcher.notified:
            self.watcher.settle(SETTLE_QUIET, SETTLE_LONGEST)
        else:
            time.sleep(SETTLE)
        self.seen()
        return self.take()


def _report_line(state: PreviewState, changed: set[str] | None) -> str:
    status = state.get("status") or {}
    what = _("全部文件") if changed is None else "、".join(sorted(changed)[:3]) + ("…" if len(changed) > 3 else "")
    stamp = time.strftime("%H:%M:%S")
    if status.get("phase") == "failed":
        errors = "".join(f"\n    {e['where']}: {e['message']}" for e in status.get("errors", []))
        return f"[{stamp}] {what}：{status.get('message', '')}：{status.get('reason', '')}{errors}"
    counts = [(d["title"], sum(p["changed"] for p in d["pages"])) for d in state.get("documents") or [] if d["updated"]]
    updated = [_("{title} {n} 页").format(title=title, n=n) for title, n in counts if n]
    pages = _("，已更新 {pages}").format(pages="、".join(updated)) if updated else ""
    return f"[{stamp}] {what}：{status.get('message', '')}{pages}"


def run_preview(
    root: Path,
    out_dir: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    echo: Echo = print,
    timeout: float = 60,
    converter_factory: Callable[[Path | None], Converter] | None = None,
) -> None:
    """Serve the preview of the content at `root` until interrupted (Ctrl-C, SIGTERM)."""
    if converter_factory is None:
        procs.check_soffice_setting()
        soffice = find_soffice()
        if soffice is None:
            raise ToolError(_("预览需要 LibreOffice 生成页面，但未找到。请安装：{hint}").format(hint=INSTALL_HINT))

        def converter_factory(fonts_dir: Path | None) -> Converter:
            return open_converter(fonts_dir=fonts_dir, soffice=soffice, timeout=timeout)

    # A preview that will not stop can be asked where it is: `kill -USR1 <pid>` prints every
    # thread's stack on stderr (the tests do this before they give up on a hung preview).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for left in out_dir.glob(".preview-*"):  # the work folders of a preview that was killed
        shutil.rmtree(left, ignore_errors=True)
    state = PreviewState(secrets.token_urlsafe(24))
    changes = _Changes(ContentWatcher(root, ignore=(out_dir,)))
    server = PreviewServer(state, port=port, on_rebuild=changes.everything.set)
    session = Session(root, out_dir, state, converter_factory, changes.seen)

    def on_signal(signum: int, _frame: object) -> None:
        # Only a flag: an exception raised from a signal handler is lost when the signal lands
        # inside a finaliser or a callback (then the preview never stopped: seen in CI).
        changes.stop_signal = signum

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    with procs.run_temp_dir():  # every temporary file in one folder of this run's (procs.py)
        server.start()
        try:
            echo(_("预览地址：{url}（按 Ctrl-C 结束）").format(url=server.url))
            if open_browser:
                threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
            _loop(session, changes, state, echo)
        finally:
            session.close()
            server.stop()
            changes.watcher.close()


def _loop(session: Session, changes: _Changes, state: PreviewState, echo: Echo) -> None:
    changed: set[str] | None = None
    while True:
        try:
            session.rebuild(changed)
        except Superseded:
            # A newer save: start again at once with everything not yet rebuilt; the newest
            # content is what the next rebuild reads.
            newer = changes.take()
            changed = None if changed is None or newer is None else changed | newer
            continue
        echo(_report_line(state, changed))
        session.tidy()
        changed = changes.wait(POLL_INTERVAL)
