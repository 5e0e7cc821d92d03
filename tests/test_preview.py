"""`chanjiao preview`: the watcher, the server's security, rebuilds on save, and how it ends."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.core import procs
from generator.errors import ToolError
from generator.preview.converter import ColdConverter
from generator.preview.server import TOKEN_HEADER, PreviewServer
from generator.preview.session import Session
from generator.preview.state import PreviewState
from generator.preview.watcher import ContentWatcher
from tests.preview_process import PreviewProcess, append_line, done

PLAN_MD = "建设方案/4-建设计划.md"
REC_MD = "推荐书/4-建设规划.md"


# -- the watcher ---------------------------------------------------------------------------------


def test_watcher_sees_saves_new_and_removed_files_but_not_editor_litter_or_outputs(tmp_path: Path):
    root = tmp_path / "app"
    (root / "推荐书").mkdir(parents=True)
    (root / "推荐书" / "3-特色与创新.md").write_text("一", encoding="utf-8")
    (root / "项目.yaml").write_text("a: 1\n", encoding="utf-8")
    out = root / "预览输出"
    out.mkdir()
    watcher = ContentWatcher(root, ignore=(out,))
    assert watcher.changes() == set()

    (root / "推荐书" / "3-特色与创新.md").write_text("一二", encoding="utf-8")
    (root / "推荐书" / ".3-特色与创新.md.swp").write_text("x", encoding="utf-8")
    (root / "推荐书" / "3-特色与创新.md~").write_text("x", encoding="utf-8")
    (out / "x.pdf").write_text("x", encoding="utf-8")
    (root / "build").mkdir()
    (root / "build" / "y.pdf").write_text("x", encoding="utf-8")
    assert watcher.changes() == {"推荐书/3-特色与创新.md"}

    # an editor that saves by renaming a new file over the old one, same size, same second
    stat = (root / "项目.yaml").stat()
    (root / "项目.tmp").write_text("a: 2\n", encoding="utf-8")
    os.replace(root / "项目.tmp", root / "项目.yaml")
    os.utime(root / "项目.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (root / "新.md").write_text("新", encoding="utf-8")
    (root / "推荐书" / "3-特色与创新.md").unlink()
    assert watcher.changes() == {"项目.yaml", "新.md", "推荐书/3-特色与创新.md"}
    assert watcher.changes() == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_inotify_wakes_the_watcher_at_a_save_even_in_a_folder_made_after_it_started(tmp_path: Path):
    root = tmp_path / "app"
    (root / "推荐书").mkdir(parents=True)
    (root / "推荐书" / "4-建设规划.md").write_text("一", encoding="utf-8")
    watcher = ContentWatcher(root)
    try:
        assert watcher.notified
        assert watcher.wait(0.05) is False  # nothing happened: the timeout passes

        def save(path: Path, text: str) -> threading.Thread:
            thread = threading.Thread(target=lambda: (time.sleep(0.2), path.write_text(text, encoding="utf-8")))
            thread.start()
            return thread

        # a wait far longer than any poll interval ends with the save, not with its timeout
        writer = save(root / "推荐书" / "4-建设规划.md", "一二")
        assert watcher.wait(60) is True
        writer.join()
        watcher.settle(0.02, 1.0)
        assert watcher.changes() == {"推荐书/4-建设规划.md"}

        (root / "图片").mkdir()
        assert watcher.wait(60) is True  # the new folder itself
        assert watcher.changes() == set()  # (an empty folder is no content) but it is now watched
        writer = save(root / "图片" / "图.png", "png")
        assert watcher.wait(60) is True
        writer.join()
        watcher.settle(0.02, 1.0)
        assert watcher.changes() == {"图片/图.png"}
        assert watcher.wait(0.05) is False  # every event was read
    finally:
        watcher.close()
    assert not watcher.notified and watcher.wait(0.01) is False  # closed: polling only


# -- what a save rebuilds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({"推荐书/3-特色与创新.md"}, ["recommendation"]),
        ({"推荐书/1-联合体概况.yaml"}, ["plan", "recommendation"]),  # the plan's cover and summary table read it
        ({"建设方案/2-创建思路.md"}, ["plan"]),
        ({"建设方案/图片/组织架构图.png"}, ["plan"]),
        ({"项目.yaml"}, ["plan", "recommendation"]),
        ({"基本信息.yaml"}, ["plan", "recommendation"]),
        ({"附件/清单.yaml"}, []),  # the package only: preview shows the two documents
        ({"说明.txt"}, []),
        ({"图片/外面的图.jpg"}, ["plan", "recommendation"]),  # a picture may be printed from anywhere
        (None, ["plan", "recommendation"]),
    ],
)
def test_a_save_rebuilds_the_documents_that_read_the_file(example_root: Path, tmp_path: Path, changed, expected):
    from generator.check.validate import check_content

    _report, app = check_content(example_root)
    s = Session(example_root, tmp_path, PreviewState("t"), lambda fonts: ColdConverter(fonts_dir=fonts))
    s._affected(app, None)  # the first look settles the fonts folder
    s._stale.clear()  # as after a first build
    assert [d.id for d in s._affected(app, changed)] == expected


# -- the server ----------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path, list[int]]]:
    """A preview server with one built file and one page picture, and a secret beside the output
    folder; the list counts rebuild requests."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
    (out / "联合体-建设方案.pdf").write_bytes(b"%PDF-1.7 built")
    state = PreviewState("the-token")
    state.add_picture("plan/1-abc123.jpg", b"\xff\xd8\xff picture")
    state.set_outputs({"联合体-建设方案.pdf": out / "联合体-建设方案.pdf", "联合体-推荐书.pdf": out / "联合体-推荐书.pdf"})
    calls: list[int] = []
    srv = PreviewServer(state, port=0, on_rebuild=lambda: calls.append(1))
    srv.start()
    try:
        yield srv, out, calls
    finally:
        srv.stop()


