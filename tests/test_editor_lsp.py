"""The editor schemas in the real YAML language server (the server of VS Code's YAML extension).

A repo made by `init`, its `.vscode/settings.json` handed to the server as VS Code hands it, the
Chinese-named content files opened by their percent-encoded URIs: a wrong type is marked on its
line, the hover shows the label, unit and limit, completion offers the form's keys.
Skipped when yaml-language-server is not installed (`npm install -g yaml-language-server`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.yaml_lsp import YamlLanguageServer, find_server

BIN = Path(sys.executable).parent
EXAMPLE = Path(__file__).resolve().parent.parent / "content"
SERVER = find_server()

if SERVER is None and os.environ.get("CI") == "true":
    # CI installs it (ci/system-packages.sh): there a missing server is a failure, not a skip.
    raise RuntimeError("yaml-language-server is required in CI: run ci/system-packages.sh")
pytestmark = pytest.mark.skipif(SERVER is None, reason="yaml-language-server is not installed")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo made by `init`, filled in with the example, one figure written wrong."""
    repo = tmp_path_factory.mktemp("lsp") / "申报仓库"
    done = subprocess.run([str(BIN / "chanjiao"), "init", str(repo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for src in EXAMPLE.rglob("*.yaml"):
        shutil.copyfile(src, repo / src.relative_to(EXAMPLE))
    overview = repo / "推荐书/1-联合体概况.yaml"
    overview.write_text(overview.read_text(encoding="utf-8").replace("固定办公面积: 260", '固定办公面积: "260平方米"'), encoding="utf-8")
    return repo


@pytest.fixture(scope="module")
def server(repo: Path) -> Iterator[YamlLanguageServer]:
    assert SERVER is not None
    lsp = YamlLanguageServer(SERVER, repo)
    yield lsp
    lsp.close()


def _line_of(path: Path, text: str) -> tuple[int, int]:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if text in line:
            return n, line.index(text)
    raise AssertionError(text)


def test_every_yaml_file_of_the_example_opens_without_a_schema_error(repo: Path, server: YamlLanguageServer) -> None:
    for rel in ("项目.yaml", "基本信息.yaml", "推荐书/2-服务能力.yaml", "附件/清单.yaml"):
        uri = server.open(rel)
        assert "%E" in uri  # opened by the encoded URI, as VS Code sends it (项目 → %E9%A1%B9…)
        assert [d["message"] for d in server.wait_diagnostics(uri)] == [], rel


def test_a_figure_written_as_text_is_marked_on_its_line(repo: Path, server: YamlLanguageServer) -> None:
    uri = server.open("推荐书/1-联合体概况.yaml")
    diagnostics = server.wait_diagnostics(uri)
    line, _col = _line_of(repo / "推荐书/1-联合体概况.yaml", "固定办公面积:")
    assert [d["range"]["start"]["line"] for d in diagnostics] == [line]
    assert "Incorrect type" in diagnostics[0]["message"] and "number" in diagnostics[0]["message"]


def test_hover_shows_label_unit_limit_and_guidance(repo: Path, server: YamlLanguageServer) -> None:
    uri = server.open("推荐书/2-服务能力.yaml")
    server.wait_diagnostics(uri)
    line, col = _line_of(repo / "推荐书/2-服务能力.yaml", "教学团队国家级奖励:")
    text = server.hover(uri, line, col + 1)
    assert "教师教学团队获国家级奖励情况" in text and "不超过100字" in text
    line, col = _line_of(repo / "推荐书/2-服务能力.yaml", "共建专业:")
    text = server.hover(uri, line, col + 1)
    assert "计量单位：个" in text and "2023年、2024年" in text


def test_completion_offers_the_keys_the_form_declares(repo: Path, server: YamlLanguageServer) -> None:
    path = repo / "基本信息.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    kept = [ln for ln in lines if not ln.startswith(("推荐区县:", "填表日期:"))]
    path.write_text("\n".join(kept) + "\n\n", encoding="utf-8")
    uri = server.open("基本信息.yaml")
    server.wait_diagnostics(uri)
    labels = server.completion(uri, len(kept) + 1, 0)
    assert {"推荐区县", "填表日期"} <= set(labels)
    assert "联合体名称" not in labels  # already written
