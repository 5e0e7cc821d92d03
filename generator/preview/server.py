"""The preview's web server: loopback only, a fixed set of routes, nothing read from a path in a URL.

What it serves is named in advance: the page and its two assets (package data, read once), the
page's data (JSON, and as Server-Sent Events), the page pictures (in memory, by a name carrying
their fingerprint) and the built files (looked up by exact name in the list of what the last
rebuild wrote). No route joins a requested path onto a folder, so `..`, `%2e%2e`, absolute paths
and symlinks have nothing to climb out of; the built files are still opened without following a
symlink. A request whose Host is not this server (DNS rebinding) is refused, and the one request
that changes anything (rebuild) needs the per-run token that only the page itself carries.
"""

from __future__ import annotations

import errno
import hmac
import os
import re
import stat
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import quote, unquote, urlsplit

from generator.errors import ToolError
from generator.i18n import _
from generator.preview.pages import PICTURE_SUFFIX, PICTURE_TYPE
from generator.preview.state import PreviewState

LOOPBACK = "127.0.0.1"
TOKEN_HEADER = "X-Chanjiao-Token"
#: Seconds between keep-alive comments on an idle event stream (proxies and browsers drop streams
#: that stay silent for long; the comment also tells the server when the browser has gone).
KEEPALIVE = 15.0
_ASSETS = {"preview.js": "text/javascript; charset=utf-8", "preview.css": "text/css; charset=utf-8"}
_PICTURE = re.compile(r"/pages/([a-z_]+/\d+-[0-9a-f]+" + re.escape(PICTURE_SUFFIX) + ")")
#: Seconds a request for a picture still being made waits for it (a rebuild makes one in ~10 ms).
PICTURE_WAIT = 30.0
_SECURITY_HEADERS = {
    # Scripts only from this server (no inline script: an injected <script> would not run even if
    # some text were ever inserted as HTML), nothing framed, nothing sent elsewhere.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _static(name: str) -> bytes:
    return resources.files("generator.preview").joinpath("static", name).read_bytes()


class PreviewServer(ThreadingHTTPServer):
    """The HTTP server, bound to 127.0.0.1, holding what its handlers serve."""

    daemon_threads = True  # an open event stream must not keep the process alive at exit
    allow_reuse_address = False  # never share a port with another server

    def __init__(self, state: PreviewState, *, port: int = 0, on_rebuild: Callable[[], None] = lambda: None) -> None:
        try:
            super().__init__((LOOPBACK, port), _Handler)
        except OSError as exc:
            reason = _("端口已被占用") if exc.errno == errno.EADDRINUSE else exc.strerror
            raise ToolError(_("无法在 {host}:{port} 启动预览服务：{reason}").format(host=LOOPBACK, port=port, reason=reason)) from exc
        self.state, self.on_rebuild = state, on_rebuild
        self.assets = {name: _static(name) for name in _ASSETS}
        self.index = _static("index.html").replace(b"{{TOKEN}}", state.token.encode("ascii"))
        self.hosts = {f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"}
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the free one chosen when asked for port 0)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://{LOOPBACK}:{self.port}/"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, name="preview-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the event streams, stop serving and close the socket."""
        self.state.close()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal shows what the preview does, not every request of the page

    # -- routing -----------------------------------------------------------------------------------

    def _route(self) -> str | None:
        """The request's path, or None after refusing it (wrong host, not a plain path)."""
        if self.headers.get("Host", "") not in self.server.hosts:
            self._send_error(HTTPStatus.FORBIDDEN, "host")
            return None
        raw = self.path
        if not raw.startswith("/") or raw.startswith("//"):
            self._send_error(HTTPStatus.BAD_REQUEST, "path")
            return None
        return unquote(urlsplit(raw).path, errors="strict")

    def do_GET(self) -> None:
        try:
            path = self._route()
        except UnicodeDecodeError:
            self._send_error(HTTPStatus.BAD_REQUEST, "path")
            return
        if path is None:
            return
        if path in ("/", "/index.html"):
            self._send(self.server.index, "text/html; charset=utf-8")
        elif path.startswith("/assets/") and path[8:] in _ASSETS:
            self._send(self.server.assets[path[8:]], _ASSETS[path[8:]])
        elif path == "/api/state":
            self._send(self.server.state.snapshot()[1], "application/json; charset=utf-8")
        elif path == "/api/events":
            self._events()
        elif (m := _PICTURE.fullmatch(path)) and (picture := self.server.state.picture(m.group(1), PICTURE_WAIT)) is not None:
            self._send(picture, PICTURE_TYPE, cache="private, max-age=86400, immutable")
        elif path == "/favicon.ico":  # asked for by every browser; there is none
            self._headers(HTTPStatus.NO_CONTENT, "text/plain", 0)
            self.end_headers()
        elif path.startswith("/files/"):
            self._file(path[7:])
        else:
            self._send_error(HTTPStatus.NOT_FOUND, "not found")

    def do_POST(self) -> None:
        path = self._route()
        if path is None:
            return
        if path != "/api/rebuild":
            self._send_error(HTTPStatus.NOT_FOUND, "not found")
            return
        token = self.headers.get(TOKEN_HEADER, "")
        origin = self.headers.get("Origin")
        if not hmac.compare_digest(token.encode(), self.server.state.token.encode()) or (
            origin is not None and origin.removeprefix("http://") not in self.server.hosts
        ):
            self._send_error(HTTPStatus.FORBIDDEN, "token")
            return
        self.server.on_rebuild()
        self._send(b'{"ok": true}', "application/json; charset=utf-8")

    # -- responses ---------------------------------------------------------------------------------

    def _headers(self, status: HTTPStatus, ctype: str, length: int | None, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", cache)
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)

    def _send(self, body: bytes, ctype: str, *, cache: str = "no-store") -> None:
        self._headers(HTTPStatus.OK, ctype, len(body), cache)
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, status: HTTPStatus, what: str) -> None:
        body = f"{status.value} {status.phrase}: {what}\n".encode()
        self._headers(status, "text/plain; charset=utf-8", len(body))
        self.end_headers()
        self.wfile.write(body)

    def _file(self, name: str) -> None:
        """A built file, by its exact name, never through a symlink or out of the output folder."""
        path = self.server.state.output(name)
        if path is None or "/" in name:
            self._send_error(HTTPStatus.NOT_FOUND, "not found")
            return
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            self._send_error(HTTPStatus.NOT_FOUND, "not found")
            return
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder or a fifo put in its place
                self._send_error(HTTPStatus.NOT_FOUND, "not found")
                return
            body = fh.read()
        kind = "application/pdf" if name.endswith(".pdf") else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        self._headers(HTTPStatus.OK, kind, len(body))
        disposition = "inline" if name.endswith(".pdf") else "attachment"
        self.send_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(name)}")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """The page's data as Server-Sent Events: now, then at every change (the newest only, when
        several came while the browser was reading)."""
        self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8", None)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        state = self.server.state
        version, data = state.snapshot()
        try:
            self.wfile.write(b"retry: 1000\nevent: state\ndata: " + data + b"\n\n")
            self.wfile.flush()
            while not state.closed:
                newer = state.wait_newer(version, KEEPALIVE)
                if newer is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    version, data = newer
                    self.wfile.write(b"event: state\ndata: " + data + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded
