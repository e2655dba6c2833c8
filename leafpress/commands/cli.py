"""The command line: a thin layer over the library API in leafpress.pipeline."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

import click

from .. import __version__
from ..errors import (
    Colour,
    LeafpressError,
    Level,
    Line,
    Problem,
    count,
    display_path,
    echo,
    error,
    has_errors,
    hide_python_warnings,
    printable,
    printable_data,
    stopped_line,
    warning,
)
from ..finish.files import write_atomic
from ..finish.profiles import PROFILES
from ..layouts.registry import LAYOUTS
from ..paths import LINK_LOOP, is_link_loop, resolve
from ..pipeline import TODAY_VARIABLE, BuildResult, plan, plural, result_line, review_day, settings_for, summary_line
from ..project.config import config_problems, load_project
from ..runner.batch import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, BatchOptions, plan_work, run_batch
from ..runner.cache import Manifest
from ..source.safefile import FileRefused, read_bytes

if TYPE_CHECKING:
    from ..source.checks import ReadabilityCheck, TopicCheck

MAX_PDF_BYTES = 512 * 1024 * 1024  # a PDF given to `leafpress check`


def _print_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for problem in problems:
        echo(str(problem), err=True)


# Carriage return, then erase the whole line (ANSI EL 2): what a terminal shows of a progress bar.
CLEAR_LINE = "\r\x1b[2K"


def print_problems_during_progress(problems: list[Problem] | tuple[Problem, ...], bar_file: IO[str]) -> None:
    """Print problems while a progress bar is drawn on ``bar_file``: each on a line of its own.

    The bar's line ends without a newline; printed as it is, a problem would
    continue it ("0/9content/...: warning"). The line is cleared first, and
    the bar's next update draws it again below the problems.
    """
    if not problems:
        return
    bar_file.write(CLEAR_LINE)
    bar_file.flush()
    _print_problems(problems)


# How much a command prints: -q problems and the summary; default adds what changed; -v everything.
QUIET, NORMAL, VERBOSE = 0, 1, 2


def verbosity_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """-q/--quiet and -v/--verbose, passed on as ``verbosity`` (QUIET, NORMAL or VERBOSE)."""
    def chosen(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        if value:
            other = "verbose" if param.name == "quiet" else "quiet"
            if ctx.params.get(other):
                raise click.UsageError("give -q/--quiet or -v/--verbose, not both")
        return value

    function = click.option("-v", "--verbose", is_flag=True, callback=chosen,
                            help="Also every target's line (up to date ones too) and a table of pages "
                                 "and seconds.")(function)
    function = click.option("-q", "--quiet", is_flag=True, callback=chosen,
                            help="Print only problems and the summary.")(function)
    return function


def _verbosity(quiet: bool, verbose: bool) -> int:
    return QUIET if quiet else VERBOSE if verbose else NORMAL


def _fail(exc: LeafpressError) -> None:
    _print_problems(exc.problems)
    echo(stopped_line(exc.problems), err=True)
    sys.exit(1)


def _output_folder(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """--out, refused at once when it is a link loop (every later step would stop with a traceback)."""
    if value is not None and is_link_loop(value):
        _fail(LeafpressError([error(value, None, LINK_LOOP)]))
    return value


def _no_colour(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.color = False  # what errors.colour_wanted reads; subcommands' contexts inherit it


# --no-color, which every command takes, before or after its name.
NO_COLOUR: dict[str, Any] = {"is_flag": True, "expose_value": False, "is_eager": True, "callback": _no_colour,
                             "help": "No colours, even on a terminal (as NO_COLOR=1 does)."}


class _Commands(click.Group):
    """Commands in other modules are imported only when run or listed in --help.

    `leafpress build` with nothing to do should not pay for importing the live
    preview (an HTTP server and the whole rendering pipeline).
    """

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {"watch": ("leafpress.runner.preview", "watch"),
                                                  "init": ("leafpress.commands.init", "init")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command: click.Command | None
        if name in self.LAZY:
            module, attribute = self.LAZY[name]
            command = getattr(importlib.import_module(module), attribute)
        else:
            command = super().get_command(ctx, name)
        # `leafpress build --no-color` as well as `leafpress --no-color build`.
        if command is not None and not any(param.name == "no_color" for param in command.params):
            command.params.append(click.Option(["--no-color"], **NO_COLOUR))
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leafpress")
@click.option("--no-color", **NO_COLOUR)
def main() -> None:
    """Turn Markdown topics into print-ready PDF leaflets.

    Run inside a project (a folder with leafpress.yaml). Example:

        leafpress build content/ketamine-neuropathic-pain
    """
    _survive_any_text()
    hide_python_warnings()


def _survive_any_text() -> None:
    """Print anything: a lone surrogate (from a file's bytes or a \\ud800 escape) is written as an escape.

    Content quoted in a message can hold characters no encoding can write;
    stdout's strict default would end the command with a traceback.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(data: object) -> str:
    """``data`` as JSON text any encoder can write: a lone surrogate becomes the visible text \\ud800.

    Surrogates occur only inside JSON strings, where an escaped backslash
    keeps the escape as text for every JSON reader.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _SURROGATE.sub(lambda match: f"\\\\u{ord(match.group(0)):04x}", text)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--layout", "layouts", multiple=True, metavar="NAME",
              help="Build only this layout (repeat for several): "
                   f"{', '.join(name for name, layout in LAYOUTS.items() if layout.batch)}, "
                   "or one that leafpress.yaml declares. Default: all.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), callback=_output_folder,
              help="Write PDFs under this folder instead of output/.")
@click.option("--profile", type=click.Choice(sorted(PROFILES)),
              help="screen (tagged PDF/UA), print (PDF/X-4, 3 mm bleed, CMYK) or archive (PDF/A-3a). "
                   "Default: 'profile' in leafpress.yaml, else screen.")
@click.option("--marks", is_flag=True, default=None, help="With --profile print: crop marks outside the bleed.")
@click.option("--strict", is_flag=True,
              help="Refuse patient leaflets that miss their readability targets, documents that still have "
                   "text from 'leafpress new', and PDFs with preflight findings (small text, text cut off, "
                   "stranded headings...).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Targets built at once, each in its own process.")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds one target may take before it is stopped and reported.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=256), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Megabytes of memory one target may use.")
@click.option("--force", is_flag=True, help="Rebuild every target, even those that are up to date.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JSON to this file (for scripts and CI); '-' writes them "
                   "to standard output, and the other lines go to standard error.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), hidden=True, envvar=TODAY_VARIABLE,
              help=f"Check review dates as of this day (for tests and CI; also ${TODAY_VARIABLE}).")
@verbosity_options
def build(paths: tuple[Path, ...], layouts: tuple[str, ...], out_dir: Path | None, profile: str | None,
          marks: bool | None, strict: bool, jobs: int, timeout: float, memory_mb: int, force: bool,
          report: Path | None, today: datetime.datetime | None, quiet: bool, verbose: bool) -> None:
    """Build PDFs for all topics, or for the topic folders or files given.

    Each PDF is written to OUT/<topic>/<layout>.<language>[.<profile>].pdf.
    Targets whose inputs have not changed since the last build are skipped.
    Each target runs in its own process (a booklet in its A5 leaflet's, whose
    pages it imposes), so one that fails, crashes, hangs or runs out of memory
    is reported and the others are still built. Exits 1 if any target failed.

    Prints problems (to standard error), a line for each target built or
    failed (a progress bar instead, on a terminal) and a summary; -q only
    problems and the summary; -v also the targets that were up to date,
    and a table of pages and seconds.

    Example: leafpress build content/ketamine-neuropathic-pain --layout article --profile print
    """
    try:
        project = load_project()
        targets = plan(project, list(paths), list(layouts) or None, settings_for(project, profile, marks, strict))
    except LeafpressError as exc:
        _fail(exc)
        return
    options = BatchOptions(out_dir=(out_dir or project.output_dir), jobs=jobs, timeout=timeout,
                           memory_mb=memory_mb, force=force, today=today.date() if today else None)
    project_problems = config_problems(project, [target.layout for target in targets])
    if has_errors(project_problems):  # colours every leaflet would print too faint: build nothing
        _fail(LeafpressError(project_problems))
        return
    _print_problems(project_problems)
    # A topic's own problems (its article, its references) concern every
    # layout built from it: print each once, before its first target.
    printed: set[Problem] = set(project_problems)
    level = _verbosity(quiet, verbose)
    to_stdout = report is None or str(report) != "-"  # with --report -, stdout holds the JSON alone
    interactive = level == NORMAL and to_stdout and sys.stdout.isatty() and len(targets) > 1
    done: list[BuildResult] = []
    started = time.monotonic()
    if level == VERBOSE:
        echo(f"Building {plural(len(targets), 'target')} into {display_path(options.out_dir)}, "
             f"{min(jobs, len(targets))} at a time.", err=not to_stdout)

    def report_one(result: BuildResult, bar_file: IO[str] | None = None) -> None:
        done.append(result)
        new = [p for p in result.problems if p not in printed]
        printed.update(result.problems)
        if bar_file is not None:
            print_problems_during_progress(new, bar_file)
            return
        _print_problems(new)
        if level == VERBOSE or (level == NORMAL and not result.up_to_date):
            echo(result_line(result), err=not to_stdout)

    try:
        if interactive:
            with click.progressbar(length=len(targets), label="Building", show_pos=True,
                                   file=sys.stdout) as bar:
                def advance(result: BuildResult) -> None:
                    report_one(result, sys.stdout)
                    bar.update(1)
                results = run_batch(project, targets, options, progress=advance)
        else:
            results = run_batch(project, targets, options, progress=report_one)
    except KeyboardInterrupt:
        # run_batch has stopped the workers and saved what finished.
        echo()
        echo(f"Interrupted: {sum(r.ok for r in done)} of {len(targets)} targets done. Every PDF in "
                   f"{display_path(options.out_dir)} is whole; the next build carries on from there.", err=True)
        sys.exit(130)
    if level == VERBOSE:
        for line in _table(results):
            echo(line, err=not to_stdout)
        echo(f"{time.monotonic() - started:.1f} s in all.", err=not to_stdout)
    echo(summary_line(results, sum(not p.is_error for p in printed)), err=not to_stdout)
    if report:
        try:
            write_report(report, results, project_problems, project.root)
        except LeafpressError as exc:
            _fail(exc)
    sys.exit(0 if all(r.ok for r in results) else 1)


def _check_pdfs(paths: tuple[Path, ...], profile_name: str | None, strict: bool = False,
                min_text: float | None = None) -> None:
    from ..finish.preflight import DEFAULT_MIN_TEXT_PT, Rules, preflight
    from ..finish.verify import bundled_font_names, detect_profile, verify_pdf
    from ..project.config import find_root, font_dirs
    from ..project.theme import find_theme

    if not paths:
        raise click.UsageError("give the PDF files to check")
    root = find_root(Path.cwd())
    fonts = bundled_font_names(font_dirs(root, find_theme())) if root else None
    rules = Rules(min_text if min_text is not None else DEFAULT_MIN_TEXT_PT)
    failed = warned = 0
    for path in paths:
        try:
            data = read_bytes(path, MAX_PDF_BYTES)  # a regular file: a pipe would never end
        except FileRefused as exc:
            echo(str(error(path, None, exc.reason)), err=True)
            failed += 1
            continue
        except OSError as exc:
            echo(str(error(path, None, f"cannot be read: {exc.strerror or type(exc).__name__}")), err=True)
            failed += 1
            continue
        profile = PROFILES[profile_name] if profile_name else detect_profile(data)
        problems = verify_pdf(data, fonts, profile)
        findings = preflight(data, rules)
        # Preflight findings are warnings, as in a build; --strict makes them errors.
        bad = bool(problems) or (strict and bool(findings))
        claimed = f"as {profile.name} ({profile.pdf_variant})" if profile else "with no profile claimed"
        verdict: tuple[str, Colour] = (("FAILED", "failed") if bad else ("ok", "built") if not findings
                                       else ("ok, " + plural(len(findings), "warning"), "warning"))
        echo(Line(f"{display_path(path)}: ", verdict, f", checked {claimed}"))
        for problem in problems:
            echo(str(error(path, None, problem)), err=True)
        for finding in findings:
            echo(str((error if strict else warning)(path, None, str(finding))), err=True)
        failed += bad
        warned += bool(findings) and not bad
    echo(Line(f"{plural(len(paths), 'PDF')} checked, ", count(failed, f"{failed} with problems", "failed"),
              *((", ", (f"{warned} with warnings", "warning"), ".") if warned else (".",))))
    sys.exit(1 if failed else 0)


def _table(results: list[BuildResult]) -> list[str]:
    names = [printable(r.name) for r in results]  # as echo prints them: the columns line up
    width = max([len("target")] + [len(name) for name in names])
    lines = [f"{'target':<{width}}  pages  seconds  status"]
    for name, r in zip(names, results, strict=True):
        lines.append(f"{name:<{width}}  {r.pages:>5}  {r.seconds:>7.1f}  {r.status}")
    return lines


def project_path(path: Path | None, root: Path) -> str | None:
    """``path`` relative to the project's root (with / between parts), or absolute when outside it."""
    if path is None:
        return None
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        try:
            return absolute.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return str(absolute)


def problem_data(problem: Problem, root: Path) -> dict[str, Any]:
    """One problem in a report: path (relative to the project), line, level, message."""
    return {"path": project_path(problem.path, root), "line": problem.line, "level": problem.level.value,
            "message": problem.message}


def write_report(path: Path, results: list[BuildResult], project_problems: list[Problem], root: Path) -> None:
    """The build's results as JSON, written atomically, or to standard output when ``path`` is '-'.

    Paths are relative to the project's root ``root`` (absolute only for an
    output folder outside it), so reports from two checkouts compare equal.
    """
    data = {
        "ok": all(r.ok for r in results),
        "targets": [{
            "target": r.name,
            "layout": r.target.layout.name,
            "source": project_path(r.target.source, root),
            "output": project_path(r.output, root),
            "pages": r.pages,
            "seconds": round(r.seconds, 3),
            "status": r.status,
            "problems": [problem_data(p, root) for p in r.problems],
        } for r in results],
        "project_problems": [problem_data(p, root) for p in project_problems],
    }
    # Every string escaped as the terminal shows it: a CI log prints this file too.
    text = json_text(printable_data(data))
    if str(path) == "-":
        click.echo(text)
    else:
        try:
            write_atomic(resolve(path), text.encode("utf-8"))
        except OSError as exc:
            # mkdir says 'File exists' when a folder on the way is a file: say which it means.
            why = ("a folder in its path is a file" if isinstance(exc, (FileExistsError, NotADirectoryError))
                   else exc.strerror or str(exc))
            raise LeafpressError([error(path, None, f"cannot be written ({why}): give --report a file in a "
                                                    "folder that can be written to")]) from None


@main.command()
@click.argument("topic")
@click.option("--title", help="The topic's title (default: made from TOPIC).")
@click.option("--lang", "language", type=click.Choice(["en", "es"]),
              help="Language of the article (default: default_language in leafpress.yaml).")
@click.option("--title-en", help="The title in English, when the article is in another language.")
@click.option("--title-es", help="The title in Spanish, when the article is in another language.")
def new(topic: str, title: str | None, language: str | None, title_en: str | None, title_es: str | None) -> None:
    """Create a topic folder in content/ that builds at once.

    Writes article.md with every front-matter field explained, patient.<lang>.md
    for each language in leafpress.yaml, an empty references.json, and
    evidence, summary and CPD data as *.yaml.example files that show their
    format (rename them once the references they cite exist).

    Each file is written in its language, comments too. A patient text in
    another language than the article's is recorded as a translation of the
    one in the article's language (see 'leafpress translated'); its title is
    --title-es (or --title-en), else a placeholder 'check' flags.

    Example: leafpress new ketamine-depression --title "Ketamine for depression" --lang es
    """
    from ..project.scaffold import new_topic

    try:
        project = load_project()
        titles = {code: text for code, text in (("en", title_en), ("es", title_es)) if text}
        scaffold = new_topic(project, topic, title, language, titles=titles)
    except LeafpressError as exc:
        _fail(exc)
        return
    for path in scaffold.files:
        echo(f"wrote  {display_path(path)}")
    echo(f"Next: edit {display_path(scaffold.folder / 'article.md')}, then run "
               f"'leafpress check {display_path(scaffold.folder)}' and "
               f"'leafpress build {display_path(scaffold.folder)}'.")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              help="The file FILE translates (default: the one it records, else the same name in "
                   "default_language, such as patient.en.md).")
