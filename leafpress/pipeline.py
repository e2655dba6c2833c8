"""The pipeline, top to bottom: plan, load, cite, render, typeset, finish, verify, write.

:func:`plan` resolves every target once, completely, into a frozen
:class:`Target`. :func:`build_target` takes one target through every stage
and :func:`render_target` stops before typesetting; the library, ``build``,
``watch`` and ``check`` go through them, and ``certificates`` (one document
per roster row, from the certificate layout) through the same typeset and
verify stages (:func:`typeset_html`, :func:`verify`). A
:class:`Session` keeps what one process has read and parsed (documents, data
files, references, the template environment, typeset pages a booklet reuses),
so each file is read once however many targets use it.

One broken document never stops the others: every target ends in a
:class:`BuildResult`, and the caller decides the exit code from them.
The stages are imported when first used, so that planning (and a build with
nothing to do) never loads WeasyPrint.
"""

from __future__ import annotations

import datetime
import functools
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .errors import LeafpressError, Line, Problem, count, display_path, error, has_errors, quote, warning
from .failures import memory_limit_now, near_memory_limit, unexpected_problem
from .finish.profiles import PROFILES, Profile
from .layouts.base import Layout
from .layouts.registry import batch_layouts, project_layouts
from .paths import LINK_LOOP, is_link_loop, resolve
from .project.config import Project, config_problems

if TYPE_CHECKING:
    import jinja2

    from .cite.references import ReferenceLibrary
    from .cite.styles import CslStyle
    from .finish.preflight import Rules
    from .layouts.base import DataSpec, LayoutData, Source
    from .source.data import DataFile
    from .source.document import Document
    from .typeset.engine import Typeset

ARTICLE_NAME = "article.md"  # a folder with one (or with patient.<language>.md) is a topic


# --- plan ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """How every target of a build is finished: the output profile, crop marks, strict readability."""

    profile: Profile
    marks: bool = False
    strict: bool = False


@dataclass(frozen=True)
class Target:
    """One PDF to make: a topic's source in one layout and language, finished one way, written to one place."""

    topic: str
    source: Path
    layout: Layout
    language: str
    settings: Settings
    # Where the PDF goes, relative to the output folder: <topic>/<layout>.<language>[.<profile>].pdf
    output: Path
    # The target whose typeset pages this one finishes (the booklet's A5 leaflet), if any.
    base: Target | None = None

    @property
    def name(self) -> str:
        """topic/layout, with the language for per-language sources: topic/patient.es"""
        suffix = f".{self.language}" if "*" in self.layout.sources else ""
        return f"{self.topic}/{self.layout.name}{suffix}"

    @property
    def profile(self) -> Profile:
        return self.settings.profile


def _is_topic(folder: Path, layouts: dict[str, Layout]) -> bool:
    return any(next(folder.glob(layout.sources), None) is not None for layout in layouts.values())


def _linked_out(folder: Path, problems: list[Problem], layouts: dict[str, Layout] | None = None) -> bool:
    """Whether a topic folder is a symbolic link to a place outside the folder it is in (then a problem says so).

    Such a folder would make a root of whatever it points at: it is not built, watched or served.
    With ``layouts``, a folder that would not be a topic anyway is passed over in silence.
    """
    parent = resolve(folder.parent)
    if resolve(folder).is_relative_to(parent):  # a folder (callers check): never a loop of links
        return False
    if layouts is None or _is_topic(folder, layouts):
        problems.append(error(folder, None, f"is a link to a folder outside {display_path(parent)}: move or copy "
                              "the topic into it instead of linking it"))
    return True


