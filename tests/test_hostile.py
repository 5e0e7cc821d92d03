"""Hostile and faulty input: each attack from issue 11 meets a clear error (or simply works),
never a hang, a memory blow-up or an internal error. One test per attack; each failed before
the fix it names.

Commands that could hang or exhaust memory run as the user runs them, in a subprocess with a
timeout and a memory cap, so a regression fails the test instead of the test run.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pytest
from conftest import ContentCopy, check_output, diagnostic_lines, run_chanjiao
from PIL import Image

from generator.check.validate import check_content

CAPACITY = "推荐书/2-服务能力.yaml"
PLAN_PART = "建设方案/4-建设计划.md"
INTERNAL = "内部错误"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed `chanjiao`, with 1.5 GB of address space at most and a timeout."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, resource.RLIM_INFINITY))

    return run_chanjiao(*args, timeout=timeout, preexec_fn=cap_memory)


def _errors(root: Path) -> list[str]:
    """The error lines `chanjiao check` prints."""
    return diagnostic_lines(check_output(root)[1], "错误")


def _list_attachment(root: Path, file: str) -> None:
    (root / "附件/清单.yaml").write_text(f"附件:\n  - 名称: 证明材料\n    文件: {file}\n", encoding="utf-8")


# -- YAML ------------------------------------------------------------------------------------


def test_yaml_aliases_are_refused_with_their_place(content_copy: ContentCopy) -> None:
    # The billion-laughs shape: before, each level multiplied the tree walked (8 levels: 1.6 GB).
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    root = content_copy({CAPACITY: bomb})
    errors = _errors(root)
    assert f"{CAPACITY}:1:4: 错误: 不支持 YAML 锚点 &a：请删除它，把内容直接写出来" in errors
    assert f"{CAPACITY}:2:8: 错误: 不支持 YAML 别名 *a：请把内容直接写出来" in errors


def test_eight_levels_of_aliases_cost_nothing(content_copy: ContentCopy) -> None:
    levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    root = content_copy({CAPACITY: "\n".join(levels) + "\n"})
    result = run("check", str(root), "--format", "json", timeout=30)
    assert result.returncode == 1, result.stderr
    codes = {d["code"] for d in json.loads(result.stdout)["diagnostics"]}
    assert "yaml-alias" in codes and INTERNAL not in result.stderr


def test_a_self_referencing_alias_is_an_error_not_a_recursion(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: "共建专业: &loop [*loop]\n"})
    assert f"{CAPACITY}:1:7: 错误: 不支持 YAML 锚点 &loop：请删除它，把内容直接写出来" in _errors(root)


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_deep_nesting_is_a_clear_error(content_copy: ContentCopy, shape: str) -> None:
    text = "[" * 500 + "]" * 500 if shape == "flow" else "".join(f"{'  ' * n}k{n}:\n" for n in range(600))
    root = content_copy({CAPACITY: text})
    errors = _errors(root)
    assert any(e.startswith(f"{CAPACITY}:") and "YAML 嵌套超过 32 层" in e for e in errors), errors


def test_a_control_character_from_a_yaml_escape_is_an_error_at_the_value(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县: 重庆市云岭区人民政府", '推荐区县: "重庆市云岭区\\f人民政府"')})
    errors = _errors(root)
    assert "基本信息.yaml:12:7: 错误: 推荐区县：不允许的控制字符 U+000C：请删除或改为普通文字" in errors


# -- Markdown --------------------------------------------------------------------------------


@pytest.mark.parametrize("ref, code", [("&#12;", 0x0C), ("&#0;", 0), ("&#7;", 7), ("&#xD800;", 0xD800), ("&#x1F;", 0x1F), ("&#128;", 0x80)])
def test_character_references_word_cannot_hold_are_errors_with_their_place(content_copy: ContentCopy, ref: str, code: int) -> None:
    root = content_copy({PLAN_PART: lambda t: t + f"\n\n第二段落{ref}结束。\n"})
    line = len((root / PLAN_PART).read_text(encoding="utf-8").rstrip("\n").splitlines())
    errors = _errors(root)
    assert f"{PLAN_PART}:{line}:5: 错误: 字符引用 {ref} 表示的字符 U+{code:04X} 不能放进 Word 文档：请删除或改为普通文字" in errors


def test_harmless_references_still_print(content_copy: ContentCopy) -> None:
    root = content_copy({PLAN_PART: lambda t: t + "\n\n甲&#20057;丙 &amp; \\&#12; &#9;\n"})
    report, app = check_content(root)
    assert report.exit_code == 0, [d.render() for d in report.errors]
    assert any("甲乙丙 & &#12; \t" in p.text() for p in app.prose.values())


def test_a_form_feed_reference_no_longer_crashes_build(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({PLAN_PART: lambda t: t + "\n\n分页&#12;符\n"})
    result = run("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "字符引用 &#12;" in result.stdout and INTERNAL not in result.stderr
    # The drafts still render (one error policy), without the character XML cannot carry.
    import zipfile

    [plan] = (tmp_path / "out").glob("*建设方案.docx")
    xml = zipfile.ZipFile(plan).read("word/document.xml").decode("utf-8")
    assert "\x0c" not in xml and "&#12;" not in xml


# -- files that are not what they seem -------------------------------------------------------


def test_a_fifo_as_a_content_file_is_an_error_not_a_hang(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: None})
    os.mkfifo(root / CAPACITY)
    result = run("check", str(root), timeout=30)
    assert result.returncode == 1
    assert f"{CAPACITY}: 错误: “{CAPACITY}”不是普通文件，而是命名管道" in result.stdout


def test_a_link_to_dev_zero_as_a_content_file_is_an_error(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: None})
    (root / CAPACITY).symlink_to("/dev/zero")
    result = run("check", str(root), timeout=30)
    assert result.returncode == 1
    assert f"“{CAPACITY}”是指向申报材料目录之外的链接" in result.stdout


def test_an_oversized_content_file_is_an_error(content_copy: ContentCopy) -> None:
    root = content_copy({PLAN_PART: lambda t: t + "\n\n" + "长" * (200 * 1024)})
    assert f"{PLAN_PART}: 错误: 文件超过 512 KB：内容文件不应这么大" in _errors(root)


def test_unused_special_files_do_not_hang_or_fill_the_no_op_fingerprint(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy()
    os.mkfifo(root / "草稿管道")
    (root / "零").symlink_to("/dev/zero")
    (root / "外面").symlink_to("/")
    out = tmp_path / "out"
    first = run("build", str(root), "-o", str(out), "--no-pdf", timeout=60)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run("build", str(root), "-o", str(out), "--no-pdf", timeout=60)
    assert second.returncode == 0 and "沿用上次生成的文件" in second.stderr
    (root / "零").unlink()
    (root / "零").symlink_to("/dev/urandom")  # a changed link is a changed input
    third = run("build", str(root), "-o", str(out), "--no-pdf", timeout=60)
    assert "沿用上次生成的文件" not in third.stderr


@pytest.mark.parametrize("fonts_dir", ["/", "/proc", "../..", "字体/../../.."])
def test_a_fonts_folder_outside_the_repo_is_refused(content_copy: ContentCopy, fonts_dir: str) -> None:
    root = content_copy({"项目.yaml": lambda t: t.replace("字体目录: 字体", f'字体目录: "{fonts_dir}"')})
    result = run("check", str(root), timeout=30)
    assert result.returncode == 1
    assert f"项目.yaml:26:7: 错误: 字体目录“{fonts_dir}”不在申报材料目录内" in result.stdout


def test_special_files_in_the_fonts_folder_are_errors(content_copy: ContentCopy) -> None:
    root = content_copy()
    os.mkfifo(root / "字体/假字体.ttf")
    (root / "字体/外部.ttf").symlink_to("/etc/passwd")
    errors = _errors(root)
    assert "项目.yaml:26:7: 错误: 字体目录：“字体/假字体.ttf”不是普通文件，而是命名管道" in errors
    assert "项目.yaml:26:7: 错误: 字体目录：“字体/外部.ttf”是指向申报材料目录之外的链接：只能使用目录内的文件" in errors


# -- names that are too long -----------------------------------------------------------------


def test_a_long_consortium_name_gives_files_within_the_name_limit(content_copy: ContentCopy, tmp_path: Path) -> None:
    name = "重庆云岭" + "智能网联新能源汽车零部件" * 8 + "市域产教联合体"  # 107 characters
    root = content_copy({"基本信息.yaml": lambda t: t.replace("联合体名称: 重庆云岭智能网联新能源汽车零部件市域产教联合体", f"联合体名称: {name}")})
    out = tmp_path / "out"
    result = run("build", str(root), "-o", str(out), "--no-pdf")
    assert result.returncode == 0, result.stdout + result.stderr
    docx = [p.name for p in out.glob("*.docx")]
    assert len(docx) == 3 and all(len(n.encode()) <= 255 and n.startswith("重庆云岭智能网联") for n in docx)
    assert sorted(n.rsplit("…", 1)[1].rsplit("-", 1)[1] for n in docx) == sorted(["推荐书.docx", "建设方案.docx", "自评表.docx"])
    assert "输出文件名“" in result.stdout and "已缩短为“" in result.stdout


def test_paths_over_255_bytes_are_clear_errors(content_copy: ContentCopy, tmp_path: Path) -> None:
    long = "长" * 100  # 300 bytes: over every file system's name limit
    root = content_copy({PLAN_PART: lambda t: t + f"\n\n![图](图片/{long}.png)\n"})
    _list_attachment(root, f"{long}.pdf")
    result = run("check", str(root))
    assert result.returncode == 1 and INTERNAL not in result.stderr
    assert f"图片：无法读取“图片/{long}.png”：File name too long" in result.stdout
    for command in ("check", "build"):
        missing = run(command, str(root / long), "-o", str(tmp_path / "out")) if command == "build" else run(command, str(root / long))
        assert missing.returncode == 3 and "找不到内容目录" in missing.stderr and INTERNAL not in missing.stderr
    too_long_out = run("build", str(Path(__file__).resolve().parent.parent / "content"), "--no-pdf", "-o", str(tmp_path / long))
    assert too_long_out.returncode == 3 and "无法创建输出目录" in too_long_out.stderr


# -- images and attachments ------------------------------------------------------------------


def _png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, (200, 30, 30)).save(path, "PNG")
    return path


@pytest.mark.parametrize("fmt, suffix", [("GIF", ".gif"), ("WEBP", ".webp"), ("BMP", ".bmp")])
def test_unsupported_image_formats_are_check_errors(content_copy: ContentCopy, fmt: str, suffix: str) -> None:
    root = content_copy()
    Image.new("RGB", (32, 32)).save(root / f"附件/照片{suffix}", fmt)
    Image.new("RGB", (32, 32)).save(root / f"建设方案/图片/图{suffix}", fmt)
    _list_attachment(root, f"照片{suffix}")
    (root / PLAN_PART).write_text((root / PLAN_PART).read_text(encoding="utf-8") + f"\n\n![图](图片/图{suffix})\n", encoding="utf-8")
    errors = _errors(root)
    assert any(f"附件“证明材料”：文件“照片{suffix}”是 {fmt} 格式，不支持：请转换为 PDF/PNG/JPEG" in e for e in errors), errors
    assert any(f"图片：文件“图片/图{suffix}”是 {fmt} 格式，不支持：请转换为 PNG/JPEG" in e for e in errors), errors


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_truncated_images_are_check_errors_naming_the_file(content_copy: ContentCopy, fmt: str, suffix: str) -> None:
    root = content_copy()
    whole = root / f"附件/照片{suffix}"
    Image.effect_noise((400, 300), 60).convert("RGB").save(whole, fmt)
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) * 2 // 3])
    _list_attachment(root, f"照片{suffix}")
    result = run("check", str(root))
    assert result.returncode == 1 and INTERNAL not in result.stderr
    assert f"附件“证明材料”：图片“照片{suffix}”已损坏或不完整" in result.stdout


def test_a_picture_too_large_in_pixels_is_refused_from_its_header(content_copy: ContentCopy) -> None:
    # A 30000×30000 PNG that is a few hundred bytes on disk: LibreOffice would need 1.2 GB.
    raw = zlib.compress(b"\0" * 30001, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    root = content_copy()
    (root / "建设方案/图片/巨图.png").write_bytes(png)
    (root / PLAN_PART).write_text((root / PLAN_PART).read_text(encoding="utf-8") + "\n\n![图](图片/巨图.png)\n", encoding="utf-8")
    result = run("check", str(root), timeout=30)
    assert result.returncode == 1
    assert "图片“图片/巨图.png”的像素数超过上限 8000 万像素" in result.stdout or "30000×30000" in result.stdout


def test_a_png_named_pdf_is_refused_at_check(content_copy: ContentCopy) -> None:
    root = content_copy()
    _png(root / "附件/照片.pdf")
    _list_attachment(root, "照片.pdf")
    assert any("文件“照片.pdf”的内容是 PNG，扩展名却是“.pdf”：请改为 .png" in e for e in _errors(root))


def test_pdf_attachment_problems_are_check_errors_exit_1(content_copy: ContentCopy) -> None:
    root = content_copy()
    source = root / "附件/合作协议.pdf"
    with pikepdf.open(source) as pdf:
        pdf.save(root / "附件/加密.pdf", encryption=pikepdf.Encryption(owner="o", user="u", aes=True, R=6))
        pdf.save(root / "附件/仅限制.pdf", encryption=pikepdf.Encryption(owner="o", user="", aes=True, R=4))
    data = source.read_bytes()
    (root / "附件/截断.pdf").write_bytes(data[: len(data) // 3])
    (root / "附件/清单.yaml").write_text(
        "附件:\n" + "".join(f"  - 名称: {n}\n    文件: {n}.pdf\n" for n in ("加密", "仅限制", "截断")), encoding="utf-8"
    )
    result = run("check", str(root))
    assert result.returncode == 1 and INTERNAL not in result.stderr
    out = result.stdout
    assert "附件/清单.yaml:3:9: 错误: 附件“加密”：“加密.pdf”：PDF 设有打开密码，请提供未加密的文件" in out
    assert "附件/清单.yaml:7:9: 错误: 附件“截断”：“截断.pdf”：PDF 文件已损坏或不完整" in out
    assert "仅限制" not in out  # an owner password alone is no obstacle


def test_an_image_over_the_byte_limit_is_refused_before_it_is_read(content_copy: ContentCopy) -> None:
    from generator.core.limits import MAX_IMAGE_BYTES

    root = content_copy()
    big = _png(root / "附件/大图.png")
    with big.open("ab") as fh:  # a valid picture followed by padding: only the size is wrong
        fh.truncate(MAX_IMAGE_BYTES + 1)
    _list_attachment(root, "大图.png")
    assert any("文件“大图.png”有 30.0 MB，超过上限 30 MB" in e for e in _errors(root)), _errors(root)


def test_doctor_does_not_scan_a_fonts_folder_outside_the_repo(content_copy: ContentCopy) -> None:
    root = content_copy({"项目.yaml": lambda t: t.replace("字体目录: 字体", "字体目录: /")})
    result = run("doctor", str(root), timeout=60)
    assert INTERNAL not in result.stderr and "个字体文件" not in result.stdout


def test_a_folder_nested_1400_deep_does_not_exhaust_the_stack(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy()
    for folder, levels in ((root / "草稿", 1400), (root / "字体", 40)):
        folder.mkdir(exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        for _n in range(levels):  # by descriptor: the whole path soon exceeds what one call takes
            os.mkdir("a", dir_fd=fd)
            inner = os.open("a", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(fd)
    try:
        result = run("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf", timeout=120)
        assert INTERNAL not in result.stderr
        assert result.returncode == 1 and "项目.yaml:26:7: 错误: 字体目录：“字体/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a”所在的文件夹层次超过 16 层" in result.stdout
    finally:
        _remove_chain(root / "草稿")


def _remove_chain(folder: Path) -> None:
    """Remove folder/a/a/…/a bottom-up by descriptor. pytest's later clean-up of old tmp folders
    uses shutil.rmtree, which recurses once per level: 1400 levels end in a RecursionError there."""
    fds = [os.open(folder, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("a", os.O_RDONLY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("a", dir_fd=fds[-1])
    os.close(fds[0])
    folder.rmdir()


def test_a_font_file_name_that_is_not_utf8_is_no_problem(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy()
    (root / "字体").mkdir(exist_ok=True)
    open(os.fsencode(root / "字体") + b"/\xff\xfe.ttf", "wb").close()
    result = run("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 0 and INTERNAL not in result.stderr
