"""Load a topic's Markdown file: front matter validated, Markdown rendered, citations resolved.

A topic is a folder in ``content/``; its files (``article.md``,
``patient.<language>.md``, a declared layout's) hold YAML front matter between
``---`` lines, then Markdown.
"""

from __future__ import annotations

import bisect
import datetime
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urljoin

from pydantic import BeforeValidator, Field

from ..cite.references import (
    BibliographyEntry,
    ReferenceLibrary,
    StyleFailed,
    bibliography,
    load_references,
    merge_libraries,
    reference_warnings,
)
from ..cite.styles import CslStyle, style_named
from ..cite.vancouver import MAX_LISTED_AUTHORS
from ..errors import MAX_PROBLEMS_PER_FILE, Problem, error, has_errors, limit_problems, quote, warning
from ..paths import LINK_LOOP, is_link_loop, resolve
from ..render.i18n import LANGUAGES
from .frontmatter import TranslationOf, split_front_matter
from .markup import CITATION_FORMS, CitationState, Notice, render_markdown
from .validation import IsoDate, ReferenceAuthors, Schema, parse_date, validate
from .yamlfile import YamlData, load_yaml
from .yamlfile import read_text as _read_text

Text = Annotated[str, Field(min_length=1)]


def _web_address(value: Any) -> Any:
    """The article's public address becomes a link and a QR code: only a web address will do."""
    if isinstance(value, str) and not re.match(r"https?://[^\s/]", value.strip(), flags=re.I):
        raise ValueError(f"must be a web address starting with https://, not {quote(value)}")
    return value


WebAddress = Annotated[str, BeforeValidator(_web_address)]


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
    # The reference file or files, as pandoc users write it: CSL-JSON, CSL-YAML, BibTeX, RIS or MEDLINE
    # (leafpress.cite.formats). Written with 'references' too, it is an error (see _load_library).
    bibliography: Text | list[Text] | None = None
    url: WebAddress | None = None
    # A CSL 1.0 style file in the topic folder for the bibliography, as pandoc users write it (leafpress.cite.styles);
    # overrides the project's 'csl'. Without either, Vancouver.
    csl: Text | None = None
    # Authors named in a Vancouver entry before "et al.": a number, or "all" (Citing Medicine's default);
    # overrides the project's 'reference_authors' (6, the ICMJE limit, when neither says).
    reference_authors: ReferenceAuthors | None = None
    numbered_headings: bool | None = None
    # Reference keys a document rests on without citing them in the text
    # (patient leaflets list their sources instead of citing).
    sources: list[Text] = []
    # Minimum readability scores, overriding the defaults for the language.
    readability: Readability | None = None
    # A translation: what it was translated from (leafpress.source.translations warns when that has changed).
    translation_of: TranslationOf | None = None

    def reference_files(self) -> list[str]:
        """The reference files named, in order: 'bibliography' if written, else 'references'."""
        if self.bibliography is None:
            return [self.references]
        return [self.bibliography] if isinstance(self.bibliography, str) else list(self.bibliography)


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
    # Where each front-matter field was written, for messages about it.
    front_matter: YamlData
    # The Markdown after the front matter, as written (for checks of its links).
    markdown: str = ""
    # The line of the file ``markdown`` starts on.
    markdown_line: int = 1
    # The line each file or address in the text is first named on (as written), for messages about it.
    resource_lines: dict[str, int] = field(default_factory=dict, hash=False)
    # The CSL style the bibliography is in; None for leafpress's own Vancouver.
    style: CslStyle | None = field(default=None, compare=False)
    # Authors a Vancouver entry names before "et al."; None: all of them.
    listed_authors: int | None = field(default=MAX_LISTED_AUTHORS, compare=False)

    def line_naming(self, url: str) -> int | None:
        """The line that names the file WeasyPrint asked for as ``url`` (resolved against the topic folder)."""
        base = self.folder.resolve().as_uri() + "/"
        for written, line in self.resource_lines.items():
            if urljoin(base, written) == url or written == url:
                return line
        return None

    @property
    def folder(self) -> Path:
        return self.source.parent


def read_text(path: Path) -> str | Problem:
    """A topic's Markdown file: UTF-8, at most 2 MiB, a regular file inside its topic folder."""
    return _read_text(path, folder=path.parent)


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
    meta, more = validate(FrontMatter, data, path, EXAMPLES, limit=False)
    problems += more
    problems += _cross_checks(data, path)
    problems.sort(key=lambda p: p.line or 0)
    problems = limit_problems(problems)
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


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _without_code(text: str) -> str:
    """``text`` with fenced blocks and code spans blanked out, line breaks kept.

    Citation syntax inside code is not a citation, so it must not be where
    an error about a citation points. Linear in the text: a hostile file of
    unclosed fences or backticks must not make it crawl.
    """
    lines = text.split("\n")
    openers = {fence: [i for i, line in enumerate(lines) if line.startswith(fence)] for fence in ("```", "~~~")}
    index = 0
    while index < len(lines):
        fence = next((f for f in openers if lines[index].startswith(f)), None)
        if fence is not None:
            later = openers[fence]
            position = bisect.bisect_right(later, index)
            if position < len(later):  # closed: blank the opening line to the closing one
                end = later[position]
                lines[index:end + 1] = [_blank(line) for line in lines[index:end + 1]]
                index = end + 1
                continue
        index += 1
    return _without_code_spans("\n".join(lines))


