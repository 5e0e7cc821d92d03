"""The `chanjiao` command line: parse arguments, run a command, print its Outcome (outcome.py) and
exit with its code; the tool's own errors become an Outcome too."""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from generator import __version__
from generator.errors import (
    EXIT_CONTENT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SIGNAL_BASE,
    EXIT_TOOL,
    EXIT_USAGE,
    ChanjiaoError,
    ContentError,
)
from generator.form.declaration import PROJECT_FILE
from generator.i18n import _, detect_language, set_language
from generator.outcome import (
    COMMANDS,
    Format,
    Outcome,
    content_failed,
    emit,
    failed,
    usage_failed,
)

# Commands import what they need when they run: `chanjiao build` with nothing changed, `--help`
# and `textconv` should not pay for YAML, Markdown, docxtpl and pypdf.

EXIT_CODES_HELP = f"""\b
退出码 / exit codes:
  {EXIT_OK}  内容符合所有字数限制和规则 / within every limit and rule
  {EXIT_CONTENT}  内容超出限制或违反规则 / content violates limits or rules
  {EXIT_USAGE}  命令用法错误 / usage error
  {EXIT_TOOL}  工具无法运行 / the tool could not run
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


def _lang_option(f: Callable[..., Any]) -> Callable[..., Any]:
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


#: Where the command line's words and the chosen --format are kept for the error path (ctx.meta
#: is shared by the group's and the command's contexts).
_ARGS_KEY = "chanjiao.args"
_FORMAT_KEY = "chanjiao.format"


def _asked_format(args: list[str]) -> Format:
    """`json` when the words ask for it: a usage error can stop click before --format is parsed,
    and its message must then still be JSON."""
    for i, word in enumerate(args):
        if word == "--":
            break
        if word == "--format=json" or (word == "--format" and args[i + 1 : i + 2] == ["json"]):
            return "json"
    return "text"


class _Main(click.Group):
    """The command group that prints each command's Outcome and exits with its code, once; the
    tool's own errors become an Outcome too, so --format json holds for them as well."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGS_KEY] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        args: list[str] = ctx.meta.get(_ARGS_KEY, [])
        command = next((a for a in args if not a.startswith("-")), "")
        try:
            result = super().invoke(ctx)
        except click.exceptions.UsageError as exc:
            if command not in COMMANDS or _asked_format(args) != "json":
                raise  # click prints it with the usage line, exit 2
            result = usage_failed(command, exc.format_message())
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BaseException as exc:  # noqa: BLE001 — every way out becomes an outcome, printed once
            result = _failure(command, exc)
        if isinstance(result, Outcome):
            emit(result, ctx.meta.get(_FORMAT_KEY) or _asked_format(args))
            ctx.exit(result.exit_code)
        return result


def _failure(command: str, exc: BaseException) -> Outcome:
    """The outcome of a command that stopped: the tool's own errors, interruptions, and bugs."""
    if isinstance(exc, ContentError):
        return content_failed(command, exc.diagnostics)
    if isinstance(exc, ChanjiaoError):
        return failed(command, str(exc), exit_code=exc.exit_code, note=_("错误：{message}").format(message=exc))
    if isinstance(exc, KeyboardInterrupt):
        return failed(command, _("已中断。"), exit_code=EXIT_INTERRUPTED, code="interrupted")
    if isinstance(exc, _Terminated):
        # Printed after the unwinding: LibreOffice is stopped and temporary files are gone.
        message = _("收到终止信号（{name}），已停止：LibreOffice 已结束，临时文件已清理；未完成的生成不会改动输出目录。").format(
            name=signal.Signals(exc.signum).name
        )
        return failed(command, message, exit_code=EXIT_SIGNAL_BASE + exc.signum, code="interrupted")
    if not isinstance(exc, Exception) or os.environ.get("CHANJIAO_DEBUG"):
        raise exc  # SystemExit and the like pass; CHANJIAO_DEBUG=1 shows a bug's traceback
    # A bug, not the user's doing: say so plainly.
    message = _("内部错误（{kind}：{message}）。这是 chanjiao 的问题，不是申报材料的问题；请把这条信息和所用命令报告给维护者（设置 CHANJIAO_DEBUG=1 可显示详细信息）。").format(
        kind=type(exc).__name__, message=exc
    )
    return failed(command, message, code="internal-error")


