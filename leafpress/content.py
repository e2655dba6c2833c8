"""Load a topic's article: front matter validated, Markdown rendered, citations resolved.

A topic is a folder in ``content/``; its article is ``article.md``: YAML front
matter between ``---`` lines, then Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from .citations import BibliographyEntry, ReferenceLibrary, bibliography, load_references, reference_warnings
from .errors import Problem, error, has_errors, quote, warning
from .i18n import LANGUAGES
from .markup import CITATION, CitationState, render_markdown
from .validation import IsoDate, Schema, parse_date, validate
from .yamlfile import YamlData, load_yaml

ARTICLE_NAME = "article.md"
MAX_SOURCE_BYTES = 2 * 1024 * 1024

Text = Annotated[str, Field(min_length=1)]


class Person(Schema):
    name: Text
    role: str | None = None
    affiliation: str | None = None


class Readability(Schema):
    flesch_reading_ease: float | None = None
    szigriszt_pazos: float | None = None
    fernandez_huerta: float | None = None

    def targets(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class FrontMatter(Schema):
    """Every field an article's front matter may hold."""

    title: Text
    short_title: Text
    subtitle: str | None = None
    language: Literal[LANGUAGES]  # type: ignore[valid-type]
    audience: Literal["professionals", "patients", "educators"]
    audience_notice: str | None = None
    summary: str | None = None
    authors: list[Person]
    reviewers: list[Person]
    publisher: Text
    version: Text
    published: IsoDate
    review_date: IsoDate
    keywords: list[Text] = []
    references: Text = "references.json"
    url: str | None = None
    numbered_headings: bool | None = None
    # Reference keys a document rests on without citing them in the text
    # (patient leaflets list their sources instead of citing).
    sources: list[Text] = []
    # Minimum readability scores, overriding the defaults for the language.
    readability: Readability | None = None


EXAMPLES = {
    "title": "Ketamine for chronic neuropathic pain",
    "short_title": "Ketamine for neuropathic pain",
    "language": "en",
    "audience": "professionals",
    "authors": "[]",
    "reviewers": "[{name: Clínica Synaptica}]",
    "publisher": "Clínica Synaptica",
    "version": '"1.0"',
    "published": "2026-06-03",
    "review_date": "2028-06-03",
}


@dataclass(frozen=True)
class Source:
    """An article file split into validated front matter and Markdown."""

    path: Path
    meta: FrontMatter
    yaml: YamlData
    body: str
    body_first_line: int


@dataclass(frozen=True)
class Document:
    """A topic's article, ready for a layout."""

    topic: str
    source: Path
    meta: FrontMatter
    body_html: str
    references: ReferenceLibrary
    bibliography: tuple[BibliographyEntry, ...]
    problems: tuple[Problem, ...]

    @property
    def folder(self) -> Path:
        return self.source.parent


