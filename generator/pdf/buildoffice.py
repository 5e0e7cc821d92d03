"""A build's own LibreOffice: started while the build checks and renders, converting both phases.

A cold build converts in two phases (the documents, then the 自评表, which prints the pages phase
1's PDFs have), and `soffice --convert-to` started LibreOffice afresh for each: two starts of
~1.5–2 s on 2 cores, most of a build's time. So `build` starts a LibreOffice of its own in the
background as soon as the content is checked (a WarmConverter that serves nobody else), renders
meanwhile, converts both phases there, and kills it when the build ends (close(); the run marker
and the watchdog when chanjiao itself is killed, as for every LibreOffice of ours).

It is used only where it helps and cannot hurt; otherwise the cold path converts, unchanged:
- not when a warm converter (`chanjiao preview`'s) runs for the same LibreOffice and fonts: that
  one converts (pdf/warmclient.py);
- not without a kept LibreOffice profile (pdf/profile.py): on a fresh one LibreOffice restarts
  itself while starting; the first cold conversion on a machine makes the profile;
- not without a Python that has LibreOffice's uno module (python3-uno), nor with CHANJIAO_WARM=0;
- a conversion waits for it only until it has been starting for `_WAIT` seconds (and never past
  the build's --timeout): a LibreOffice that is not ready by then, or that exits while starting,
  is given up and killed, and the cold path converts;
- a document it fails on (a hang past the timeout, a crash) is converted cold once, with the
  build's timeout (WarmConverter's fallback), and the build says so.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from generator.core import procs
from generator.core.atomic import copy_atomic
from generator.pdf import profile, warmclient
from generator.pdf.convert import cores
from generator.pdf.warm import WarmConverter, find_uno_python

#: how long a build's LibreOffice may take to start before the cold path converts instead: a
#: start takes 1–3 s (on a copy of a kept profile), a cold conversion has to start one too
_WAIT = 20.0
#: offices: phase 1 has two documents, converted side by side on machines with two cores or
#: more, however busy (the cold path's idle-core count gave one office under a load of 1.3 on
#: 2 cores, and the example's build took 9.2 s instead of 6.3–7.5 s: the two conversions queued)
_OFFICES = 2


class BuildOffice:
    """A WarmConverter of the build's own, started in the background (see the module docstring)."""

    def __init__(self, converter: WarmConverter, wait: float) -> None:
        self.converter = converter
        #: what the build prints: why a document was converted cold after all
        self.notes: list[str] = []
        self._wait = wait
        self._started_at = time.monotonic()
        self._ready = threading.Event()
        self._failed: str | None = None
        self._given_up = False
        self._thread = threading.Thread(target=self._start, name="chanjiao-build-office", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, soffice: Path, fonts_dir: Path | None, timeout: float) -> BuildOffice | None:
        """Start one for a build converting with `soffice` and `fonts_dir`; None when it would not
        be used (see the module docstring)."""
        if os.environ.get(warmclient.WARM_ENV, "1") == "0" or find_uno_python() is None or not profile.kept(soffice):
            return None
        sock = warmclient.socket_path(soffice, fonts_dir)
        if sock is not None and warmclient.answers(sock):
            return None  # a running warm converter converts this build's documents
        converter = WarmConverter(
            fonts_dir=fonts_dir, soffice=soffice, timeout=timeout, offices=min(_OFFICES, cores()),
            publish=False, fallback_timeout=timeout, keep=0,  # it converts each document once
        )
        return cls(converter, min(_WAIT, timeout))

    def _start(self) -> None:
        try:
            self.converter.start()
        # Whatever stops it (a ToolError, an OSError from the profile's copy…), the cold path
        # converts, and says what is wrong with LibreOffice if anything is: nothing is said here.
        except Exception as exc:  # noqa: BLE001
            self._failed = str(exc) or type(exc).__name__
        finally:
            self._ready.set()

    def ready(self) -> bool:
        """Whether it can convert now, waiting for its start within the bound; given up if not."""
        if self._given_up:
            return False
        left = self._wait - (time.monotonic() - self._started_at)
        if self._ready.wait(max(0.0, left)) and self._failed is None:
            return True
        self.close()
        return False

    def convert(
        self,
        docx_paths: list[Path],
        out_dir: Path,
        on_ready: Callable[[Path, Path], None] | None,
        meanwhile: Callable[[], None],
    ) -> list[Path]:
        """Convert the documents side by side, as convert_to_pdf does (`on_ready` per document
        as it arrives; without it all or none); the documents left for the cold path (all of
        them when this office is not ready). A document that fails here and cold raises the
        cold path's error. `meanwhile` runs once (convert_to_pdf's is a run-once wrapper): while
        LibreOffice starts, else while it converts."""
        if not docx_paths:
            return docx_paths
        if not self._ready.is_set():
            meanwhile()  # the caller's work that needs no PDF, while LibreOffice finishes starting
        if not self.ready():
            return docx_paths
        tmp_dir = procs.make_temp_dir()
        try:
            target = out_dir if on_ready is not None else tmp_dir
            for src in self._converted(docx_paths, target, meanwhile):
                if on_ready is not None:
                    on_ready(src, out_dir / f"{src.stem}.pdf")
            for src in docx_paths if on_ready is None else ():  # every PDF made: they move
                copy_atomic(tmp_dir / f"{src.stem}.pdf", out_dir / f"{src.stem}.pdf")
        finally:
            procs.remove_temp_dir(tmp_dir)
        return []

    def _converted(self, docx_paths: list[Path], out_dir: Path, meanwhile: Callable[[], None]) -> Iterator[Path]:
        """Each document converted into out_dir from a thread of its own, yielded as it is done
        (meanwhile() runs once all are asked for); the first failure is raised."""
        done: queue.SimpleQueue[tuple[Path, BaseException | None]] = queue.SimpleQueue()

        def one(src: Path) -> None:
            try:
                _pdfs, message = self.converter._convert([src], out_dir)
                if message:
                    self.notes.append(message)
                done.put((src, None))
            except BaseException as exc:  # noqa: BLE001 (raised in the caller's thread)
                done.put((src, exc))

        for src in docx_paths:
            threading.Thread(target=one, args=(src,), name="chanjiao-build-convert", daemon=True).start()
        meanwhile()
        for _n in docx_paths:
            src, failed = done.get()
            if failed is not None:
                raise failed
            yield src

    def close(self) -> None:
        """Kill its LibreOffices, one still starting included (the start is abandoned)."""
        self._given_up = True
        self.converter.close(abandon=True)
        self._thread.join()
