"""References: CSL-JSON in, numbered Vancouver citations and bibliography out.

The references file is CSL-JSON, what Zotero, Mendeley and Pandoc exchange.
Entries are formatted in the NLM *Citing Medicine* (Vancouver) style. We format
here rather than through citeproc-py because its stock ``vancouver.csl``
output drops DOIs and runs dates together ("2022Apr"); the entries are made in
``vancouver.py``, type by type as *Citing Medicine* shows them, and tested there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..errors import Problem, error, limit_problems, quote, warning
from ..source.yamlfile import read_text
from .vancouver import FORMATTED_TYPES, LABELS, format_date, format_name, format_names, format_pages, format_reference

__all__ = ["LABELS", "format_date", "format_name", "format_names", "format_pages", "format_reference"]

SUPPORTED_TYPES = FORMATTED_TYPES


@dataclass(frozen=True)
class Reference:
    """One CSL-JSON item and the line where its id is written."""

    key: str
    line: int | None
    csl: dict[str, Any] = field(hash=False, compare=False)

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


def _id_lines(text: str) -> dict[str, list[int]]:
    """Lines of each '"id": "..."' in the file, in order (duplicates included)."""
    lines: dict[str, list[int]] = {}
    for match in re.finditer(r'"id"\s*:\s*("(?:[^"\\]|\\.)*")', text):
        try:
            key = json.loads(match.group(1))
        except ValueError:
            continue
        lines.setdefault(key, []).append(text.count("\n", 0, match.start()) + 1)
    return lines


def load_references(path: Path) -> tuple[ReferenceLibrary, list[Problem]]:
    """Read a CSL-JSON file; every malformed item is reported, none fatal alone."""
    problems: list[Problem] = []
    library = ReferenceLibrary(path, {})
    text = read_text(path, missing="references file not found: create it (an empty list [] will do) or fix "
                     "'references' in the front matter", utf8_fix="export it again as UTF-8 CSL-JSON")
    if isinstance(text, Problem):
        return library, [text]
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        return library, [error(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno}); "
                               "export the references again as CSL-JSON")]
    except RecursionError:
        return library, [error(path, None, "invalid JSON: too deeply nested; export the references again as "
                               "CSL-JSON")]
    except ValueError as exc:  # a number of thousands of digits
        return library, [error(path, None, f"invalid JSON: {quote(exc, 100)}; export the references again as "
                               "CSL-JSON")]
    if isinstance(items, dict) and isinstance(items.get("items"), list):
        items = items["items"]  # CSL-JSON wrapped as {"items": [...]}
    if not isinstance(items, list):
        return library, [error(path, 1, "must be a CSL-JSON list of references: [ {...}, {...} ]")]
    references: dict[str, Reference] = {}
    id_lines = _id_lines(text)
    seen: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"].strip():
            problems.append(error(path, None, f"reference number {index} has no text 'id': give each "
                                  "reference a key such as \"smith2020\""))
            continue
        key = item["id"]
        occurrence = seen[key] = seen.get(key, -1) + 1
        found = id_lines.get(key, [])
        line = found[occurrence] if occurrence < len(found) else None
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
        references[key] = Reference(key, line, item)
    return ReferenceLibrary(path, references), limit_problems(problems)


def reference_warnings(library: ReferenceLibrary, cited: list[str]) -> list[Problem]:
    """Warn about references nobody cites and references readers cannot find."""
    problems = []
    cited_keys = set(cited)
    for ref in library.references.values():
        if ref.key not in cited_keys:
            problems.append(warning(library.path, ref.line, f"reference {quote(ref.key)} is never cited: "
                                    f"cite it as [@{ref.key}] or remove it"))
        if not (ref.doi or ref.pmid or ref.url):
            problems.append(warning(library.path, ref.line, f"reference {quote(ref.key)} has no DOI, PMID "
                                    "or URL: readers cannot look it up; add one if it exists"))
    return problems


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
