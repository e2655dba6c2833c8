"""The reference files clinicians export, read into the CSL-JSON items leafpress formats.

* CSL-JSON (``.json``): Zotero, Mendeley, Better BibTeX, pandoc. An item's key
  is its ``citation-key`` when it has one (Zotero 7, Better BibTeX), else its
  ``id``; an ``id`` that is a web address (Zotero's own export,
  ``http://zotero.org/users/1/items/ABCD``) is not a key anyone can type, so the
  item gets a generated key (below).
* CSL-YAML (``.yaml``, ``.yml``): a ``references:`` list, as pandoc writes it.
* BibTeX and BibLaTeX (``.bib``): Zotero with Better BibTeX, Mendeley, JabRef;
  parsed by bibtexparser, LaTeX turned into Unicode by pylatexenc. The key is
  the entry's key.
* RIS (``.ris``): EndNote, Mendeley, Web of Science; each record parsed by
  rispy. The key is the record's ``ID`` field, else a generated key.
* MEDLINE (``.nbib``, or ``.txt`` as PubMed saves it): parsed here from the
  documented MEDLINE tags. The key is ``pmid`` and the PMID (``pmid12345678``),
  else a generated key.

A generated key is the first author's family name in lower-case ASCII letters
and the year (``smith2020``; ``anon2020`` with no author); when two generated
keys are the same, each gets a letter in file order (``smith2020a``,
``smith2020b``). Another extension (or none) is recognised by its content.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Problem, error, quote

# (key or None for a generated one, line, the CSL-JSON item) or a problem with one entry.
Item = tuple[str | None, int | None, dict[str, Any]]
Converted = tuple[list[Item], list[Problem]]

# bibtexparser logs each entry it cannot parse; leafpress reports them itself, at their lines.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

# Names read from one BibTeX name list: Vancouver prints six, and splitting thousands is slow.
MAX_NAMES = 100

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

FORMAT_NAMES = {"json": "CSL-JSON", "yaml": "CSL-YAML", "bibtex": "BibTeX", "ris": "RIS", "medline": "MEDLINE"}
SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".bib": "bibtex", ".bibtex": "bibtex",
             ".ris": "ris", ".nbib": "medline", ".medline": "medline"}


def detect_format(path: Path, text: str) -> str:
    """The format named by the file's extension, else the one its content looks like (CSL-JSON by default)."""
    known = SUFFIXES.get(path.suffix.lower())
    if known:
        return known
    start = text.lstrip()
    if start.startswith(("[", "{")):
        return "json"
    if re.search(r"^\s*@[A-Za-z]+\s*[{(]", text, flags=re.M):
        return "bibtex"
    if re.search(r"^TY  - ", text, flags=re.M):
        return "ris"
    if re.search(r"^PMID- ", text, flags=re.M):
        return "medline"
    if re.search(r"^(references:|- id:)", text, flags=re.M):
        return "yaml"
    return "json"


def convert(path: Path, text: str, fmt: str) -> Converted:
    readers: dict[str, Callable[[Path, str], Converted]] = {
        "json": read_csl_json, "yaml": read_csl_yaml, "bibtex": read_bibtex, "ris": read_ris,
        "medline": read_medline}
    return readers[fmt](path, text)


# --- dates and names ----------------------------------------------------------------

def date_from_text(text: str) -> dict[str, Any] | None:
    """'2020', '2020-03-01', '2020/03/01/', '2020 Mar 1', '2020 Mar-Apr' -> CSL date-parts; None without a year."""
    match = re.search(r"(?<!\d)(\d{4})(?!\d)(.*)", text)
    if not match:
        return None
    parts = [int(match.group(1))]
    rest = match.group(2)
    numeric = re.match(r"[-/](\d{1,2})(?:[-/](\d{1,2}))?", rest)
    if numeric:
        parts += [int(n) for n in numeric.groups() if n]
    else:
        named = re.match(r"\s+([A-Za-z]{3})[A-Za-z]*\.?(?:\s+(\d{1,2})(?!\d))?", rest)
        if named and named.group(1).lower() in MONTH_NAMES:
            parts.append(MONTH_NAMES.index(named.group(1).lower()) + 1)
            if named.group(2):
                parts.append(int(named.group(2)))
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        parts = parts[:1]
    if len(parts) > 2 and not 1 <= parts[2] <= 31:
        parts = parts[:2]
    return {"date-parts": [parts]}