def translated(file: Path, source: Path | None) -> None:
    """Record that FILE is a translation up to date with the file it translates.

    Writes 'translation_of' in FILE's front matter: the source's name, its
    version, a short hash of its text and of each of its headings. The rest
    of FILE is left as it was, byte for byte. From then on, check and build
    warn when the source changes (a new version, an edit without one, a
    heading added or removed) and when the two differ in structure (sections,
    lists, tables, figures, callouts, footnotes). Run it again after bringing
    the translation up to date.

    Example: leafpress translated content/ketamine-neuropathic-pain/patient.es.md
    """
    from ..source.document import load_source
    from ..source.translations import mark_translated, translation_problems

    try:
        project = load_project()
        marked = mark_translated(file, source, project.config.default_language)
    except LeafpressError as exc:
        _fail(exc)
        return
    record = marked.record
    echo(f"{display_path(marked.path)}:{marked.line}: recorded: translated from {record.source}, version "
         f"{record.version}, text {record.fingerprint}, {plural(record.headings, 'heading')}")
    # What a translator should look at now: where the two still differ in structure.
    loaded, _ = load_source(marked.path)  # its other problems are for check and build
    if loaded is not None:
        _print_problems(translation_problems(marked.path, loaded.meta, loaded.yaml, loaded.body,
                                             loaded.body_first_line))
