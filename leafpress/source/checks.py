"""The problems of a source found before typesetting, and `leafpress check`, which reports them.

:func:`source_problems` is what every layout built from a Markdown file
shares (front matter, links, review date, text left from `leafpress new`);
:func:`leafpress.pipeline.render_target` adds each layout's own, and `build`,
`watch` and `check` all report what it returns, so they cannot drift apart.
`check` renders every target as the build does and stops before typesetting.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LeafpressError, Problem, error, has_errors, limit_problems, quote, warning
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


# --- what every command reports before typesetting ---------------------------------------

REVIEW_WARNING_DAYS = 90
# Sentences of `leafpress new`'s example text (leafpress.project.scaffold.TEXT), each a sign it was left in.
SCAFFOLD_MARKERS = ("Translate the title:", "Traduzca el título:",  # a title it could not translate
                    "One sentence that says what this article covers.",
                    "Una frase que diga de qué trata este artículo.",
                    "One sentence that says what this leaflet covers.",
                    "Una frase que diga de qué trata este folleto.",
                    "Write the article here", "Escriba aquí el artículo",
                    "This leaflet is for you if ...", "Este folleto es para usted si ...",
                    "say who it is for, in one or two short sentences",
                    "diga para quién es, en una o dos frases cortas",
                    "Write the headings as the questions a patient would ask",
                    "Escriba los títulos como las preguntas que haría un paciente")


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


def scaffold_problems(source: Path, lines: list[str], strict: bool = False) -> list[Problem]:
    """Example text from `leafpress new` still in ``source``: a warning at its first line (an error with
    ``strict``), since it would be printed as it is."""
    found = [line for marker in SCAFFOLD_MARKERS if (line := _line_of(lines, marker)) is not None]
    if not found:
        return []
    make = error if strict else warning
    return [make(source, min(found), "still has the example text from 'leafpress new': replace it")]


def _language_problems(source: Path, language: str, front_matter: YamlData, layouts: list[Layout]) -> list[Problem]:
    """A per-language file (patient.es.md) whose front matter names another language: the build refuses it."""
    from .frontmatter import language_mismatch

    for layout in layouts:
        if named := layout.language_of(source):
            return language_mismatch(source, named, language, front_matter.line_of(("language",)), layout.sources)
    return []


def source_problems(session: Session, source: Path, topic: str, strict: bool) -> list[Problem]:
    """Every problem of one Markdown file that is the same in every layout built from it.

    The one list `build`, `watch` and `check` report for a source (through
    :func:`leafpress.pipeline.render_target`): its front matter, Markdown and
    citations as loaded, text left from `leafpress new`, the review date as
    of the session's day, a language its file name contradicts, links that
    go nowhere, and a translation out of step with its source. Front matter
    and body are checked even when citations or images have errors, so one
    run reports everything.
    """
    from ..layouts.registry import batch_layouts

    lines = _lines(source)
    loaded = session.load(source, topic)
    # What loading found first, as the loader ordered (and limited) it; then what only these checks find.
    found = list(loaded.problems if isinstance(loaded, Document) else loaded)
    found += scaffold_problems(source, lines, strict)
    parsed = ((loaded.meta, loaded.front_matter, loaded.markdown, loaded.markdown_line)
              if isinstance(loaded, Document) else None)
    if parsed is None and (source_only := load_source(source)[0]) is not None:
        parsed = (source_only.meta, source_only.yaml, source_only.body, source_only.body_first_line)
    if parsed is not None:
        meta, front_matter, body, body_line = parsed
        if meta.review_date >= meta.published:  # else the front matter's own error says what to fix
            found += _review_problems(source, meta.review_date, front_matter.line_of(("review_date",)),
                                      session.today)
        found += _language_problems(source, meta.language, front_matter, list(batch_layouts(session.project).values()))
        keys = frozenset(loaded.references.references) if isinstance(loaded, Document) else frozenset()
        found += _link_problems(source, lines, body, keys)
        # A translation whose source changed since it was translated, or that differs from it in structure.
        found += translation_problems(source, meta, front_matter, body, body_line, strict)
    return limit_problems(found)  # still at most 50 lines for the file, then how many more


# --- leafpress check -----------------------------------------------------------------

CHECKING = "checking this document"


def check_topics(project: Project, paths: list[Path], today: datetime.date, strict: bool = False) -> list[TopicCheck]:
    """Run every content check on the topics under ``paths``, without making PDFs, in this process."""
    from ..pipeline import Session

    topics, targets = plan_checks(project, paths, strict)
    session = Session(project, project.output_dir, today=today)
    results = []
    for folder, only in topics:
        for step in _check_topic(session, folder, only, targets):
            if isinstance(step, TopicCheck):
                results.append(step)
    return results


def check_topics_limited(project: Project, topics: list[tuple[Path, Path | None]], targets: list[Target],
                         today: datetime.date, options: BatchOptions) -> list[TopicCheck]:
    """:func:`check_topics` of what :func:`plan_checks` planned, each topic in a child under build's time
    and memory limits (``options``).

    A document whose checks run out of time or memory is reported at its file
    with the time it took; the other topics are checked all the same.
    """
    from ..runner.batch import Stopped, Work, run_limited

    done: dict[tuple[Path, Path | None], TopicCheck] = {}
    current: dict[tuple[Path, Path | None], Path] = {}  # the file each topic's child is checking

    def step(key: tuple[Path, Path | None], item: object) -> None:
        if isinstance(item, TopicCheck):
            done[key] = item
        elif isinstance(item, Path):
            current[key] = item

    def stopped(key: tuple[Path, Path | None], why: Stopped) -> None:
        folder, only = key
        problem = error(current.get(key, only or folder), None, why.message)
        done[key] = TopicCheck(folder.name, folder, (problem,), ())

    works = [Work(key, check_topic_steps, (project, key[0], key[1], targets, today)) for key in topics]
    run_limited(works, options, step, stopped, doing=CHECKING)
    return [done[key] for key in topics if key in done]


def plan_checks(project: Project, paths: list[Path],
                 strict: bool) -> tuple[list[tuple[Path, Path | None]], list[Target]]:
    """The topics under ``paths`` and the targets a build of them would make (with ``strict``, as
    `build --strict` makes them)."""
    from ..pipeline import find_topics, plan, settings_for

    topics, problems = find_topics(project, paths)
    if problems:
        raise LeafpressError(problems)
    return topics, plan(project, paths, settings=settings_for(project, strict=strict))


def check_topic_steps(project: Project, folder: Path, only: Path | None, targets: list[Target],
                      today: datetime.date) -> Iterator[Path | TopicCheck]:
    """In a child: one topic's checks, as :func:`check_topics_limited` runs them."""
    from ..pipeline import Session

    yield from _check_topic(Session(project, project.output_dir, today=today), folder, only, targets)


def _check_topic(session: Session, folder: Path, only: Path | None,
                 targets: list[Target]) -> Iterator[Path | TopicCheck]:
    """Check one topic: each of its targets rendered as the build renders it, stopping before typesetting,
    so `check` reports exactly what the build would before typesetting (a problem of several targets once).

    Yields each file before its checks start (each has the whole time limit), then the :class:`TopicCheck`.
    """
    from ..pipeline import render_target

    found: list[Problem] = []
    reports: dict[Path, ReadabilityCheck] = {}
    for target in targets:
        if target.source.parent != folder or only not in (None, target.source):
            continue
        yield target.source
        found += render_target(session, target).problems
        loaded = session.document(target)
        if target.layout.readability and isinstance(loaded, Document) and target.source not in reports:
            reports[target.source] = ReadabilityCheck(target.source, readability(loaded), ())
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda p: (str(p.path), p.line or 0))
    yield TopicCheck(folder.name, folder, tuple(unique), tuple(reports.values()))
