"""附件2 coverage on the preview page, in a real browser: the real server and page, fed the real check
report of a content copy (no LibreOffice: the page's report panel needs only the check)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.check.validate import check_content
from generator.form.declaration import load_form
from generator.preview.server import PreviewServer
from generator.preview.session import _report_json
from generator.preview.state import PreviewState
from tests.conftest import EXAMPLE
from tests.test_preview_browser import CHROMIUM_FLAGS

pytestmark = pytest.mark.browser

OUTCOMES = "建设方案/5-预期成效与成果.md"
FORM = load_form()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    browser, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or chromedriver is None:
        pytest.skip("Chromium not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    chrome = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Serve the preview page with the check report of a content folder: its address."""
    servers: list[PreviewServer] = []

    def serve(root: Path) -> str:
        report, app = check_content(root)
        state = PreviewState("t" * 32)
        state.update(report=_report_json(report), title=str(app.get("basics.name") or ""))
        state.status("done", "已完成")
        server = PreviewServer(state)
        server.start()
        servers.append(server)
        return server.url

    yield serve
    for server in servers:
        server.stop()


def _coverage(driver: object, url: str) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)  # type: ignore[attr-defined]
    WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: d.find_element("id", "coverage-count").text)
    return driver.execute_script(  # type: ignore[attr-defined,no-any-return]
        """
        const box = document.getElementById('coverage');
        return {
          count: document.getElementById('coverage-count').textContent,
          uncovered: [...box.querySelectorAll('.uncovered li')].map((li) => li.textContent),
          declaration: box.querySelector('.declaration').textContent,
          covered: [...box.querySelectorAll('.covered > ul > li')].map((li) => li.textContent),
          visible: box.getBoundingClientRect().height > 0,
        };
        """
    )


def test_the_page_lists_uncovered_points_with_their_wording_and_counts_the_covered(driver: object, page: Callable[[Path], str], tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    for md in root.rglob("*.md"):  # the example's own tags out: this test places its own
        md.write_text(re.sub(r"<!--\s*指标[^>]*-->", "", md.read_text(encoding="utf-8")), encoding="utf-8")
    path = root / OUTCOMES
    path.write_text(path.read_text(encoding="utf-8") + "\n<!-- 指标: 5.4, 6.1 -->\n" + "服务" * 20 + "\n", encoding="utf-8")
    shown = _coverage(driver, page(root))
    assert shown["count"] == "（已回应 2/25）" and shown["visible"]
    points = [i for i in FORM.indicators if not i.declaration and i.id not in ("5.4", "6.1")]
    assert shown["uncovered"] == [f"{i.label} 未回应 {i.text}" for i in points]
    assert shown["declaration"] == "7.其他 声明：否"
    assert [c.split()[0] for c in shown["covered"]] == ["5.4", "6.1"]
    assert shown["covered"][0].startswith("5.4 1 处 · 40字") and f"{OUTCOMES}:" in shown["covered"][0]