@main.command(name="import")
@click.argument("source", metavar="FILE.docx", type=click.Path(path_type=Path))
@click.option("--topic", metavar="NAME",
              help="The topic folder in content/ (default: made from the file's name). Created, with an empty "
                   "references.json, if it does not exist.")
@click.option("--as", "target", metavar="article|patient.<lang>", default="article", show_default=True,
              help="What the document becomes: the article, or the patient leaflet in a language "
                   "(patient.en, patient.es).")
@click.option("--force", is_flag=True, help="Replace the Markdown file and pictures of an earlier import.")
def import_command(source: Path, topic: str | None, target: str, force: bool) -> None:
    """Turn a Word document (.docx) into a topic's Markdown.

    Writes content/<topic>/<article|patient.LANG>.md with the front matter
    'leafpress new' writes (title from the document's Title style, a heading
    before its text, or its properties; language from --as or the document)
    and the text: headings, lists, tables, bold and italic, links, footnotes
    ([^n]) and pictures (saved in content/<topic>/images/).

    What Markdown cannot hold is listed as warnings, each with the paragraph
    it is in (counted from the document's start, table cells included):
    tracked changes (the text is imported with the changes accepted),
    comments, text boxes, typed numbering, citations typed as text (cite them
    as [@key]), equations and embedded objects. Refuses to replace an
    existing file without --force.

    Example: leafpress import "Ketamine infusion.docx" --topic ketamine-infusion --as patient.en
    """
    from ..project.importing import import_docx

    try:
        project = load_project()
        imported = import_docx(project, source, topic, target, force)
    except LeafpressError as exc:
        _fail(exc)
        return
    _print_problems(imported.problems)
    for path in imported.files:
        echo(f"wrote  {display_path(path)}")
    folder = imported.markdown.parent
    warnings = plural(len(imported.problems), "warning")
    echo(f"Imported with {warnings}. Next: edit {display_path(imported.markdown)}, then run "
         f"'leafpress check {display_path(folder)}' and 'leafpress build {display_path(folder)}'.")


