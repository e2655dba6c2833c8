"""Certificates of attendance for a topic's CPD session: one PDF per attendee.

* The roster is a UTF-8 CSV file with a header row: a ``name`` column (or
  ``full_name``, ``nombre``) and optionally ``email``, read strictly (see
  :func:`_csv_records`). A bad row is reported with its physical line and
  skipped; every other row still gets its certificate. At most 50 problems
  are reported, then how many more there are.
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
(:func:`leafpress.typeset.engine.parsed_styles`), so a certificate costs about 45 ms
and memory barely grows with the roster (only the finished PDFs, about 16 KB
each, are kept until they are all written). What every certificate of the
activity shows is computed once (:func:`activity_context`).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime
import hashlib
import io
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import pikepdf
from babel.lists import format_list
from babel.numbers import format_decimal

from ..cite.references import load_references
from ..errors import LeafpressError, Problem, error, has_errors, limit_problems, quote
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

TEMPLATE = LAYOUT.template
REGISTER_NAME = "register.csv"
COMBINED_NAME = "certificates.pdf"

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
    """The valid rows of a roster and a problem for each bad one.

    Raises :class:`LeafpressError` when nothing can be read: a missing or
    non-UTF-8 file, no header row, no name column, or no attendees.
    """
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise LeafpressError([error(path, None, f"is larger than {MAX_ROSTER_BYTES // 2**20} MiB: "
                                        "is this really a list of attendees?")])
        data = path.read_bytes()
    except FileNotFoundError:
        raise LeafpressError([error(path, None, "file not found")]) from None
    except OSError as exc:
        raise LeafpressError([error(path, None, f"cannot be read: {exc.strerror or exc}")]) from None
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # Excel's "CSV UTF-8" starts with one
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        raise LeafpressError([error(path, data.count(b"\n", 0, offset) + 1,
                                    f"is not UTF-8 text (bad byte at offset {offset}): save it as UTF-8 "
                                    "(in Excel: 'CSV UTF-8')")]) from None

    return parse_roster(path, unicodedata.normalize("NFC", text))  # "e\u0301" becomes "é", as the fonts have it


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


def _csv_records(path: Path, text: str) -> Iterator[tuple[int, list[str] | Problem]]:
    """(physical line, fields) of each CSV record, or (line, problem) for one that cannot be read.

    Strict CSV: a field runs over at most :data:`MAX_RECORD_LINES` lines, and one that runs over
    more than one has no comma; a quote left open is reported at the line that opens it, and reading
    goes on from the next line, so the rows it would have swallowed still count. A double quote
    inside a field is written doubled in a quoted field. At most :data:`MAX_FIELD_CHARS` characters
    a field; no NUL character.
    """
    lines = _Lines(io.StringIO(text, newline="").readlines())
    reader = csv.reader(lines, strict=True)
    open_quote = ('a double quote (") opens a field on this line and is not closed on it (a name may go on to '
                  "the next line, without a comma): add the closing quote, or delete the stray one")
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
            if any("," in field and ("\n" in field or "\r" in field) for field in record):
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


def parse_roster(path: Path, text: str) -> tuple[list[RosterRow], list[Problem]]:
    """The valid rows of a roster's text and a problem (one) for each bad row; see :func:`read_roster`."""
    problems: list[Problem] = []
    rows: list[RosterRow] = []
    header: list[str] | None = None
    name_at = 0  # set from the header row, which comes first
    email_at: int | None = None
    bad_rows = 0
    limit = csv.field_size_limit(MAX_FIELD_CHARS)  # the module's global setting: restored below
    try:
        records = list(_csv_records(path, text))
    finally:
        csv.field_size_limit(limit)
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
        if len(record) != len(header):
            problems.append(error(path, line, f"this row has {len(record)} fields but the header has "
                                  f"{len(header)}: put a name that contains a comma in double quotes"))
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
        references = (folder / source.meta.references).resolve()
        if references.is_relative_to(folder.resolve()):
            library, more = load_references(references)
            problems += [p for p in more if p.is_error]
            problems += data_problems(cpd, frozenset(library.references))
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