def find_topics(project: Project, paths: list[Path],
                layouts: dict[str, Layout] | None = None) -> tuple[list[tuple[Path, Path | None]], list[Problem]]:
    """Topic folders for the given paths, each with the one file asked for, if any.

    A path may be a topic folder, one of its Markdown files, or a folder of
    topics (the default is content/).
    """
    layouts = layouts if layouts is not None else batch_layouts(project)
    problems: list[Problem] = []
    found: list[tuple[Path, Path | None]] = []
    for given in paths or [project.content_dir]:
        path = resolve(given)  # a link loop is neither a file nor a folder: reported below
        if path.is_file() and path.suffix == ".md":
            if _linked_out(Path(os.path.abspath(given)).parent, problems):
                continue
            found.append((path.parent, path))
        elif path.is_dir() and _is_topic(path, layouts):
            if _linked_out(Path(os.path.abspath(given)), problems):
                continue
            found.append((path, None))
        elif path.is_dir():
            topics = [(p, None) for p in sorted(path.iterdir())
                      if p.is_dir() and not _linked_out(p, problems, layouts) and _is_topic(p, layouts)]
            if not topics:
                sources = ", ".join(dict.fromkeys(layout.sources for layout in layouts.values()))
                problems.append(error(given, None, f"no topic here: a topic is a folder with a file one of the "
                                      f"layouts is built from ({sources})"))
            found += topics
        else:
            problems.append(error(given, None, LINK_LOOP if is_link_loop(given) else "no such file or folder"))
    return list(dict.fromkeys(found)), problems


def settings_for(project: Project, profile: str | None = None, marks: bool | None = None,
                 strict: bool = False) -> Settings:
    """The build's settings: what was asked for, else what leafpress.yaml says."""
    chosen = PROFILES[profile or project.config.profile]
    wants_marks = project.config.print_settings.marks if marks is None else marks
    return Settings(chosen, marks=bool(wants_marks and chosen.bleed_mm), strict=strict)


def output_name(topic: str, layout: Layout, language: str, profile: Profile, default_profile: str) -> Path:
    """<topic>/<layout>.<language>[.<profile>].pdf; the project's default profile has no suffix."""
    return Path(topic) / f"{layout.name}.{language}{profile.suffix(default_profile)}.pdf"


def _target(project: Project, folder: Path, source: Path, layout: Layout, settings: Settings,
            layouts: dict[str, Layout], declared: dict[Path, str | None]) -> Target:
    from .source.frontmatter import declared_language

    language = layout.language_of(source)
    if language is None:
        if source not in declared:  # read once, however many layouts the file is built in
            declared[source] = declared_language(source)
        language = declared[source] or project.config.default_language
    base_layout = layouts[layout.finishes] if layout.finishes else None
    base = _target(project, folder, source, base_layout, settings, layouts, declared) if base_layout else None
    output = output_name(folder.name, layout, language, settings.profile, project.config.profile)
    return Target(folder.name, source, layout, language, settings, output, base)


def plan(project: Project, paths: list[Path], layout_names: list[str] | None = None,
         settings: Settings | None = None) -> list[Target]:
    """Every target for ``paths``, or raise with every problem in the request."""
    settings = settings or settings_for(project)
    known = project_layouts(project)
    batch = batch_layouts(project)
    topics, problems = find_topics(project, paths, batch)
    chosen = []
    for name in dict.fromkeys(layout_names or list(batch)):
        if name in batch:
            chosen.append(batch[name])
        else:
            problems.append(error(None, None, f"unknown layout {quote(name)}: choose from {', '.join(batch)}"))
    if problems:
        raise LeafpressError(problems)
    targets = []
    declared: dict[Path, str | None] = {}
    for folder, only in topics:
        for layout in chosen:
            # A topic without a layout's data files has no such document, unless
            # the layout was asked for by name: then the missing file is reported.
            if not layout_names and not all((folder / name).is_file() for name in layout.data_files):
                continue
            for source in sorted(folder.glob(layout.sources)):
                if only is None or source == only:
                    targets.append(_target(project, folder, source, layout, settings, known, declared))
    # A file given as well as its folder is one target, not two.
    targets = list(dict.fromkeys(targets))
    writers: dict[Path, Target] = {}
    for target in targets:
        other = writers.setdefault(target.output, target)
        if other is not target:
            problems.append(error(target.source, None, f"{target.source.name} and {other.source.name} would both be "
                                  f"written to {target.output}: rename one, or make the layout's 'source' "
                                  "pattern match only one file per language"))
    if problems:
        raise LeafpressError(problems)
    return targets