def month_number(value: str) -> int | None:
    value = value.strip().lower()
    if value.isdigit():
        return int(value) if 1 <= int(value) <= 12 else None
    return MONTH_NAMES.index(value[:3]) + 1 if value[:3] in MONTH_NAMES else None


def name_from_text(text: str) -> dict[str, str]:
    """'Smith, Ann B.' -> family and given; a name without a comma (an organisation) is kept as written."""
    family, comma, given = text.partition(",")
    if not comma:
        return {"literal": text.strip()}
    name = {"family": family.strip(), "given": given.strip()}
    return {k: v for k, v in name.items() if v}


def has_year(csl: dict[str, Any]) -> bool:
    issued = csl.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
        if first and re.fullmatch(r"\s*-?\d{1,6}\s*", str(first[0])) and not isinstance(first[0], bool):
            return True
        return bool(re.search(r"\d{4}", str(issued.get("literal") or issued.get("raw") or "")))
    return False


def generated_key(csl: dict[str, Any]) -> str:
    """'smith2020' from the first author (or editor) and the year; 'anon' without one."""
    surname = ""
    for role in ("author", "editor"):
        names = csl.get(role)
        if isinstance(names, list) and names and isinstance(names[0], dict):
            surname = str(names[0].get("family") or names[0].get("literal") or "")
            break
    ascii_name = unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode()
    word = re.sub(r"[^a-z]", "", (ascii_name.split() or [""])[0].lower()) or "anon"
    issued = csl.get("issued")
    year = ""
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = re.sub(r"\D", "", str(parts[0][0]))
    return word + year


def assign_keys(items: list[Item]) -> list[tuple[str, int | None, dict[str, Any]]]:
    """Give the items without a key a generated one, letters added in file order where they are the same."""
    given = {key for key, _, _ in items if key is not None}
    bases = [generated_key(csl) if key is None else "" for key, _, csl in items]
    counts: dict[str, int] = {}
    for key, base in zip((k for k, _, _ in items), bases, strict=True):
        if key is None:
            counts[base] = counts.get(base, 0) + 1
    letters: dict[str, int] = {}
    keyed: list[tuple[str, int | None, dict[str, Any]]] = []
    for (key, line, csl), base in zip(items, bases, strict=True):
        if key is None:
            key = base
            if counts[base] > 1 or base in given:
                index = letters[base] = letters.get(base, -1) + 1
                key = base + _letters(index)
                while key in given:  # 'smith2020a' also written by hand
                    index = letters[base] = index + 1
                    key = base + _letters(index)
        keyed.append((key, line, csl))
    return keyed


def _letters(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


# --- CSL-JSON and CSL-YAML ----------------------------------------------------------

def _key_lines(text: str, field_name: str) -> dict[str, list[int]]:
    """Lines of each '"field": "..."' in the file, in order (duplicates included)."""
    lines: dict[str, list[int]] = {}
    for match in re.finditer(rf'"{field_name}"\s*:\s*("(?:[^"\\]|\\.)*")', text):
        try:
            key = json.loads(match.group(1))
        except ValueError:
            continue
        lines.setdefault(key, []).append(text.count("\n", 0, match.start()) + 1)
    return lines


def _csl_key(item: dict[str, Any]) -> str | None:
    """The key to cite an item by: its citation-key, else an id that is not a web address (else None)."""
    citation_key = item.get("citation-key")
    if isinstance(citation_key, str) and citation_key.strip():
        return citation_key.strip()
    key = str(item["id"])
    return None if re.match(r"[a-z][a-z0-9+.-]*://", key, flags=re.I) else key


def _zotero_extras(item: dict[str, Any]) -> dict[str, Any]:
    """Zotero keeps what CSL has no field for in 'note' ('PMID: 123'): take the PMID from there."""
    note = item.get("note")
    if not item.get("PMID") and isinstance(note, str):
        found = re.search(r"^\s*PMID:\s*(\d+)\s*$", note, flags=re.M)
        if found:
            return {**item, "PMID": found.group(1)}
    return item


def csl_items(path: Path, items: list[Any], line_of: Callable[[int, str, str], int | None]) -> Converted:
    """CSL items (from JSON or YAML) with their keys; ``line_of(index, field, value)`` finds lines."""
    found: list[Item] = []
    problems: list[Problem] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)) or isinstance(
                item.get("id"), bool) or not str(item["id"]).strip():
            problems.append(error(path, line_of(index, "", ""), f"reference number {index} has no text 'id': give "
                                  "each reference a key such as \"smith2020\""))
            continue
        key = _csl_key(item)
        line = line_of(index, "citation-key" if item.get("citation-key") else "id",
                       str(item.get("citation-key") or item["id"]))
        item = _zotero_extras(item)
        for name in ("issued", "accessed"):  # a date written as text ("2020-03-01"): as CSL date-parts
            written = item.get(name)
            if isinstance(written, (str, int)) and not isinstance(written, bool):
                item = {**item, name: date_from_text(str(written)) or {"literal": str(written)}}
        found.append((key, line, item))
    return found, problems