def _combined(certificates: list[bytes], title: str) -> bytes:
    """Every certificate in one file, in roster order, to print."""
    with contextlib.ExitStack() as stack:
        sources = [stack.enter_context(pikepdf.open(io.BytesIO(data))) for data in certificates]
        out = pikepdf.new()
        for source in sources:
            out.pages.extend(source.pages)
        info = pikepdf.Dictionary(dict(sources[0].docinfo.items()))
        info.Title = pikepdf.String(title)
        out.trailer.Info = out.make_indirect(info)
        if "/Lang" in sources[0].Root:
            out.Root.Lang = sources[0].Root.Lang
        return _saved(out, sources[0].pdf_version)


def make_certificates(project: Project, topic: Path, roster: Path, out_dir: Path | None = None,
                      combined: bool = False) -> CertificatesResult:
    """Make a certificate PDF per valid roster row, register.csv and, if asked, certificates.pdf.

    Raises :class:`LeafpressError` when nothing can be made (a broken topic,
    cpd.yaml, roster, template or stylesheet); a bad row only costs that row
    its certificate.
    """
    started = time.perf_counter()
    activity = load_activity(topic)
    rows, problems = read_roster(roster)
    bad_rows = len(problems)  # read_roster reports each bad row once
    attendees = number_rows(rows, activity.topic, activity.first_date)
    out_dir = (out_dir or project.output_dir / activity.topic / "certificates").resolve()
    if not attendees:  # every row was bad: they are reported, and there is nothing to typeset
        return CertificatesResult(out_dir, (), bad_rows, tuple(limit_problems(problems)), None, None,
                                  time.perf_counter() - started)
    env = make_environment(project.template_dirs)
    context = activity_context(project, activity)
    names = file_names(attendees)

    failed = 0
    made: list[tuple[Attendee, Path, bytes]] = []
    covered = glyphs.coverage(project, LAYOUT)
    for i, attendee in enumerate(attendees):
        # A letter no bundled font has would be drawn in a system font: refused before typesetting.
        if absent := glyphs.missing(attendee.name, covered):
            failed += 1
            message = glyphs.missing_message(absent, LAYOUT, "styles/fonts/fonts-world.css")
            problems.append(error(roster, attendee.line, f"no certificate for {quote(attendee.name)}: {message}"))
            continue
        try:
            html = certificate_html(env, context, attendee)
        except Exception as exc:  # noqa: BLE001 - any error in the template is reported with its file and line
            raise LeafpressError([template_problem(project, TEMPLATE, exc)]) from None
        result = typeset_html(project, LAYOUT, html, activity.folder, UNTAGGED)
        missing = [m for m in map(_missing_character, result.warnings) if m]
        others = [f"refused to load {reason}" for reason in result.refused]
        others += [f"WeasyPrint: {m}" for m in result.warnings if not _missing_character(m)]
        reasons: list[str] = []
        if others and i == 0:
            # The first certificate shows what every one would: the template or a stylesheet. Stop here.
            raise LeafpressError(problems + [error(project.template(TEMPLATE), None, m) for m in others])
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
            failed += 1
            problems += [error(roster, attendee.line, f"no certificate for {quote(attendee.name)}: {reason}")
                         for reason in reasons]
            continue
        problems += preflight(data, out_dir / names[i], LAYOUT)
        made.append((attendee, out_dir / names[i], data))

    certificates = []
    for attendee, path, data in made:
        write_atomic(path, data)
        certificates.append(Certificate(attendee, path))
    register = None
    if certificates:
        register = out_dir / REGISTER_NAME
        write_atomic(register, register_csv(certificates))
    combined_path = None
    if combined and made:
        title = f"{context['t']['cert_pdf_title_combined']} — {activity.title}"
        combined_pdf = _combined([data for _, _, data in made], title)
        more = verify(project, combined_pdf, None)
        if more:
            problems += [error(out_dir / COMBINED_NAME, None, message) for message in more]
        else:
            combined_path = out_dir / COMBINED_NAME
            write_atomic(combined_path, combined_pdf)
    problems = limit_problems(sorted(problems, key=lambda p: p.line or 0))  # at most 50 a file
    return CertificatesResult(out_dir, tuple(certificates), bad_rows + failed, tuple(problems), register, combined_path,
                              time.perf_counter() - started)