# --- what became of a target -------------------------------------------------------------

@dataclass(frozen=True)
class BuildResult:
    """What became of one target: the one record every stage and report agrees on."""

    target: Target
    output: Path | None
    pages: int
    seconds: float
    problems: tuple[Problem, ...]
    # Nothing it depends on changed since the last build: not rebuilt.
    up_to_date: bool = False

    @property
    def status(self) -> str:
        return "up to date" if self.up_to_date else ("built" if self.ok else "FAILED")

    @property
    def ok(self) -> bool:
        return self.output is not None and not has_errors(self.problems)

    @property
    def name(self) -> str:
        return self.target.name


def plural(n: int, word: str) -> str:
    """'1 warning', '3 warnings'."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def result_line(result: BuildResult) -> Line:
    """One line per target, as `leafpress build` and `leafpress watch` print them ('built' green, 'FAILED' red)."""
    if result.up_to_date:
        return Line(f"fresh  {result.name} -> {display_path(result.output)} (up to date)")
    if result.ok:
        return Line(("built", "built"), f"  {result.name} -> {display_path(result.output)} "
                    f"({plural(result.pages, 'page')}, {result.seconds:.1f} s)")
    return Line(("FAILED", "failed"), f" {result.name}")


def summary_line(results: list[BuildResult], warnings: int) -> Line:
    """'2 built, 1 up to date, 0 failed, 3 warnings.' (the up-to-date count only when there are some).

    On a terminal, the counts that are not 0 are coloured: built green, failed red, warnings yellow.
    """
    failed = sum(not r.ok for r in results)
    fresh = sum(r.up_to_date for r in results)
    built = len(results) - failed - fresh
    return Line(count(built, f"{built} built", "built"), ", " + (f"{fresh} up to date, " if fresh else ""),
                count(failed, f"{failed} failed", "failed"), ", ",
                count(warnings, plural(warnings, "warning"), "warning"), ".")


# --- one process's reading, parsing and typesetting -------------------------------------

TODAY_VARIABLE = "LEAFPRESS_TODAY"


def review_day() -> datetime.date:
    """The day review dates are checked against: $LEAFPRESS_TODAY (YYYY-MM-DD), else the clock's.

    Only warnings and errors depend on it, never a PDF's bytes. The variable
    keeps a CI run's (or a test's) problems the same whatever the date;
    the commands' --today, which also reads it, refuses a value that is not a date.
    """
    try:
        return datetime.date.fromisoformat(os.environ[TODAY_VARIABLE])
    except (KeyError, ValueError):
        return datetime.date.today()


@dataclass(frozen=True)
class Rendered:
    """A target as HTML (None when errors stopped it), with every problem on the way."""

    html: str | None
    problems: tuple[Problem, ...]
    max_pages: int | None = None
    # Where the blocks of the page come from (the layout's data), to say what runs over a page limit.
    sources: dict[str, Source] = field(default_factory=dict, hash=False)
    # How much smaller the layout could make it, if it runs over (LayoutData.shrink_steps).
    shrink_steps: int = 0


@dataclass
class Session:
    """What one process has loaded for a project: each file read and parsed once, whatever uses it."""

    project: Project
    out_dir: Path
    _documents: dict[Path, Document | list[Problem]] = field(default_factory=dict)
    _data: dict[Path, tuple[DataFile | None, list[Problem]]] = field(default_factory=dict)
    _libraries: dict[Path, tuple[ReferenceLibrary, list[Problem]]] = field(default_factory=dict)
    # Typeset pages of targets that others finish (the A5 leaflet a booklet imposes), kept until taken.
    _typeset: dict[Target, tuple[Typeset | None, tuple[Problem, ...]]] = field(default_factory=dict)
    _bases: set[Target] = field(default_factory=set)
    # The day review dates are checked against: a warning within 90 days, an error once passed.
    today: datetime.date = field(default_factory=review_day)
    _source_problems: dict[tuple[Path, bool], tuple[Problem, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out_dir = self.out_dir.resolve()

    @property
    def env(self) -> jinja2.Environment:
        from .render.jinja import shared_environment

        return shared_environment(self.project.template_dirs)

    def expect(self, targets: list[Target]) -> None:
        """Say which targets this session will build, so pages that another target finishes are kept for it."""
        self._bases.update(target.base for target in targets if target.base is not None)

    def typeset(self, target: Target) -> tuple[Typeset | None, tuple[Problem, ...]]:
        """The target rendered and typeset, or the pages typeset for it earlier in this session (handed over once)."""
        if target in self._typeset:
            return self._typeset.pop(target)
        pages, problems = _typeset_target(self, target)
        if target in self._bases:  # failed too: the booklet reports the same problems without typesetting again
            self._typeset[target] = (pages, problems)
        return pages, problems

    def document(self, target: Target) -> Document | list[Problem]:
        return self.load(target.source, target.topic)

    def load(self, source: Path, topic: str) -> Document | list[Problem]:
        """A topic's Markdown file loaded (front matter, Markdown, citations), once per session."""
        from .source.document import load_document

        if source not in self._documents:
            style = self.project_style
            self._documents[source] = ([style] if isinstance(style, Problem) else
                                       load_document(source, topic, self._libraries, style,
                                                     self.project.config.reference_authors))
        return self._documents[source]

    def source_problems(self, target: Target) -> tuple[Problem, ...]:
        """The problems of the target's source that every layout built from it shares, found once per session."""
        from .source.checks import source_problems

        key = (target.source, target.settings.strict)
        if key not in self._source_problems:
            self._source_problems[key] = tuple(source_problems(self, target.source, target.topic,
                                                               target.settings.strict))
        return self._source_problems[key]

    @functools.cached_property
    def project_style(self) -> CslStyle | Problem | None:
        """The CSL style leafpress.yaml names in 'csl', read once; None when it names none (Vancouver)."""
        from .cite.styles import style_named

        name = self.project.config.csl
        if name is None:
            return None
        return style_named(name, self.project.root, "project", self.project.config_path,
                           self.project.config_line("csl"))

    def data_file(self, folder: Path, spec: DataSpec) -> tuple[DataFile | None, list[Problem]]:
        """A topic's data file loaded and validated against its schema, once per session."""
        from .source.data import load_data_file

        path = folder / spec.file
        if path not in self._data:
            self._data[path] = load_data_file(path, spec.schema)
        return self._data[path]

    def layout_data(self, target: Target, document: Document, shrink: int = 0) -> LayoutData:
        """Everything the layout shows beyond the document, from the topic's data files."""
        from .layouts.base import LayoutData, LayoutInputs
        from .render.i18n import strings
        from .source.data import data_problems

        layout = target.layout
        if not layout.data:
            return LayoutData({}, document.bibliography, ())
        files: dict[str, DataFile] = {}
        problems: list[Problem] = []
        known = frozenset(document.references.references)
        for spec in layout.data:
            if is_link_loop(document.folder / spec.file):
                problems.append(error(document.folder / spec.file, None, LINK_LOOP))
                continue
            if not (document.folder / spec.file).is_file():
                problems.append(error(document.folder / spec.file, None, f"the {layout.name} layout needs "
                                      f"{spec.file} in the topic folder: create it (see the sample topic for its "
                                      "fields)"))
                continue
            data, found = self.data_file(document.folder, spec)
            problems += found
            if data is not None:
                files[spec.file] = data
                problems += data_problems(data, known)
        if layout.checks is not None and len(files) == len(layout.data):
            problems += layout.checks(files)
        if len(files) < len(layout.data) or layout.context is None:
            return LayoutData({}, document.bibliography if layout.context is None else (), tuple(problems))
        inputs = LayoutInputs(document, files, self.project.locale_for(document.meta.language),
                              strings(document.meta.language), self.project.config.colours.primary, shrink)
        built = layout.context(inputs)
        return LayoutData(built.context, built.bibliography, tuple(problems) + built.problems, built.max_pages,
                          built.sources, built.shrink_steps)

    def data_file_problems(self, target: Target) -> list[Problem]:
        """What is wrong in the layout's data files, for a target whose document did not load (so one run
        still reports it): their keys checked against the topic's references.json when it can be read."""
        from .source.data import data_problems

        problems: list[Problem] = []
        folder = target.source.parent
        files: dict[str, DataFile] = {}
        for spec in target.layout.data:
            if (folder / spec.file).is_file() and not is_link_loop(folder / spec.file):
                data, found = self.data_file(folder, spec)
                problems += found
                if data is not None:
                    files[spec.file] = data
        library = resolve(folder / "references.json")  # as the documents' libraries are kept
        if files and library.is_file() and library.is_relative_to(resolve(folder)):
            if library not in self._libraries:
                from .cite.references import load_references

                self._libraries[library] = load_references(library)
            known = frozenset(self._libraries[library][0].references)
            for data in files.values():
                problems += data_problems(data, known)
        if target.layout.checks is not None and len(files) == len(target.layout.data):
            problems += target.layout.checks(files)
        return problems