def _request(srv: PreviewServer, method: str, raw_path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
    """Send the path exactly as written (http.client neither normalises nor re-encodes it)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest(method, raw_path, skip_host=True, skip_accept_encoding=True)
        all_headers = {"Host": f"127.0.0.1:{srv.port}", **(headers or {})}
        for name, value in all_headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read(), resp
    finally:
        conn.close()


def test_server_listens_on_loopback_only_and_serves_the_page_with_its_token(server):
    srv, _out, _calls = server
    assert srv.server_address[0] == "127.0.0.1"
    status, body, resp = _request(srv, "GET", "/")
    assert status == 200
    assert b'<meta name="chanjiao-token" content="the-token">' in body
    csp = resp.getheader("Content-Security-Policy")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    for asset in ("/assets/preview.js", "/assets/preview.css"):
        assert _request(srv, "GET", asset)[0] == 200
    assert _request(srv, "GET", "/pages/plan/1-abc123.jpg")[1] == b"\xff\xd8\xff picture"
    status, body, resp = _request(srv, "GET", "/files/%E8%81%94%E5%90%88%E4%BD%93-%E5%BB%BA%E8%AE%BE%E6%96%B9%E6%A1%88.pdf")
    assert (status, body) == (200, b"%PDF-1.7 built")
    assert resp.getheader("Content-Type") == "application/pdf"


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../secret.txt",
        "/files/../secret.txt",
        "/files/../../secret.txt",
        "/files/..%2fsecret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/%2e%2e%2fsecret.txt",
        "/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/assets/../../pyproject.toml",
        "/assets/%2e%2e/%2e%2e/pyproject.toml",
        "/assets/..%2f..%2fserver.py",
        "/pages/plan/../../secret.txt",
        "/pages/%2e%2e/plan/1-abc123.jpg",
        "/etc/passwd",
        "//etc/passwd",
        "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd",
        "/files/%00",
        "/files/%ff%fe",
        "http://127.0.0.1/etc/passwd",
        "/static/index.html",
        "/generator/preview/server.py",
    ],
)
def test_server_refuses_paths_out_of_what_it_serves(server, raw_path: str):
    srv, _out, _calls = server
    status, body, _resp = _request(srv, "GET", raw_path)
    assert status in (400, 404), (raw_path, status)
    assert b"SECRET" not in body and b"root:" not in body and b"import" not in body


def test_server_does_not_follow_a_symlink_put_in_place_of_a_built_file(server, tmp_path: Path):
    srv, out, _calls = server
    (out / "联合体-推荐书.pdf").symlink_to(tmp_path / "secret.txt")
    status, body, _resp = _request(srv, "GET", "/files/%E8%81%94%E5%90%88%E4%BD%93-%E6%8E%A8%E8%8D%90%E4%B9%A6.pdf")
    assert status == 404 and b"SECRET" not in body
    # nor one pointing out of the folder under a name that is not a built file's
    (out / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert _request(srv, "GET", "/files/link.txt")[0] == 404


def test_server_refuses_another_host_name(server):
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 cannot read."""
    srv, _out, _calls = server
    for host in (f"evil.example:{srv.port}", "127.0.0.1", f"127.0.0.1:{srv.port + 1}", ""):
        status, body, _resp = _request(srv, "GET", "/api/state", {"Host": host})
        assert status == 403, host
        assert b"documents" not in body
    assert _request(srv, "GET", "/api/state", {"Host": f"localhost:{srv.port}"})[0] == 200


def test_rebuild_request_needs_the_token_of_this_run(server):
    srv, _out, calls = server
    assert _request(srv, "POST", "/api/rebuild")[0] == 403
    assert _request(srv, "POST", "/api/rebuild", {TOKEN_HEADER: "wrong"})[0] == 403
    assert _request(srv, "POST", "/api/rebuild", {TOKEN_HEADER: "the-token", "Origin": "http://evil.example"})[0] == 403
    assert _request(srv, "GET", "/api/rebuild", {TOKEN_HEADER: "the-token"})[0] == 404  # a GET changes nothing
    assert calls == []
    assert _request(srv, "POST", "/api/rebuild", {TOKEN_HEADER: "the-token", "Origin": f"http://127.0.0.1:{srv.port}"})[0] == 200
    assert calls == [1]
    assert _request(srv, "PUT", "/api/rebuild", {TOKEN_HEADER: "the-token"})[0] == 501


def test_event_stream_sends_the_state_now_and_at_every_change(server):
    srv, _out, _calls = server
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/api/events")
    resp = conn.getresponse()
    assert resp.getheader("Content-Type").startswith("text/event-stream")

    def next_event() -> dict:
        data = None
        while True:
            line = resp.fp.readline().decode("utf-8")
            if line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "\n" and data is not None:
                return data

    first = next_event()
    srv.state.status("checking", "读取并校验申报材料…")
    second = next_event()
    assert second["version"] > first["version"]
    assert second["status"]["phase"] == "checking"
    conn.close()


def test_a_port_in_use_is_a_clear_error(server):
    from generator.errors import ToolError

    srv, _out, _calls = server
    with pytest.raises(ToolError, match=f"127.0.0.1:{srv.port}.*端口已被占用"):
        PreviewServer(PreviewState("t"), port=srv.port)


# -- rebuilds (real LibreOffice) -----------------------------------------------------------------


def _doc(state: PreviewState, doc_id: str) -> dict:
    return next(d for d in state.get("documents") if d["id"] == doc_id)


def _text(state: PreviewState, doc_id: str) -> str:
    return "".join(p["text"] for p in _doc(state, doc_id)["pages"]).replace("\r", "").replace("\n", "")


@pytest.fixture
def session(content_copy: Callable[..., Path], tmp_path: Path, libreoffice: Path) -> Iterator[tuple[Session, Path]]:
    root = content_copy()
    state = PreviewState("t")
    s = Session(root, tmp_path / "out", state, lambda fonts: ColdConverter(fonts_dir=fonts, soffice=libreoffice))
    (tmp_path / "out").mkdir()
    try:
        s.rebuild(None)
        yield s, root
    finally:
        s.close()


@pytest.mark.libreoffice
def test_a_save_rebuilds_only_the_document_it_feeds_and_marks_the_changed_pages(session):
    s, root = session
    state = s.state
    assert state.get("status")["phase"] == "done"
    plan_before, rec_before = _doc(state, "plan"), _doc(state, "recommendation")
    assert plan_before["page_count"] > 20 and rec_before["page_count"] > 10
    assert not any(p["changed"] for p in plan_before["pages"])  # first build: nothing "changed"
    limit_before = next(r for r in state.get("report")["limits"] if r["field"] == "4.建设规划")

    append_line(root, REC_MD, "预览测试新增的句子：玄武湖畔的第七次试验。")
    s.rebuild({REC_MD})
    assert state.get("status")["phase"] == "done", state.get("status")
    rec = _doc(state, "recommendation")
    assert "玄武湖畔的第七次试验" in _text(state, "recommendation")
    changed = [p["n"] for p in rec["pages"] if p["changed"]]
    assert changed and len(changed) < rec["page_count"] / 2, changed
    page = next(p for p in rec["pages"] if p["n"] == changed[0])
    assert "玄武湖畔" in page["text"].replace("\r\n", "")
    # the plan was not rebuilt (its pictures and marks are as they were), its .docx not replaced
    assert _doc(state, "plan")["pages"] == plan_before["pages"] and not _doc(state, "plan")["updated"]
    assert "convert" in s.timings and "render" in s.timings
    limit = next(r for r in state.get("report")["limits"] if r["field"] == "4.建设规划")
    assert limit["words"] == limit_before["words"] + len("预览测试新增的句子：玄武湖畔的第七次试验。")
    # the new picture is served, the built PDF is the new one
    assert state.picture(page["src"].removeprefix("/pages/")).startswith(b"\xff\xd8\xff")  # a JPEG
    assert {f for f in rec["files"]} == {p.name for p in s.out_dir.glob("*推荐书.*")}

    # a comment only: the .docx is byte for byte the same, nothing is converted
    append_line(root, REC_MD, "<!-- 只是注释 -->")
    s.rebuild({REC_MD})
    assert "convert" not in s.timings and "render" in s.timings
    assert not any(p["changed"] for d in state.get("documents") for p in d["pages"])


@pytest.mark.libreoffice
def test_a_save_that_puts_the_text_back_shows_the_pages_made_for_it_without_converting(
    content_copy: Callable[..., Path], tmp_path: Path, uno_runtime: Path
) -> None:
    """The warm converter answers a .docx it has converted with the PDF it made (an undo)."""
    from generator.pdf.warm import WarmConverter

    root = content_copy()
    made: list[WarmConverter] = []

    def warm(fonts: Path | None) -> WarmConverter:
        made.append(WarmConverter(fonts_dir=fonts, publish=False))
        return made[-1]

    s = Session(root, tmp_path / "out", PreviewState("t"), warm)
    (tmp_path / "out").mkdir()
    try:
        s.rebuild(None)
        original = (root / REC_MD).read_text(encoding="utf-8")
        first = _text(s.state, "recommendation")
        append_line(root, REC_MD, "预览测试新增的句子：撤销之前的一句。")
        s.rebuild({REC_MD})
        assert "撤销之前的一句" in _text(s.state, "recommendation")
        (conv,) = made
        conversions, reused = conv.conversions, conv.reused
        (root / REC_MD).write_text(original, encoding="utf-8")  # undone
        s.rebuild({REC_MD})
        assert s.state.get("status")["phase"] == "done", s.state.get("status")
        assert _text(s.state, "recommendation") == first
        assert conv.reused > reused and conv.conversions == conversions, "no document was converted again"
    finally:
        s.close()


@pytest.mark.libreoffice
def test_a_yaml_syntax_error_is_shown_with_its_line_and_the_last_pages_stay(session):
    s, root = session
    state = s.state
    pages = _doc(state, "plan")["pages"]
    files = sorted(p.name for p in s.out_dir.iterdir() if p.is_file())
    with (root / "基本信息.yaml").open("a", encoding="utf-8") as fh:
        fh.write("联合体名称: [没有闭合\n")
    s.rebuild({"基本信息.yaml"})
    status = state.get("status")
    assert status["phase"] == "failed"
    assert "上次成功生成的版本" in status["message"]
    line = len((root / "基本信息.yaml").read_text(encoding="utf-8").splitlines())
    assert [e["where"].split(":")[0] for e in status["errors"]] == ["基本信息.yaml"]
    assert int(status["errors"][0]["where"].split(":")[1]) in (line, line + 1)
    assert "YAML" in status["errors"][0]["message"]
    assert _doc(state, "plan")["pages"] == pages
    assert sorted(p.name for p in s.out_dir.iterdir() if p.is_file()) == files
    assert all(state.picture(p["src"].removeprefix("/pages/")) for p in pages)


class _BrokenConverter(ColdConverter):
    """LibreOffice failing (simulated): every conversion times out."""

    def convert(self, docx_paths: list[Path], out_dir: Path, first: object = None) -> list[Path]:
        raise ToolError("LibreOffice 转换超时（60 秒）：" + "、".join(p.name for p in docx_paths))


@pytest.mark.libreoffice
def test_a_failing_conversion_is_shown_the_last_pages_stay_and_the_next_save_retries(session):
    s, root = session
    state = s.state
    rec_pages = _doc(state, "recommendation")["pages"]
    working = s._make_converter
    s.close()
    s._make_converter = lambda fonts: _BrokenConverter(fonts_dir=fonts)
    append_line(root, REC_MD, "转换失败时保存的句子。")
    s.rebuild({REC_MD})
    status = state.get("status")
    assert status["phase"] == "failed" and "LibreOffice 转换超时（60 秒）" in status["reason"]
    assert _doc(state, "recommendation")["pages"] == rec_pages
    # LibreOffice works again: a save of another document's file still rebuilds the one that failed
    s.close()
    s._make_converter = working
    append_line(root, PLAN_MD, "之后保存的另一句。")
    s.rebuild({PLAN_MD})
    assert state.get("status")["phase"] == "done", state.get("status")
    assert "转换失败时保存的句子" in _text(state, "recommendation")
    assert "之后保存的另一句" in _text(state, "plan")


def test_preview_with_a_wrong_libreoffice_setting_is_a_clear_error(tmp_path: Path, example_root: Path):
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["preview", str(example_root), "-o", str(tmp_path / "o"), "--no-browser"], env={"CHANJIAO_SOFFICE": str(tmp_path / "soffice")})
    assert result.exit_code == 3
    assert "CHANJIAO_SOFFICE" in result.output and "不存在或不可执行" in result.output


