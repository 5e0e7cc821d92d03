"""The UNO side of the warm converter: run by the Python that has LibreOffice's `uno` module.

Not imported by chanjiao. generator/pdf/warm.py runs it as `/usr/bin/python3 unobridge.py
pipe,name=<name> <start timeout>` (Debian's python3-uno installs `uno` for the system Python only, not for our
venv's Python). It connects to the LibreOffice that warm.py started with
`--accept=pipe,name=<name>;urp;`, then speaks JSON lines on stdin/stdout:

    ← {"ready": true}                                    once connected (or {"error": …} and exit)
    → {"src": "/abs/a.docx", "out": "/abs/out/a.pdf"}   one document per request
    ← {"ok": true}  or  {"ok": false, "kind": "load"|"export"|"office", "error": "…"}
    → {"src": …, "out": …, "first": "5-7", "first_out": "/abs/out/a.first.pdf"}
    ← {"first": true, "ok": true|false}                 those pages first, from the same load,
    ← {"ok": true}  or  …                               then the whole document
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


def _convert(desktop, request):
    """Load request["src"], export it; the reply. The document is closed by the caller, after
    the reply is sent (closing a 28-page document takes 50–100 ms nobody needs to wait for)."""
    # Hidden: no window even if a display exists. ReadOnly: never a lock file next to the user's
    # .docx. UpdateDocMode 0 (NO_UPDATE): links to other files are not fetched while loading.
    load = (_prop("Hidden", True), _prop("ReadOnly", True), _prop("UpdateDocMode", 0))
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(request["src"]), "_blank", 0, load)
    except DisposedException as exc:
        return {"ok": False, "kind": "office", "error": _message(exc)}, None
    except Exception as exc:  # uno raises its own exception types, with a Message
        return {"ok": False, "kind": _kind(desktop, exc, "load"), "error": _message(exc)}, None
    if doc is None:
        return {"ok": False, "kind": "load", "error": "LibreOffice could not load the document"}, None
    try:
        if request.get("first"):
            # The pages a change is on, before the whole: the same layout, one export of a few
            # pages (preview shows them while the rest is exported). A failure here is not the
            # document's: the whole export below decides.
            try:
                _export(doc, request["first_out"], request["first"])
                _send({"first": True, "ok": True})
            except Exception as exc:
                _send({"first": True, "ok": False, "error": _message(exc)})
        _export(doc, request["out"])
    except Exception as exc:
        return {"ok": False, "kind": _kind(desktop, exc, "export"), "error": _message(exc)}, doc
    return {"ok": True}, doc


def _export(doc, out, pages=None):
    # The same filter as the cold path's `--convert-to pdf:writer_pdf_Export`, default options
    # (but the page range, when asked for).
    store = [_prop("FilterName", "writer_pdf_Export"), _prop("Overwrite", True)]
    if pages:
        data = uno.Any("[]com.sun.star.beans.PropertyValue", (_prop("PageRange", pages),))
        store.append(_prop("FilterData", data))
    uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(out), tuple(store)))


def _close(doc):
    # A document left open keeps its memory: the leak warm services are known for.
    if doc is not None:
        with contextlib.suppress(Exception):
            doc.close(True)


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
        if request.get("ping"):
            reply, doc = _ping(desktop), None
        else:
            reply, doc = _convert(desktop, request)
        _send(reply)
        _close(doc)
        if reply.get("kind") == "office":
            return 2  # the connection is gone: warm.py restarts LibreOffice and us
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