@main.command(name="list")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), callback=_output_folder,
              help="The output folder to compare with (default: output/).")
@click.option("--profile", type=click.Choice(sorted(PROFILES)), help="The profile to compare with.")
def list_targets(paths: tuple[Path, ...], out_dir: Path | None, profile: str | None) -> None:
    """List the targets a build would make and whether each is up to date.

    Example: leafpress list content/ketamine-neuropathic-pain
    """
    try:
        project = load_project()
        targets = plan(project, list(paths), settings=settings_for(project, profile))
    except LeafpressError as exc:
        _fail(exc)
        return
    options = BatchOptions(out_dir=(out_dir or project.output_dir).resolve())
    todo, _ = plan_work(project, targets, options, Manifest(options.out_dir))
    stale = {target for target, _ in todo}
    width = max([len("target")] + [len(printable(t.name)) for t in targets])
    echo(f"{'target':<{width}}  status")
    for target in targets:
        echo(f"{printable(target.name):<{width}}  {'needs building' if target in stale else 'up to date'}")
    echo(f"{len(targets)} targets, {len(stale)} to build.")


@main.command()
@click.argument("topic", type=click.Path(path_type=Path))
@click.option("--roster", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file or Excel workbook (.xlsx) with a header row: a 'name' column and optionally "
                   "'email'.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), callback=_output_folder,
              help="Write the certificates here instead of output/<topic>/certificates/.")
