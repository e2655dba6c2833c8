"""What a layout is: one frozen declaration of everything the pipeline needs to know about it.

A layout names the files of a topic it reads (a Markdown source and data
files, each with its schema), its template and stylesheets, its page rules and
limits, and its finishing steps. Code that differs between layouts lives in
the layout's own module as functions the declaration points to (its
``context`` and ``checks``); nothing outside a layout compares layout names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..cite.references import BibliographyEntry
    from ..errors import Problem
    from ..source.data import DataFile, DataSchema
    from ..source.document import Document

@dataclass(frozen=True)
class DataSpec:
    """A YAML data file in the topic folder that a layout reads, and the schema it must follow."""

    file: str
    schema: type[DataSchema]


@dataclass(frozen=True)
class PageRules:
    """Page size and limits, checked on the typeset document; a breach is an error, never a cut."""

    # A CSS page size ("A5", "A4 landscape", "148mm 210mm"); None: the stylesheets set it.
    size: str | None = None
    max_pages: int | None = None
    # The smallest text the layout may print, in points (leaflets for patients: large enough to read).
    min_text_pt: float | None = None


# Finishing steps take the typeset PDF and give the finished one with its page count.
Imposition = Callable[[bytes], tuple[bytes, int]]


@dataclass(frozen=True)
class Finishing:
    """What happens to the typeset pages before they are verified and written."""

    # Rearranges the pages onto sheets (a booklet); the result is a new, untagged file.
    impose: Imposition | None = None
    # Crop marks under the print profile when asked for (an imposed sheet has its own trim).
    crop_marks: bool = True


@dataclass(frozen=True)
class Source:
    """Where a block of a layout's pages comes from: named by the page limit's error when it runs over."""

    path: Path
    line: int
    what: str  # "the studies table"
    advice: str  # what the author can do: "show fewer studies..."


@dataclass(frozen=True)
class LayoutData:
    """What a layout's template gets besides the document, the numbered bibliography and the problems."""

    context: dict[str, Any] = field(hash=False)
    bibliography: tuple[BibliographyEntry, ...]
    problems: tuple[Problem, ...]
    # A data file may lower or raise the page limit within what the layout allows.
    max_pages: int | None = None
    # Blocks of the template marked data-source="<name>", by name: where they come from.
    sources: dict[str, Source] = field(default_factory=dict, hash=False)
    # How many steps smaller the layout could make its content when it runs over its page
    # limit and the data leaves the choice to it (see LayoutInputs.shrink); 0: none.
    shrink_steps: int = 0


@dataclass(frozen=True)
class LayoutInputs:
    """Everything a layout's ``context`` function may read: the document, its data files, the locale."""

    document: Document
    files: dict[str, DataFile] = field(hash=False)
    locale: str
    strings: dict[str, str] = field(hash=False)
    colour: str
    # Asked for by the build when the full content ran over the page limit: show this many
    # steps less (the summary: this many fewer studies, when the data chose none).
    shrink: int = 0


ContextFunction = Callable[[LayoutInputs], LayoutData]
# Checks of a topic's data files that `leafpress check` runs without building (the summary's length, say).
CheckFunction = Callable[[dict[str, "DataFile"]], list["Problem"]]


@dataclass(frozen=True)
class Layout:
    """One kind of document a topic can be built as: declared once, in the layout's module."""

    name: str
    description: str
    template: str
    stylesheets: tuple[str, ...]
    # The topic's Markdown file(s) the layout is built from; '*' stands for the language ("patient.*.md").
    sources: str = "article.md"
    audience: str = "professionals"
    data: tuple[DataSpec, ...] = ()
    page: PageRules = PageRules()
    finishing: Finishing = Finishing()
    # Front-matter fields that may be optional in general but not here.
    required_fields: tuple[str, ...] = ()
    numbered_headings: bool = False
    # Fillable PDF form fields for <textarea> and <input> elements.
    pdf_forms: bool = False
    # Scored for readability (a miss fails the target with --strict).
    readability: bool = False
    # Another layout of the same source whose typeset pages this one finishes (the booklet: the A5 leaflet).
    finishes: str | None = None
    # Built by `leafpress build` for every topic that has its files; False for certificates (a roster each).
    batch: bool = True
    context: ContextFunction | None = None
    checks: CheckFunction | None = None
    # Where the layout comes in lists, the build's table and its order of work (lowest first).
    order: int = 100

    @property
    def data_files(self) -> tuple[str, ...]:
        return tuple(spec.file for spec in self.data)

    def language_of(self, source: Path) -> str | None:
        """The language a source's file name gives ("patient.es.md" -> "es"), if the pattern has one."""
        if "*" not in self.sources:
            return None
        prefix, suffix = self.sources.split("*", 1)
        name = source.name
        if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
            return name[len(prefix):len(name) - len(suffix)]
        return None

    def page_css(self) -> str:
        """Page rules the declaration adds on top of the stylesheets."""
        return f"@page {{ size: {self.page.size}; }}" if self.page.size else ""

