"""The `chanjiao` command line: parse arguments, call the pipeline, map errors to exit codes."""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import click

from generator import __version__
from generator.errors import EXIT_TOOL, ChanjiaoError, ContentError
from generator.i18n import _, detect_language, set_language

# Commands import what they need when they run: `chanjiao build` with nothing changed, `--help`
# and `textconv` should not pay for YAML, Markdown, docxtpl and pypdf.

EXIT_CODES_HELP = """\b
退出码 / exit codes:
  0  内容符合所有字数限制和规则 / within every limit and rule
  1  内容超出限制或违反规则 / content violates limits or rules
  2  命令用法错误 / usage error
  3  工具无法运行 / the tool could not run
"""


def _content_dir(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """The content folder: as given; else `content/` when there is one (this repo), else the
    current folder (a team's own repo, where the files sit at the top)."""
    if value is not None:
        return value
    return Path("content") if Path("content").is_dir() else Path(".")


def _positive_seconds(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    # 0, a negative number or nan would make every conversion "time out" at once (or never).
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(_("须为大于 0 的秒数，而不是 {value}").format(value=value))
    return value


#: What `textconv` lets word/document.xml grow to when decompressed: a 300-page document is ~10 MB,
#: a 1.5 MB zip bomb would be 3 GB.
TEXTCONV_MAX_XML = 64 * 1024 * 1024


def _check_docx_size(path: Path, limit: int = TEXTCONV_MAX_XML) -> None:
    """Decompress word/document.xml in chunks, stopping at `limit` bytes: a zip bomb is refused
    before docx_text inflates it (the header's size can lie, so the real bytes are counted)."""
    import zipfile

    from generator.errors import ToolError

    try:
        with zipfile.ZipFile(path) as zf, zf.open("word/document.xml") as member:
            total = 0
            while chunk := member.read(1024 * 1024):
                total += len(chunk)
                if total > limit:
                    raise ToolError(
                        _("Word 文档 {path} 解压后超过 {n} MB，不像正常的文档，未读取").format(path=path, n=limit // (1024 * 1024))
                    )
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ToolError(_("无法读取 Word 文档 {path}：{reason}").format(path=path, reason=exc)) from exc


def _lang_option(f: Callable[..., None]) -> Callable[..., None]:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
        lang = detect_language(value)
        set_language(lang)
        return lang

    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=callback,
        help="消息语言 / message language (zh, en); 默认随系统语言 / default: from the locale",
    )(f)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (every `finally` runs), not caught by `except Exception`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _exit_on_signal(signum: int, _frame: object) -> None:
    # A second signal while cleaning up must not cut the clean-up short (SIGKILL still works,
    # and then the watchdog cleans up).
    signal.signal(signum, signal.SIG_IGN)
    raise _Terminated(signum)


class _Main(click.Group):
    """The command group that turns the tool's own errors into a message and an exit code, once."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ContentError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(exc.exit_code)
        except ChanjiaoError as exc:
            click.echo(_("错误：{message}").format(message=exc), err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(_("已中断。"), err=True)
            ctx.exit(130)
        except _Terminated as exc:
            # Printed after the unwinding: LibreOffice is stopped and temporary files are gone.
            click.echo(
                _("收到终止信号（{name}），已停止：LibreOffice 已结束，临时文件已清理；未完成的生成不会改动输出目录。").format(
                    name=signal.Signals(exc.signum).name
                ),
                err=True,
            )
            ctx.exit(128 + exc.signum)
        except Exception as exc:
            # A bug, not the user's doing: say so plainly; CHANJIAO_DEBUG=1 shows the traceback.
            if os.environ.get("CHANJIAO_DEBUG"):
                raise
            click.echo(
                _("内部错误（{kind}：{message}）。这是 chanjiao 的问题，不是申报材料的问题；请把这条信息和所用命令报告给维护者（设置 CHANJIAO_DEBUG=1 可显示详细信息）。").format(
                    kind=type(exc).__name__, message=exc
                ),
                err=True,
            )
            ctx.exit(EXIT_TOOL)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chanjiao")
def main() -> None:
    """chanjiao：把市域产教联合体申报材料从纯文本生成正式文档。

    Turns a 市域产教联合体 application kept as YAML and Markdown into the official documents.
    """
    set_language(detect_language(None))
    # `kill`, a closed terminal or a CI timeout send SIGTERM: exit through Python so that every
    # `finally` runs — LibreOffice process groups are killed and temporary files removed.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", required=False, callback=_content_dir, type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式 / output format")
@click.option("--strict", is_flag=True, help="警告也视为不通过 / warnings fail the check")
@_lang_option
def check(directory: Path, fmt: str, strict: bool) -> None:
    """校验申报材料并统计字数（不生成文档）。Validate and count, no rendering."""
    from generator.check.report import render_report_json, render_report_text
    from generator.check.validate import check_content

    report, _app = check_content(directory, strict=strict)
    click.echo(render_report_json(report) if fmt == "json" else render_report_text(report))
    sys.exit(report.exit_code)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", required=False, callback=_content_dir, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--pdf/--no-pdf", "pdf", default=None, help="生成 PDF（默认：已安装 LibreOffice 时生成）/ make PDFs (default: when LibreOffice is installed)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式 / output format")
@click.option("--strict", is_flag=True, help="警告也视为不通过 / warnings fail the build")
@click.option("--timeout", type=float, default=180, show_default=True, callback=_positive_seconds, help="LibreOffice 转换超时（秒）/ conversion timeout (s)")
@_lang_option
def build(directory: Path, out_dir: Path, pdf: bool | None, fmt: str, strict: bool, timeout: float) -> None:
    """校验并生成建设方案、推荐书（.docx 与 PDF）和申报材料 PDF。Validate, render, convert, assemble."""
    from generator.pipeline import Reused, run

    def progress(message: str) -> None:
        click.echo(message, err=True)

    # One orchestrator: the pipeline also decides when nothing changed (then it replays the report).
    result = run(directory, out_dir, pdf=pdf, strict=strict, progress=progress, timeout=timeout)
    if isinstance(result, Reused):
        click.echo(result.json if fmt == "json" else result.text)
    else:
        from generator.check.report import render_build_json, render_build_text

        click.echo(render_build_json(result) if fmt == "json" else render_build_text(result))
    sys.exit(result.exit_code)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directories", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--pdf/--no-pdf", "pdf", default=None, help="生成 PDF（默认：已安装 LibreOffice 时生成）/ make PDFs (default: when LibreOffice is installed)")
@_lang_option
def summary(directories: tuple[Path, ...], out_dir: Path, pdf: bool | None) -> None:
    """多个联合体的汇总表（一个区县推荐多个联合体时）。The summary table for several consortia."""
    from generator.core.procs import run_temp_dir
    from generator.summary import build_summary

    with run_temp_dir():  # temporary files in one folder named after this run (procs.py)
        result = build_summary(list(directories), out_dir, pdf=pdf)
    for d in result.diagnostics:
        click.echo(f"{d.location}: {_('错误')}: {d.message}")
    if result.diagnostics:
        click.echo(_("有联合体的基本信息或成员情况有错误，未生成汇总表。"), err=True)
        sys.exit(result.exit_code)
    for row in result.rows:
        click.echo(f"{row['index']}. {row['name']}")
    for path in (result.docx, result.pdf):
        if path is not None:
            click.echo(str(path))
    if result.pdf_skipped_reason:
        click.echo(result.pdf_skipped_reason)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--form-version", default=None, help="表格版本 / form version (default: the newest)")
@_lang_option
def init(directory: Path, form_version: str | None) -> None:
    """新建申报材料仓库：每个文件的模板和官方填写说明。Scaffold a new content repo."""
    from generator.scaffold import init_content_repo

    written = init_content_repo(directory, version=form_version)
    click.echo(_("已在 {path} 新建申报材料仓库（{n} 个文件）。").format(path=directory, n=len(written)))
    click.echo(_("下一步：进入该目录，按各文件中的说明填写，然后运行 make check 查看还缺什么。"))


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("rev_a")
@click.argument("rev_b", required=False)
@click.option("--content", "content_dir", default=None, type=click.Path(file_okay=False, path_type=Path), help="内容目录（默认：有 content 用 content，否则当前目录）/ content folder")
@click.option("-o", "--out", "out_dir", default="build/diff", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--dirs", is_flag=True, help="比较两个文件夹而不是 git 版本 / compare two folders, not git revisions")
@click.option("--pdf/--no-pdf", "pdf", default=None, help="生成 PDF（默认：已安装 LibreOffice 时生成）/ make PDFs (default: when LibreOffice is installed)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式 / output format")
@_lang_option
def diff(rev_a: str, rev_b: str | None, content_dir: Path | None, out_dir: Path, dirs: bool, pdf: bool | None, fmt: str) -> None:
    """比较两个版本：修订对照 Word/PDF 和变更表。Redline and change table between two revisions.

    REV_A、REV_B 为 git 版本（如 round-1），REV_B 省略时与工作区比较；加 --dirs 时为两个文件夹。
    """
    from generator.diff.command import diff as diff_revisions
    from generator.diff.command import render_json as render_diff_json
    from generator.diff.command import render_text as render_diff_text

    if content_dir is None:
        content_dir = Path("content") if Path("content").is_dir() else Path(".")
    from generator.core.procs import run_temp_dir

    with run_temp_dir():  # temporary files in one folder named after this run (procs.py)
        result = diff_revisions(content_dir, rev_a, rev_b, out_dir, dirs=dirs, pdf=pdf, progress=lambda m: click.echo(m, err=True))
    click.echo(render_diff_json(result) if fmt == "json" else render_diff_text(result))
    sys.exit(result.exit_code)


@main.command()
@click.argument("directory", required=False, callback=_content_dir, type=click.Path(file_okay=False, path_type=Path))
@_lang_option
def doctor(directory: Path) -> None:
    """检查 LibreOffice、字体及替代字体、版本。Check LibreOffice, fonts and versions."""
    import platform
    from importlib.metadata import version

    from generator.pdf.doctor import diagnose
    from generator.pdf.fonts import FontKind
    from generator.word.documents import template_font_families

    fonts_dir = None
    project = directory / "项目.yaml"
    if project.is_file():
        from generator.check.rules import fonts_dir_inside
        from generator.content.loader import load_application

        app, _diags = load_application(directory)
        if app.get("project.fonts_dir") and not any(fonts_dir_inside(app)):  # never scan / or /proc
            fonts_dir = directory / str(app.get("project.fonts_dir"))
    report = diagnose(template_font_families(), fonts_dir=fonts_dir)
    ok, bad = "✓", "✗"
    lo = report.libreoffice
    if lo.ok:
        click.echo(f"{ok} LibreOffice: {lo.path}（{lo.version}）")
    else:
        click.echo(f"{bad} LibreOffice: {lo.problem}")
    click.echo(_("字体（模板中使用的字体 → 生成 PDF 时实际使用）："))
    kinds = {FontKind.REAL: _("已安装"), FontKind.STAND_IN: _("替代字体"), FontKind.FALLBACK: _("无同风格替代，效果不对")}
    for font in report.fonts:
        mark = bad if font.kind is FontKind.FALLBACK else ok
        click.echo(f"  {mark} {font.requested} → {font.family} {font.style}（{kinds[font.kind]}，{font.file.name}）")
    if report.fallback is not None:
        mark = bad if report.fallback.kind is FontKind.FALLBACK else ok
        click.echo(f"  {mark} " + _("{name} 缺少的字（{chars}）→ {family}（{file}）").format(
            name=report.fallback.requested, chars=report.fallback_chars, family=report.fallback.family, file=report.fallback.file.name))
    if report.fonts_dir.path is None:
        click.echo(_("字体目录：未设置（在 项目.yaml 的“字体目录”中设置，放入已授权的方正字体）"))
    elif report.fonts_dir.exists:
        click.echo(_("字体目录：{path}（{n} 个字体文件）").format(path=report.fonts_dir.path, n=len(report.fonts_dir.files)))
    else:
        click.echo(_("字体目录：{path} 不存在").format(path=report.fonts_dir.path))
    versions = ", ".join(f"{name} {version(name)}" for name in ("chanjiao", "docxtpl", "python-docx", "pypdf", "markdown-it-py"))
    click.echo(_("版本：Python {python}，{versions}").format(python=platform.python_version(), versions=versions))
    for problem in report.problems:
        click.echo(f"{bad} {problem}")
    if report.ok:
        click.echo(_("可以生成 PDF。"))
    sys.exit(0 if report.ok else EXIT_TOOL)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def textconv(file: Path) -> None:
    """输出 Word 文档的文字，供 git diff 使用。Print a .docx's text (git textconv)."""
    from generator.word.text import docx_text

    _check_docx_size(file)
    click.echo(docx_text(file))


if __name__ == "__main__":  # pragma: no cover
    main()