@click.option("--combined", is_flag=True, help="Also write certificates.pdf with every certificate, to print.")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds one certificate may take; one that takes longer fails, and the others are made.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=256), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Megabytes of memory the run may use.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems and the count.")
def certificates(topic: Path, roster: Path, out_dir: Path | None, combined: bool, timeout: float,
                 memory_mb: int, quiet: bool) -> None:
    """Make a certificate of attendance (one PDF) for each attendee in a roster.

    The activity comes from the topic's cpd.yaml. Each certificate has a number
    that can be recomputed from the roster; register.csv lists number, name,
    email and file. Exits 1 if any row failed; the others still get theirs.

    Example: leafpress certificates content/ketamine-neuropathic-pain --roster attendees.csv
    """
    from ..runner.certificates import make_certificates_limited  # renders PDFs: imports WeasyPrint

    try:
        project = load_project()
        if has_errors(problems := config_problems(project)):
            raise LeafpressError([p for p in problems if p.is_error])
        # In a child process under the limits build uses: each certificate has --timeout seconds.
        result = make_certificates_limited(project, topic, roster, out_dir, combined, timeout, memory_mb)
    except LeafpressError as exc:
        _fail(exc)
        return
    _print_problems(result.problems)
    made = len(result.certificates)
    if made and not quiet:
        echo(Line(("made", "built"), f"   {plural(made, 'certificate')} -> {display_path(result.out_dir)} "
                  f"({result.seconds:.1f} s)"))
    for path in (result.register, result.combined) if not quiet else ():
        if path is not None:
            echo(f"wrote  {display_path(path)}")
    warnings = sum(p.level is Level.WARNING for p in result.problems)  # a note (how the roster was read) is not one
    echo(Line(count(made, f"{made} made", "built"), ", ", count(result.failed, f"{result.failed} failed", "failed"),
              ", ", count(warnings, plural(warnings, "warning"), "warning"), "."))
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True,
              help="Check as build --strict builds (readability misses and text from 'leafpress new' are "
                   "errors), and exit 1 on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json prints one object for scripts.")
