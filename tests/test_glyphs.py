"""Every character is drawn with its font's own glyph, in every bundled face.

pdftotext cannot see this kind of failure: the text layer (ToUnicode) stays
right while the page shows the wrong glyphs, which is what WeasyPrint does
when two font files of one family, style and weight are declared (Latin and
Latin Extended). So the embedded font programs are read directly.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pikepdf
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont

from conftest import ROOT, errors, glyphs_shown, notdef_drawn, pdf_text, run, to_unicode
from leafpress.commands.cli import main
from leafpress.finish.verify import verify_pdf

NAMES = "Antonín Dvořák, Łukasz Żółć and Ştefan Ţiriac"


@pytest.mark.parametrize("audience, source, layout", [
    ("professionals", "article.md", "article"),
    ("patients", "patient.en.md", "patient"),
])
def test_latin_extended_names_show_their_own_glyphs(project, audience, source, layout):
    article = project.topic("t", body=f"{NAMES} wrote **{NAMES}** [@smith2020] [@jones2021].\n",
                            audience=audience, title=f'"{NAMES}"', authors="[{name: Łukasz Żółć}]")
    if source != "article.md":
        article.rename(article.with_name(source))
    result = CliRunner().invoke(main, ["build", "--layout", layout])
    assert result.exit_code == 0, result.stderr
    (pdf_path,) = (project.root / "output" / "t").glob(f"{layout}.en.pdf")
    assert NAMES in " ".join(pdf_text(pdf_path).split())
    assert own_glyphs_only(pdf_path, project.root / "styles" / "fonts") > 40


def own_glyphs_only(pdf_path, fonts_folder) -> int:
    """Check every glyph a PDF draws is its character's glyph in a bundled font; how many were checked."""
    originals = bundled_fonts(fonts_folder)
    checked = 0
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for font_name, gids in glyphs_shown(page).items():
                font = page.Resources.Font[font_name]
                program = TTFont(io.BytesIO(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()))
                assert not notdef_drawn(program, gids), f".notdef drawn with {font_name}"
                pairs = [(gid, text) for gid, text in to_unicode(font).items()
                         if len(text) == 1 and not text.isspace()]
                # Subsetting keeps glyph ids but drops names: judge against the bundled
                # file(s) of the same PostScript name. In one of them every glyph drawn
                # must be its character's glyph or an OpenType alternate of it ("one.tf").
                candidates = originals[program["name"].getDebugName(6)]
                assert any(all(_own_glyph(original, gid, text) for gid, text in pairs) for original in candidates), \
                    [(text, gid) for gid, text in pairs if not any(_own_glyph(o, gid, text) for o in candidates)]
                checked += len(pairs)
    return checked


def _own_glyph(font: TTFont, gid: int, text: str) -> bool:
    own = font.getBestCmap().get(ord(text))
    order = font.getGlyphOrder()
    return bool(own) and gid < len(order) and order[gid].split(".")[0] == own.split(".")[0]


def bundled_fonts(folder) -> dict[str, list[TTFont]]:
    found: dict[str, list[TTFont]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".ttf", ".woff")):
        font = TTFont(path)
        found.setdefault(font["name"].getDebugName(6), []).append(font)
    return found


# --- Greek, Cyrillic and Vietnamese ----------------------------------------------------------

SCRIPTS = ("Ψυχολογία και υγεία, Здравствуйте, Ґанок і їжак, Ђорђе из Љубљане, Ѣ ѳ, "
           "Tiếng Việt: Nguyễn Thị Hằng, Đặng Văn Phước")
# The PDF font names WeasyPrint gives each bundled subset: CSS family, then weight and style.
SUBSET_FONT = re.compile(r"/[A-Z]{6}\+(Source-(Serif-4|Sans-3)-(Greek|Cyrillic|Cyrillic-Ext|Vietnamese)\S*)")


def _subset_fonts(pdf_path) -> set[str]:
    with pikepdf.open(pdf_path) as pdf:
        return {match.group(1) for page in pdf.pages for font in page.Resources.Font.values()
                if (match := SUBSET_FONT.fullmatch(str(font.BaseFont)))}