def _language_problems(target: Target, document: Document) -> list[Problem]:
    """A PDF named for another language than the front matter's (a per-language file's name that contradicts
    its front matter is one of the source's problems: :func:`leafpress.source.checks.source_problems`)."""
    line = document.front_matter.line_of(("language",))
    if target.layout.language_of(target.source) is None and target.language != document.meta.language:
        # Planning read the language from a 'language:' line that the YAML parser reads otherwise.
        return [error(target.source, line, f"the PDF would be named for {quote(target.language)} but the front "
                      f"matter says 'language: {document.meta.language}': write 'language' once, on a line of "
                      "its own")]
    return []


def _unexpected(project: Project, target: Target, exc: Exception) -> Problem:
    """What escaped a stage, at the file to fix: leafpress.yaml's line for a locale Babel does not know."""
    if type(exc).__name__ == "UnknownLocaleError":  # babel.core's; leafpress.yaml's 'locales' names it
        return error(project.config_path, project.config_line("locales"),
                     f"locale {quote(getattr(exc, 'identifier', exc))} is not one leafpress knows: write a "
                     "language and a country in 'locales', such as en_GB or es_ES")
    return unexpected_problem(target.source, exc)


_Result = TypeVar("_Result")


def _caught(session: Session, target: Target, stage: Callable[[], _Result],
            failed: Callable[[Problem], _Result]) -> _Result:
    """``stage()``, or ``failed`` with the one problem line of whatever escapes it but MemoryError.

    A library that refuses memory in its own way near the process's limit raises MemoryError too.
    """
    try:
        return stage()
    except MemoryError:
        raise
    except Exception as exc:  # reported as this target's problem, in the user's terms
        if near_memory_limit(memory_limit_now()):  # a library refused memory in its own way
            raise MemoryError from exc
        return failed(_unexpected(session.project, target, exc))


