"""Every character is drawn with its font's own glyph, in every bundled face.

pdftotext cannot see this kind of failure: the text layer (ToUnicode) stays
right while the page shows the wrong glyphs, which is what WeasyPrint does
when two font files of one family, style and weight are declared (Latin and
Latin Extended). So the embedded font programs are read directly.
"""

from __future__ import annotations

import io

import pikepdf
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont

from conftest import glyphs_shown, notdef_drawn, pdf_text, to_unicode
from leafpress.commands.cli import main

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
    originals = bundled_fonts(project.root / "styles" / "fonts")
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
    assert checked > 40


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