@pytest.mark.parametrize("audience, source, layout, fonts", [
    ("professionals", "article.md", "article", {"Source-Serif-4-Greek", "Source-Serif-4-Cyrillic",
                                                "Source-Serif-4-Cyrillic-Ext", "Source-Serif-4-Vietnamese",
                                                "Source-Serif-4-Greek-Bold", "Source-Serif-4-Greek-Italic",
                                                "Source-Sans-3-Greek-Bold", "Source-Sans-3-Vietnamese-Bold"}),
    ("patients", "patient.en.md", "patient", {"Source-Sans-3-Greek", "Source-Sans-3-Cyrillic",
                                              "Source-Sans-3-Cyrillic-Ext", "Source-Sans-3-Vietnamese",
                                              "Source-Sans-3-Greek-Bold", "Source-Sans-3-Vietnamese-Bold"}),
])
def test_greek_cyrillic_and_vietnamese_show_their_own_glyphs(project, audience, source, layout, fonts):
    article = project.topic("t", body=f"## {SCRIPTS}\n\n{SCRIPTS} [@smith2020].\n\n**{SCRIPTS}**\n\n*{SCRIPTS}*\n",
                            audience=audience, title=f'"{SCRIPTS[:30]}"', authors="[{name: Ђорђе Јовановић}]")
    if source != "article.md":
        article.rename(article.with_name(source))
    result = CliRunner().invoke(main, ["build", "--layout", layout])
    assert result.exit_code == 0, result.stderr
    (pdf_path,) = (project.root / "output" / "t").glob(f"{layout}.en.pdf")
    assert SCRIPTS in " ".join(pdf_text(pdf_path).split())
    assert fonts <= _subset_fonts(pdf_path)
    assert own_glyphs_only(pdf_path, project.root / "styles" / "fonts") > 100


def test_vietnamese_patient_text_is_set_in_one_typeface(tmp_path):
    """Atkinson Hyperlegible lacks most Vietnamese letters: a leaflet in Vietnamese is all Source Sans 3.
    (leafpress has no Vietnamese language strings yet, so the patient stylesheets are tried directly.)"""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    styles = ROOT / "styles"
    fonts = FontConfiguration()
    sheets = [CSS(filename=styles / name, font_config=fonts) for name in ("fonts/fonts.css", "base.css", "patient.css")]
    html = '<html lang="vi"><head><title>T</title></head><body><h1>Tiếng Việt</h1><p>Nguyễn Thị Hằng</p></body></html>'
    path = tmp_path / "vi.pdf"
    path.write_bytes(HTML(string=html).write_pdf(stylesheets=sheets, font_config=fonts))
    with pikepdf.open(path) as pdf:
        names = {str(font.BaseFont).split("+")[-1] for font in pdf.pages[0].Resources.Font.values()}
    assert names == {"Source-Sans-3-Bold", "Source-Sans-3-Vietnamese-Bold", "Source-Sans-3,",
                     "Source-Sans-3-Vietnamese"}, names
    own_glyphs_only(path, styles / "fonts")


def test_a_decomposed_accent_is_composed_in_the_pdf(project):
    decomposed = "Jose\u0301 Nu\u0301n\u0303ez and Vie\u0323\u0302t"
    project.topic("t", body=f"{decomposed} [@smith2020].\n", title=f'"{decomposed}"')
    result = CliRunner().invoke(main, ["build", "--layout", "article"])
    assert result.exit_code == 0, result.stderr
    text = pdf_text(project.root / "output" / "t" / "article.en.pdf")
    composed = unicodedata.normalize("NFC", decomposed)
    assert composed == "José Núñez and Việt"
    assert composed in " ".join(text.split())
    assert "\u0301" not in text and "\u0323" not in text


# --- a character no bundled font has ------------------------------------------------------------

LINEAR_B = "\U00010000"  # LINEAR B SYLLABLE B008 A


@pytest.mark.parametrize("audience, source, layout", [
    ("professionals", "article.md", "article"),
    ("patients", "patient.en.md", "patient"),
])
def test_a_character_no_font_has_is_named_with_its_line_by_build_and_check(project, audience, source, layout):
    article = project.topic("t", body=f"First line [@smith2020].\n\nThe sign {LINEAR_B} is Linear B.\n",
                            audience=audience)
    article = article.rename(article.with_name(source))
    line = article.read_text(encoding="utf-8").splitlines().index(f"The sign {LINEAR_B} is Linear B.") + 1
    expected = (f"content/t/{source}:{line}: error: the character \"{LINEAR_B}\" (U+10000 LINEAR B SYLLABLE "
                f"B008 A) is in none of the bundled fonts of the {layout} layout: remove it, or add a font "
                "that has it to styles/fonts/")
    code, out, err = run("build", "--layout", layout)
    assert code == 1
    assert errors(err) == [expected]  # before typesetting: no font error follows
    assert f"FAILED t/{layout}" in out + err
    assert not (project.root / "output" / "t").exists() or not list((project.root / "output" / "t").iterdir())
    code, out, err = run("check")
    assert code == 1
    assert expected in errors(out + err)


