"""References: CSL-JSON in, numbered Vancouver citations and bibliography out.

The references file is CSL-JSON, what Zotero, Mendeley and Pandoc exchange.
Entries are formatted in the NLM *Citing Medicine* (Vancouver) style. We format
here rather than through citeproc-py because its stock ``vancouver.csl``
output drops DOIs and runs dates together ("2022Apr"), and the NLM rules for
the few types a leaflet cites are short and fully tested in this project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from ..errors import Problem, error, limit_problems, quote, warning
from ..source.yamlfile import read_text

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_LISTED_AUTHORS = 6  # ICMJE/NLM: list six, then "et al."
ET_AL = "et al."
SUPPORTED_TYPES = ("article-journal", "book", "chapter", "webpage", "report")


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
    for library, found in loaded:
        problems += found
        for key, ref in library.references.items():
            first = references.get(key)
            if first is not None:
                where = f"{first.path.name if first.path else library.path.name}" + (
                    f" line {first.line}" if first.line else "")
                problems.append(error(library.path, ref.line, f"reference key {quote(key)} is also in {where}: "
                                      "keep one of them or rename one key"))
                continue
            references[key] = ref
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


# --- Vancouver / NLM formatting -------------------------------------------------

def _initials(given: str) -> str:
    parts = [p for p in re.split(r"[\s.\-]+", given) if p]
    return "".join(p[0].upper() for p in parts)


def format_name(name: dict[str, Any]) -> str:
    if "literal" in name:
        return str(name["literal"]).strip()
    family = " ".join(str(name[k]).strip() for k in ("non-dropping-particle", "family") if name.get(k))
    given = name.get("given", "")
    text = f"{family} {_initials(str(given))}".strip()
    if name.get("suffix"):
        text += f" {name['suffix']}"
    return text


def format_names(names: Any) -> str:
    """CSL names (a list of name objects); anything else in the file is ignored."""
    if not isinstance(names, list):
        return ""
    formatted = [format_name(n) for n in names if isinstance(n, dict)]
    et_al = bool(formatted) and formatted[-1] == ET_AL
    people = [n for n in formatted if n != ET_AL]
    if len(people) > MAX_LISTED_AUTHORS:
        people, et_al = people[:MAX_LISTED_AUTHORS], True
    text = ", ".join(people)
    if et_al:
        text += f", {ET_AL}"
    return text


def format_date(issued: Any) -> str:
    """CSL date to NLM form: 2009, 2022 Apr, 2024 Jun 3."""
    if not isinstance(issued, dict):
        return ""
    date_parts = issued.get("date-parts")
    parts = date_parts[0] if isinstance(date_parts, list) and date_parts else []
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], (str, int)) or isinstance(parts[0], bool):
        return str(issued.get("literal") or issued.get("raw") or "")
    numbers = [_int(p) for p in parts]
    text = str(parts[0]).strip()
    month = numbers[1] if len(numbers) > 1 else None
    if month is not None and 1 <= month <= 12:
        text += f" {MONTHS[month - 1]}"
        day = numbers[2] if len(numbers) > 2 else None
        if day is not None and 1 <= day <= 31:
            text += f" {day}"
    return text


def _int(value: Any) -> int | None:
    """A CSL date part as a number (they may be written as strings), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**6 else None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,6}\s*", value):
        return int(value)
    return None


def format_pages(page: str) -> str:
    """NLM elides repeated leading digits: 304-311 becomes 304-11."""
    match = re.fullmatch(r"\s*(\d+)\s*[-\u2013]+\s*(\d+)\s*", page)
    if not match:
        return page.strip()
    first, last = match.groups()
    if len(first) == len(last):
        common = 0
        while common < len(first) - 1 and first[common] == last[common]:
            common += 1
        last = last[common:]
    return f"{first}-{last}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _link(url: str, label: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, label)


# The fixed words of an entry, in the document's language (Citing Medicine's, and
# their usual Spanish forms); a language not listed here uses the English ones.
LABELS: dict[str, dict[str, str]] = {
    "en": {"in": "In", "editors": "editors", "available": "Available from:"},
    "es": {"in": "En", "editors": "editores", "available": "Disponible en:"},
}


def format_reference(ref: Reference, language: str = "en") -> Markup:
    """One bibliography entry as HTML, in NLM/Vancouver style, its fixed words in ``language``."""
    words = LABELS.get(language, LABELS["en"])
    csl = ref.csl
    kind = csl.get("type")
    parts: list[Markup | str] = []
    authors = format_names(csl.get("author") or [])
    if authors:
        parts.append(_sentence(authors))
    title = str(csl.get("title", "")).strip()
    date = format_date(csl.get("issued"))
    if kind == "article-journal":
        parts.append(_sentence(title))
        journal = csl.get("container-title-short") or csl.get("journalAbbreviation") or csl.get("container-title", "")
        journal = str(journal).strip().rstrip(".")
        # Leave out what a reference lacks, and the punctuation with it ("J Test. 2020;10(2):100-9").
        where = " ".join(part for part in (f"{journal}." if journal else "", date) if part)
        volume, issue, page = csl.get("volume"), csl.get("issue"), csl.get("page")
        volume_issue = (str(volume) if volume else "") + (f"({issue})" if issue else "")
        pages = f":{format_pages(str(page))}" if page else ""
        if volume_issue:
            where = f"{where};{volume_issue}{pages}" if where else f"{volume_issue}{pages}"
        elif pages:  # no volume: the pages follow the date ("2020:5"), or stand alone
            where = f"{where}{pages}" if date else " ".join(part for part in (where, f"p. {pages[1:]}") if part)
        if where:
            parts.append(_sentence(where))
    elif kind == "webpage":
        parts.append(f"{title.rstrip('.')} [Internet].")
        publisher = csl.get("publisher") or csl.get("container-title")
        parts.append(_sentence("; ".join(str(p) for p in (publisher, date) if p)))
    elif kind == "chapter":
        parts.append(_sentence(title))
        editors = format_names(csl.get("editor") or [])
        book = str(csl.get("container-title", "")).strip()
        parts.append(_sentence(f"{words['in']}: {editors}, {words['editors']}. {book}" if editors
                               else f"{words['in']}: {book}"))
        parts.append(_sentence(_publication(csl, date)))
        if csl.get("page"):
            parts.append(f"p. {format_pages(str(csl['page']))}.")
    else:  # book, report and anything else
        parts.append(_sentence(title))
        if csl.get("edition"):
            parts.append(f"{csl['edition']} ed.")
        parts.append(_sentence(_publication(csl, date)))
    if ref.doi:
        parts.append(Markup("doi:") + _link(f"https://doi.org/{ref.doi}", ref.doi))
    if ref.pmid:
        parts.append(Markup("PMID: ") + _link(f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/", ref.pmid))
    if ref.url and not ref.doi:
        parts.append(Markup(words["available"] + " ") + _link(ref.url, ref.url))
    return Markup(" ").join(escape(p) for p in parts if p)


def _publication(csl: dict[str, Any], date: str) -> str:
    place, publisher = csl.get("publisher-place"), csl.get("publisher")
    imprint = ": ".join(str(p) for p in (place, publisher) if p)
    return "; ".join(p for p in (imprint, date) if p)


def bibliography(library: ReferenceLibrary, order: list[str], language: str = "en") -> tuple[BibliographyEntry, ...]:
    """Entries for the cited keys, numbered in order of first citation."""
    return tuple(BibliographyEntry(n, library[key], format_reference(library[key], language))
                 for n, key in enumerate(order, start=1))


def compress_numbers(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted unique numbers as runs: [1,2,3,5] -> [(1,3),(5,5)]."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
