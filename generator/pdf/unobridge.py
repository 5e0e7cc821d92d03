"""The UNO side of the warm converter: run by the Python that has LibreOffice's `uno` module.

Not imported by chanjiao. generator/pdf/warm.py runs it as `/usr/bin/python3 unobridge.py
pipe,name=<name> <start timeout>` (Debian's python3-uno installs `uno` for the system Python only, not for our
venv's Python). It connects to the LibreOffice that warm.py started with
`--accept=pipe,name=<name>;urp;`, then speaks JSON lines on stdin/stdout:

    ← {"ready": true}                                    once connected (or {"error": …} and exit)
    → {"src": "/abs/a.docx", "out": "/abs/out/a.pdf"}   one document per request
    ← {"ok": true}  or  {"ok": false, "kind": "load"|"export"|"office", "error": "…"}
    → {"ping": true}                                    is LibreOffice still there?
    ← {"ok": true}  or  {"ok": false, "kind": "office", "error": "…"}

"load" means LibreOffice is fine but could not read this file (a broken document); "office"
means the connection to LibreOffice broke (crashed or killed): warm.py restarts it. Standard
library and `uno` only, and Python 3.9+ syntax (the system Python of older distributions).
"""

import contextlib
import json
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException

_CONNECT_TIMEOUT = 60.0  # LibreOffice's first start with a fresh profile takes seconds on a busy machine


def _prop(name, value):
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _connect(connection, deadline):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            ctx = resolver.resolve("uno:" + connection + ";urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            # LibreOffice opens the pipe only once it has started: poll until then
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _convert(desktop, src, out):
    # Hidden: no window even if a display exists. ReadOnly: never a lock file next to the user's
    # .docx. UpdateDocMode 0 (NO_UPDATE): links to other files are not fetched while loading.
    load = (_prop("Hidden", True), _prop("ReadOnly", True), _prop("UpdateDocMode", 0))
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load)
    except DisposedException as exc:
        return {"ok": False, "kind": "office", "error": _message(exc)}
    except Exception as exc:  # uno raises its own exception types, with a Message
        return {"ok": False, "kind": _kind(desktop, exc, "load"), "error": _message(exc)}
    if doc is None:
        return {"ok": False, "kind": "load", "error": "LibreOffice could not load the document"}
    try:
        # The same filter as the cold path's `--convert-to pdf:writer_pdf_Export`, default options.
        store = (_prop("FilterName", "writer_pdf_Export"), _prop("Overwrite", True))
        doc.storeToURL(uno.systemPathToFileUrl(out), store)
    except Exception as exc:
        return {"ok": False, "kind": _kind(desktop, exc, "export"), "error": _message(exc)}
    finally:
        # A document left open keeps its memory: the leak warm services are known for.
        with contextlib.suppress(Exception):
            doc.close(True)
    return {"ok": True}


def _ping(desktop):
    """A call that goes through the connection: it fails once LibreOffice is gone or going."""
    try:
        desktop.getComponents().createEnumeration().hasMoreElements()
    except Exception as exc:
        return {"ok": False, "kind": "office", "error": _message(exc)}
    return {"ok": True}


def _kind(desktop, exc, default):
    """"office" if the connection to LibreOffice is gone, else `default`. The exception's type
    does not tell (a killed office has answered a load with a RuntimeException, "illegal object
    given!", not only with a DisposedException), so LibreOffice is asked."""
    if type(exc).__name__ == "DisposedException":
        return "office"
    return default if _ping(desktop)["ok"] else "office"


def _message(exc):
    return getattr(exc, "Message", "") or f"{type(exc).__name__}: {exc}"


def _send(reply):
    sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv):
    try:
        timeout = float(argv[2]) if len(argv) > 2 else _CONNECT_TIMEOUT
        desktop = _connect(argv[1], time.monotonic() + timeout)
    except Exception as exc:
        _send({"ready": False, "error": _message(exc)})
        return 1
    _send({"ready": True})
    for line in sys.stdin:  # ends when chanjiao closes the pipe or dies
        if not line.strip():
            continue
        request = json.loads(line)
        reply = _ping(desktop) if request.get("ping") else _convert(desktop, request["src"], request["out"])
        _send(reply)
        if reply.get("kind") == "office":
            return 2  # the connection is gone: warm.py restarts LibreOffice and us
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