@click.option("--pdf", "pdfs", is_flag=True,
              help="PATHS are PDF files: verify them as every build verifies its output.")
@click.option("--profile", type=click.Choice(sorted(PROFILES)),
              help="With --pdf: the profile to check against (default: the one the file claims).")
@click.option("--min-text", "min_text", type=click.FloatRange(min=0, min_open=True, max=72), metavar="PT",
              help="With --pdf: the smallest text allowed, in points (default 6; a layout's own minimum, "
                   "such as 12 for patient leaflets, is not known from the file).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Topics checked at once, each in its own process.")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds the checks of one document may take before they are stopped and reported.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=256), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Megabytes of memory the checks of one topic may use.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), hidden=True, envvar=TODAY_VARIABLE,
              help=f"Check review dates as of this day (for tests and CI; also ${TODAY_VARIABLE}).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print only problems and the count: no topic headings, no readability scores.")
def check(paths: tuple[Path, ...], strict: bool, output_format: str, pdfs: bool, profile: str | None,
          min_text: float | None, jobs: int, timeout: float, memory_mb: int,
          today: datetime.datetime | None, quiet: bool) -> None:
    """Check topics without building PDFs: every content check, in a second.

    Front matter, citations (unknown, uncited, no DOI/PMID/URL), images
    without alt text, broken internal links, summary and CPD data, review
    dates (passed, or within 90 days), missing authors or reviewers, text
    left from 'leafpress new', and the readability of patient leaflets:
    English Flesch Reading Ease (target 60) and Flesch-Kincaid grade;
    Spanish Szigriszt-Pazos with its INFLESZ band (target 55) and
    Fernández-Huerta (target 60), with the five hardest sentences. Set other
    targets in a document's front matter: 'readability: {flesch_reading_ease: 70}'.
    And leafpress.yaml's colours, for WCAG AA contrast: one too faint is an error.
    These are the problems a build reports before typesetting, in the same
    words (with --strict, as build --strict reports them); only what
    typesetting finds (pages over the limit, preflight) is left to the build.
    One line per problem, grouped by topic, then a count. Exits 1 on errors
    and when a patient leaflet misses a readability target (and on warnings
    with --strict). Each topic is checked in its own process,
    under the time and memory limits a build sets for each target: a document
    whose checks take longer than --timeout is stopped and reported.

    With --pdf, checks PDF files instead: qpdf's syntax check, fonts embedded
    (and bundled, inside a project), title and language, and what the profile
    needs (structure tree, output intent, bleed and trim boxes); those are
    errors. Then the preflight every build runs, as warnings (errors with
    --strict): text below --min-text, text or images cut off at the page
    edge, headings stranded at the foot of a page, pages less than a third
    full, text that does not extract as Unicode.

    Example: leafpress check content/ketamine-neuropathic-pain
    Example: leafpress check --pdf output/ketamine-neuropathic-pain/article.en.print.pdf
    """
    if pdfs:
        _check_pdfs(paths, profile, strict, min_text)
        return
    from ..source.checks import check_topics_limited, plan_checks

    try:
        project = load_project()
        day = today.date() if today else review_day()
        options = BatchOptions(out_dir=project.output_dir, jobs=jobs, timeout=timeout, memory_mb=memory_mb)
        planned, targets = plan_checks(project, list(paths), strict)
        # leafpress.yaml's problems for the layouts a build would make: the lines a build prints first.
        project_problems = config_problems(project, [target.layout for target in targets])
        topics = check_topics_limited(project, planned, targets, day, options)
    except LeafpressError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt:  # the children are stopped
        click.echo("\nInterrupted.", err=True)
        sys.exit(130)
    # As a build prints them: each problem once, however many topics it concerns (a file they share).
    seen: set[Problem] = set(project_problems)
    shown: list[tuple[TopicCheck, list[Problem]]] = []
    for topic in topics:
        shown.append((topic, [p for p in topic.problems if p not in seen]))
        seen.update(topic.problems)
    problems = project_problems + [p for _, found in shown for p in found]
    errors = sum(p.is_error for p in problems)
    warnings = sum(p.level is Level.WARNING for p in problems)
    reports = [r for topic in topics for r in topic.readability if r.report]
    below = sum(not r.report.passed for r in reports if r.report)
    if output_format == "json":
        # Every string escaped as echo would: the JSON's own line breaks stay.
        click.echo(json_text(printable_data(_check_json(project_problems, shown, errors, warnings))))
    else:
        for problem in project_problems:
            echo(str(problem))
        for topic, found in shown:
            if not quiet:
                echo(f"{topic.topic}:")
            for problem in found:
                echo(str(problem))
            for result in topic.readability if not quiet else ():
                _print_readability(result)
        echo(Line(f"{plural(len(topics), 'topic')} checked: ", count(errors, plural(errors, "error"), "error"), ", ",
                  count(warnings, plural(warnings, "warning"), "warning"),
                  f"; {plural(len(reports), 'patient document')} scored, ",
                  count(below, f"{below} below target", "failed"), "."))
    # As the README promises: 1 on errors, and when a patient leaflet misses a readability target
    # (a warning for the build, which still prints it); with --strict on every warning too.
    sys.exit(1 if errors or below or (strict and warnings) else 0)