def read_csl_json(path: Path, text: str) -> Converted:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [error(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno}); "
                          "export the references again as CSL-JSON")]
    except RecursionError:
        return [], [error(path, None, "invalid JSON: too deeply nested; export the references again as CSL-JSON")]
    except ValueError as exc:  # a number of thousands of digits
        return [], [error(path, None, f"invalid JSON: {quote(exc, 100)}; export the references again as CSL-JSON")]
    if isinstance(items, dict) and isinstance(items.get("items"), list):
        items = items["items"]  # CSL-JSON wrapped as {"items": [...]}
    if not isinstance(items, list):
        return [], [error(path, 1, "must be a CSL-JSON list of references: [ {...}, {...} ]")]
    lines = {name: _key_lines(text, name) for name in ("id", "citation-key")}
    seen: dict[tuple[str, str], int] = {}

    def line_of(index: int, name: str, value: str) -> int | None:
        if not name:
            return None
        occurrence = seen[(name, value)] = seen.get((name, value), -1) + 1
        found = lines[name].get(value, [])
        return found[occurrence] if occurrence < len(found) else None

    return csl_items(path, items, line_of)


def read_csl_yaml(path: Path, text: str) -> Converted:
    from ..source.yamlfile import load_yaml

    data, problems = load_yaml(text, path)
    if data is None:
        return [], problems
    value = data.value
    location: tuple[str, ...] = ()
    if isinstance(value, dict) and "references" in value:
        value, location = value["references"], ("references",)
    if not isinstance(value, list):
        return [], problems + [error(path, 1, "must be CSL-YAML: a 'references:' list, each reference "
                                     "starting '- id: smith2020'")]

    def line_of(index: int, name: str, _value: str) -> int | None:
        return data.line_of(location + (index - 1, name) if name else location + (index - 1,))

    items, more = csl_items(path, value, line_of)
    return items, problems + more


# --- BibTeX and BibLaTeX -------------------------------------------------------------

BIBTEX_TYPES = {
    "article": "article-journal", "book": "book", "mvbook": "book", "booklet": "book", "manual": "book",
    "proceedings": "book", "collection": "book", "inbook": "chapter", "incollection": "chapter",
    "bookinbook": "chapter", "inproceedings": "paper-conference", "conference": "paper-conference",
    "online": "webpage", "www": "webpage", "electronic": "webpage", "techreport": "report", "report": "report",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis", "unpublished": "manuscript",
    "misc": "document",
}
# Fields copied as text: BibTeX/BibLaTeX name -> CSL-JSON name.
BIBTEX_FIELDS = {
    "title": "title", "shorttitle": "title-short", "journal": "container-title", "journaltitle": "container-title",
    "shortjournal": "container-title-short", "journalabbr": "container-title-short", "volume": "volume",
    "issue": "issue", "pages": "page", "doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "url": "URL",
    "edition": "edition", "publisher": "publisher", "address": "publisher-place", "location": "publisher-place",
    "isbn": "ISBN", "issn": "ISSN", "langid": "language", "language": "language", "series": "collection-title",
}


_converter: Any = None