def render_target(session: Session, target: Target, shrink: int = 0) -> Rendered:
    """Load, cite and render: the HTML WeasyPrint would receive, or None, with every problem so far.

    Never raises but MemoryError: whatever else escapes a stage is one problem line.
    """
    return _caught(session, target, lambda: _render_target(session, target, shrink),
                   lambda problem: Rendered(None, (problem,)))


def _render_target(session: Session, target: Target, shrink: int = 0) -> Rendered:
    from .render.html import render_html, template_problem
    from .source.checks import readability_problems
    from .source.glyphs import glyph_problems

    loaded = session.document(target)
    # The source's own problems (loading it among them), as every command reports them.
    problems = list(session.source_problems(target))
    if isinstance(loaded, list):
        return Rendered(None, tuple(problems + session.data_file_problems(target)))
    document, layout = loaded, target.layout
    problems += _language_problems(target, document)
    for field_name in layout.required_fields:
        if not getattr(document.meta, field_name):
            problems.append(error(document.source, 1,
                                  f"the {layout.name} layout needs {quote(field_name)} in the front matter"))
    if layout.readability:
        problems += readability_problems(document, target.settings.strict)
    data = session.layout_data(target, document, shrink)
    problems += data.problems
    max_pages = data.max_pages or layout.page.max_pages
    if has_errors(problems):
        return Rendered(None, tuple(problems), max_pages)
    try:
        html = render_html(session.env, layout, document, session.project, data)
    except Exception as exc:  # noqa: BLE001 - any error in a template (a project's own, too) is that target's problem
        problem = (_unexpected(session.project, target, exc) if type(exc).__name__ == "UnknownLocaleError"
                   else template_problem(session.project, layout.template, exc))
        return Rendered(None, tuple(problems + [problem]), max_pages)
    # A character no bundled font has would be drawn in a system font: refused here, by its line.
    problems += glyph_problems(session.project, layout, html, _content_files(session.project, target, document),
                               session.project.template(layout.template))
    if has_errors(problems):
        return Rendered(None, tuple(problems), max_pages)
    return Rendered(html, tuple(problems), max_pages, data.sources, data.shrink_steps)