def _print_readability(result: ReadabilityCheck) -> None:
    report = result.report
    if report is None:
        return
    counts = report.counts
    echo(f"{display_path(result.source)}: readability: {counts.sentences} sentences, {counts.words} words, "
               f"{counts.syllables} syllables")
    for score in report.scores:
        target = f"target {score.target:g} or more" if score.target is not None else "for information"
        band = f" ({report.band})" if report.band and "INFLESZ" in score.name else ""
        line = f"  {score.name}: {score.value:.1f}{band}, {target}"
        if score.target is None:
            echo(line)
        else:
            echo(Line(line, "  ", ("ok", "built") if score.passed else ("BELOW TARGET", "failed")))
    echo("  Hardest sentences:")
    for number, sentence in enumerate(report.hardest, start=1):
        text = sentence.text if len(sentence.text) <= 160 else sentence.text[:159] + "…"
        echo(f"    {number}. ({sentence.words} words) {text}")


def _check_json(project_problems: list[Problem], topics: list[tuple[TopicCheck, list[Problem]]], errors: int,
                warnings: int) -> dict[str, Any]:
    def problem(p: Problem) -> dict[str, Any]:
        return {"path": str(p.path) if p.path else None, "line": p.line, "level": p.level.value,
                "message": p.message}

    return {
        "errors": errors,
        "warnings": warnings,
        "config": [problem(p) for p in project_problems],
        "topics": [{
            "topic": t.topic,
            "problems": [problem(p) for p in found],
            "readability": [{
                "source": str(r.source),
                "language": r.report.language,
                "sentences": r.report.counts.sentences,
                "words": r.report.counts.words,
                "syllables": r.report.counts.syllables,
                "band": r.report.band,
                "scores": [{"name": s.name, "value": round(s.value, 2), "target": s.target, "passed": s.passed}
                           for s in r.report.scores],
                "hardest": [s.text for s in r.report.hardest],
            } for r in t.readability if r.report],
        } for t, found in topics],
    }
