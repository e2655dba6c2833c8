"""The command line: a thin layer over the library API in leafpress.builder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .builder import BuildResult, build as build_targets
from .checks import check_readability
from .certificates import make_certificates
from .errors import LeafpressError, Problem, display_path
from .layouts import LAYOUTS
from .project import load_project


def _print_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _fail(exc: LeafpressError) -> None:
    _print_problems(exc.problems)
    count = sum(p.is_error for p in exc.problems)
    click.echo(f"Stopped: {count} error{'s' if count != 1 else ''}.", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leafpress")
def main() -> None:
    """Turn Markdown topics into print-ready PDF leaflets.

    Run inside a project (a folder with leafpress.yaml). Example:

        leafpress build content/ketamine-neuropathic-pain
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--layout", "layouts", multiple=True, type=click.Choice(sorted(LAYOUTS)),
              help="Build only this layout (repeat for several). Default: all.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write PDFs under this folder instead of output/.")
@click.option("--strict", is_flag=True,
              help="Refuse patient leaflets that miss their readability targets.")
def build(paths: tuple[Path, ...], layouts: tuple[str, ...], out_dir: Path | None, strict: bool) -> None:
    """Build PDFs for all topics, or for the topic folders or articles given.

    Each PDF is written to OUT/<topic>/<layout>.<language>.pdf. Exits 1 if any
    target failed; the others are still built.

    Example: leafpress build content/ketamine-neuropathic-pain --layout article
    """
    try:
        project = load_project()
        results, project_problems = build_targets(project, list(paths), list(layouts) or None, out_dir, strict)
    except LeafpressError as exc:
        _fail(exc)
        return
    _print_problems(project_problems)
    # A topic's own problems (its article, its references) concern every
    # layout built from it: print each once, before its first target.
    printed: set[Problem] = set(project_problems)
    for result in results:
        _print_problems([p for p in result.problems if p not in printed])
        printed.update(result.problems)
        click.echo(_result_line(result))
    failed = sum(not r.ok for r in results)
    warnings = sum(not p.is_error for p in printed)
    click.echo(f"{len(results) - failed} built, {failed} failed, {warnings} warning{'s' if warnings != 1 else ''}.")
    sys.exit(1 if failed else 0)


def _result_line(result: BuildResult) -> str:
    if result.ok:
        pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
        return f"built  {result.name} -> {display_path(result.output)} ({pages}, {result.seconds:.1f} s)"
    return f"FAILED {result.name}"


@main.command()
@click.argument("topic", type=click.Path(path_type=Path))
@click.option("--roster", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file (UTF-8) with a header row: a 'name' column and optionally 'email'.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the certificates here instead of output/<topic>/certificates/.")
@click.option("--combined", is_flag=True, help="Also write certificates.pdf with every certificate, to print.")
def certificates(topic: Path, roster: Path, out_dir: Path | None, combined: bool) -> None:
    """Make a certificate of attendance (one PDF) for each attendee in a roster.

    The activity comes from the topic's cpd.yaml. Each certificate has a number
    that can be recomputed from the roster; register.csv lists number, name,
    email and file. Exits 1 if any row failed; the others still get theirs.

    Example: leafpress certificates content/ketamine-neuropathic-pain --roster attendees.csv
    """
    try:
        project = load_project()
        result = make_certificates(project, topic, roster, out_dir, combined)
    except LeafpressError as exc:
        _fail(exc)
        return
    _print_problems(result.problems)
    made = len(result.certificates)
    if made:
        click.echo(f"made   {made} certificate{'s' if made != 1 else ''} -> {display_path(result.out_dir)} "
                   f"({result.seconds:.1f} s)")
    for path in (result.register, result.combined):
        if path is not None:
            click.echo(f"wrote  {display_path(path)}")
    warnings = sum(not p.is_error for p in result.problems)
    click.echo(f"{made} made, {result.failed} failed, {warnings} warning{'s' if warnings != 1 else ''}.")
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Score the readability of patient leaflets, offline, without building PDFs.

    For each patient.<language>.md under PATHS (default: every topic) prints
    the scores with their targets and the five hardest sentences. English:
    Flesch Reading Ease (target 60) and Flesch-Kincaid grade; Spanish:
    Szigriszt-Pazos with its INFLESZ band (target 55) and Fernández-Huerta
    (target 60). Set other targets in a document's front matter, for example
    'readability: {flesch_reading_ease: 70}'. Exits 1 if any document misses
    a target.

    Example: leafpress check content/ketamine-neuropathic-pain
    """
    try:
        project = load_project()
        checks = check_readability(project, list(paths))
    except LeafpressError as exc:
        _fail(exc)
        return
    for result in checks:
        click.echo(display_path(result.source))
        _print_problems(result.problems)
        report = result.report
        if report is None:
            continue
        counts = report.counts
        click.echo(f"  {counts.sentences} sentences, {counts.words} words, {counts.syllables} syllables")
        for score in report.scores:
            target = f"target {score.target:g} or more" if score.target is not None else "for information"
            verdict = "" if score.target is None else ("  ok" if score.passed else "  BELOW TARGET")
            band = f" ({report.band})" if report.band and "INFLESZ" in score.name else ""
            click.echo(f"  {score.name}: {score.value:.1f}{band}, {target}{verdict}")
        click.echo("  Hardest sentences:")
        for number, sentence in enumerate(report.hardest, start=1):
            text = sentence.text if len(sentence.text) <= 160 else sentence.text[:159] + "…"
            click.echo(f"    {number}. ({sentence.words} words) {text}")
    failed = sum(not r.passed for r in checks)
    click.echo(f"{len(checks)} patient document{'s' if len(checks) != 1 else ''} checked, "
               f"{failed} below target.")
    sys.exit(1 if failed else 0)