def split_front_matter(text: str, path: Path) -> tuple[str, str, int] | Problem:
    """Return (yaml, markdown, first markdown line) or the problem."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return error(path, 1, "no front matter: start the file with a '---' line, the YAML fields, "
                     "then another '---' line")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return error(path, 1, "the front matter is not closed: add a '---' line after the last field")


def read_text(path: Path) -> str | Problem:
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return error(path, None, f"is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MiB: split it up")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return error(path, None, "file not found")
    except UnicodeDecodeError as exc:
        return error(path, None, f"is not UTF-8 text (bad byte at offset {exc.start}): save it as UTF-8")
    except OSError as exc:
        return error(path, None, f"cannot be read: {exc.strerror}")


def load_source(path: Path) -> tuple[Source | None, list[Problem]]:
    text = read_text(path)
    if isinstance(text, Problem):
        return None, [text]
    parts = split_front_matter(text, path)
    if isinstance(parts, Problem):
        return None, [parts]
    yaml_text, body, body_line = parts
    data, problems = load_yaml(yaml_text, path, line_offset=1)
    if data is None:
        return None, problems
    meta, more = validate(FrontMatter, data, path, EXAMPLES)
    problems += more
    problems += _cross_checks(data, path)
    problems.sort(key=lambda p: p.line or 0)
    if meta is None:
        return None, problems
    return Source(path, meta, data, body, body_line), problems


def _date_or_none(value: object) -> datetime.date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


MAX_PATIENT_REVIEW_YEARS = 3  # information standards for patient leaflets


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _cross_checks(data: YamlData, path: Path) -> list[Problem]:
    """Checks across fields; run on the raw data so they report alongside schema errors."""
    problems = []
    fields = data.value if isinstance(data.value, dict) else {}
    published, review = _date_or_none(fields.get("published")), _date_or_none(fields.get("review_date"))
    if published and review and review < published:
        problems.append(error(path, data.line_of(("review_date",)),
                              f"'review_date' {review} is before 'published' {published}: "
                              "the next review must come after publication"))
    if published and review and fields.get("audience") == "patients":
        latest = _years_later(published, MAX_PATIENT_REVIEW_YEARS)
        if review > latest:
            problems.append(error(path, data.line_of(("review_date",)),
                                  f"'review_date' {review} is more than {MAX_PATIENT_REVIEW_YEARS} years after "
                                  f"publication: patient information must be reviewed by {latest}"))
    if fields.get("authors") == []:
        publisher = fields.get("publisher")
        problems.append(warning(path, data.line_of(("authors",)),
                                "no named author: add the person responsible for the content to 'authors'"
                                + (f" (the PDF's author will be the publisher, {quote(publisher)})"
                                   if isinstance(publisher, str) else "")))
    if fields.get("reviewers") == []:
        problems.append(warning(path, data.line_of(("reviewers",)),
                                "no reviewer: add who checked the content to 'reviewers'"))
    return problems


def _without_code(text: str) -> str:
    """``text`` with fenced blocks and code spans blanked out, line breaks kept.

    Citation syntax inside code is not a citation, so it must not be where
    an error about a citation points.
    """
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", blank, text, flags=re.S | re.M)
    return re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", blank, text, flags=re.S)


def _line_at(source: Source, index: int) -> int:
    return source.body_first_line + source.body.count("\n", 0, index)


_MARKDOWN_IMAGE_NO_ALT = re.compile(r"!\[\s*\]\(\s*<?([^)\s>]*)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
_HAS_ALT = re.compile(r"""\balt\s*=\s*(?:"[^"]*\S[^"]*"|'[^']*\S[^']*'|[^\s"'>]+)""", re.I)


def _images_without_alt(source: Source, prose: str) -> list[Problem]:
    """Every image needs a text alternative: screen readers and PDF/UA depend on it."""
    problems = []
    for match in _MARKDOWN_IMAGE_NO_ALT.finditer(prose):
        problems.append(error(source.path, _line_at(source, match.start()),
                              f"image {quote(match.group(1))} has no alt text: describe it between the "
                              f"brackets, as in ![what the image shows]({match.group(1)})"))
    for match in _HTML_IMAGE.finditer(prose):
        if not _HAS_ALT.search(match.group(0)):
            problems.append(error(source.path, _line_at(source, match.start()),
                                  f"image {quote(match.group(0))} has no alt text: add alt=\"what the image "
                                  "shows\""))
    return problems


def _line_of_key(source: Source, text: str, key: str) -> int | None:
    for match in re.finditer(CITATION, text):
        if key in (k.strip().lstrip("@") for k in match.group(1).split(";")):
            return _line_at(source, match.start())
    return None


def _line_of_text(source: Source, text: str, snippet: str) -> int | None:
    index = text.find(snippet)
    return _line_at(source, index) if index >= 0 else None


def load_document(path: Path, topic: str | None = None) -> Document | list[Problem]:
    """Load an article and everything it cites; return it or the problems."""
    source, problems = load_source(path)
    if source is None:
        return problems
    library, more = _load_library(source)
    problems += more
    state = CitationState(known=frozenset(library.references))
    body_html = render_markdown(source.body, state)
    prose = _without_code(source.body)
    problems += _images_without_alt(source, prose)
    for key in dict.fromkeys(state.unknown):
        problems.append(error(path, _line_of_key(source, prose, key),
                              f"unknown reference key {quote(key)}: add it to {library.path.name} "
                              "or fix the spelling"))
    for raw in dict.fromkeys(state.malformed):
        problems.append(error(path, _line_of_text(source, prose, raw),
                              f"malformed citation {quote(raw)}: write [@key] or [@key1; @key2]"))
    for index, key in enumerate(source.meta.sources):
        if key not in library.references:
            problems.append(error(path, source.yaml.line_of(("sources", index)),
                                  f"unknown reference key {quote(key)} in 'sources': add it to "
                                  f"{library.path.name} or fix the spelling"))
        elif key not in state.order:
            state.order.append(key)
    if library.references or state.order:
        # Patient text lists its sources instead of citing: only clinician
        # documents must cite every reference of the topic.
        cited = state.order if source.meta.audience != "patients" else list(library.references)
        problems += reference_warnings(library, cited)
    if has_errors(problems):
        return problems
    return Document(
        topic=topic or path.parent.name,
        source=path,
        meta=source.meta,
        body_html=body_html,
        references=library,
        bibliography=bibliography(library, state.order),
        problems=tuple(problems),
    )


def _load_library(source: Source) -> tuple[ReferenceLibrary, list[Problem]]:
    folder = source.path.parent.resolve()
    ref_path = (folder / source.meta.references).resolve()
    if not ref_path.is_relative_to(folder):
        return ReferenceLibrary(ref_path, {}), [error(
            source.path, source.yaml.line_of(("references",)),
            f"'references' {quote(source.meta.references)} must be a file inside the topic folder")]
    return load_references(ref_path)