def _content_files(project: Project, target: Target, document: Document) -> list[Path]:
    """The files a target's words come from, in the order a character is looked for in them."""
    folder = resolve(document.folder)
    files = [target.source, *(folder / spec.file for spec in target.layout.data),
             *(folder / name for name in document.meta.reference_files())]
    inside = [path for path in dict.fromkeys(files) if resolve(path).is_relative_to(folder) and path.is_file()]
    return [*inside, project.config_path]


def draft_path(output: Path) -> Path:
    """Where a document over its page limit is written for its author to look at: summary.en.draft.pdf."""
    return output.with_name(output.stem + ".draft.pdf")


def page_limit_message(target: Target, limit: int, typeset: Typeset, cause: tuple[Source, float] | None = None,
                       draft: Path | None = None) -> str:
    pages = "page" if limit == 1 else "pages"
    where = f"; its largest part is {cause[0].what} ({cause[1]:.0f} mm)" if cause else ""
    advice = cause[0].advice if cause else "shorten the text or the table"
    seen = f"; draft to look at: {display_path(draft)}" if draft else ""
    return (f"the {target.layout.name} of {quote(target.topic)} takes {typeset.pages} pages, over its limit of "
            f"{limit} {pages} by {typeset.overflow_beyond(limit):.0f} mm of content{where}: {advice} "
            f"(nothing was cut{seen})")


# page_limit_message's opening, for the preview, which marks the draft's pages with it.
_PAGE_LIMIT = re.compile(r"^the (.+?) of '.*' takes (\d+) pages, over its limit of (\d+) pages? by ", re.S)


def page_limit_exceeded(problem: Problem) -> tuple[str, int, int] | None:
    """(layout name, pages, limit) when ``problem`` is the error :func:`page_limit_message` words, else None."""
    found = _PAGE_LIMIT.match(problem.message) if problem.is_error else None
    return (found.group(1), int(found.group(2)), int(found.group(3))) if found else None


def _over_page_limit(session: Session, target: Target, rendered: Rendered, pages: Typeset) -> Problem:
    """The page limit's error, at the data the overflow comes from; the pages are written as a draft to look at."""
    from .finish.files import write_atomic

    limit = rendered.max_pages or 0
    draft = draft_path(session.out_dir / target.output)
    write_atomic(draft, pages.pdf)
    # The part of the pages that takes most room, when the layout says which data it comes from.
    parts = [(rendered.sources[name], height) for name, _, _, height in pages.sources if name in rendered.sources]
    cause = max(parts, key=lambda part: part[1], default=None)
    return error(cause[0].path if cause else target.source, cause[0].line if cause else None,
                 page_limit_message(target, limit, pages, cause, draft))


def typeset_html(project: Project, layout: Layout, html: str, folder: Path, profile: Profile) -> Typeset:
    """The typeset stage: ``html`` with the layout's stylesheets and page rules, files loaded from ``folder``.

    The document loads files from its topic folder and the theme (the project's
    overrides first); stylesheets from the theme only, so every document of a
    layout shares them once parsed.
    """
    from .typeset.engine import typeset

    logo = project.logo_path
    roots = (folder, *project.style_roots) + ((logo,) if logo else ())
    sheets = tuple(project.stylesheet(name) for name in layout.stylesheets)
    return typeset(html, folder, sheets, roots, forms=layout.pdf_forms, profile=profile,
                   icc_profile=project.icc_profile, style_roots=project.style_roots,
                   fallbacks=project.theme_fallbacks, page_css=layout.page_css())


