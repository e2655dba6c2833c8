"""Certificates of attendance for a topic's CPD session: one PDF per attendee.

* The roster is a CSV file or an Excel workbook (``.xlsx``, its first sheet)
  with a header row: a ``name`` column (or ``full_name``, ``nombre``) and
  optionally ``email``. A CSV file is comma-, semicolon- or tab-separated
  (told from its header row) and UTF-8, with or without a BOM, or else
  Windows-1252; how it was read is a note unless it is plain comma-separated
  UTF-8. It is read strictly (see :func:`_csv_records`). A bad row is
  reported with its physical line (a workbook's row number) and skipped;
  every other row still gets its certificate. A row for an attendee already
  listed (the same email, or the same name with the same or no email) is a
  warning naming both lines, and gets no second certificate. At most 50
  problems are reported, then how many more there are.
* The activity comes from the topic's ``cpd.yaml``; the provider is the clinic
  in ``leafpress.yaml``.
* Each certificate has a number that anyone with the roster can recompute:
  ``LP-<first session date>-<8 base32 characters of a SHA-256>`` of the
  topic, that date and the row's identity (see :func:`certificate_number`).
  ``register.csv`` beside the PDFs lists number, name, email and file, every
  cell escaped against spreadsheet formulas.

Each certificate is typeset as a document of its own, through the pipeline's
typeset and verify stages with the certificate layout of the registry. The
layout's stylesheets and fonts are parsed once and shared by every render
(:func:`leafpress.typeset.engine.parsed_styles`), so a certificate costs about 45 ms.
Each PDF is written as soon as it is made, and ``certificates.pdf`` is appended
to 50 certificates at a time (:class:`_Combined`), so memory stays flat with the
roster. What every certificate of the activity shows is computed once
(:func:`activity_context`).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime
import hashlib
import io
import os
import re
import secrets
import time
import unicodedata
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import jinja2
import pikepdf
from babel.lists import format_list
from babel.numbers import format_decimal

from ..cite.references import load_references
from ..errors import LeafpressError, Level, Problem, error, has_errors, limit_problems, quote, warning
from ..finish.files import write_atomic
from ..finish.profiles import DEFAULT_PROFILE, PROFILES
from ..layouts.builtin.certificate import LAYOUT
from ..layouts.builtin.cpd import CPD, CPD_DATA
from ..pipeline import ARTICLE_NAME, preflight, typeset_html, verify
from ..project.config import Project
from ..render.html import template_problem
from ..render.i18n import long_date, strings
from ..render.jinja import make_environment
from ..source import glyphs
from ..source.data import data_problems, load_data_file
from ..source.document import load_source
from ..source.safefile import NOT_REGULAR, FileRefused, FileTooLarge, read_bytes

TEMPLATE = LAYOUT.template
REGISTER_NAME = "register.csv"
COMBINED_NAME = "certificates.pdf"
BATCH = 50  # certificates joined into a part of certificates.pdf at a time

NAME_COLUMNS = ("name", "full_name", "nombre")
EMAIL_COLUMNS = ("email", "e_mail", "correo")
MAX_NAME_CHARS = 200
MAX_STEM_BYTES = 100  # of a file name before ".pdf", in UTF-8
MAX_ROSTER_BYTES = 10 * 1024 * 1024
# CSV rules no real roster trips by accident, so that a stray double quote cannot quietly merge rows:
# a field runs over at most two lines (a name typed over two lines in a spreadsheet cell), and
# one that does has no comma; no field is longer than a name or an email could ever be.
MAX_RECORD_LINES = 2
MAX_FIELD_CHARS = 1000
# The separators a spreadsheet writes: comma; semicolon where the decimal mark is a comma (Spanish Excel); tab.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
# A workbook is a zip of XML: what it may hold once unpacked, so that a zip bomb is refused before it is read.
MAX_XLSX_UNPACKED = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_ROWS = 100_000
MAX_XLSX_COLUMNS = 50

# Plain, untagged PDF whatever the project's output profile: a certificate
# is a single page of a name and facts, printed or filed, not read as a document.
UNTAGGED = replace(PROFILES[DEFAULT_PROFILE], name="certificate", description="untagged one-page PDF",
                   pdf_variant=None, needs_structure=False)

# Invisible characters that would make a name print differently from how it
# reads in the roster: bidi embeddings, overrides and isolates, and the BOM.
_INVISIBLE = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF])

_WINDOWS_RESERVED = frozenset(["CON", "PRN", "AUX", "NUL",
                               *(f"{port}{n}" for port in ("COM", "LPT") for n in "123456789¹²³")])
# Punctuation that names use and every file system accepts; letters, marks
# and digits of any script are kept too. Everything else becomes a space.
_NAME_PUNCTUATION = frozenset(" '’.,()&+_·")


@dataclass(frozen=True)
class RosterRow:
    """A valid roster row; ``line`` is the CSV file's physical line."""

    line: int
    name: str
    email: str


@dataclass(frozen=True)
class Attendee:
    line: int
    name: str
    email: str
    number: str


@dataclass(frozen=True)
class Activity:
    """What every certificate of one topic says, from cpd.yaml and the article."""

    topic: str
    folder: Path
    title: str
    language: str
    cpd: CPD

    @property
    def first_date(self) -> datetime.date:
        return min(self.cpd.session.dates)

    @property
    def issued(self) -> datetime.date:
        """The date of issue is the last session date: never the clock, so builds are reproducible."""
        return max(self.cpd.session.dates)