def _format_option(f: Callable[..., Outcome]) -> Callable[..., Outcome]:
    def callback(ctx: click.Context, _param: click.Parameter, value: str) -> str:
        ctx.meta[_FORMAT_KEY] = value
        return value

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        callback=callback,
        expose_value=False,
        help="输出格式（json：标准输出只有一个 JSON 文档，见 docs/output.schema.json）/ output format",
    )(f)


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
@_format_option
@click.option("--strict", is_flag=True, help="警告也视为不通过 / warnings fail the check")
@click.option("-o", "--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="上次 build 的输出目录：从中读取观测点所在页码 / the last build's output folder (page numbers)")
@_lang_option
def check(directory: Path, strict: bool, out_dir: Path) -> Outcome:
    """校验申报材料并统计字数（不生成文档）。Validate and count, no rendering."""
    from generator.check.validate import check_content
    from generator.core.buildcache import evidence_pages
    from generator.outcome import checked

    report, app = check_content(directory, strict=strict)
    # Pages only from a build of this very content: evidence_pages is empty otherwise.
    report.evidence_pages = evidence_pages(out_dir, app.sources)
    return checked(report)


def _progress(message: str) -> None:
    # Progress is for the person waiting; stdout stays the report (or the JSON document).
    click.echo(message, err=True)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", required=False, callback=_content_dir, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--pdf/--no-pdf", "pdf", default=None, help="生成 PDF（默认：已安装 LibreOffice 时生成）/ make PDFs (default: when LibreOffice is installed)")
@_format_option
@click.option("--strict", is_flag=True, help="警告也视为不通过 / warnings fail the build")
@click.option("--timeout", type=float, default=180, show_default=True, callback=_positive_seconds, help="LibreOffice 转换超时（秒）/ conversion timeout (s)")
@_lang_option
def build(directory: Path, out_dir: Path, pdf: bool | None, strict: bool, timeout: float) -> Outcome:
    """校验并生成建设方案、推荐书（.docx 与 PDF）和申报材料 PDF。Validate, render, convert, assemble."""
    from generator.outcome import built, reused
    from generator.pipeline import Reused, run

    # One orchestrator: the pipeline decides when nothing changed (then it replays the report),
    # and a build keeps its temporary files in one folder named after the run.
    result = run(directory, out_dir, pdf=pdf, strict=strict, progress=_progress, timeout=timeout)
    return reused(result) if isinstance(result, Reused) else built(result)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directories", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", default="build", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--pdf/--no-pdf", "pdf", default=None, help="生成 PDF（默认：已安装 LibreOffice 时生成）/ make PDFs (default: when LibreOffice is installed)")
@_format_option
@_lang_option
def summary(directories: tuple[Path, ...], out_dir: Path, pdf: bool | None) -> Outcome:
    """多个联合体的汇总表（一个区县推荐多个联合体时）。The summary table for several consortia."""
    from generator.core.procs import run_temp_dir
    from generator.outcome import summarised
    from generator.summary import build_summary

    with run_temp_dir():  # temporary files in one folder named after this run (procs.py)
        result = build_summary(list(directories), out_dir, pdf=pdf)
    return summarised(result)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--form-version", default=None, help="表格版本 / form version (default: the newest)")
@_format_option
@_lang_option
def init(directory: Path, form_version: str | None) -> Outcome:
    """新建申报材料仓库：每个文件的模板和官方填写说明。Scaffold a new content repo."""
    from generator.outcome import initialised
    from generator.scaffold import init_content_repo

    written = init_content_repo(directory, version=form_version)
    return initialised(directory, written)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@_format_option
