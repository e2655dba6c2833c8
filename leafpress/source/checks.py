"""`leafpress check`: every content check that needs no PDF (front matter, links, review dates, data,
readability of patient text), then each target rendered as the build renders it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LeafpressError, Problem, error, has_errors, quote, warning
from ..layouts.base import Layout
from ..project.config import Project
from .document import Document, load_source
from .readability import Report, TextBlocks, score
from .translations import translation_problems
from .yamlfile import YamlData, read_text

if TYPE_CHECKING:
    from ..pipeline import Session, Target
    from ..runner.batch import BatchOptions


def prose_of(document: Document) -> list[str]:
    """Running text of a rendered document: paragraphs and list items, no headings or citations."""
    parser = TextBlocks()
    parser.feed(re.sub(r'<span class="citation">.*?</span>', "", document.body_html))
    parser.close()
    return parser.blocks


def readability(document: Document) -> Report | None:
    targets = document.meta.readability.targets() if document.meta.readability else None
    return score(prose_of(document), document.meta.language, targets)


def readability_problems(document: Document, strict: bool) -> list[Problem]:
    """A patient document that misses its targets: a warning, or with ``strict`` an error."""
    report = readability(document)
    if report is None:
        return [warning(document.source, None, "no running text to score for readability")]
    make = error if strict else warning
    problems = []
    for result in report.scores:
        if not result.passed:
            problems.append(make(document.source, None,
                                 f"readability: {result.name} is {result.value:.1f}, below the target of "
                                 f"{result.target:g}: use shorter sentences and everyday words "
                                 "(leafpress check lists the hardest sentences)"))
    return problems


@dataclass(frozen=True)
class ReadabilityCheck:
    """The readability of one patient document, or why it could not be scored."""

    source: Path
    report: Report | None
    problems: tuple[Problem, ...]

    @property
    def passed(self) -> bool:
        return self.report is not None and self.report.passed and not has_errors(self.problems)


# --- the full content check (leafpress check) -------------------------------------

REVIEW_WARNING_DAYS = 90
SCAFFOLD_MARKERS = ("Translate the title:", "Traduzca el título:",  # the title 'leafpress new' could not translate
                    "Write the article here", "Escriba aquí el artículo", "This leaflet is for you if ...",
                    "Este folleto es para usted si ...")


@dataclass(frozen=True)
class TopicCheck:
    """Everything `leafpress check` found in one topic folder."""

    topic: str
    folder: Path
    problems: tuple[Problem, ...]
    readability: tuple[ReadabilityCheck, ...]


def _lines(source: Path) -> list[str]:
    """The lines of a source file, read once for every check that names a line (none if it cannot be read:
    loading it reports why)."""
    text = read_text(source, folder=source.parent)
    return [] if isinstance(text, Problem) else text.splitlines()


def _line_of(lines: list[str], needle: str) -> int | None:
    return next((number for number, line in enumerate(lines, start=1) if needle in line), None)


def _link_problems(source: Path, lines: list[str], body: str, keys: frozenset[str]) -> list[Problem]:
    """Links to #anchors that no heading, footnote or reference of the document has."""
    from ..cite.references import anchor_for
    from .markup import CitationState, render_markdown

    state = CitationState(known=keys)
    body_html = render_markdown(body, state)
    targets = set(re.findall(r'\bid="([^"]+)"', body_html))
    targets |= {anchor_for(n) for n in range(1, len(state.order) + len(keys) + 1)}
    problems = []
    for anchor in dict.fromkeys(re.findall(r'href="#([^"]+)"', body_html)):
        if anchor not in targets:
            problems.append(error(source, _line_of(lines, f"#{anchor}"),
                                  f"the link to {quote('#' + anchor)} goes nowhere: no heading or anchor has "
                                  "that id (heading ids are their text in lower case, with hyphens)"))
    return problems


def _review_problems(source: Path, review: datetime.date, line: int, today: datetime.date) -> list[Problem]:
    if review < today:
        return [error(source, line, f"the review date {review} has passed: review the content, then "
                      "set a new version, publication date and review date")]
    if (review - today).days <= REVIEW_WARNING_DAYS:
        return [warning(source, line, f"the review date {review} is {(review - today).days} days away: "
                        "plan the review")]
    return []


def _scaffold_problems(source: Path, lines: list[str]) -> list[Problem]:
    """The first line with example text from 'leafpress new' (a placeholder title, a sample sentence)."""
    found = [line for marker in SCAFFOLD_MARKERS if (line := _line_of(lines, marker)) is not None]
    if found:
        return [warning(source, min(found), "still has the example text from 'leafpress new': replace it")]
    return []


def _data_problems(session: Session, folder: Path, known: frozenset[str]) -> list[Problem]:
    """Every data file of the topic checked once, then each layout's own checks of the files it reads."""
    from ..layouts.registry import batch_layouts
    from .data import DataFile, data_problems

    layouts = batch_layouts(session.project).values()
    problems: list[Problem] = []
    loaded: dict[str, DataFile] = {}
    for spec in dict.fromkeys(spec for layout in layouts for spec in layout.data):
        if spec.file in loaded or not (folder / spec.file).is_file():
            continue
        data, found = session.data_file(folder, spec)
        problems += found
        if data is not None:
            loaded[spec.file] = data
            problems += data_problems(data, known)
    for layout in layouts:
        if layout.checks is not None and all(name in loaded for name in layout.data_files):
            problems += layout.checks(loaded)
    return problems


def _language_problems(source: Path, language: str, front_matter: YamlData, layouts: list[Layout]) -> list[Problem]:
    """A per-language file (patient.es.md) whose front matter names another language: the build refuses it."""
    from .frontmatter import language_mismatch

    for layout in layouts:
        if named := layout.language_of(source):
            return language_mismatch(source, named, language, front_matter.line_of(("language",)), layout.sources)
    return []