def test_a_character_in_front_matter_is_found_on_its_line(project):
    project.topic("t", subtitle=f'"Signs: {LINEAR_B}"')
    code, out, err = run("check")
    assert code == 1
    (line,) = [n for n, text in enumerate((project.root / "content" / "t" / "article.md").read_text(
        encoding="utf-8").splitlines(), start=1) if text.startswith("subtitle:")]
    assert f"content/t/article.md:{line}: error: the character \"{LINEAR_B}\" (U+10000" in "\n".join(errors(out + err))


@pytest.mark.parametrize("count, more", [
    (21, "1 more character is in none of the bundled fonts of the article layout: remove it, or add a font "
         "that has it to styles/fonts/"),
    (23, "3 more characters are in none of the bundled fonts of the article layout: remove them, or add a font "
         "that has them to styles/fonts/"),
])
def test_characters_past_the_twentieth_are_counted_in_one_error_that_says_what_to_do(project, count, more):
    named = (chr(point) for point in range(0x10000, 0x10080) if unicodedata.name(chr(point), ""))
    signs = "".join(next(named) for _ in range(count))  # Linear B, which no bundled font has
    project.topic("t", body=f"First line [@smith2020] [@jones2021].\n\nSigns: {signs}\n")
    code, out, err = run("check")
    assert code == 1
    found = errors(out + err)
    assert len([e for e in found if "LINEAR B" in e]) == 20
    assert f"content/t/article.md: error: {more}" in found


def test_the_font_check_names_the_characters_a_system_font_drew():
    """The backstop after typesetting: a character some bundled font has, but not the fonts of its text."""
    from weasyprint import HTML

    pdf = HTML(string='<html lang="en"><head><title>T</title></head>'
                      '<body style="font-family: DejaVu Sans"><p>ψ</p></body></html>').write_pdf()
    problems = [p for p in verify_pdf(pdf, frozenset({"SourceSerif4-Regular"})) if p.startswith("font ")]
    assert problems == ['font DejaVuSans is not one of the bundled fonts: the character "ψ" (U+03C8 GREEK '
                        'SMALL LETTER PSI) is in none of the fonts of the text around it and fell back to this '
                        'system font: remove it, or add a font that has it to styles/fonts/']


# --- list markers ---------------------------------------------------------------------------------

NESTED = """\
- One
    - Two
        - Three
            - Four
- Back

1. One
    1. Two
        1. Three
            1. Four
"""


@pytest.mark.parametrize("audience, source, layout", [
    ("professionals", "article.md", "article"),
    ("patients", "patient.en.md", "patient"),
])
def test_nested_lists_use_markers_the_bundled_fonts_have(project, audience, source, layout):
    article = project.topic("t", body=f"Text [@smith2020].\n\n{NESTED}", audience=audience)
    article.rename(article.with_name(source))
    result = CliRunner().invoke(main, ["build", "--layout", layout])
    assert result.exit_code == 0, result.stderr
    (pdf_path,) = (project.root / "output" / "t").glob(f"{layout}.en.pdf")
    lines = [line.strip() for line in pdf_text(pdf_path).splitlines() if line.strip()]
    start = lines.index("• One")
    assert lines[start:start + 9] == ["• One", "– Two", "· Three", "• Four", "• Back",
                                      "1. One", "a. Two", "i. Three", "1. Four"]
    own_glyphs_only(pdf_path, project.root / "styles" / "fonts")


# --- certificates ---------------------------------------------------------------------------------

CERTIFICATE_NAMES = ["Γιώργος Παπαδόπουλος", "Ольга Иванова", "Ђорђе Јовановић", "Nguyễn Thị Hằng"]


def test_certificate_names_in_greek_cyrillic_and_vietnamese(project):
    from test_certificates import PENDING

    article = project.topic("course")
    (article.parent / "cpd.yaml").write_text(PENDING, encoding="utf-8")
    roster = "name\n" + "\n".join(CERTIFICATE_NAMES) + "\n" + unicodedata.normalize("NFD", "Trần Văn Đức") + "\n"
    (project.root / "roster.csv").write_text(roster, encoding="utf-8")
    code, _, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 0, err
    folder = project.root / "output" / "course" / "certificates"
    for name in [*CERTIFICATE_NAMES, "Trần Văn Đức"]:
        path = folder / f"{name}.pdf"
        assert name in " ".join(pdf_text(path).split())
        assert _subset_fonts(path)
        own_glyphs_only(path, project.root / "styles" / "fonts")