@_lang_option
def schema(directory: Path) -> Outcome:
    """重新生成编辑器提示用的 JSON Schema 和 VS Code 设置。Regenerate the editor schemas."""
    from generator.outcome import schemas_written
    from generator.scaffold import refresh_editor_files

    written, warnings = refresh_editor_files(directory)
    return schemas_written(directory, written, warnings)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("rev_a")
@click.argument("rev_b", required=False)
@click.option("--content", "content_dir", default=None, type=click.Path(file_okay=False, path_type=Path), help="内容目录（默认：有 content 用 content，否则当前目录）/ content folder")
@click.option("-o", "--out", "out_dir", default="build/diff", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--dirs", is_flag=True, help="比较两个文件夹而不是 git 版本 / compare two folders, not git revisions")
@click.option("--pdf/--no-pdf", "pdf", default=None, help="生成 PDF（默认：已安装 LibreOffice 时生成）/ make PDFs (default: when LibreOffice is installed)")
@_format_option
@_lang_option
def diff(rev_a: str, rev_b: str | None, content_dir: Path | None, out_dir: Path, dirs: bool, pdf: bool | None) -> Outcome:
    """比较两个版本：修订对照 Word/PDF 和变更表。Redline and change table between two revisions.

    REV_A、REV_B 为 git 版本（如 round-1），REV_B 省略时与工作区比较；加 --dirs 时为两个文件夹。
    """
    from generator.core.procs import run_temp_dir
    from generator.diff.command import diff as diff_revisions
    from generator.outcome import diffed

    if content_dir is None:
        content_dir = Path("content") if Path("content").is_dir() else Path(".")
    with run_temp_dir():  # temporary files in one folder named after this run (procs.py)
        result = diff_revisions(content_dir, rev_a, rev_b, out_dir, dirs=dirs, pdf=pdf, progress=_progress)
    return diffed(result)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", required=False, callback=_content_dir, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", default="build/preview", type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="端口（默认：任一空闲端口）/ port (default: a free one)")
@click.option("--browser/--no-browser", "browser", default=True, help="打开浏览器 / open the browser")
@_lang_option
def preview(directory: Path, out_dir: Path, port: int, browser: bool) -> None:
    """在浏览器中实时预览：保存文件后自动重新生成。Live preview in the browser, rebuilt on save."""
    from generator.preview.command import Stopped, run_preview

    try:
        run_preview(directory, out_dir, port=port, open_browser=browser, echo=click.echo)
    except KeyboardInterrupt:
        click.echo(_("预览已结束。"), err=True)
    except Stopped as stopped:  # cleaned up already; exits 128+N with the usual message
        raise _Terminated(stopped.signum) from None


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("directory", required=False, callback=_content_dir, type=click.Path(file_okay=False, path_type=Path))
@_format_option
@_lang_option
def doctor(directory: Path) -> Outcome:
    """检查 LibreOffice、字体及替代字体、版本。Check LibreOffice, fonts and versions."""
    import platform
    from importlib.metadata import version

    from generator.outcome import doctored
    from generator.pdf.doctor import diagnose
    from generator.word.documents import template_font_families

    fonts_dir = None
    if (directory / PROJECT_FILE).is_file():
        from generator.content.assets import fonts_folder
        from generator.content.loader import load_application

        app, _diags = load_application(directory)
        fonts_dir = fonts_folder(directory, app.get("project.fonts_dir"), existing=False)  # never / or /proc
    report = diagnose(template_font_families(), fonts_dir=fonts_dir)
    versions = {name: version(name) for name in ("chanjiao", "docxtpl", "python-docx", "pypdf", "markdown-it-py")}
    return doctored(report, versions, platform.python_version())


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def textconv(file: Path) -> None:
    """输出 Word 文档的文字，供 git diff 使用。Print a .docx's text (git textconv)."""
    from generator.word.text import docx_text

    _check_docx_size(file)
    click.echo(docx_text(file))


if __name__ == "__main__":  # pragma: no cover
    main()