def verify(project: Project, pdf: bytes, profile: Profile | None) -> list[str]:
    """The verify stage: fonts bundled and embedded, title and language, the audit, what ``profile`` promises."""
    from .finish.verify import bundled_font_names, verify_pdf

    return verify_pdf(pdf, bundled_font_names(project.font_dirs), profile)


def preflight_rules(layout: Layout, imposed: bool = False) -> Rules:
    """What ``layout``'s PDFs are preflighted against: its smallest text; imposed sheets are not a flow of pages."""
    from .finish.preflight import DEFAULT_MIN_TEXT_PT, Rules

    return Rules(layout.page.min_text_pt or DEFAULT_MIN_TEXT_PT, flow=not imposed)


def preflight(pdf: bytes, path: Path, layout: Layout, imposed: bool = False, strict: bool = False) -> list[Problem]:
    """The preflight part of the verify stage: what a designer checks by eye, each finding a warning of
    ``path`` (an error with ``strict``). Imposed sheets are not checked as a flow of pages."""
    from .finish.preflight import preflight as check

    rules = preflight_rules(layout, imposed)
    return [(error if strict else warning)(path, None, str(finding)) for finding in check(pdf, rules)]


def _typeset_target(session: Session, target: Target) -> tuple[Typeset | None, tuple[Problem, ...]]:
    """Render and typeset ``target``; the pages (None when errors stopped it) and every problem."""
    rendered = render_target(session, target)
    problems = list(rendered.problems)
    if rendered.html is None:
        return None, tuple(problems)
    layout = target.layout
    pages = typeset_html(session.project, layout, rendered.html, target.source.parent, target.profile)
    if rendered.max_pages and pages.pages > rendered.max_pages and rendered.shrink_steps:
        rendered, pages = _fit_page_limit(session, target, rendered, pages)
        problems = list(rendered.problems)
    document = session.document(target)
    problems += [error(target.source, None if isinstance(document, list) else document.line_naming(refusal.url),
                       f"refused to load {refusal}") for refusal in pages.refused]
    problems += [error(target.source, None, f"WeasyPrint: {message}") for message in pages.warnings]
    from .typeset.engine import PRINT_PPI

    for url, pixels, width_mm, ppi in pages.low_resolution:
        line = None if isinstance(document, list) else document.line_naming(url)
        needed = math.ceil(pixels * PRINT_PPI / ppi)
        name = "an embedded image" if url.startswith("data:") else f"image {quote(url.rsplit('/', 1)[-1])}"
        problems.append(warning(target.source, line, f"{name} is {pixels} pixels "
                                f"across, printed {width_mm:.0f} mm wide: {ppi:.0f} ppi, below the {PRINT_PPI} "
                                f"ppi print needs: supply it at least {needed} pixels wide (300 ppi is best), "
                                "or give it a smaller width"))
    if rendered.max_pages and pages.pages > rendered.max_pages:
        problems.append(_over_page_limit(session, target, rendered, pages))
    minimum = layout.page.min_text_pt
    if minimum and pages.smallest_text and pages.smallest_text[0] < minimum - 0.05:
        size, text = pages.smallest_text
        problems.append(error(target.source, None, f"the {layout.name} layout prints {quote(text, 40)} at "
                              f"{size:.1f} pt, below its minimum of {minimum:g} pt: make that text larger in "
                              "the layout's stylesheets"))
    return pages, tuple(problems)