@dataclass(frozen=True)
class Certificate:
    attendee: Attendee
    path: Path


@dataclass(frozen=True)
class CertificatesResult:
    out_dir: Path
    certificates: tuple[Certificate, ...]
    failed: int
    problems: tuple[Problem, ...]
    register: Path | None
    combined: Path | None
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failed and not has_errors(self.problems)


# --- The roster ---------------------------------------------------------------

def clean_name(raw: str) -> str:
    """A name as printed: NFC, control and bidi-control characters dropped, spaces collapsed."""
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    keys = [re.sub(r"[\s-]+", "_", h.strip().casefold()) for h in header]
    return next((keys.index(n) for n in names if n in keys), None)


def read_roster(path: Path) -> tuple[list[RosterRow], list[Problem]]:
    """The valid rows of a roster and a problem for each bad one (and a note of how a CSV file was read).

    Raises :class:`LeafpressError` when nothing can be read: a missing file, a CSV file in neither UTF-8
    nor Windows-1252, a workbook that cannot be opened, no header row, no name column, or no attendees.
    """
    try:
        data = read_bytes(path, MAX_ROSTER_BYTES)  # a regular file: a pipe would never end
    except FileTooLarge:
        raise LeafpressError([error(path, None, f"is larger than {MAX_ROSTER_BYTES // 2**20} MiB: "
                                    "is this really a list of attendees?")]) from None
    except FileRefused as exc:
        fix = ": save the list of attendees as a CSV file" if exc.reason == NOT_REGULAR else ""
        raise LeafpressError([error(path, None, exc.reason + fix)]) from None
    except FileNotFoundError:
        raise LeafpressError([error(path, None, "file not found")]) from None
    except OSError as exc:
        raise LeafpressError([error(path, None, f"cannot be read: {exc.strerror or exc}")]) from None
    if data.startswith(b"PK\x03\x04") or path.suffix.casefold() == ".xlsx":
        return _drop_duplicates(path, *_parse_records(path, _xlsx_records(path, data), None))
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # Excel's "CSV UTF-8" starts with one
    try:
        text, encoding = data[bom:].decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8:
        try:  # what Excel's plain "CSV" saves on Windows in Western Europe and the Americas
            if bom:  # a file that says it is UTF-8 is not read as anything else
                raise UnicodeDecodeError("utf-8", data, bom + utf8.start, bom + utf8.end, "after a UTF-8 BOM")
            text, encoding = data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as exc:
            offset = exc.start
            raise LeafpressError([error(path, data.count(b"\n", 0, offset) + 1,
                                        f"is neither UTF-8 nor Windows-1252 text (byte 0x{data[offset]:02X} at offset "
                                        f"{offset}): save it as UTF-8 (in Excel: 'CSV UTF-8')")]) from None
    text = unicodedata.normalize("NFC", text)  # "e\u0301" becomes "é", as the fonts have it
    delimiter = sniff_delimiter(text)
    rows, problems = parse_roster(path, text, delimiter)
    if (delimiter, encoding) != (",", "UTF-8"):
        problems.insert(0, Problem(path, None, Level.NOTE, f"read as {DELIMITERS[delimiter]}-separated, {encoding}"))
    return rows, problems


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV roster, told from its header row (its first line with text).

    Of comma, semicolon and tab, the one that splits the header into a row with a name column;
    of those (or of all, when none has one), the one that splits it into the most fields; a tie goes to
    the earlier in that order, so a header of one column is comma-separated.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, best_key = ",", (False, 0)
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        key = (_column(fields, NAME_COLUMNS) is not None, len(fields))
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _cell_text(value: object) -> str:
    """A workbook cell as the roster reads it: text as written, a whole number without '.0', a date in ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _xlsx_records(path: Path, data: bytes) -> list[tuple[int, list[str] | Problem]]:
    """(row number, cells) of the first sheet of an .xlsx workbook, read as values (a formula's saved result).

    A workbook is refused, as one clear error, when it is not a zip of at most :data:`MAX_XLSX_MEMBERS`
    files that unpack to at most :data:`MAX_XLSX_UNPACKED` bytes, when openpyxl cannot read it, or
    when its first sheet has more than :data:`MAX_XLSX_ROWS` rows. Columns after
    :data:`MAX_XLSX_COLUMNS` are not read.
    """
    fix = "open it in Excel or LibreOffice and save it again as .xlsx, or save the list of attendees as CSV"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise LeafpressError([error(path, None, f"is not an .xlsx workbook (not a zip file): {fix}")]) from None
    if len(members) > MAX_XLSX_MEMBERS or sum(m.file_size for m in members) > MAX_XLSX_UNPACKED:
        raise LeafpressError([error(path, None, f"unpacks to more than {MAX_XLSX_UNPACKED // 2**20} MiB or "
                                    f"{MAX_XLSX_MEMBERS} files: is this really a list of attendees?")])
    import openpyxl  # only for a workbook

    records: list[tuple[int, list[str] | Problem]] = []
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(max_col=MAX_XLSX_COLUMNS, values_only=True), start=1):
                if number > MAX_XLSX_ROWS:
                    raise LeafpressError([error(path, None, f"the first sheet has more than {MAX_XLSX_ROWS} rows: "
                                                "is this really a list of attendees?")])
                cells = [_cell_text(value) for value in row]
                while cells and not cells[-1].strip():
                    cells.pop()  # the empty cells a sheet's used range carries to the right
                records.append((number, cells))
        finally:
            workbook.close()
    except LeafpressError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed workbook can fail anywhere in zip, XML or openpyxl
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise LeafpressError([error(path, None, f"cannot be read as an .xlsx workbook ({reason}): {fix}")]) from None
    return records


class _OpenQuote(Exception):
    """A record asked for more physical lines than a field may run over."""


class _Lines:
    """Feeds :func:`csv.reader` the file's physical lines from ``at``; refuses a record more than
    :data:`MAX_RECORD_LINES` lines long, so a stray quote never swallows the rest of the file."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.at = 0  # the next line to read (0-based)
        self.record_start = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.at >= len(self.lines):
            raise StopIteration
        if self.at - self.record_start >= MAX_RECORD_LINES:
            raise _OpenQuote
        self.at += 1
        return self.lines[self.at - 1]


def _stray_quote(record: list[str], raw: str) -> bool:
    """Whether a field has a double quote the file does not write quoted and doubled, as every
    spreadsheet does: what is left of a quote opened on the line before, or a stray one."""
    return any('"' in field and '"' + field.replace('"', '""') + '"' not in raw for field in record)


def _csv_records(path: Path, text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str] | Problem]]:
    """(physical line, fields) of each CSV record, or (line, problem) for one that cannot be read.

    Strict CSV: a field runs over at most :data:`MAX_RECORD_LINES` lines, and one that runs over
    more than one has no ``delimiter``; a quote left open is reported at the line that opens it, and reading
    goes on from the next line, so the rows it would have swallowed still count. A double quote
    inside a field is written doubled in a quoted field. At most :data:`MAX_FIELD_CHARS` characters
    a field; no NUL character.
    """
    lines = _Lines(io.StringIO(text, newline="").readlines())
    reader = csv.reader(lines, strict=True, delimiter=delimiter)
    open_quote = ('a double quote (") opens a field on this line and is not closed on it (a name may go on to '
                  f"the next line, without a {DELIMITERS[delimiter]}): add the closing quote, or delete the stray one")
    while True:
        start = lines.record_start = lines.at
        line = start + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except _OpenQuote:
            record = [open_quote]
        except csv.Error as exc:
            if lines.at > line or "unexpected end of data" in str(exc):  # a quote opened here runs on
                message = open_quote
            elif "field larger than field limit" in str(exc):
                message = (f"a field is longer than {MAX_FIELD_CHARS} characters: a name has at most "
                           f"{MAX_NAME_CHARS}; check the row, or that a double quote is not left open")
            elif "expected after" in str(exc):
                message = ('text follows the double quote (") that closes a field: put the whole field in '
                           'double quotes, and write a quote inside it as two ("")')
            else:  # pragma: no cover - the csv module has no other errors in strict mode
                message = f"cannot read this line as CSV: {exc}"
            record = [message]
        else:
            if any(delimiter in field and ("\n" in field or "\r" in field) for field in record):
                record = [open_quote]  # "Ana,ana@example.org<newline>Bob",bob@example.org
            elif _stray_quote(record, "".join(lines.lines[start:lines.at])):
                record = ['a double quote (") inside a field that does not start with one: put the whole field '
                          'in double quotes, and write the quote as two (""), or delete it']
            elif any("\x00" in field for field in record):
                yield line, error(path, line, "this line has a NUL character (\\x00): save the roster again "
                                  "as CSV UTF-8")
                continue
            else:
                yield line, record
                continue
        yield line, error(path, line, record[0])
        lines.at = line  # go on from the line after the one that opened the record


