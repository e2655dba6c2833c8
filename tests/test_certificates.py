"""Certificates of attendance, read from the real PDFs: one per valid roster row.

The builds are shared by module-scoped fixtures: one accredited English
session with a roster full of awkward rows, one pending Spanish session built
twice (to show builds are reproducible).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from conftest import ROOT, TestProject, errors, glyphs_shown, notdef_drawn, pdf_text, run, to_unicode
from leafpress.finish.verify import bundled_font_names, fonts_used
from leafpress.project.config import load_project
from leafpress.runner.certificates import MAX_STEM_BYTES, file_stem, make_certificates

A4_LANDSCAPE = (841.89, 595.28)

QUESTION = """\
  - question: Question {n}?
    options: [Alpha, Beta, Gamma]
    answer: Beta
    explanation: Because the trial said so.
    cite: smith2020
"""


def cpd_yaml(accreditation: str, dates: str, title: str = "") -> str:
    return f"""\
{title}audience: Clinicians
duration_minutes: 90
objectives:
  - Describe the trial [@smith2020].
accreditation:
{accreditation}faculty:
  - name: Dr Ana Test
reflection:
  - How would you use this?
questions:
{"".join(QUESTION.format(n=n) for n in range(1, 7))}session:
  dates: {dates}
  place: Sala Ramón y Cajal, Madrid
signatory:
  name: Dra. Lucía Ferrer
  post: Directora médica
"""


ACCREDITED = cpd_yaml("""\
  status: accredited
  credits: 1.5
  body: Test Accreditation Council
  statement: Accredited by the Test Accreditation Council with 1.5 credits (file 07-AFOC-01234.5/2027).
""", "[2027-03-17, 2027-03-10]", title="title: Ketamine in practice\n")

PENDING = cpd_yaml("  status: pending\n", "[2027-05-04]")

LONG_NAME = "Maximiliana " * 16 + "Ruiz Soto"  # 201 characters

# (line, text) of each roster line: lines 24-25 are one quoted name over two lines.
ROSTER = [
    (1, "Name,Email"),
    (2, "Núria Puig i Vilà,nuria@example.org"),
    (3, "Francesc Xavier Gil·li,"),
    (4, "محمد عبد الله,"),
    (5, "王小明,"),
    (6, "Ana 😀 López,"),
    (7, '"<b>Ana</b> & ""Co""",'),
    (8, "CON,"),
    (9, "../../etc/passwd,"),
    (10, "a/b,"),
    (11, "...,"),
    (12, "😀😀,"),
    (13, "María García,"),
    (14, "María García,"),
    (15, "José Núñez,jose@example.org"),
    (16, unicodedata.normalize("NFD", "José Núñez") + ",jose@example.org"),  # the same, decomposed
    (17, "josé núñez,"),
    (18, ",nobody@example.org"),
    (19, "Too,many,fields"),
    (20, f"{LONG_NAME},"),
    (21, '"  Marta  \t Vidal  ",'),
    (22, "Łukasz Dvořák,"),
    (23, "Ana López,"),
    (24, '"Joan'),
    (25, 'Miró",'),
    (26, "Bad,row,again"),
]

# name shown, email, file: one per valid row, in roster order; lines 14, 16 and 17 repeat an attendee.
MADE = [
    ("Núria Puig i Vilà", "nuria@example.org", "Núria Puig i Vilà.pdf"),
    ("Francesc Xavier Gil·li", "", "Francesc Xavier Gil·li.pdf"),
    ("محمد عبد الله", "", "محمد عبد الله.pdf"),
    ("王小明", "", "王小明.pdf"),
    ("Ana 😀 López", "", "Ana López.pdf"),
    ('<b>Ana</b> & "Co"', "", "b Ana b & Co.pdf"),
    ("CON", "", "CON_.pdf"),
    ("../../etc/passwd", "", "etc passwd.pdf"),
    ("a/b", "", "a b.pdf"),
    ("...", "", None),  # nothing left of the name: the certificate number
    ("😀😀", "", None),
    ("María García", "", "María García.pdf"),
    ("José Núñez", "jose@example.org", "José Núñez.pdf"),
    ("Marta Vidal", "", "Marta Vidal.pdf"),
    ("Łukasz Dvořák", "", "Łukasz Dvořák.pdf"),
    ("Ana López", "", "Ana López (2).pdf"),
    ("Joan Miró", "", "Joan Miró.pdf"),
]

BAD_ROWS = [
    "roster.csv:18: error: empty name: write the attendee's full name in the 'Name' column, or delete the row",
    "roster.csv:19: error: this row has 3 fields but the header has 2: put a name that contains a comma "
    "in double quotes",
    "roster.csv:20: error: the name is 201 characters long; a certificate shows at most 200: shorten it",
    "roster.csv:26: error: this row has 3 fields but the header has 2: put a name that contains a comma "
    "in double quotes",
]


DUPLICATES = [
    "roster.csv:14: warning: the same name as line 13 ('María García'): one certificate is made, for line 13; "
    "delete this row",
    "roster.csv:16: warning: the same email as line 15 ('José Núñez'): one certificate is made, for line 15; "
    "delete this row",
    "roster.csv:17: warning: the same name as line 15 ('José Núñez'): one certificate is made, for line 15; "
    "delete this row",
]


