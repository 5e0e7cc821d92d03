"""The preview in a real browser: headless Chromium (Debian's package) driven by Selenium.

The page is followed as a user sees it: the text of the pages and the 字数 bars in the DOM, the
failure box, the pictures loaded. CHANJIAO_SCREENSHOT=1 also writes docs/images/preview.png (the
README's picture) from the first test; CI leaves it alone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO
from tests.preview_process import PreviewProcess, append_line, done

pytestmark = pytest.mark.browser

REC_MD = "推荐书/4-建设规划.md"
SCREENSHOT = REPO / "docs" / "images" / "preview.png"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1600,1000",
)


def _required(what: str) -> None:
    """A missing browser part: a failure under CI=true (CI installs it), a skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI: run ci/system-packages.sh and pip install -e '.[dev]'")
    pytest.skip(f"{what} not installed")


@pytest.fixture(scope="module")
def chromium() -> tuple[str, str]:
    """The browser and its driver: (chromium, chromedriver)."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        _required("Chromium (chromium, chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        _required("Selenium")
    assert browser is not None and driver is not None
    return browser, driver


@pytest.fixture(scope="module")
def driver(chromium: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    browser = webdriver.Chrome(options=options, service=Service(chromium[1]))
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> Iterator[tuple[PreviewProcess, Path]]:
    """One preview of a copy of the example for the module's tests (they run in order)."""
    base = tmp_path_factory.mktemp("preview")
    root = base / "content"
    shutil.copytree(EXAMPLE, root)
    process = PreviewProcess(root, base / "out")
    try:
        process.wait(done)
        yield process, root
    finally:
        process.stop()


def _wait(driver, ok: Callable[[object], object], timeout: float = 180) -> object:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(ok)


def _limit_row(driver, field: str) -> tuple[str, float]:
    """A 字数 row as shown: its count text and the width of its bar in % of the track."""
    return driver.execute_script(
        """
        const row = [...document.querySelectorAll('#limits .limit')].find((r) => r.dataset.field === arguments[0]);
        const fill = row.querySelector('.bar .fill');
        return [row.querySelector('.count').textContent, 100 * fill.getBoundingClientRect().width / fill.parentNode.getBoundingClientRect().width];
        """,
        field,
    )


def _pages_text(driver, doc_id: str) -> str:
    return driver.execute_script("return document.getElementById('doc-' + arguments[0]).textContent;", doc_id).replace("\r", "").replace("\n", "")


def _loaded_pictures(driver, doc_id: str) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#doc-' + arguments[0] + ' img')].filter((i) => i.complete && i.naturalWidth > 0).map((i) => i.getAttribute('src'));",
        doc_id,
    )


def _open(driver, preview: PreviewProcess) -> None:
    driver.get(preview.url)
    _wait(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-phase") == "done")
    _wait(driver, lambda d: len(_loaded_pictures(d, "plan")) >= 2)


def test_an_edit_shows_the_new_text_and_the_new_word_count(driver, preview):
    process, root = preview
    _open(driver, process)
    count_before, bar_before = _limit_row(driver, "4.建设规划")
    words_before = int(re.match(r"(\d+) / 1000 字", count_before).group(1))  # type: ignore[union-attr]

    sentence = "浏览器测试新增一句：嘉陵江边的实训基地在二〇二五年建成投用。"
    append_line(root, REC_MD, sentence)
    _wait(driver, lambda d: sentence in _pages_text(d, "recommendation"))
    # the 字数 row and its bar follow (the rules run while LibreOffice converts)
    expected = f"{words_before + len(sentence)} / 1000 字"
    _wait(driver, lambda d: _limit_row(d, "4.建设规划")[0] == expected)
    assert _limit_row(driver, "4.建设规划")[1] > bar_before
    # Once the rebuild is done (the pages the change is on come first, then the whole document
    # and the pictures redraw the pages: elements found before that may be gone), the page that
    # changed is marked, shown (its tab came to the front) and its new picture loaded.
    _wait(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-phase") == "done")
    changed = driver.find_elements("css selector", "#doc-recommendation figure.changed")
    assert changed and all(f.is_displayed() for f in changed)
    assert not driver.find_element("id", "doc-plan").is_displayed()
    src = changed[-1].find_element("tag name", "img").get_attribute("src")
    _wait(driver, lambda d: any(src.endswith(s) for s in _loaded_pictures(d, "recommendation")))
    assert "推荐书" in driver.find_element("css selector", "#tabs .tab.current").text
    assert driver.find_elements("css selector", "figure.changed .badge")[0].is_displayed()
    _wait(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-phase") == "done")
    if os.environ.get("CHANJIAO_SCREENSHOT"):
        # tall enough for the changed page, its mark and the report's top (page counts, 字数 bars)
        driver.set_window_size(1600, 1450)
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", changed[-1])
        driver.execute_script("document.getElementById('report').scrollTop = 0;")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(suffix=".png", dir=SCREENSHOT.parent, delete=False) as tmp:
            pass
        driver.save_screenshot(tmp.name)
        os.replace(tmp.name, SCREENSHOT)


def _picture_sources(driver, doc_id: str) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('#doc-' + arguments[0] + ' img')].map((i) => i.getAttribute('src'));", doc_id)


def test_a_yaml_syntax_error_is_shown_and_the_last_pages_stay(driver, preview):
    process, root = preview
    _open(driver, process)
    sources, loaded = _picture_sources(driver, "plan"), _loaded_pictures(driver, "plan")
    path = root / "基本信息.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "牵头部门: [没有闭合\n", encoding="utf-8")
    try:
        failure = _wait(driver, lambda d: d.find_element("id", "failure").is_displayed() and d.find_element("id", "failure"))
        text = failure.text  # type: ignore[attr-defined]
        assert "上次成功生成的版本" in text
        assert re.search(r"基本信息\.yaml:\d+:\d+ 错误 YAML 语法错误", text), text
        assert driver.find_element("tag name", "body").get_attribute("data-phase") == "failed"
        # the last good pages are still there, and the pictures shown before are still shown
        assert _picture_sources(driver, "plan") == sources
        assert set(loaded) <= set(_loaded_pictures(driver, "plan"))
    finally:
        path.write_text(good, encoding="utf-8")
    _wait(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-phase") == "done")
    assert not driver.find_element("id", "failure").is_displayed()


def test_markup_in_the_content_is_shown_as_text(driver, preview):
    process, root = preview
    _open(driver, process)
    name = '重庆<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">联合体'
    path = root / "基本信息.yaml"
    path.write_text(
        re.sub(r"(?m)^联合体名称:.*$", f"联合体名称: '{name}'", path.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    append_line(root, REC_MD, '正文里的 <img src=y onerror="window.__pwned = 3"> 标记。')
    _wait(driver, lambda d: d.find_element("id", "title").text == name)
    _wait(driver, lambda d: "正文里的" in _pages_text(d, "recommendation"), timeout=240)
    assert driver.execute_script("return window.__pwned;") is None
    assert driver.title.startswith(name)
    assert len(driver.find_elements("tag name", "script")) == 1  # preview.js alone
    assert not driver.find_elements("css selector", "img[src='x'], img[src='y']")
    assert "<img src=y" in driver.find_element("id", "report").text + _pages_text(driver, "recommendation")