def parse_roster(path: Path, text: str, delimiter: str = ",") -> tuple[list[RosterRow], list[Problem]]:
    """The valid rows of a roster's text, a problem (one) for each bad row and a warning for each
    duplicate; see :func:`read_roster`."""
    limit = csv.field_size_limit(MAX_FIELD_CHARS)  # the module's global setting: restored below
    try:
        records = list(_csv_records(path, text, delimiter))
    finally:
        csv.field_size_limit(limit)
    return _drop_duplicates(path, *_parse_records(path, records, delimiter))


def _drop_duplicates(path: Path, rows: list[RosterRow], problems: list[Problem]
                     ) -> tuple[list[RosterRow], list[Problem]]:
    """The rows without those for an attendee listed before, and a warning for each of them.

    The same attendee: the same email (ignoring case), or the same name (ignoring case; spaces are
    already tidied) when the emails are the same or either is empty. Accents count: "Jose" and "José"
    may be two people. Two rows with the same name and different emails are two people.
    """
    by_email: dict[str, RosterRow] = {}
    by_name: dict[str, list[RosterRow]] = {}
    kept: list[RosterRow] = []
    for row in rows:
        email = row.email.casefold()
        first = by_email.get(email) if email else None
        why = "the same email"
        if first is None:
            why = "the same name"
            first = next((r for r in by_name.get(row.name.casefold(), [])
                          if not email or not r.email or r.email.casefold() == email), None)
        if first is not None:
            problems.append(warning(path, row.line, f"{why} as line {first.line} ({quote(first.name)}): "
                                    f"one certificate is made, for line {first.line}; delete this row"))
            continue
        kept.append(row)
        if email:
            by_email[email] = row
        by_name.setdefault(row.name.casefold(), []).append(row)
    return kept, problems