def _fit_page_limit(session: Session, target: Target, rendered: Rendered,
                    pages: Typeset) -> tuple[Rendered, Typeset]:
    """The largest version of the content that fits the page limit, when the layout can make it smaller.

    A binary search over the layout's steps (the summary: fewer studies), so a
    few typesettings at most; when even the smallest does not fit, the full
    content and its pages, to be reported as over the limit.
    """
    low, high = 1, rendered.shrink_steps
    best: tuple[Rendered, Typeset] | None = None
    while low <= high:
        step = (low + high) // 2
        smaller = render_target(session, target, step)
        if smaller.html is None:
            break
        smaller_pages = typeset_html(session.project, target.layout, smaller.html, target.source.parent,
                                     target.profile)
        if smaller.max_pages and smaller_pages.pages <= smaller.max_pages:
            best, high = (smaller, smaller_pages), step - 1
        else:
            low = step + 1
    return best or (rendered, pages)


def build_target(session: Session, target: Target) -> BuildResult:
    """The one way a target is built: load, cite, render, typeset, finish, verify, write.

    Never raises but MemoryError: whatever else escapes a stage is one problem line of the result.
    """
    started = time.perf_counter()
    return _caught(session, target, lambda: _build_target(session, target),
                   lambda problem: BuildResult(target, None, 0, time.perf_counter() - started, (problem,)))


def _build_target(session: Session, target: Target) -> BuildResult:
    from .finish.files import write_atomic
    from .finish.impose import ImpositionError
    from .finish.marks import add_crop_marks
    from .finish.profiles import MARK_LENGTH_MM, MARK_OFFSET_MM, SLUG_MM
    from .finish.reproducible import stable_document_id

    started = time.perf_counter()

    def failed(problems: list[Problem] | tuple[Problem, ...]) -> BuildResult:
        return BuildResult(target, None, 0, time.perf_counter() - started, tuple(problems))

    layout, project = target.layout, session.project
    # A layout that finishes another's pages (the booklet) takes them from the same session.
    pages, found = session.typeset(target.base or target)
    problems = list(found)
    if pages is None or has_errors(problems):
        return failed(problems)
    pdf, count = stable_document_id(pages.pdf), pages.pages
    if target.settings.marks and layout.finishing.crop_marks:
        pdf = add_crop_marks(pdf, MARK_OFFSET_MM, MARK_LENGTH_MM, SLUG_MM)
    # An imposed file is a new, untagged one for an office printer: it is checked
    # for fonts, title, language and syntax, not the profile.
    checked_as: Profile | None = target.profile
    if layout.finishing.impose is not None:
        try:
            pdf, count = layout.finishing.impose(pdf)
        except ImpositionError as exc:
            return failed(problems + [error(target.source, None, f"the {layout.name} cannot be imposed: {exc}")])
        checked_as = None
    path = session.out_dir / target.output
    problems += [error(target.source, None, message) for message in verify(project, pdf, checked_as)]
    problems += preflight(pdf, path, layout, imposed=layout.finishing.impose is not None,
                          strict=target.settings.strict)
    if has_errors(problems):
        return failed(problems)
    write_atomic(path, pdf)
    draft_path(path).unlink(missing_ok=True)  # a draft of an earlier overflow is stale now
    return BuildResult(target, path, count, time.perf_counter() - started, tuple(problems))


def build(project: Project, paths: list[Path] | None = None, layouts: list[str] | None = None,
          out_dir: Path | None = None, strict: bool = False, profile: str | None = None,
          marks: bool | None = None, today: datetime.date | None = None) -> tuple[list[BuildResult], list[Problem]]:
    """Build every target for ``paths`` in this process; return the results and project-wide problems.

    ``strict`` refuses patient leaflets that miss their readability targets;
    ``profile`` (screen, print, archive) defaults to the project's; ``marks``
    adds crop marks under the print profile; review dates are checked as of
    ``today`` (default: :func:`review_day`). Raises, building nothing, when
    leafpress.yaml has errors found after loading (colours that fail contrast).
    """
    targets = plan(project, paths or [], layouts, settings_for(project, profile, marks, strict))
    project_problems = config_problems(project, [target.layout for target in targets])
    if has_errors(project_problems):
        raise LeafpressError(project_problems)
    session = Session(project, out_dir or project.output_dir, today=today or review_day())
    session.expect(targets)
    return [build_target(session, target) for target in targets], project_problems