@pytest.mark.libreoffice
def test_over_limit_fields_and_pages_and_a_renamed_consortium_are_shown(session):
    s, root = session
    state = s.state
    append_line(root, REC_MD, "超" * 200)
    new_name = "重庆<script>alert(1)</script>联合体"
    (root / "基本信息.yaml").write_text(
        re.sub(r"(?m)^联合体名称:.*$", f"联合体名称: {new_name}", (root / "基本信息.yaml").read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    project = (root / "项目.yaml").read_text(encoding="utf-8")
    project = project.replace("  推荐书:\n", "  推荐书: 10\n").replace("  各部分:\n", "  各部分:\n    3.特色与创新: 1\n")
    (root / "项目.yaml").write_text(project, encoding="utf-8")
    s.rebuild({REC_MD, "基本信息.yaml", "项目.yaml"})
    assert state.get("status")["phase"] == "done", state.get("status")
    rec = _doc(state, "recommendation")
    assert rec["page_limit"] == 10 and rec["page_count"] > 10
    assert {"title": "3.特色与创新", "pages": 2, "limit": 1} in rec["parts"]
    page_errors = [d["message"] for d in state.get("page_diagnostics")]
    assert any("推荐书" in m and "超出页数上限 10 页" in m for m in page_errors), page_errors
    assert any("3.特色与创新" in m and "超出页数上限 1 页" in m for m in page_errors), page_errors
    row = next(r for r in state.get("report")["limits"] if r["field"] == "4.建设规划")
    assert row["over"] > 0 and row["words"] > row["limit"]
    assert any(d["code"] == "over-limit" and d["where"].startswith(REC_MD) for d in state.get("report")["diagnostics"])
    assert state.get("title") == new_name  # as written: the page shows it as text (browser test)
    # the files carry the new name (with < > made safe); the old ones are gone
    names = sorted(p.name for p in s.out_dir.iterdir() if p.is_file())
    assert names and all(n.startswith("重庆_script_alert(1)__script_联合体-") for n in names), names


# -- the command: start, coalesced saves, ending -------------------------------------------------


@pytest.mark.libreoffice
def test_saves_during_a_rebuild_are_coalesced_and_the_latest_content_wins(content_copy, tmp_path: Path, libreoffice: Path):
    root = content_copy()
    preview = PreviewProcess(root, tmp_path / "out")
    try:
        first = preview.wait(done)
        text = (root / REC_MD).read_text(encoding="utf-8")
        append_line(root, REC_MD, "第一次保存的文字。")
        preview.wait(lambda s: s["status"].get("phase") in ("rendering", "converting"))
        for n in ("第二次", "第三次"):  # each save replaces the one before
            (root / REC_MD).write_text(text + f"\n{n}保存的文字。\n", encoding="utf-8")
            time.sleep(0.15)
        final = preview.wait(lambda s: done(s) and "第三次保存的文字" in json.dumps(s, ensure_ascii=False))
        pages = "".join(p["text"] for d in final["documents"] for p in d["pages"]).replace("\r\n", "")
        assert "第一次保存的文字" not in pages  # overwritten by the later saves
        assert "第二次保存的文字" not in pages
        assert final["version"] > first["version"]
    finally:
        code, out, err = preview.stop(signal.SIGINT)
    assert code == 0, err
    assert "预览已结束" in err
    # one line for the first build and one for the coalesced saves: the superseded rebuild printed nothing
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == 2, out
    assert REC_MD in lines[1] and "推荐书" in lines[1]


@pytest.mark.libreoffice
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_ending_preview_mid_conversion_leaves_no_libreoffice(content_copy, tmp_path: Path, libreoffice: Path, sig: int):
    root = content_copy()
    preview = PreviewProcess(root, tmp_path / "out")
    try:
        preview.wait(lambda s: s["status"].get("phase") == "converting", timeout=60)
        deadline = time.monotonic() + 30
        while not procs.marked_pids(preview.run, prefix=True) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert procs.marked_pids(preview.run, prefix=True), "LibreOffice did not start"
    finally:
        code, _out, err = preview.stop(sig)
    expected = {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGINT: 0, signal.SIGKILL: -signal.SIGKILL}[sig]
    assert code == expected, err
    # SIGKILL: the watchdog notices the closed pipe and kills what carries the run's marker
    deadline = time.monotonic() + 20
    while procs.marked_pids(preview.run, prefix=True) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert procs.marked_pids(preview.run, prefix=True) == []
    leftovers = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob(f"chanjiao-*-{preview.run}-*")]
    if sig != signal.SIGKILL:
        assert leftovers == []