def _parse_records(path: Path, records: list[tuple[int, list[str] | Problem]], delimiter: str | None
                   ) -> tuple[list[RosterRow], list[Problem]]:
    """The rows of a roster's records (a CSV file's, or with ``delimiter`` None a workbook's)."""
    problems: list[Problem] = []
    rows: list[RosterRow] = []
    header: list[str] | None = None
    name_at = 0  # set from the header row, which comes first
    email_at: int | None = None
    bad_rows = 0
    for line, record in records:
        if isinstance(record, Problem):
            if header is None:  # nothing below can be read without the header row
                raise LeafpressError([record])
            problems.append(record)
            bad_rows += 1
            continue
        if not any(field.strip() for field in record):
            continue  # blank lines, and the ",,," rows spreadsheets leave at the end
        if header is None:
            header = record
            named_at, email_at = _column(header, NAME_COLUMNS), _column(header, EMAIL_COLUMNS)
            if named_at is None:
                found = ", ".join(quote(h.strip()) for h in header)
                raise LeafpressError([error(path, line, f"the header row has no 'name' column (it has {found}): "
                                            "call the column of attendees' full names 'name'")])
            name_at = named_at
            continue
        if delimiter is None and len(record) < len(header):
            record += [""] * (len(header) - len(record))  # a sheet's empty cells at the right are not kept
        if len(record) != len(header):
            fix = (f"put a name that contains a {DELIMITERS[delimiter]} in double quotes" if delimiter else
                   "give each column a header, or delete the cells to the right of the table")
            problems.append(error(path, line, f"this row has {len(record)} fields but the header has "
                                  f"{len(header)}: {fix}"))
            bad_rows += 1
            continue
        name = clean_name(record[name_at])
        if not name:
            problems.append(error(path, line, f"empty name: write the attendee's full name in the "
                                  f"{quote(header[name_at].strip())} column, or delete the row"))
            bad_rows += 1
            continue
        if len(name) > MAX_NAME_CHARS:
            problems.append(error(path, line, f"the name is {len(name)} characters long; a certificate shows "
                                  f"at most {MAX_NAME_CHARS}: shorten it"))
            bad_rows += 1
            continue
        email = record[email_at].strip() if email_at is not None else ""
        rows.append(RosterRow(line, name, email))
    if header is None:
        raise LeafpressError([error(path, None, "the roster is empty: it needs a header row with a 'name' "
                                    "column, then one row per attendee")])
    if not rows and not bad_rows:
        raise LeafpressError([error(path, None, "the roster has a header row but no attendees: "
                                    "add one row per attendee")])
    return rows, problems


# --- Certificate numbers ------------------------------------------------------

def certificate_number(topic: str, first_date: datetime.date, name: str, email: str, occurrence: int) -> str:
    """``LP-YYYYMMDD-XXXXXXXX``: the first session date and 8 base32 characters of a SHA-256.

    The hash covers, one per line: ``leafpress-certificate-1``, the topic
    folder name, the first session date (ISO), the name and the email (both
    casefolded; the email may be empty) and the occurrence: 1 for the first
    row with that name and email, 2 for the second, and so on, so two
    attendees called "María García" get different numbers. Reordering rows
    never changes a number, except between rows of the same identity.
    """
    identity = "\n".join(["leafpress-certificate-1", topic, first_date.isoformat(),
                          name.casefold(), email.casefold(), str(occurrence)])
    digest = base64.b32encode(hashlib.sha256(identity.encode("utf-8")).digest()).decode("ascii")
    return f"LP-{first_date:%Y%m%d}-{digest[:8]}"


def number_rows(rows: list[RosterRow], topic: str, first_date: datetime.date) -> list[Attendee]:
    seen: dict[tuple[str, str], int] = {}
    attendees = []
    for row in rows:
        key = (row.name.casefold(), row.email.casefold())
        seen[key] = seen.get(key, 0) + 1
        number = certificate_number(topic, first_date, row.name, row.email, seen[key])
        attendees.append(Attendee(row.line, row.name, row.email, number))
    return attendees


# --- File names ---------------------------------------------------------------

