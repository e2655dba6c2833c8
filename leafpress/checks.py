"""Content checks that need no PDF: readability of patient text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .content import Document, load_document
from .errors import Problem, error, has_errors, warning
from .planning import plan
from .project import Project
from .readability import Report, TextBlocks, score


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


def check_readability(project: Project, paths: list[Path]) -> list[ReadabilityCheck]:
    """Score every patient document under ``paths`` (topic folders or files)."""
    sources = dict.fromkeys(t.source for t in plan(project, paths, ["patient"]))
    checks = []
    for source in sources:
        loaded = load_document(source)
        if isinstance(loaded, Document):
            report = readability(loaded)
            problems = tuple(p for p in loaded.problems if p.is_error)
            if report is None:
                problems += (error(source, None, "no running text to score for readability"),)
            checks.append(ReadabilityCheck(source, report, problems))
        else:
            checks.append(ReadabilityCheck(source, None, tuple(p for p in loaded if p.is_error)))
    return checks