def _latex(text: str) -> str:
    """LaTeX (accents, braces, dashes, math) as the Unicode it stands for, on one line."""
    global _converter
    if _converter is None:
        from pylatexenc.latex2text import LatexNodes2Text

        _converter = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
    if "\\" not in text and "{" not in text and "$" not in text and "-" not in text and "~" not in text:
        return " ".join(text.split())
    try:
        plain = str(_converter.latex_to_text(text))
    except Exception:  # noqa: BLE001 - pylatexenc's parser: keep the text as written rather than fail
        plain = text.replace("{", "").replace("}", "")
    return " ".join(unicodedata.normalize("NFC", plain).split())


def bibtex_names(value: str) -> list[dict[str, str]]:
    """A BibTeX name list: 'Smith, Ann and {World Health Organization} and others'."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

    names: list[dict[str, str]] = []
    people = split_multiple_persons_names(value)
    if len(people) > MAX_NAMES:
        people = [*people[:MAX_NAMES], "others"]
    for person in people:
        person = person.strip()
        if person == "others":
            names.append({"literal": "et al."})
            continue
        if re.fullmatch(r"\{[^{}]*(\{[^{}]*\}[^{}]*)*\}", person):  # one braced group: an organisation
            names.append({"literal": _latex(person)})
            continue
        try:
            parts = parse_single_name_into_parts(person)
        except Exception:  # noqa: BLE001 - a name bibtexparser cannot split is kept whole
            names.append({"literal": _latex(person)})
            continue
        name = {"given": _latex(" ".join(parts.first)), "non-dropping-particle": _latex(" ".join(parts.von)),
                "family": _latex(" ".join(parts.last)), "suffix": _latex(" ".join(parts.jr))}
        names.append({k: v for k, v in name.items() if v})
    return names


def read_bibtex(path: Path, text: str) -> Converted:
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    library = parse_string(text)
    found: list[Item] = []
    problems: list[Problem] = []
    for block in library.blocks:
        line = block.start_line + 1 if block.start_line is not None else None
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(error(path, line, f"reference key {quote(block.key)} is used twice: make the keys "
                                  "unique"))
        elif isinstance(block, ParsingFailedBlock):
            raw = (block.raw or "").strip()
            head = quote(raw.splitlines()[0] if raw else "", 60)
            problems.append(error(path, line, f"malformed BibTeX entry {head}: check its braces, quotes and the "
                                  "commas between fields; export it again"))
        elif isinstance(block, Entry):
            found.append((block.key, line, bibtex_item(block.entry_type, {
                f.key.lower(): f.value for f in block.fields if isinstance(f.value, str)})))
    return found, problems


def bibtex_item(entry_type: str, fields: dict[str, str]) -> dict[str, Any]:
    entry_type = entry_type.lower()
    csl_type = BIBTEX_TYPES.get(entry_type, "document")
    if entry_type == "misc" and fields.get("url"):
        csl_type = "webpage"
    csl: dict[str, Any] = {"type": csl_type}
    raw_fields = {"url", "doi"}  # addresses are not LaTeX: '%' and '_' stay as written
    for name, value in fields.items():
        if name in BIBTEX_FIELDS and value.strip():
            csl[BIBTEX_FIELDS[name]] = value.strip() if name in raw_fields else _latex(value)
    if "number" in fields:
        csl["number" if csl_type == "report" else "issue"] = _latex(fields["number"])
    if "booktitle" in fields:
        csl["container-title"] = _latex(fields["booktitle"])
    for name in ("institution", "school", "organization"):
        if name in fields and "publisher" not in csl:
            csl["publisher"] = _latex(fields[name])
    if fields.get("eprinttype", "").lower() == "pubmed" and fields.get("eprint") and "PMID" not in csl:
        csl["PMID"] = fields["eprint"].strip()
    for role in ("author", "editor"):
        if fields.get(role, "").strip():
            csl[role] = bibtex_names(fields[role])
    if "page" in csl:
        csl["page"] = re.sub(r"\s*[-\u2013\u2014]+\s*", "-", csl["page"])
    issued = date_from_text(fields["date"]) if fields.get("date") else None
    if issued is None and fields.get("year"):
        issued = date_from_text(_latex(fields["year"]))
        month = month_number(_latex(fields.get("month", "")))
        if issued is not None and month is not None:
            issued["date-parts"][0] = issued["date-parts"][0][:1] + [month]
            day = fields.get("day", "").strip()
            if day.isdigit() and 1 <= int(day) <= 31:
                issued["date-parts"][0].append(int(day))
    if issued is not None:
        csl["issued"] = issued
    if fields.get("urldate"):
        accessed = date_from_text(fields["urldate"])
        if accessed is not None:
            csl["accessed"] = accessed
    return csl


# --- RIS -----------------------------------------------------------------------------

RIS_TYPES = {
    "JOUR": "article-journal", "JFULL": "article-journal", "EJOUR": "article-journal", "MGZN": "article-magazine",
    "NEWS": "article-newspaper", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CHAP": "chapter",
    "ECHAP": "chapter", "ELEC": "webpage", "WEB": "webpage", "BLOG": "webpage", "RPRT": "report",
    "GOVDOC": "report", "THES": "thesis", "CONF": "paper-conference", "CPAPER": "paper-conference",
}
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def read_ris(path: Path, text: str) -> Converted:
    """Each record from its 'TY  -' line to its 'ER  -' line, given to rispy on its own, so lines are known."""
    import rispy

    found: list[Item] = []
    problems: list[Problem] = []
    record: list[str] = []
    start = 0
    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        tag = _RIS_TAG.match(line)
        if tag and tag.group(1) == "TY":
            if record:
                problems.append(error(path, start, "RIS record has no end: add an 'ER  - ' line before the next "
                                      "'TY  - ' line"))
            record, start = [line], number
        elif not record:
            if line.strip():
                problems.append(error(path, number, f"not RIS: {quote(line, 60)} is outside a record (records "
                                      "start with 'TY  - ' and end with 'ER  - '); export the references again"))
                break
        else:
            record.append(line)
            if tag and tag.group(1) == "ER":
                try:
                    entries = rispy.loads("\n".join(record) + "\n")
                except Exception as exc:  # noqa: BLE001 - rispy's own errors, reported with the record's line
                    problems.append(error(path, start, f"malformed RIS record: {quote(exc, 100)}"))
                else:
                    for entry in entries:
                        key = str(entry.get("id") or "").strip() or None
                        found.append((key, start, ris_item(entry)))
                record = []
    if record:
        problems.append(error(path, start, "RIS record has no end: add an 'ER  - ' line after its last field"))
    if not found and not problems and text.strip():
        problems.append(error(path, 1, "no RIS records found: each starts with 'TY  - ' and ends with 'ER  - '"))
    return found, problems


def _first(entry: dict[str, Any], *names: str) -> str:
    for name in names:
        value = entry.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value and str(value).strip():
            return str(value).strip()
    return ""


def ris_item(entry: dict[str, Any]) -> dict[str, Any]:
    csl_type = RIS_TYPES.get(str(entry.get("type_of_reference", "")).upper(), "document")
    csl: dict[str, Any] = {"type": csl_type}
    authors = [a for name in ("authors", "first_authors") for a in entry.get(name) or []]
    if authors:
        csl["author"] = [name_from_text(str(a)) for a in authors]
    editors = entry.get("secondary_authors") or entry.get("editor") or []
    if editors and csl_type in ("chapter", "book", "paper-conference"):
        csl["editor"] = [name_from_text(str(a)) for a in editors]
    title = _first(entry, "title", "primary_title")
    if title:
        csl["title"] = title
    container = _first(entry, "secondary_title", "journal_name", "alternate_title3", "alternate_title1")
    if container:
        csl["container-title"] = container
    short = _first(entry, "alternate_title1", "alternate_title2")
    if short and csl_type == "article-journal":
        csl["container-title-short"] = short
    for source, target in (("volume", "volume"), ("number", "issue"), ("doi", "DOI"), ("edition", "edition"),
                           ("publisher", "publisher"), ("place_published", "publisher-place"),
                           ("language", "language")):
        value = _first(entry, source)
        if value:
            csl[target] = value
    start, end = _first(entry, "start_page"), _first(entry, "end_page")
    if start:
        csl["page"] = f"{start}-{end}" if end else start
    url = _first(entry, "urls", "url")
    if url:
        csl["URL"] = url
    date = date_from_text(_first(entry, "year", "publication_year", "date"))
    if date is not None:
        full = date_from_text(_first(entry, "date", "publication_year"))
        csl["issued"] = full if full is not None and full["date-parts"][0][0] == date["date-parts"][0][0] \
            and len(full["date-parts"][0]) > 1 else date
    accessed = date_from_text(_first(entry, "access_date"))
    if accessed is not None:
        csl["accessed"] = accessed
    # A record from PubMed (DB - PubMed, or DP - NLM) has its PMID as the accession number.
    accession = _first(entry, "accession_number")
    source = f"{_first(entry, 'name_of_database')} {_first(entry, 'database_provider')}".lower()
    if re.fullmatch(r"\d{1,9}", accession) and ("pubmed" in source or "nlm" in source):
        csl["PMID"] = accession
    return csl


# --- MEDLINE (PubMed's .nbib) ----------------------------------------------------------

_MEDLINE_TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- (.*)$")


def read_medline(path: Path, text: str) -> Converted:
    """PubMed's MEDLINE format: 'TAG - value' lines (tags padded to four), continued by indented lines,
    one record per PMID, records apart by a blank line."""
    found: list[Item] = []
    problems: list[Problem] = []
    records: list[tuple[int, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            current = None
            continue
        tag = _MEDLINE_TAG.match(line)
        if tag:
            if current is None:
                current = []
                records.append((number, current))
            current.append((tag.group(1), tag.group(2).strip()))
        elif raw.startswith(" ") and current:
            name, value = current[-1]
            current[-1] = (name, f"{value} {line.strip()}")
        else:
            problems.append(error(path, number, f"not MEDLINE: {quote(line, 60)} is not a 'TAG - value' line; "
                                  "save the citations from PubMed again in PubMed (MEDLINE) format"))
            return found, problems
    for start, fields in records:
        item = medline_item(fields)
        pmid = item.get("PMID")
        found.append((f"pmid{pmid}" if pmid else None, start, item))
    if not records and text.strip():
        problems.append(error(path, 1, "no MEDLINE records found: each starts with a 'PMID- ' line"))
    return found, problems


def medline_item(fields: list[tuple[str, str]]) -> dict[str, Any]:
    values: dict[str, list[str]] = {}
    for name, value in fields:
        values.setdefault(name, []).append(value)

    def one(name: str) -> str:
        return values.get(name, [""])[0]

    types = [t.lower() for t in values.get("PT", [])]
    csl_type = "article-journal"
    if values.get("BTI"):
        csl_type = "chapter" if values.get("TI") else "book"
    elif any(t in ("book", "books") for t in types):
        csl_type = "book"
    csl: dict[str, Any] = {"type": csl_type}
    title = one("TI") or one("BTI")
    if title:
        csl["title"] = title
    if csl_type == "chapter":
        csl["container-title"] = one("BTI")
    authors = [name_from_text(n) for n in values.get("FAU", [])] or [
        _medline_short_name(n) for n in values.get("AU", [])]
    authors += [{"literal": n} for n in values.get("CN", [])]
    if authors:
        csl["author"] = authors
    editors = [name_from_text(n) for n in values.get("FED", [])] or [
        _medline_short_name(n) for n in values.get("ED", [])]
    if editors:
        csl["editor"] = editors
    for tag, target in (("JT", "container-title"), ("TA", "container-title-short"), ("VI", "volume"),
                        ("IP", "issue"), ("PG", "page"), ("PB", "publisher"), ("PL", "publisher-place"),
                        ("EN", "edition"), ("PMID", "PMID"), ("PMC", "PMCID")):
        # For an article, PL is the journal's country, not a publisher's place.
        if one(tag) and (csl_type == "article-journal" or tag not in ("JT", "PL")):
            csl[target] = one(tag)
    for identifier in values.get("AID", []) + values.get("LID", []):
        doi = re.fullmatch(r"(\S+)\s*\[doi\]", identifier)
        if doi:
            csl["DOI"] = doi.group(1)
            break
    date = date_from_text(one("DP"))
    if date is not None:
        csl["issued"] = date
    return csl


def _medline_short_name(name: str) -> dict[str, str]:
    """'Smith AB' (MEDLINE's AU): family name, then initials."""
    family, _, initials = name.rpartition(" ")
    if not family or not initials.isupper():
        return {"literal": name}
    return {"family": family, "given": " ".join(initials)}