def _truncate_utf8(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, never parting a letter from its accents; at a space if one is near."""
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    while cut and unicodedata.category(text[len(cut)])[0] == "M":
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) - 20:
        cut = cut[:space]
    return cut.rstrip(" .")


def file_stem(name: str) -> str:
    """A file name (without ".pdf") that reads like the name and is safe everywhere.

    Letters keep their accents (NFC). Path separators, control characters,
    characters Windows forbids (<>:"/\\|?*), emoji and other symbols become
    spaces; no leading or trailing dots or spaces; Windows' reserved device
    names get a "_"; at most 100 bytes. May return "" (a name of only emoji).
    """
    kept = "".join(ch if unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pd"
                   or ch in _NAME_PUNCTUATION else " " for ch in unicodedata.normalize("NFC", name))
    stem = _truncate_utf8(" ".join(kept.split()).strip(" ."), MAX_STEM_BYTES)
    base, dot, rest = stem.partition(".")
    if base.rstrip().upper() in _WINDOWS_RESERVED:  # CON, con.txt, LPT1 ...
        stem = _truncate_utf8(f"{base.rstrip()}_{dot}{rest}", MAX_STEM_BYTES)
    return stem


def file_names(attendees: list[Attendee]) -> list[str]:
    """One distinct file name per attendee; distinct even where case does not count (macOS, Windows)."""
    taken = {Path(COMBINED_NAME).stem.casefold()}
    names = []
    for attendee in attendees:
        stem = file_stem(attendee.name) or attendee.number
        candidate, count = stem, 1
        while candidate.casefold() in taken:
            count += 1
            suffix = f" ({count})"
            candidate = _truncate_utf8(stem, MAX_STEM_BYTES - len(suffix)) + suffix
        taken.add(candidate.casefold())
        names.append(candidate + ".pdf")
    return names


def _csv_cell(value: str) -> str:
    """Keep a spreadsheet from running a cell such as '=HYPERLINK(...)' as a formula (OWASP's CSV injection
    advice): a leading =, +, -, @, tab or carriage return gets a leading apostrophe. Every cell of the
    register goes through here, file names too ('+34 600.pdf', '-Ana.pdf' are possible)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def register_csv(certificates: list[Certificate]) -> bytes:
    """number, name, email, file: with a BOM so that Excel reads it as UTF-8; every cell escaped (:func:`_csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["number", "name", "email", "file"])
    for cert in certificates:
        a = cert.attendee
        writer.writerow([_csv_cell(cell) for cell in (a.number, a.name, a.email, cert.path.name)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- The activity and the HTML ------------------------------------------------

def load_activity(topic: Path) -> Activity:
    """The topic's article title and language, and its validated cpd.yaml; raise with every problem."""
    folder = topic.parent if topic.suffix == ".md" else topic
    article = folder / ARTICLE_NAME
    if not folder.is_dir():
        raise LeafpressError([error(topic, None, "no such file or folder")])
    if not article.is_file():
        raise LeafpressError([error(topic, None, f"no topic here: a topic is a folder with an {ARTICLE_NAME}")])
    source, problems = load_source(article)
    problems = [p for p in problems if p.is_error]  # the article's warnings are the build's business
    cpd, more = load_data_file(folder / CPD_DATA.file, CPD_DATA.schema)
    problems += more
    if source is not None and cpd is not None:
        known: set[str] = set()
        for name in source.meta.reference_files():
            references = (folder / name).resolve()
            if references.is_relative_to(folder.resolve()):
                library, more = load_references(references)
                problems += [p for p in more if p.is_error]
                known |= set(library.references)
        problems += data_problems(cpd, frozenset(known))
    if source is None or cpd is None or has_errors(problems):
        raise LeafpressError(problems)
    model: CPD = cpd.model
    return Activity(folder.resolve().name, folder.resolve(), model.title or source.meta.title,
                    source.meta.language, model)


def _direction(name: str) -> str:
    """'rtl' when the first strong character is right-to-left (Arabic, Hebrew), as dir="auto" does."""
    for ch in name:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _size(name: str) -> str:
    length = len(name)
    return "l" if length <= 40 else "m" if length <= 80 else "s" if length <= 140 else "xs"


def activity_context(project: Project, activity: Activity) -> dict[str, Any]:
    """What every certificate of the activity shows: computed once for the whole roster."""
    cpd = activity.cpd
    t = strings(activity.language)
    locale = project.locale_for(activity.language)
    dates = sorted(set(cpd.session.dates))
    hours = format_decimal(cpd.hours, locale=locale)
    credit_count = cpd.accreditation.credits
    return {
        "language": activity.language,
        "t": t,
        "clinic": project.config.clinic,
        "colours": project.config.colours,
        "logo_url": project.logo_path.as_uri() if project.logo_path else None,
        "title": activity.title,
        "dates_count": len(dates),
        "dates_long": format_list([long_date(d, locale) for d in dates], locale=locale),
        "place": cpd.session.place,
        "hours_text": t["cert_hour" if cpd.hours == 1 else "cert_hours"].format(hours=hours),
        "accreditation": cpd.accreditation,
        # Shown only when accredited; CPD.cross_checks makes sure credits and body are there then.
        "credits_text": t["credits_value"].format(credits=format_decimal(credit_count, locale=locale),
                                                  body=cpd.accreditation.body) if credit_count is not None else "",
        "signatory": cpd.signatory,
        "issued": activity.issued,
        "issued_long": long_date(activity.issued, locale),
    }


def certificate_html(env: jinja2.Environment, context: dict[str, Any], attendee: Attendee) -> str:
    """One attendee's certificate, a page, from the activity's :func:`activity_context`."""
    person = {"name": attendee.name, "number": attendee.number, "direction": _direction(attendee.name),
              "size": _size(attendee.name)}
    pdf_title = f"{context['t']['cert_pdf_title']} — {attendee.name}"
    return env.get_template(TEMPLATE).render({**context, "pdf_title": pdf_title, "person": person})


# --- The whole run ------------------------------------------------------------

def _missing_character(message: str) -> str | None:
    """The character a WeasyPrint '.notdef glyph rendered' warning names, if it is one."""
    match = re.search(r"\.notdef glyph.*\(U\+([0-9A-Fa-f]{4,6})\)", message)
    return chr(int(match.group(1), 16)) if match else None


def _saved(document: pikepdf.Pdf, version: str) -> bytes:
    """Viewers show the document's title; the file ID comes from the content, so rebuilds are identical."""
    document.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    buffer = io.BytesIO()
    document.save(buffer, deterministic_id=True, min_version=version,
                  object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _finished(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return _saved(document, document.pdf_version)


def _join(sources: list[bytes], title: str) -> bytes:
    """The pages of ``sources`` in one PDF, with the first one's document information and ``title``
    as its title, its language, and the viewer preferences of a certificate; no object streams, so
    that :class:`_Combined` can copy its objects one by one."""
    with contextlib.ExitStack() as stack:
        documents = [stack.enter_context(pikepdf.open(io.BytesIO(data))) for data in sources]
        out = stack.enter_context(pikepdf.new())
        for document in documents:
            out.pages.extend(document.pages)
        first = documents[0]
        info = pikepdf.Dictionary(dict(first.docinfo.items()))
        info.Title = pikepdf.String(title)
        out.trailer.Info = out.make_indirect(info)
        if "/Lang" in first.Root:
            out.Root.Lang = first.Root.Lang
        out.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, min_version=first.pdf_version,
                 object_stream_mode=pikepdf.ObjectStreamMode.disable)
        return buffer.getvalue()


# An indirect reference "12 0 R" in an object as pikepdf writes it; literal strings are matched
# whole (pikepdf escapes the parentheses in them), so that a name such as "Ana 1 0 R" is never touched.
_REFERENCE = re.compile(rb"\((?:[^\\()]|\\.)*\)|(?<![\w.#+-])(\d+) (\d+) R(?!\w)", re.S)
_PAGES, _CATALOG, _INFO = 1, 2, 3  # the object numbers of certificates.pdf's own objects, written last


def _serialized(value: object) -> bytes:
    """A PDF object's value as PDF syntax; its indirect references as written, "12 0 R"."""
    if isinstance(value, pikepdf.Object):
        return bytes(value.unparse(resolved=True))
    return bytes(pikepdf.Array([value]).unparse()).strip()[1:-1].strip()  # an indirect number or name


class _Combined:
    """certificates.pdf, appended to as the certificates are made, in memory that does not grow with the roster.

    Every :data:`BATCH` certificates are joined by pikepdf and verified, then their objects are
    copied into the file one by one, numbered after the batches before. What is kept of a batch
    is the position of each of its objects in the file and the number of each page (8 bytes
    each, for the cross-reference table and the page tree, written at the end). The file is
    written beside the certificates as ``.certificates.pdf.*.part`` and renamed when it is complete;
    deleted if the run fails (if it is killed, the next ``leafpress build`` deletes it from output/).
    """

    def __init__(self, project: Project, path: Path, title: str):
        self.project = project
        self.path = path
        self.title = title
        self.batch: list[bytes] = []
        self.problems: list[Problem] = []
        self.pages = 0
        self.temp: Path | None = None
        self.stream: BinaryIO | None = None
        self.offsets = array("Q", [0, 0, 0])  # of objects 1, 2, 3...
        self.kids = array("Q")  # the object number of each page
        self.written = 0
        self.digest = hashlib.sha256()
        self.catalog = b""  # /Lang and /ViewerPreferences, from the first batch
        self.info = b""

    def add(self, pdf: bytes) -> None:
        if self.problems:
            return  # a batch failed its check: there will be no certificates.pdf
        self.batch.append(pdf)
        self.pages += 1
        if len(self.batch) == BATCH:
            self._flush()

    def _write(self, data: bytes) -> None:
        assert self.stream is not None
        self.stream.write(data)
        self.digest.update(data)
        self.written += len(data)

    def _flush(self) -> None:
        if not self.batch or self.problems:
            return
        data = _join(self.batch, self.title)
        self.batch = []
        if messages := verify(self.project, data, None):
            self.problems = [error(self.path, None, message) for message in messages]
            return
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if self.stream is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.part")
                self.stream = open(self.temp, "xb")  # noqa: SIM115 - closed by finish() or discard()
                self._write(f"%PDF-{pdf.pdf_version}\n%".encode() + bytes([0xE2, 0xE3, 0xCF, 0xD3]) + b"\n")
            own = {pdf.Root.objgen, pdf.Root.Pages.objgen, pdf.trailer.Info.objgen}
            numbers: dict[int, int] = {}  # the batch's object numbers, and the combined file's
            for number in range(1, int(pdf.trailer.Size)):  # pikepdf numbers them 1, 2, 3...
                if (number, 0) not in own:
                    numbers[number] = len(self.offsets) + 1 + len(numbers)

            def renumbered(text: bytes) -> bytes:
                def replace(match: re.Match[bytes]) -> bytes:
                    if match.group(1) is None:
                        return match.group(0)  # a string
                    new = numbers.get(int(match.group(1))) if match.group(2) == b"0" else None
                    return f"{new} 0 R".encode() if new else b"null"
                return _REFERENCE.sub(replace, text)

            if not self.catalog:
                lang = pdf.Root.get("/Lang")
                self.catalog = (b" /Lang " + _serialized(lang) if lang is not None else b"") + \
                    b" /ViewerPreferences << /DisplayDocTitle true >>"
                self.info = renumbered(_serialized(pdf.trailer.Info))
            pages = {page.obj.objgen for page in pdf.pages}
            self.kids.extend(numbers[page.obj.objgen[0]] for page in pdf.pages)
            for number, new in numbers.items():
                value = pdf.get_object((number, 0))
                self.offsets.append(self.written)
                self._write(f"{new} 0 obj\n".encode())
                if isinstance(value, pikepdf.Stream):
                    raw = value.read_raw_bytes()
                    value.stream_dict.Length = len(raw)
                    self._write(renumbered(_serialized(value.stream_dict)) + b"\nstream\n" + raw + b"\nendstream")
                elif (number, 0) in pages:
                    del value.Parent
                    self._write(b"<< /Parent 1 0 R " + renumbered(_serialized(value)).removeprefix(b"<<"))
                else:
                    self._write(renumbered(_serialized(value)))
                self._write(b"\nendobj\n")

    def finish(self) -> Path | None:
        """Write the page tree, catalogue and cross-references, and rename the file; None if a batch failed."""
        try:
            self._flush()
            if self.problems or self.stream is None or self.temp is None:
                return None
            for number, body in ((_PAGES, b"<< /Type /Pages /Count %d /Kids [" % len(self.kids)),
                                 (_CATALOG, b"<< /Type /Catalog /Pages 1 0 R" + self.catalog + b" >>"),
                                 (_INFO, self.info)):
                self.offsets[number - 1] = self.written
                self._write(b"%d 0 obj\n" % number + body)
                if number == _PAGES:
                    for start in range(0, len(self.kids), 1000):
                        self._write(b"".join(b" %d 0 R" % kid for kid in self.kids[start:start + 1000]))
                    self._write(b" ] >>")
                self._write(b"\nendobj\n")
            xref = self.written
            identifier = self.digest.hexdigest()[:32].upper().encode()  # from the content: rebuilds are identical
            self._write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1))
            for start in range(0, len(self.offsets), 1000):
                self._write(b"".join(b"%010d 00000 n \n" % offset for offset in self.offsets[start:start + 1000]))
            self._write(b"trailer\n<< /Size %d /Root 2 0 R /Info 3 0 R /ID [<%s><%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                        % (len(self.offsets) + 1, identifier, identifier, xref))
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
            with pikepdf.open(self.temp) as joined:
                if len(joined.pages) != self.pages:  # pragma: no cover - a check on the writer, not the input
                    self.problems.append(error(self.path, None, f"has {len(joined.pages)} pages instead of "
                                               f"{self.pages}: run again"))
                    return None
            os.replace(self.temp, self.path)
            self.temp = None
            return self.path
        finally:
            self.discard()

    def discard(self) -> None:
        if self.stream is not None:
            self.stream.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None
        self.batch = []


def _certificate(project: Project, env: jinja2.Environment, context: dict[str, Any], activity: Activity,
                 attendee: Attendee, roster: Path, covered: frozenset[int], first: bool,
                 problems: list[Problem]) -> bytes | None:
    """One attendee's finished, verified PDF; None, with the reasons added to ``problems``, if it failed.

    Raises :class:`LeafpressError` for what every certificate would have: a broken template, or a
    stylesheet problem shown by the first.
    """
    # A letter no bundled font has would be drawn in a system font: refused before typesetting.
    if absent := glyphs.missing(attendee.name, covered):
        message = glyphs.missing_message(absent, LAYOUT, "styles/fonts/fonts-world.css")
        problems.append(error(roster, attendee.line, f"no certificate for {quote(attendee.name)}: {message}"))
        return None
    try:
        html = certificate_html(env, context, attendee)
    except Exception as exc:  # noqa: BLE001 - any error in the template is reported with its file and line
        raise LeafpressError([template_problem(project, TEMPLATE, exc)]) from None
    result = typeset_html(project, LAYOUT, html, activity.folder, UNTAGGED)
    missing = [m for m in map(_missing_character, result.warnings) if m]
    others = [f"refused to load {reason}" for reason in result.refused]
    others += [f"WeasyPrint: {m}" for m in result.warnings if not _missing_character(m)]
    reasons: list[str] = []
    if others and first:
        # The first certificate shows what every one would: the template or a stylesheet. Stop here.
        raise LeafpressError(problems + [error(project.template(TEMPLATE), None, m) for m in others])
    data = None
    if missing:
        shown = ", ".join(dict.fromkeys(f"{quote(char)} (U+{ord(char):04X})" for char in missing))
        reasons.append(f"no bundled font (and no system font) can show {shown}: write the name in Latin "
                       "letters, or add a font that has these characters to styles/fonts/fonts-world.css")
    elif result.pages != 1:
        reasons.append(f"the certificate takes {result.pages} pages instead of one: "
                       "shorten the activity title or the place in cpd.yaml")
    else:
        data = _finished(result.pdf)
        reasons += others + verify(project, data, None)
    if reasons:
        problems += [error(roster, attendee.line, f"no certificate for {quote(attendee.name)}: {reason}")
                     for reason in reasons]
        return None
    return data


def make_certificates(project: Project, topic: Path, roster: Path, out_dir: Path | None = None,
                      combined: bool = False) -> CertificatesResult:
    """Make a certificate PDF per valid roster row, register.csv and, if asked, certificates.pdf.

    Raises :class:`LeafpressError` when nothing can be made (a broken topic,
    cpd.yaml, roster, template or stylesheet); a bad row only costs that row
    its certificate.
    """
    for step in certificate_steps(project, topic, roster, out_dir, combined):
        if isinstance(step, CertificatesResult):
            return step
    raise AssertionError("unreachable: certificate_steps ends with its result")  # pragma: no cover


@dataclass(frozen=True)
class RowDone:
    """A step of :func:`certificate_steps`: the roster row (its line) whose certificate is made next."""

    line: int


def certificate_steps(project: Project, topic: Path, roster: Path, out_dir: Path | None = None,
                      combined: bool = False, stopped_rows: tuple[Problem, ...] = ()
                      ) -> Iterator[RowDone | CertificatesResult]:
    """:func:`make_certificates` one certificate at a time: a :class:`RowDone` after each, then the result.

    So a runner can give each certificate its own time limit (``leafpress
    certificates`` runs this in a child process, as ``build`` runs a target).
    ``stopped_rows`` are the problems of rows a runner stopped before: those
    rows are skipped, failed with these problems.
    """
    started = time.perf_counter()
    activity = load_activity(topic)
    rows, problems = read_roster(roster)
    bad_rows = sum(p.is_error for p in problems)  # read_roster reports each bad row once
    attendees = number_rows(rows, activity.topic, activity.first_date)
    out_dir = (out_dir or project.output_dir / activity.topic / "certificates").resolve()
    if not attendees:  # every row was bad: they are reported, and there is nothing to typeset
        yield CertificatesResult(out_dir, (), bad_rows, tuple(limit_problems(problems)), None, None,
                                 time.perf_counter() - started)
        return
    env = make_environment(project.template_dirs)
    context = activity_context(project, activity)
    names = file_names(attendees)

    failed = 0
    certificates: list[Certificate] = []
    title = f"{context['t']['cert_pdf_title_combined']} — {activity.title}"
    joiner = _Combined(project, out_dir / COMBINED_NAME, title) if combined else None
    covered = glyphs.coverage(project, LAYOUT)
    try:
        skipped = {problem.line for problem in stopped_rows}
        problems += stopped_rows
        for i, attendee in enumerate(attendees):
            if attendee.line in skipped:
                failed += 1
                continue
            yield RowDone(attendee.line)  # before typesetting: the clock starts again for this row
            data = _certificate(project, env, context, activity, attendee, roster, covered, i == 0, problems)
            if data is None:
                failed += 1
                continue
            path = out_dir / names[i]
            problems += preflight(data, path, LAYOUT)
            write_atomic(path, data)  # as it is made: memory does not grow with the roster
            certificates.append(Certificate(attendee, path))
            if joiner:
                joiner.add(data)
        register = None
        if certificates:
            register = out_dir / REGISTER_NAME
            write_atomic(register, register_csv(certificates))
        combined_path = None
        if joiner and certificates:
            combined_path = joiner.finish()
            problems += joiner.problems
    finally:
        if joiner:
            joiner.discard()
    problems = limit_problems(sorted(problems, key=lambda p: p.line or 0))  # at most 50 a file
    yield CertificatesResult(out_dir, tuple(certificates), bad_rows + failed, tuple(problems), register, combined_path,
                             time.perf_counter() - started)


def certificates_in_child(project: Project, topic: Path, roster: Path, out_dir: Path | None, combined: bool,
                          stopped_rows: tuple[Problem, ...]
                          ) -> Iterator[RowDone | CertificatesResult | tuple[Problem, ...]]:
    """:func:`certificate_steps` for a limited child process; a :class:`LeafpressError` comes back as its problems."""
    try:
        yield from certificate_steps(project, topic, roster, out_dir, combined, stopped_rows)
    except LeafpressError as exc:
        yield exc.problems


def make_certificates_limited(project: Project, topic: Path, roster: Path, out_dir: Path | None, combined: bool,
                              timeout: float, memory_mb: int | None) -> CertificatesResult:
    """:func:`make_certificates` in a child process, each certificate under ``timeout`` and all under ``memory_mb``.

    A certificate that takes too long (or runs out of memory) is an error at
    its roster row, and the run starts again without that row: the others
    still get their certificates (those made before are made again, the same).
    """
    from .batch import BatchOptions, call_limited

    options = BatchOptions(out_dir=project.output_dir, jobs=1, timeout=timeout, memory_mb=memory_mb)
    stopped_rows: tuple[Problem, ...] = ()
    while True:
        steps, stopped = call_limited(certificates_in_child,
                                      (project, topic, roster, out_dir, combined, stopped_rows), options,
                                      doing="making this certificate")
        last = steps[-1] if steps and stopped is None else None
        if isinstance(last, CertificatesResult):
            return last
        if isinstance(last, tuple):  # the topic, cpd.yaml or the roster could not be used at all
            raise LeafpressError(last)
        rows = [step.line for step in steps if isinstance(step, RowDone)]
        why = stopped.message if stopped else "stopped without a result"
        if not rows or rows[-1] in {problem.line for problem in stopped_rows}:  # not a row's fault
            raise LeafpressError([error(roster, rows[-1] if rows else None, why)])
        stopped_rows += (error(roster, rows[-1], why),)