def flat(text: str) -> str:
    return " ".join(text.split())


def expected_number(topic: str, first_date: str, name: str, email: str, occurrence: int) -> str:
    """The documented recipe, written out again independently of leafpress."""
    identity = "\n".join(["leafpress-certificate-1", topic, first_date, name.casefold(), email.casefold(),
                          str(occurrence)])
    digest = base64.b32encode(hashlib.sha256(identity.encode()).digest()).decode()
    return f"LP-{first_date.replace('-', '')}-{digest[:8]}"


def read_register(folder: Path) -> list[dict[str, str]]:
    with open(folder / "register.csv", encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def make_project(root: Path, language: str, cpd: str) -> TestProject:
    project = TestProject(root)
    article = project.topic("course", language=language)
    (article.parent / "cpd.yaml").write_text(cpd, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def accredited(tmp_path_factory):
    """The accredited session, the awkward roster, one run of the command line."""
    root = tmp_path_factory.mktemp("accredited")
    make_project(root, "en", ACCREDITED)
    # Excel's "CSV UTF-8" starts with a byte order mark.
    (root / "roster.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(t for _, t in ROSTER).encode() + b"\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        code, out, err = run("certificates", "content/course", "--roster", "roster.csv", "--combined")
    folder = root / "output" / "course" / "certificates"
    return code, out, err, folder, read_register(folder)


@pytest.fixture(scope="module")
def pending(tmp_path_factory):
    """A pending Spanish session with two attendees, made twice into two folders."""
    root = tmp_path_factory.mktemp("pending")
    make_project(root, "es", PENDING)
    (root / "asistentes.csv").write_text("nombre\nJosé Núñez\nNúria Puig i Vilà\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        first = run("certificates", "content/course", "--roster", "asistentes.csv", "--out", "first")
        second = run("certificates", "content/course", "--roster", "asistentes.csv", "--out", "second")
    assert first[0] == second[0] == 0, first[2] + second[2]
    return root / "first", root / "second"


# --- which rows get a certificate ---------------------------------------------------

def test_bad_rows_are_reported_with_their_line_and_the_others_still_made(accredited):
    code, out, err, _, _ = accredited
    assert code == 1
    assert errors(err) == BAD_ROWS
    # The preflight finds one real fault: a shaped Arabic glyph of the Arabic name has no Unicode mapping.
    warned, *duplicates = [line for line in err.splitlines() if ": warning: " in line]
    assert duplicates == DUPLICATES
    assert warned.startswith("output/course/certificates/محمد عبد الله.pdf: warning: page 1: text that does not "
                             "read back as Unicode")
    assert out.splitlines()[-1] == f"{len(MADE)} made, {len(BAD_ROWS)} failed, 4 warnings."
    assert "made   17 certificates -> output/course/certificates" in out


def test_one_pdf_per_valid_row_with_safe_readable_file_names(accredited):
    _, _, _, folder, register = accredited
    assert [(r["name"], r["email"]) for r in register] == [(name, email) for name, email, _ in MADE]
    for row, (_, _, expected) in zip(register, MADE, strict=True):
        assert row["file"] == (expected or f"{row['number']}.pdf")
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted([r["file"] for r in register] + ["certificates.pdf", "register.csv"])
    # Names differing only in case never share a file where case does not count (macOS, Windows).
    assert len({name.casefold() for name in files}) == len(files)


def test_numbers_are_unique_and_recomputed_from_the_roster(accredited):
    """An office can check a number: the recipe applied to the roster gives the register's numbers."""
    _, _, _, folder, register = accredited
    with open(folder.parent.parent.parent / "roster.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    seen: dict[tuple[str, str], int] = {}
    recomputed = []
    for line, row in enumerate(rows, start=2):
        name = " ".join(unicodedata.normalize("NFC", row["Name"] or "").split())
        email = (row["Email"] or "").strip()
        if not name or len(name) > 200 or None in row or line in (14, 16, 17):  # errors and duplicates
            continue
        key = (name.casefold(), email.casefold())
        seen[key] = seen.get(key, 0) + 1
        recomputed.append(expected_number("course", "2027-03-10", name, email, seen[key]))
    assert [r["number"] for r in register] == recomputed
    assert len(set(recomputed)) == len(recomputed)
    assert all(re.fullmatch(r"LP-20270310-[A-Z2-7]{8}", n) for n in recomputed)
    # The number of a name that appears once does not change when it is listed again.
    (maria,) = [r["number"] for r in register if r["name"] == "María García"]
    assert maria == expected_number("course", "2027-03-10", "María García", "", 1)


# --- what a certificate says ---------------------------------------------------------

def test_accredited_certificate_states_every_fact(accredited):
    _, _, _, folder, register = accredited
    row = register[0]
    text = flat(pdf_text(folder / row["file"]))
    for fact in ("Certificate of attendance", "This is to certify that", "Núria Puig i Vilà",
                 "Ketamine in practice",  # cpd.yaml's title, not the article's
                 "10 March 2027 and 17 March 2027", "Sala Ramón y Cajal, Madrid", "1.5 hours",
                 "CPD CREDITS 1.5 credits (Test Accreditation Council)",
                 "Accredited by the Test Accreditation Council with 1.5 credits (file 07-AFOC-01234.5/2027).",
                 "Dra. Lucía Ferrer", "Directora médica", "PROVIDER Clínica Synaptica",
                 "DATE OF ISSUE 17 March 2027", f"CERTIFICATE NUMBER {row['number']}"):
        assert fact in text, fact
    assert "Test topic" not in text


def test_one_a4_landscape_page_with_title_language_and_dates_from_the_session(accredited):
    _, _, _, folder, register = accredited
    for row in register:
        with pikepdf.open(folder / row["file"]) as pdf:
            assert len(pdf.pages) == 1
            x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
            assert (round(x1 - x0, 2), round(y1 - y0, 2)) == A4_LANDSCAPE
            assert str(pdf.docinfo["/Title"]) == f"Certificate — {row['name']}"
            assert str(pdf.Root.Lang) == "en"
            assert "/StructParents" not in pdf.pages[0].obj  # untagged
            # The date of issue, never the clock.
            assert str(pdf.docinfo["/CreationDate"]) == "D:20270317000000Z"
        assert f"CERTIFICATE NUMBER {row['number']}" in flat(pdf_text(folder / row["file"]))


def test_names_are_text_never_markup(accredited):
    _, _, _, folder, register = accredited
    (row,) = [r for r in register if r["file"] == "b Ana b & Co.pdf"]
    assert '<b>Ana</b> & "Co"' in flat(pdf_text(folder / row["file"]))


def test_pending_accreditation_awards_no_credits_in_spanish(pending):
    first, _ = pending
    text = flat(pdf_text(first / "José Núñez.pdf"))
    for fact in ("Certificado de asistencia", "Se certifica que", "José Núñez", "Test topic",
                 "FECHA 4 de mayo de 2027", "1,5 horas", "Dra. Lucía Ferrer",
                 "Acreditación en trámite: esta actividad aún no otorga créditos de formación continuada.",
                 "FECHA DE EXPEDICIÓN 4 de mayo de 2027", "NÚMERO DE CERTIFICADO LP-20270504-"):
        assert fact in text, fact
    assert "CRÉDITOS" not in text.upper().replace("NO OTORGA CRÉDITOS", "")
    with pikepdf.open(first / "José Núñez.pdf") as pdf:
        assert str(pdf.docinfo["/Title"]) == "Certificado — José Núñez"
        assert str(pdf.Root.Lang) == "es"


def test_not_accredited_says_so(project):
    article = project.topic("t")
    (article.parent / "cpd.yaml").write_text(cpd_yaml("  status: not-accredited\n  credits: 2\n", "[2027-01-20]"),
                                             encoding="utf-8")
    (project.root / "r.csv").write_text("full_name\nAna Test\n", encoding="utf-8")
    code, _, err = run("certificates", "content/t", "--roster", "r.csv")
    assert code == 0, err
    text = flat(pdf_text(project.root / "output" / "t" / "certificates" / "Ana Test.pdf"))
    assert "This activity is not accredited for CPD credits." in text
    assert "credits (" not in text and " 2 " not in text  # credits written in cpd.yaml are never shown


def test_builds_are_reproducible(pending):
    first, second = pending
    for name in ("José Núñez.pdf", "Núria Puig i Vilà.pdf", "register.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_certificate_does_not_depend_on_the_rest_of_the_roster(pending):
    # Each is typeset on its own: a roster of one gives the same file, byte for byte.
    first, _ = pending
    root = first.parent
    (root / "solo.csv").write_text("nombre\nNúria Puig i Vilà\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        code, _, err = run("certificates", "content/course", "--roster", "solo.csv", "--out", "solo")
    assert code == 0, err
    assert (root / "solo" / "Núria Puig i Vilà.pdf").read_bytes() == (first / "Núria Puig i Vilà.pdf").read_bytes()


# --- the PDFs themselves -------------------------------------------------------------

def test_combined_pdf_has_every_certificate_in_roster_order(accredited):
    _, _, _, folder, register = accredited
    with pikepdf.open(folder / "certificates.pdf") as pdf:
        assert len(pdf.pages) == len(register)
        assert str(pdf.docinfo["/Title"]) == "Certificates — Ketamine in practice"
    for number, row in enumerate(register, start=1):
        assert row["number"] in pdf_text(folder / "certificates.pdf", number)


def test_each_file_carries_only_its_own_page_resources(accredited):
    _, _, _, folder, register = accredited
    for row in register:
        path = folder / row["file"]
        assert path.stat().st_size < 30_000, row  # about 16 KB: fonts cut down to the page's glyphs
        with pikepdf.open(path) as pdf:
            (page,) = pdf.pages
            used = glyphs_shown(page)
            fonts = page.Resources.Font
            assert {str(k) for k in fonts} == set(used), row  # no font the page does not show
            for name, gids in used.items():
                # Text mappings only for this page's glyphs.
                assert set(to_unicode(fonts[name])) == gids, (row, name)
    with pikepdf.open(folder / "Núria Puig i Vilà.pdf") as pdf:
        latin = fonts_used(pdf)
    assert not any(use.name.startswith("Noto") for use in latin)  # no CJK or Arabic fonts in a Latin name's file


def test_qpdf_finds_the_files_valid(accredited):
    _, _, _, folder, register = accredited
    for name in [r["file"] for r in register[:6]] + ["certificates.pdf"]:
        result = subprocess.run(["qpdf", "--check", str(folder / name)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


# --- names in any script --------------------------------------------------------------

WORLD = ["Núria Puig i Vilà", "Francesc Xavier Gil·li", "محمد عبد الله", "王小明", "Ana 😀 López", "Łukasz Dvořák"]


@pytest.mark.parametrize("name", WORLD)
def test_names_in_any_script_use_bundled_fonts_and_real_glyphs(accredited, name):
    _, _, _, folder, register = accredited
    (row,) = [r for r in register if r["name"] == name]
    path = folder / row["file"]
    # pdffonts, as a print shop runs it: every font embedded, every one ours.
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert lines
    for line in lines:
        assert line.split()[-5] == "yes", line
        assert re.fullmatch(r"[A-Z]{6}\+(Source-(Serif-4|Sans-3)|Noto-(Sans-Arabic|Emoji|Sans-SC))\S*",
                            line.split()[0]), line
    with pikepdf.open(path) as pdf:
        uses = fonts_used(pdf)
        assert {use.name for use in uses} <= bundled_font_names(ROOT / "styles" / "fonts")
        page = pdf.pages[0]
        for font_name, gids in glyphs_shown(page).items():
            font = page.Resources.Font[font_name]
            program = TTFont(io.BytesIO(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()))
            assert not notdef_drawn(program, gids), f".notdef in {font_name}"
            cmap = program.getBestCmap()
            for gid, text in to_unicode(font).items():
                # Each glyph is the font's own glyph for its character (Arabic excepted:
                # its joined forms are not in the cmap). This is what fails when WeasyPrint
                # merges two font files into one PDF font ("Dvořák" printed as "Dvo⁸ák").
                if len(text) == 1 and not "\u0600" <= text <= "\u06ff" and not text.isspace():
                    assert cmap.get(ord(text)) and program.getGlyphID(cmap[ord(text)]) == gid, \
                        (name, text, gid)
    # The text reads back. pdftotext splits Arabic words where glyphs join and marks
    # the run right-to-left, so compare Arabic without spaces and direction marks.
    text = flat(pdf_text(path))
    if any("\u0600" <= ch <= "\u06ff" for ch in name):
        assert name.replace(" ", "") in re.sub(r"[\s\u202a-\u202e]", "", text)
    else:
        assert name in text


def test_arabic_names_are_shaped_and_set_right_to_left(accredited):
    _, _, _, folder, register = accredited
    (row,) = [r for r in register if r["name"] == "محمد عبد الله"]
    drawn: list[tuple[int, str]] = []  # the Arabic font's glyphs in drawing order: left to right
    with pikepdf.open(folder / row["file"]) as pdf:
        page = pdf.pages[0]
        fonts = page.Resources.Font
        font = None
        for operands, operator in pikepdf.parse_content_stream(page, "Tf Tj TJ"):
            if str(operator) == "Tf":
                font = str(operands[0])
            elif "Arabic" in str(fonts[font].BaseFont):
                mapping = to_unicode(fonts[font])
                for item in operands[0] if str(operator) == "TJ" else operands:
                    if isinstance(item, pikepdf.String):
                        data = bytes(item)
                        drawn += [(gid, mapping.get(gid, "")) for gid in
                                  (int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))]
    # Read right to left, the glyphs spell the name: the first word is drawn rightmost.
    assert "".join(text for _, text in reversed(drawn)).replace(" ", "") == "محمدعبدالله"
    # Shaped: the first letter is drawn in its initial (joining) form, not the isolated
    # one the font's cmap gives (glyph ids are the bundled file's: WeasyPrint keeps them).
    bundled = TTFont(ROOT / "styles" / "fonts" / "noto-sans-arabic" / "noto-sans-arabic-arabic-400-normal.woff")
    isolated = bundled.getGlyphID(bundled.getBestCmap()[ord("م")])
    gid, text = drawn[-1]
    assert text == "م" and gid != isolated


def test_world_fonts_stylesheet_never_claims_a_character_its_file_lacks():
    """WeasyPrint turns unicode-range into the font's character set: a range wider than
    the file prints .notdef boxes; two files with one family, style and weight are merged
    into one PDF font with the wrong glyphs. fonts-world.css must avoid both."""
    css = (ROOT / "styles" / "fonts" / "fonts-world.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face \{(.*?)\}", css, re.S)
    assert len(faces) > 100
    seen = set()
    for face in faces:
        family = re.search(r"font-family: '([^']+)'", face).group(1)
        style = re.search(r"font-style: (\w+)", face).group(1)
        weight = re.search(r"font-weight: (\d+)", face).group(1)
        assert (family, style, weight) not in seen, family
        seen.add((family, style, weight))
        src = re.search(r"url\(([^)]+)\)", face).group(1)
        path = ROOT / "styles" / "fonts" / src
        assert path.stat().st_size < 2 * 1024 * 1024, src
        claimed = set()
        for part in re.search(r"unicode-range: ([^;]+);", face).group(1).split(","):
            first, _, last = part.strip()[2:].partition("-")
            claimed.update(range(int(first, 16), int(last or first, 16) + 1))
        assert claimed <= set(TTFont(path, lazy=True).getBestCmap()), src
    for folder in ("noto-sans-arabic", "noto-sans-sc", "noto-emoji"):
        assert "SIL Open Font License" in (ROOT / "styles" / "fonts" / folder / "OFL.txt").read_text()


# --- file names --------------------------------------------------------------------------

@pytest.mark.parametrize("name, stem", [
    ("José Núñez", "José Núñez"),
    (unicodedata.normalize("NFD", "José Núñez"), "José Núñez"),  # accents composed (NFC)
    ("Francesc Xavier Gil·li", "Francesc Xavier Gil·li"),
    ("CON", "CON_"), ("nul", "nul_"), ("Com1", "Com1_"), ("LPT9.txt", "LPT9_.txt"), ("Conrad", "Conrad"),
    ("../../etc/passwd", "etc passwd"),
    ("a/b", "a b"), ("a\\b", "a b"), ('a<b>c:d"e|f?g*h', "a b c d e f g h"),
    ("...", ""), (".hidden", "hidden"), ("trailing. ", "trailing"),
    ("😀😀", ""), ("Ana 😀 López", "Ana López"),
    ("tab\there\x07bell", "tab here bell"),
])
def test_file_stem(name, stem):
    assert file_stem(name) == stem


def test_file_stem_is_at_most_100_bytes_and_never_splits_an_accent():
    stem = file_stem("é" * 80)
    assert len(stem.encode()) <= MAX_STEM_BYTES and stem == "é" * 50
    decomposed = file_stem(("e\u0301" * 3 + " ") * 30)
    assert len(decomposed.encode()) <= MAX_STEM_BYTES and decomposed.endswith("ééé")


# --- rosters that cannot be read at all --------------------------------------------------

@pytest.fixture
def course(project):
    article = project.topic("course")
    (article.parent / "cpd.yaml").write_text(PENDING, encoding="utf-8")
    return project


@pytest.mark.parametrize("content, expected", [
    (b"Nom,mail\nAna,a@example.org\n",
     "roster.csv:1: error: the header row has no 'name' column (it has 'Nom', 'mail'): "
     "call the column of attendees' full names 'name'"),
    (b"name,email\nAna,a@example.org\nJos\x81,\n",  # 0x81 is in neither encoding
     "roster.csv:3: error: is neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 32): save it as UTF-8 "
     "(in Excel: 'CSV UTF-8')"),
    (b"\xef\xbb\xbfname\nJos\xe9\n",  # says it is UTF-8 and is not
     "roster.csv:2: error: is neither UTF-8 nor Windows-1252 text (byte 0xE9 at offset 11): save it as UTF-8 "
     "(in Excel: 'CSV UTF-8')"),
    (b"", "roster.csv: error: the roster is empty: it needs a header row with a 'name' column, "
          "then one row per attendee"),
    (b"name,email\n\n", "roster.csv: error: the roster has a header row but no attendees: add one row per attendee"),
])
def test_unreadable_roster_is_one_clear_line(course, content, expected):
    (course.root / "roster.csv").write_bytes(content)
    code, _, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert err.splitlines() == [expected, "Stopped: 1 error."]
    assert not (course.root / "output" / "course").exists()


def test_missing_roster_topic_or_cpd_data(course):
    code, _, err = run("certificates", "content/course", "--roster", "nope.csv")
    assert code == 1 and errors(err) == ["nope.csv: error: file not found"]
    (course.root / "r.csv").write_text("name\nAna\n", encoding="utf-8")
    code, _, err = run("certificates", "content/nope", "--roster", "r.csv")
    assert code == 1 and errors(err) == ["content/nope: error: no such file or folder"]
    course.topic("bare")
    code, _, err = run("certificates", "content/bare", "--roster", "r.csv")
    assert code == 1 and errors(err) == ["content/bare/cpd.yaml: error: file not found"]


def test_only_bad_rows_make_nothing_and_fail(course):
    (course.root / "roster.csv").write_text("name,email\n,a@example.org\n", encoding="utf-8")
    code, out, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert errors(err) == ["roster.csv:2: error: empty name: write the attendee's full name in the 'name' "
                           "column, or delete the row"]
    assert out.splitlines() == ["0 made, 1 failed, 0 warnings."]


def test_a_name_the_fonts_cannot_show_fails_its_row_only(course):
    """Ethiopic is not bundled: that row fails before it is typeset, naming each character."""
    (course.root / "roster.csv").write_text("name\nሰላም\nAna Test\n", encoding="utf-8")
    code, _, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert errors(err) == [
        "roster.csv:2: error: no certificate for 'ሰላም': the characters \"ሰ\" (U+1230 ETHIOPIC SYLLABLE SA), "
        "\"ላ\" (U+120B ETHIOPIC SYLLABLE LAA), \"ም\" (U+121D ETHIOPIC SYLLABLE ME) are in none of the bundled "
        "fonts of the certificate layout: remove them, or add a font that has them to styles/fonts/fonts-world.css"]
    assert sorted(p.name for p in (course.root / "output" / "course" / "certificates").iterdir()) == \
        ["Ana Test.pdf", "register.csv"]


# --- malformed rosters: strict CSV, each bad row at its line ------------------------------

OPEN_QUOTE = ('a double quote (") opens a field on this line and is not closed on it (a name may go on to the '
              "next line, without a comma): add the closing quote, or delete the stray one")

# (line, text): what a hand-edited or hostile roster can hold. Lines 9-10 are one name over two lines.
MALFORMED = [
    (1, "name,email"),
    (2, "Ana Test,ana@example.org"),
    (3, '"Bea Open,bea@example.org'),  # never closed: it would swallow the rows below
    (4, "Carl Test,carl@example.org"),
    (5, '"Dan" Test,dan@example.org'),
    (6, "Eva\x00Test,eva@example.org"),
    (7, "x" * 1001 + ",long@example.org"),
    (8, "Fay,Test,fay@example.org"),
    (9, '"Joan'),
    (10, 'Miró",joan@example.org'),
    (11, '"Gil Open,gil@example.org'),  # closed on the next line: two rows merged into one name
    (12, 'Hal Test",hal@example.org'),
    (13, "Ivo Test,ivo@example.org"),
    (14, '"Jan Test,jan@example.org'),  # open at the end of the file
]


def test_malformed_csv_is_an_error_at_its_line_and_the_other_rows_are_made(course):
    (course.root / "roster.csv").write_text("\n".join(t for _, t in MALFORMED) + "\n", encoding="utf-8")
    code, out, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert errors(err) == [
        f"roster.csv:3: error: {OPEN_QUOTE}",
        'roster.csv:5: error: text follows the double quote (") that closes a field: put the whole field in '
        'double quotes, and write a quote inside it as two ("")',
        "roster.csv:6: error: this line has a NUL character (\\x00): save the roster again as CSV UTF-8",
        "roster.csv:7: error: a field is longer than 1000 characters: a name has at most 200; check the row, "
        "or that a double quote is not left open",
        "roster.csv:8: error: this row has 3 fields but the header has 2: put a name that contains a comma "
        "in double quotes",
        f"roster.csv:11: error: {OPEN_QUOTE}",
        'roster.csv:12: error: a double quote (") inside a field that does not start with one: put the whole '
        'field in double quotes, and write the quote as two (""), or delete it',
        f"roster.csv:14: error: {OPEN_QUOTE}",
    ]
    assert out.splitlines()[-1] == "4 made, 8 failed, 0 warnings."
    folder = course.root / "output" / "course" / "certificates"
    assert [(r["name"], r["email"]) for r in read_register(folder)] == [
        ("Ana Test", "ana@example.org"), ("Carl Test", "carl@example.org"), ("Joan Miró", "joan@example.org"),
        ("Ivo Test", "ivo@example.org")]


def test_a_roster_with_thousands_of_bad_rows_prints_50_problems_and_a_count(course):
    (course.root / "roster.csv").write_text("name,email\n" + "a,b,c\n" * 100_000 + "Zoe Test,\n", encoding="utf-8")
    code, out, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert errors(err) == [f"roster.csv:{line}: error: this row has 3 fields but the header has 2: put a name that "
                           "contains a comma in double quotes" for line in range(2, 52)] + [
        "roster.csv: error: 99950 more problems in this file are not shown: fix the ones above and run again"]
    assert len(err.splitlines()) == 51
    assert out.splitlines()[-1] == "1 made, 100000 failed, 0 warnings."


# --- register.csv: no formulas -----------------------------------------------------------

def test_every_register_cell_is_escaped_against_formulas(course):
    """OWASP's CSV injection advice: a cell starting with = + - @ tab or CR gets a leading apostrophe.
    File names can start with + or - too."""
    (course.root / "roster.csv").write_text('name,email\n-Ana Test,@ana\n+34 Bea Test,"=HYPERLINK(""x"")"\n'
                                            "Carl Test,carl@example.org\n", encoding="utf-8")
    code, _, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 0, err
    folder = course.root / "output" / "course" / "certificates"
    assert [(r["name"], r["email"], r["file"]) for r in read_register(folder)] == [
        ("'-Ana Test", "'@ana", "'-Ana Test.pdf"),
        ("'+34 Bea Test", "'=HYPERLINK(\"x\")", "'+34 Bea Test.pdf"),
        ("Carl Test", "carl@example.org", "Carl Test.pdf")]
    assert (folder / "-Ana Test.pdf").is_file() and (folder / "+34 Bea Test.pdf").is_file()
    for row in read_register(folder):
        assert all(cell[:1] not in ("=", "+", "-", "@", "\t", "\r") for cell in row.values()), row


# --- certificates.pdf, appended to batch by batch --------------------------------------------

def test_combined_pdf_is_joined_in_batches_in_roster_order(course, monkeypatch):
    monkeypatch.setattr("leafpress.runner.certificates.BATCH", 3)  # 7 certificates: batches of 3, 3 and 1
    names = ["Ana Test", "Bea (1 0 R) Test", "Carl Test", "محمد عبد الله", "Eva Test", "王小明", "Gil Test"]
    (course.root / "roster.csv").write_text("name\n" + "\n".join(names) + "\n", encoding="utf-8")
    # In this process, so that the batch size set above holds (the command runs it in a child).
    result = make_certificates(load_project(course.root), Path("content/course"), Path("roster.csv"), combined=True)
    assert result.ok, [str(p) for p in result.problems]
    folder = course.root / "output" / "course" / "certificates"
    combined = folder / "certificates.pdf"
    result = subprocess.run(["qpdf", "--check", str(combined)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    register = read_register(folder)
    with pikepdf.open(combined) as pdf:
        assert len(pdf.pages) == 7
        assert str(pdf.docinfo["/Title"]) == "Certificates — Test topic"
        assert str(pdf.Root.Lang) == "en" and pdf.Root.ViewerPreferences.DisplayDocTitle
        for page in pdf.pages:  # every page in the one page tree, with its own fonts
            assert page.obj.Parent.objgen == pdf.Root.Pages.objgen
            assert len(page.Resources.Font) > 0
    for number, row in enumerate(register, start=1):
        assert row["number"] in pdf_text(combined, number)
    assert "Bea (1 0 R) Test" in flat(pdf_text(combined, 2))
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no part left behind
    # Rebuilt, it is the same file, byte for byte; so is the command's (batches of 50, in a child
    # process each time: the fonts converted for the Arabic and Chinese names carry no clock).
    first = combined.read_bytes()
    make_certificates(load_project(course.root), Path("content/course"), Path("roster.csv"), combined=True)
    assert combined.read_bytes() == first
    made = []
    for _ in range(2):
        code, _, err = run("certificates", "content/course", "--roster", "roster.csv", "--combined")
        assert code == 0, err
        made.append(combined.read_bytes())
        time.sleep(1.1)  # a font stamped with the time would now differ
    assert made[0] == made[1]


JOIN = """
import resource, sys
from pathlib import Path
from leafpress.project.config import load_project
from leafpress.runner.certificates import _Combined
root, pdf, count = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), int(sys.argv[3])
joiner = _Combined(load_project(root), root / f"joined-{count}" / "certificates.pdf", "Certificates")
for _ in range(count):
    joiner.add(pdf)
assert joiner.finish() is not None, joiner.problems
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_combined_pdf_memory_does_not_grow_with_the_roster(accredited, tmp_path):
    """Joining 800 certificates takes less than 1.5 times the peak memory of 100: a few KB each at most."""
    _, _, _, folder, register = accredited
    project = folder.parent.parent.parent
    certificate = folder / register[0]["file"]

    def peak_kb(count: int) -> int:
        done = subprocess.run([sys.executable, "-c", JOIN, str(project), str(certificate), str(count)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr[-2000:]
        with pikepdf.open(project / f"joined-{count}" / "certificates.pdf") as pdf:
            assert len(pdf.pages) == count
        return int(done.stdout.split()[-1])

    small, large = peak_kb(100), peak_kb(800)
    assert large < 1.5 * small, (small, large)
    assert (large - small) / 700 < 20, (small, large)  # KB per certificate


def test_a_certificate_that_takes_too_long_is_stopped_at_its_row_and_the_others_are_made(course):
    # Stands in for input no limit foresaw: the project's own template spins for a name that asks it to.
    template = course.root / "templates" / "certificate.html.j2"
    template.write_text("{% if 'Slow' in person.name %}{% for i in range(10**10) %}{% endfor %}{% endif %}"
                        + template.read_text(encoding="utf-8"), encoding="utf-8")
    (course.root / "roster.csv").write_text("name\nAna Test\nSlow Test\nCarl Test\n", encoding="utf-8")
    started = time.monotonic()
    code, out, err = run("certificates", "content/course", "--roster", "roster.csv", "--timeout", "2")
    assert code == 1
    assert time.monotonic() - started < 30
    assert errors(err) == ["roster.csv:3: error: making this certificate took longer than 2 s and was stopped; "
                           "raise the limit with --timeout if the document is meant to be this long"]
    folder = course.root / "output" / "course" / "certificates"
    assert (folder / "Ana Test.pdf").is_file() and (folder / "Carl Test.pdf").is_file()
    assert not (folder / "Slow Test.pdf").exists()
    assert out.splitlines()[-1] == "2 made, 1 failed, 0 warnings."


# --- rosters as spreadsheets save them: separators, encodings, workbooks, duplicates -------------

# The same attendees in every form; Windows-1252 has every one of these letters.
ATTENDEES = [("Núria Puig i Vilà", "nuria@example.org"), ("José Núñez", ""), ("Ana García; Ruiz", "ana@example.org"),
             ("Zoë Müller", "zoe@example.org")]


def _csv_bytes(delimiter: str, encoding: str, bom: bytes = b"") -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")  # as Excel writes it
    writer.writerows([("Nombre", "Correo"), *ATTENDEES])
    return bom + stream.getvalue().encode(encoding)


def _xlsx(path: Path, rows: list[tuple[object, ...]]) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Asistentes"
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Notas").append(["not read"])
    workbook.save(path)


@pytest.mark.parametrize("name, content, note", [
    ("comma.csv", _csv_bytes(",", "utf-8"), []),
    ("excel-es.csv", _csv_bytes(";", "cp1252"), ["excel-es.csv: note: read as semicolon-separated, Windows-1252"]),
    ("tab.csv", _csv_bytes("\t", "utf-8"), ["tab.csv: note: read as tab-separated, UTF-8"]),
    ("bom.csv", _csv_bytes(",", "utf-8", b"\xef\xbb\xbf"), []),
    ("bom-semicolon.csv", _csv_bytes(";", "utf-8", b"\xef\xbb\xbf"),
     ["bom-semicolon.csv: note: read as semicolon-separated, UTF-8"]),
    ("comma-1252.csv", _csv_bytes(",", "cp1252"), ["comma-1252.csv: note: read as comma-separated, Windows-1252"]),
])
def test_every_separator_and_encoding_gives_the_same_attendees(tmp_path, monkeypatch, name, content, note):
    from leafpress.runner.certificates import read_roster

    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(content)
    rows, problems = read_roster(Path(name))
    assert [(r.name, r.email) for r in rows] == ATTENDEES
    assert [r.line for r in rows] == [2, 3, 4, 5]
    assert [str(p) for p in problems] == note


def test_an_xlsx_roster_gives_the_same_attendees(tmp_path, monkeypatch):
    from leafpress.runner.certificates import read_roster

    monkeypatch.chdir(tmp_path)
    _xlsx(tmp_path / "roster.xlsx", [("Nombre", "Correo", None), *ATTENDEES, (None, None, None), (12345, None)])
    rows, problems = read_roster(Path("roster.xlsx"))
    # Rows numbered as the sheet numbers them; a number in a name cell is read as written.
    assert [(r.line, r.name, r.email) for r in rows] == [
        (line, name, email) for line, (name, email) in enumerate(ATTENDEES, start=2)] + [(7, "12345", "")]
    assert problems == []


def test_a_spanish_excel_csv_and_a_workbook_make_the_certificates_of_the_comma_csv(course):
    (course.root / "comma.csv").write_bytes(_csv_bytes(",", "utf-8"))
    (course.root / "excel.csv").write_bytes(_csv_bytes(";", "cp1252"))
    _xlsx(course.root / "roster.xlsx", [("Nombre", "Correo"), *ATTENDEES])
    registers = []
    for roster in ("comma.csv", "excel.csv", "roster.xlsx"):
        code, out, err = run("certificates", "content/course", "--roster", roster, "--out", roster + ".out")
        assert code == 0, err
        registers.append(read_register(course.root / (roster + ".out")))
        assert out.splitlines()[-1].endswith(" 0 failed, 0 warnings.")  # a note is not a warning
        if roster == "excel.csv":
            assert err.splitlines() == ["excel.csv: note: read as semicolon-separated, Windows-1252"]
        else:
            assert err == ""
    assert [(r["name"], r["email"]) for r in registers[0]] == ATTENDEES
    assert registers[1] == registers[0] and registers[2] == registers[0]  # the same numbers and files too


def test_a_repeated_attendee_is_a_warning_with_both_lines_and_one_certificate(course):
    (course.root / "roster.csv").write_text(
        "name,email\n"
        "Ana Test,ana@example.org\n"
        "Bea Test,\n"
        "Other Name,ANA@Example.org\n"  # the same email: the same person
        "  bea   TEST ,\n"  # the same name, ignoring case and spaces
        "Carl Test,carl@example.org\n"
        "Carl Test,carl.other@example.org\n"  # the same name, another email: another person
        "Bea Tést,\n",  # accents count
        encoding="utf-8")
    code, out, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 0, err
    assert err.splitlines() == [
        "roster.csv:4: warning: the same email as line 2 ('Ana Test'): one certificate is made, for line 2; "
        "delete this row",
        "roster.csv:5: warning: the same name as line 3 ('Bea Test'): one certificate is made, for line 3; "
        "delete this row",
    ]
    assert out.splitlines()[-1] == "5 made, 0 failed, 2 warnings."
    folder = course.root / "output" / "course" / "certificates"
    assert [r["name"] for r in read_register(folder)] == ["Ana Test", "Bea Test", "Carl Test", "Carl Test",
                                                          "Bea Tést"]


@pytest.mark.parametrize("content, expected", [
    (b"PK\x03\x04 not really a zip",
     "roster.xlsx: error: is not an .xlsx workbook (not a zip file): open it in Excel or LibreOffice and save it "
     "again as .xlsx, or save the list of attendees as CSV"),
    ("zip without a workbook",
     "roster.xlsx: error: cannot be read as an .xlsx workbook (\"There is no item named '[Content_Types].xml' in "
     "the archive\"): open it in Excel or LibreOffice and save it again as .xlsx, or save the list of attendees "
     "as CSV"),
    ("broken sheet",
     "roster.xlsx: error: cannot be read as an .xlsx workbook (unclosed token: line 1, column 43): open it in "
     "Excel or LibreOffice and save it again as .xlsx, or save the list of attendees as CSV"),
    ("bomb",
     "roster.xlsx: error: unpacks to more than 50 MiB or 1000 files: is this really a list of attendees?"),
])
def test_a_malformed_xlsx_is_one_clear_error(course, content, expected):
    import zipfile

    path = course.root / "roster.xlsx"
    if content == "zip without a workbook":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "hello")
    elif content == "broken sheet":
        _xlsx(path, [("name",), ("Ana Test",)])
        with zipfile.ZipFile(path) as source:
            members = {info.filename: source.read(info) for info in source.infolist()}
        members["xl/worksheets/sheet1.xml"] = b'<worksheet xmlns="x"><sheetData><row r="1"><c'
        with zipfile.ZipFile(path, "w") as archive:
            for member, data in members.items():
                archive.writestr(member, data)
    elif content == "bomb":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b" " * (51 * 2**20))
    else:
        path.write_bytes(content)
    code, _, err = run("certificates", "content/course", "--roster", "roster.xlsx")
    assert code == 1
    assert err.splitlines() == [expected, "Stopped: 1 error."]