CHECKING = "checking this document"


def check_topics(project: Project, paths: list[Path], today: datetime.date,
                 strict_readability: bool = False) -> list[TopicCheck]:
    """Run every content check on the topics under ``paths``, without making PDFs, in this process."""
    from ..pipeline import Session

    topics, targets = _plan_checks(project, paths)
    session = Session(project, project.output_dir)
    results = []
    for folder, only in topics:
        for step in _check_topic(session, folder, only, targets, today, strict_readability):
            if isinstance(step, TopicCheck):
                results.append(step)
    return results


def check_topics_limited(project: Project, paths: list[Path], today: datetime.date, options: BatchOptions,
                         strict_readability: bool = False) -> list[TopicCheck]:
    """:func:`check_topics`, each topic in a child under build's time and memory limits (``options``).

    A document whose checks run out of time or memory is reported at its file
    with the time it took; the other topics are checked all the same.
    """
    from ..runner.batch import Stopped, Work, run_limited

    topics, targets = _plan_checks(project, paths)
    done: dict[tuple[Path, Path | None], TopicCheck] = {}
    current: dict[tuple[Path, Path | None], Path] = {}  # the file each topic's child is checking

    def step(key: tuple[Path, Path | None], item: object) -> None:
        if isinstance(item, TopicCheck):
            done[key] = item
        elif isinstance(item, Path):
            current[key] = item

    def stopped(key: tuple[Path, Path | None], why: Stopped) -> None:
        folder, only = key
        path = current.get(key, only or folder)
        # Between its documents, a topic's child checks its data files.
        message = why.message.replace(CHECKING, "checking this topic's data files", 1) if path == folder \
            else why.message
        problem = error(path, None, message)
        done[key] = TopicCheck(folder.name, folder, (problem,), ())

    works = [Work(key, check_topic_steps, (project, key[0], key[1], targets, today, strict_readability))
             for key in topics]
    run_limited(works, options, step, stopped, doing=CHECKING)
    return [done[key] for key in topics if key in done]


def _plan_checks(project: Project, paths: list[Path]) -> tuple[list[tuple[Path, Path | None]], list[Target]]:
    from ..pipeline import find_topics, plan

    topics, problems = find_topics(project, paths)
    if problems:
        raise LeafpressError(problems)
    return topics, plan(project, paths)


def check_topic_steps(project: Project, folder: Path, only: Path | None, targets: list[Target],
                      today: datetime.date, strict_readability: bool) -> Iterator[Path | TopicCheck]:
    """In a child: one topic's checks, as :func:`check_topics_limited` runs them."""
    from ..pipeline import Session

    yield from _check_topic(Session(project, project.output_dir), folder, only, targets, today, strict_readability)


def _check_topic(session: Session, folder: Path, only: Path | None, targets: list[Target], today: datetime.date,
                 strict_readability: bool) -> Iterator[Path | TopicCheck]:
    """Check one topic: yields each file before its checks start (each has the whole time limit), then the
    :class:`TopicCheck`."""
    from ..layouts.registry import batch_layouts
    from ..pipeline import render_target

    project = session.project
    # Every Markdown file some layout is built from: article.md, patient.<language>.md, a declared layout's.
    layouts = list(batch_layouts(project).values())
    patterns = {layout.sources for layout in layouts}
    sources = sorted({source for pattern in patterns for source in folder.glob(pattern)})
    if only is not None:
        sources = [s for s in sources if s == only]
    found: list[Problem] = []
    reports: list[ReadabilityCheck] = []
    known: frozenset[str] = frozenset()
    for source in sources:
        yield source
        lines = _lines(source)
        found += _scaffold_problems(source, lines)
        loaded = session.load(source, folder.name)
        # Front matter and body are checked even when citations or images
        # have errors, so one run reports everything.
        parsed = ((loaded.meta, loaded.front_matter, loaded.markdown, loaded.markdown_line)
                  if isinstance(loaded, Document) else None)
        if parsed is None and (source_only := load_source(source)[0]) is not None:
            parsed = (source_only.meta, source_only.yaml, source_only.body, source_only.body_first_line)
        if parsed is not None:
            meta, front_matter, body, body_line = parsed
            found += _review_problems(source, meta.review_date, front_matter.line_of(("review_date",)), today)
            found += _language_problems(source, meta.language, front_matter, layouts)
            # The build reports the same (pipeline._render_target), for the documents it builds.
            found += translation_problems(source, meta, front_matter, body, body_line, strict_readability)
        if not isinstance(loaded, Document):
            found += loaded
            if parsed is not None:
                found += _link_problems(source, lines, body, frozenset())
            continue
        known = known | frozenset(loaded.references.references)
        found += loaded.problems
        found += _link_problems(source, lines, loaded.markdown, known)
        if loaded.meta.audience == "patients":
            report = readability(loaded)
            reports.append(ReadabilityCheck(source, report, ()))
            found += readability_problems(loaded, strict_readability)
    if only is None:
        yield folder
        if not known and (folder / "references.json").is_file():
            from ..cite.references import load_references

            library, _ = load_references(folder / "references.json")
            known = frozenset(library.references)
        found += _data_problems(session, folder, known)
    # Then every target as the build renders it, stopping before typesetting: the layouts' own
    # requirements, their data and their templates (a problem found twice is reported once).
    for target in targets:
        if target.source.parent == folder and only in (None, target.source):
            yield target.source
            found += render_target(session, target).problems
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda p: (str(p.path), p.line or 0))
    yield TopicCheck(folder.name, folder, tuple(unique), tuple(reports))
