"""A minimal Language Server Protocol client for the real YAML language server (the one inside VS Code's
YAML extension), so the editor schemas are tested the way an editor uses them: settings pulled from
`.vscode/settings.json`, documents opened by their percent-encoded `file://` URI as VS Code sends
them, diagnostics, hover and completion read back.

The server is found as `$YAML_LANGUAGE_SERVER` or `yaml-language-server` on PATH
(`npm install -g yaml-language-server`).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any


def find_server() -> str | None:
    """The yaml-language-server executable, or None when it is not installed."""
    return os.environ.get("YAML_LANGUAGE_SERVER") or shutil.which("yaml-language-server")


class YamlLanguageServer:
    """One running server for one workspace folder, with the workspace's VS Code settings."""

    def __init__(self, executable: str, workspace: Path) -> None:
        self.workspace = workspace
        settings = json.loads((workspace / ".vscode/settings.json").read_text(encoding="utf-8"))
        # What VS Code hands the server for the `yaml` section: the workspace's settings over the
        # extension's defaults; no schema store (this machine has no network, and it is not ours).
        self.yaml_settings = {
            "validate": True, "hover": True, "completion": True, "format": {"enable": False},
            "schemaStore": {"enable": False}, "schemas": settings.get("yaml.schemas", {}),
        }
        self.proc = subprocess.Popen(
            [executable, "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 0
        self.versions: dict[str, int] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        root = workspace.as_uri()
        self.request("initialize", {
            "processId": os.getpid(), "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": workspace.name}],
            "capabilities": {
                "workspace": {"configuration": True, "workspaceFolders": True},
                "textDocument": {
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "completion": {"completionItem": {"documentationFormat": ["markdown", "plaintext"]}},
                    "publishDiagnostics": {},
                },
            },
        })
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": None})

    # -- wire ----------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _sep, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self._send({"id": wanted, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("id") == wanted and "method" not in message:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result")

    def _next(self, deadline: float) -> dict[str, Any]:
        """The next message, once handled: the server's requests answered, diagnostics kept."""
        message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
        method = message.get("method")
        if method == "textDocument/publishDiagnostics":
            self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
        elif method == "workspace/configuration" and "id" in message:
            sections = {"yaml": self.yaml_settings, "http": {}, "[yaml]": {}, "editor": {"tabSize": 2}, "files": {}}
            result = [sections.get(item.get("section")) for item in message["params"]["items"]]
            self._send({"id": message["id"], "result": result})
        elif "id" in message and method is not None:
            self._send({"id": message["id"], "result": None})  # registrations and the like
        return message

    # -- documents -----------------------------------------------------------------------------

    def open(self, rel: str) -> str:
        """Open a file of the workspace as VS Code does; returns its URI."""
        path = self.workspace / rel
        uri = path.as_uri()  # percent-encoded, as VS Code sends a Chinese file name
        self.diagnostics.pop(uri, None)
        text = path.read_text(encoding="utf-8")
        if uri in self.versions:  # open already: the server keeps its text, so send the new one
            self.versions[uri] += 1
            self.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": self.versions[uri]}, "contentChanges": [{"text": text}],
            })
        else:
            self.versions[uri] = 1
            self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        return uri

    def wait_diagnostics(self, uri: str, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while uri not in self.diagnostics:
            try:
                self._next(deadline)
            except queue.Empty:
                raise TimeoutError(uri) from None
        return self.diagnostics[uri]

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        if not result:
            return ""
        contents = result["contents"]
        return contents["value"] if isinstance(contents, dict) else str(contents)

    def completion(self, uri: str, line: int, character: int) -> list[str]:
        result = self.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        items = result["items"] if isinstance(result, dict) else (result or [])
        return [item["label"] for item in items]

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - a server that will not stop is killed, whatever went wrong
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)  # it ends at the server's end of output
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
