"""References: CSL-JSON in, numbered Vancouver citations and bibliography out.

The references file is CSL-JSON, what Zotero, Mendeley and Pandoc exchange.
Entries are formatted in the NLM *Citing Medicine* (Vancouver) style, unless a
CSL style file is named (:mod:`leafpress.cite.styles`). We format
here rather than through citeproc-py because its stock ``vancouver.csl``
output drops DOIs and runs dates together ("2022Apr"); the entries are made in
``vancouver.py``, type by type as *Citing Medicine* shows them, and tested there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..errors import Problem, error, limit_problems, quote, warning
from ..source.yamlfile import read_text
from .styles import CslStyle, format_with_style
from .vancouver import FORMATTED_TYPES, MAX_LISTED_AUTHORS, format_name, format_pages, format_reference

# What tests import from here from before vancouver.py had them.
__all__ = ["format_name", "format_pages", "format_reference"]

SUPPORTED_TYPES = FORMATTED_TYPES


@dataclass(frozen=True)
class Reference:
    """One CSL-JSON item and the line where its id is written."""

    key: str
    line: int | None
    csl: dict[str, Any] = field(hash=False, compare=False)
    # The file it was read from (a topic may have several); None for one made in code.
    path: Path | None = field(default=None, compare=False)

    @property
    def doi(self) -> str | None:
        doi = self.csl.get("DOI")
        if not doi:
            return None
        return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", str(doi).strip(), flags=re.I)

    @property
    def pmid(self) -> str | None:
        pmid = self.csl.get("PMID")
        return str(pmid).strip() if pmid else None

    @property
    def url(self) -> str | None:
        """The URL, if it is a web address; anything else (javascript:, file:) is ignored."""
        url = str(self.csl.get("URL") or "").strip()
        return url if re.match(r"https?://", url, flags=re.I) else None


@dataclass(frozen=True)
class ReferenceLibrary:
    path: Path
    references: dict[str, Reference] = field(hash=False, compare=False)

    def __getitem__(self, key: str) -> Reference:
        return self.references[key]


@dataclass(frozen=True)
class BibliographyEntry:
    number: int
    reference: Reference
    html: Markup

    @property
    def anchor(self) -> str:
        return anchor_for(self.number)


def anchor_for(number: int) -> str:
    return f"ref-{number}"


def load_references(path: Path) -> tuple[ReferenceLibrary, list[Problem]]:
    """Read a references file in any format :mod:`leafpress.cite.formats` reads (CSL-JSON, CSL-YAML,
    BibTeX/BibLaTeX, RIS, MEDLINE); every malformed entry is reported, none fatal alone."""
    from .formats import FORMAT_NAMES, SUFFIXES, assign_keys, convert, detect_format, has_year

    library = ReferenceLibrary(path, {})
    named = FORMAT_NAMES.get(SUFFIXES.get(path.suffix.lower(), ""), "text")
    text = read_text(path, missing="references file not found: create it (an empty list [] will do) or fix "
                     "'references' in the front matter", utf8_fix=f"export it again as UTF-8 {named}")
    if isinstance(text, Problem):
        return library, [text]
    fmt = detect_format(path, text)
    items, problems = convert(path, text, fmt)
    references: dict[str, Reference] = {}
    for key, line, item in assign_keys(items):
        if key in references:
            problems.append(error(path, line, f"reference id {quote(key)} is used twice "
                                  f"(first on line {references[key].line}): make the ids unique"))
            continue
        ref_type = item.get("type")
        if ref_type not in SUPPORTED_TYPES:
            problems.append(warning(path, line, f"reference {quote(key)} has type {quote(ref_type)}; "
                                    f"formatted as a generic entry (supported: {', '.join(SUPPORTED_TYPES)})"))
        if not item.get("title"):
            problems.append(error(path, line, f"reference {quote(key)} has no 'title'"))
            continue
        # From BibTeX, RIS or MEDLINE, a reference without a year is an export that lost it. CSL-JSON and
        # CSL-YAML are often written by hand, and a reference there is printed without one, as before.
        if fmt not in ("json", "yaml") and not has_year(item) and not (ref_type == "webpage" and item.get("accessed")):
            problems.append(error(path, line, f"reference {quote(key)} has no year: add the date it was published "
                                  f"({_DATE_FIELDS[fmt]})"))
            continue
        references[key] = Reference(key, line, item, path)
    return ReferenceLibrary(path, references), limit_problems(problems)


# Where each format writes the publication date, for the message about a reference without one.
_DATE_FIELDS = {"bibtex": "'year' or 'date'", "ris": "'PY'",
                "medline": "'DP'"}


def merge_libraries(loaded: list[tuple[ReferenceLibrary, list[Problem]]]) -> tuple[ReferenceLibrary, list[Problem]]:
    """The references of several files as one library (named after the first); a key in two files is an error
    at its line in the later one, and the first file's reference is kept."""
    problems: list[Problem] = []
    references: dict[str, Reference] = {}
    file_of: dict[str, Path] = {}  # the file each kept reference came from
    for library, found in loaded:
        problems += found
        for key, ref in library.references.items():
            first = references.get(key)
            if first is not None:
                where = file_of[key].name + (f" line {first.line}" if first.line else "")
                problems.append(error(library.path, ref.line, f"reference key {quote(key)} is also in {where}: "
                                      "keep one of them or rename one key"))
                continue
            references[key], file_of[key] = ref, library.path
    return ReferenceLibrary(loaded[0][0].path, references), problems


def reference_warnings(library: ReferenceLibrary, cited: list[str]) -> list[Problem]:
    """Warn about references nobody cites and references readers cannot find."""
    problems = []
    cited_keys = set(cited)
    for ref in library.references.values():
        if ref.key not in cited_keys:
            problems.append(warning(ref.path or library.path, ref.line, f"reference {quote(ref.key)} is never cited: "
                                    f"cite it as [@{ref.key}] or remove it"))
        if not (ref.doi or ref.pmid or ref.url):
            problems.append(warning(ref.path or library.path, ref.line, f"reference {quote(ref.key)} has no DOI, PMID "
                                    "or URL: readers cannot look it up; add one if it exists"))
    return problems


class StyleFailed(Exception):
    """The CSL style named could not format the references; ``problem`` says so, at the style file."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def bibliography(library: ReferenceLibrary, order: list[str], language: str = "en",
                 style: CslStyle | None = None, listed: int | None = MAX_LISTED_AUTHORS
                 ) -> tuple[BibliographyEntry, ...]:
    """Entries for the cited keys, numbered in order of first citation: in Vancouver (``listed`` authors
    before "et al.", None for all), or in the CSL ``style`` named (:mod:`leafpress.cite.styles`); raises
    :class:`StyleFailed` if that cannot format them."""
    if style is None:
        return tuple(BibliographyEntry(n, library[key], format_reference(library[key], language, listed))
                     for n, key in enumerate(order, start=1))
    formatted = format_with_style(style, [library[key].csl for key in order], language)
    if isinstance(formatted, Problem):
        raise StyleFailed(formatted)
    return tuple(BibliographyEntry(n, library[key], html)
                 for n, (key, html) in enumerate(zip(order, formatted, strict=True), start=1))


def compress_numbers(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted unique numbers as runs: [1,2,3,5] -> [(1,3),(5,5)]."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