def _without_code_spans(text: str) -> str:
    """Blank each backtick run with what it encloses, up to the next run of the same length."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]
    by_length: dict[int, list[int]] = {}
    for number, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(number)
    spans = []
    number = 0
    while number < len(runs):
        start, end = runs[number]
        same = by_length[end - start]
        position = bisect.bisect_right(same, number)
        if position < len(same) and runs[same[position]][0] > end:  # something between the two
            closer = same[position]
            spans.append((start, runs[closer][1]))
            number = closer + 1
        else:
            number += 1
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], _blank(text[start:end])]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _line_at(source: Source, index: int) -> int:
    return source.body_first_line + source.body.count("\n", 0, index)


_MARKDOWN_IMAGE_NO_ALT = re.compile(r"!\[\s*\]\(\s*<?([^)\s>]*)")
_HTML_IMAGE = re.compile(r"<img\b[^<>]*>", re.I)  # stops at the next '<': linear on hostile text
_HAS_ALT = re.compile(r"""\balt\s*=\s*(?:"[^"]*\S[^"]*"|'[^']*\S[^']*'|[^\s"'>]+)""", re.I)


def _images_without_alt(source: Source, prose: str) -> list[Problem]:
    """Every image needs a text alternative: screen readers and PDF/UA depend on it."""
    problems = []
    for match in _MARKDOWN_IMAGE_NO_ALT.finditer(prose):
        problems.append(error(source.path, _line_at(source, match.start()),
                              f"image {quote(match.group(1))} has no alt text: describe it between the "
                              f"brackets, as in ![what the image shows]({quote(match.group(1))[1:-1]})"))
    for match in _HTML_IMAGE.finditer(prose):
        if not _HAS_ALT.search(match.group(0)):
            problems.append(error(source.path, _line_at(source, match.start()),
                                  f"image {quote(match.group(0))} has no alt text: add alt=\"what the image "
                                  "shows\""))
    return problems


# Where a document names a file or an address: Markdown links and images, reference
# definitions, HTML attributes and CSS url(). Each pattern stops at its delimiter: linear on hostile text.
_RESOURCE_PATTERNS = (
    re.compile(r"\]\(\s*<?([^\s)<>]+)"),
    re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?([^\s<>]+)", re.M),
    re.compile(r"""\b(?:src|href|srcset|data|poster|xlink:href)\s*=\s*["']([^"'<>]+)["']""", re.I),
    re.compile(r"""url\(\s*["']?([^"')\s]+)""", re.I),
)


def _resource_lines(source: Source, prose: str) -> dict[str, int]:
    """The first line each file or address is named on, as written, recorded while the text is read."""
    found: dict[int, str] = {}
    for pattern in _RESOURCE_PATTERNS:
        for match in pattern.finditer(prose):
            found.setdefault(match.start(1), html.unescape(match.group(1)))
    lines: dict[str, int] = {}
    for index in sorted(found):
        lines.setdefault(found[index], _line_at(source, index))
    return lines


def _line_of_key(source: Source, text: str, key: str) -> int | None:
    k = re.escape(key)
    # '@key' where a citation can start (as in citing.py), the whole key: not '@key2', not 'a@key'.
    found = re.search(rf"(?<![\w.+/@:=\\])@(?:\{{{k}\}}|{k}(?!\w|[:.#$%&+?<>~/-]\w))", text)
    return _line_at(source, found.start()) if found else None


def _line_of_text(source: Source, text: str, snippet: str) -> int | None:
    index = text.find(snippet)
    return _line_at(source, index) if index >= 0 else None


def _line_of_notice(source: Source, prose: str, notice: Notice) -> int | None:
    if notice.line is not None:
        return source.body_first_line + notice.line - 1
    found = re.search(notice.needle, prose, flags=re.I) if notice.needle else None
    return _line_at(source, found.start()) if found else None


def _lines_for(items: list[str]) -> list[tuple[str, bool]]:
    """Each item once, and whether to look up its line: only the ones that will be shown."""
    unique = list(dict.fromkeys(items))
    return [(item, index < MAX_PROBLEMS_PER_FILE) for index, item in enumerate(unique)]


def load_document(path: Path, topic: str | None = None,
                  libraries: dict[Path, tuple[ReferenceLibrary, list[Problem]]] | None = None,
                  style: CslStyle | None = None, reference_authors: ReferenceAuthors = MAX_LISTED_AUTHORS
                  ) -> Document | list[Problem]:
    """Load an article and everything it cites; return it or the problems.

    ``libraries`` keeps each references file read once, for the documents of a topic that share it.
    ``style`` is the project's CSL style, if it names one; the front matter's 'csl' overrides it, as its
    'reference_authors' overrides the project's ``reference_authors``.
    """
    source, problems = load_source(path)
    if source is None:
        return problems
    chosen_authors = source.meta.reference_authors or reference_authors
    listed = None if chosen_authors == "all" else int(chosen_authors)
    if source.meta.csl is not None:
        chosen = style_named(source.meta.csl, path.parent, "topic folder", path, source.yaml.line_of(("csl",)))
        if isinstance(chosen, Problem):
            return [*problems, chosen]
        style = chosen
    library, more = _load_library(source, {} if libraries is None else libraries)
    problems += more
    state = CitationState(known=frozenset(library.references), language=source.meta.language,
                          library={key: ref.csl for key, ref in library.references.items()})
    body_html = render_markdown(source.body, state)
    if state.refused:  # not parsed: nothing else in the text can be checked
        return limit_problems(problems + [error(path, _line_of_notice(source, source.body, notice), notice.message)
                                          for notice in state.refused])
    prose = _without_code(source.body)
    problems += _images_without_alt(source, prose)
    for notice in state.removed[:MAX_PROBLEMS_PER_FILE]:
        problems.append(warning(path, _line_of_notice(source, prose, notice), notice.message))
    # When the references file could not be read, every key is unknown: say that once, not per citation.
    unknown = state.unknown if library.references or not has_errors(more) else []
    for key, locate in _lines_for(unknown):
        problems.append(error(path, _line_of_key(source, prose, key) if locate else None,
                              f"unknown reference key {quote(key)}: add it to {library.path.name} "
                              "or fix the spelling"))
    for key, locate in _lines_for(state.unresolved):
        kind = "figure" if key.startswith("fig:") else "table"
        problems.append(error(path, _line_of_text(source, prose, f"@{key}") if locate else None,
                              f"cross-reference {quote('@' + key)} points at no {kind} in this document: give "
                              f"the {kind} the id {{#{key}}} or fix the spelling"))
    for width, locate in _lines_for(state.bad_widths):
        problems.append(error(path, _line_of_text(source, prose, f"width={width}") if locate else None,
                              f"image width {quote(width)} is not a size: write a percentage of the text width "
                              "(width=60%) or a length in mm, cm, in or pt (width=80mm)"))
    for raw, locate in _lines_for(state.malformed):
        problems.append(error(path, _line_of_text(source, prose, raw) if locate else None,
                              f"malformed citation {quote(raw)}: {CITATION_FORMS}"))
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
    problems = limit_problems(problems)
    if has_errors(problems):
        return problems
    try:
        entries = bibliography(library, state.order, source.meta.language, style, listed)
    except StyleFailed as exc:
        return [*problems, exc.problem]
    return Document(
        topic=topic or path.parent.name,
        source=path,
        meta=source.meta,
        body_html=body_html,
        references=library,
        bibliography=entries,
        problems=tuple(problems),
        front_matter=source.yaml,
        markdown=source.body,
        markdown_line=source.body_first_line,
        resource_lines=_resource_lines(source, prose),
        style=style,
        listed_authors=listed,
    )


def _load_library(source: Source, libraries: dict[Path, tuple[ReferenceLibrary, list[Problem]]]
                  ) -> tuple[ReferenceLibrary, list[Problem]]:
    """The topic's references: the file 'references' names, or every file of 'bibliography', as one library."""
    folder = resolve(source.path.parent)
    field_name = "references" if source.meta.bibliography is None else "bibliography"
    if field_name == "bibliography" and "references" in source.meta.model_fields_set:
        return ReferenceLibrary(resolve(folder / source.meta.references), {}), [error(
            source.path, source.yaml.line_of(("bibliography",)),
            "write the reference files in 'bibliography' or in 'references', not both: remove 'references'")]
    names = source.meta.reference_files()
    if not names:
        return ReferenceLibrary(folder / "references.json", {}), [error(
            source.path, source.yaml.line_of(("bibliography",)), "'bibliography' names no file: name one or more "
            "reference files, or remove it")]
    loaded: list[tuple[ReferenceLibrary, list[Problem]]] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for index, name in enumerate(names):
        ref_path = resolve(folder / name)
        where = (field_name, index) if isinstance(source.meta.bibliography, list) else (field_name,)
        if ref_path in seen:  # read once: read twice, every key in it would be "also in" itself
            problems.append(warning(source.path, source.yaml.line_of(where),
                                    f"{quote(field_name)} names {quote(name)} twice: remove one"))
            continue
        seen.add(ref_path)
        if is_link_loop(ref_path):
            loaded.append((ReferenceLibrary(ref_path, {}), [error(ref_path, None, LINK_LOOP)]))
        elif not ref_path.is_relative_to(folder):
            loaded.append((ReferenceLibrary(ref_path, {}), [error(
                source.path, source.yaml.line_of(where),
                f"{quote(field_name)} {quote(name)} must be a file inside the topic folder")]))
        else:
            if ref_path not in libraries:
                libraries[ref_path] = load_references(ref_path)
            loaded.append(libraries[ref_path])
    if len(loaded) == 1:
        library, found = loaded[0]
        return library, problems + list(found)
    library, found = merge_libraries(loaded)
    return library, problems + found
