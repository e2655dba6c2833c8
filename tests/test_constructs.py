"""Markdown as clinics write it, in print: nested lists, figures, captions, callouts, numbers and units.

Test content here is not medical content: it only exercises the constructs.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from weasyprint import HTML

from conftest import errors, pdf_text, run
from leafpress.source.lists import normalise_list_indentation
from leafpress.source.markup import CitationState, render_markdown
from leafpress.source.typography import keep_together
from leafpress.typeset.engine import (
    keep_words_whole,
    mark_tables_too_wide,
    number_tables,
    tables_too_wide,
    words_hyphenated_across_pages,
)

NBSP = "\u00a0"


def html_of(text: str, language: str = "en",
            known: frozenset[str] = frozenset({"a", "b"})) -> tuple[str, CitationState]:
    state = CitationState(known=known, language=language)
    return render_markdown(text, state), state


# --- lists -------------------------------------------------------------------------

@pytest.mark.parametrize("indent", [2, 3, 4])
def test_nested_bulleted_and_numbered_lists_nest_at_any_common_indent(indent):
    pad = " " * indent
    text = f"- one\n{pad}- two\n{pad}{pad}1. three\n{pad}{pad}{pad}- four\n- five\n"
    html, _ = html_of(text)
    flat = re.sub(r"\s+", "", html)
    assert flat == ("<ul><li>one<ul><li>two<ol><li>three<ul><li>four</li></ul></li></ol></li></ul></li>"
                    "<li>five</li></ul>")


def test_a_paragraph_indented_under_an_item_stays_in_it_and_line_numbers_are_kept():
    text = "1. First\n\n   More about the first.\n\n   - a detail\n\n2. Second\n\nAfter the list.\n"
    normalised = normalise_list_indentation(text)
    assert normalised.count("\n") == text.count("\n")
    html, _ = html_of(text)
    flat = re.sub(r"\s+", " ", html)
    assert "<li> <p>First</p> <p>More about the first.</p> <ul> <li>a detail</li> </ul> </li>" in flat
    assert "<p>After the list.</p>" in flat


def test_code_and_quotes_are_left_as_written():
    text = "> - quoted\n>   - nested in a quote\n\n    - indented code\n"
    assert normalise_list_indentation(text) == text


# --- figures, tables, cross-references ------------------------------------------------

def test_an_image_alone_is_a_numbered_figure_with_its_caption_citations_and_width():
    html, state = html_of("See [@fig:chart].\n\n![Scores by week [@b]](chart.png){#fig:chart width=60%}\n")
    assert '<a href="#fig:chart">Figure&nbsp;1</a>' in html
    assert ('<figure class="figure" id="fig:chart"><img alt="Scores by week" src="chart.png" style="width: 60%">'
            '<figcaption><span class="caption-label">Figure&nbsp;1.</span> Scores by week '
            '<span class="citation">[<a href="#ref-1">1</a>]</span></figcaption></figure>') in html
    assert state.order == ["b"] and not state.removed


def test_a_figure_s_alt_text_goes_without_citations_with_a_prefix_locator_or_minus():
    html, state = html_of("![Scores by week [see @b, p. 3; -@a]](chart.png)\n")
    assert '<img alt="Scores by week" src="chart.png">' in html
    assert state.order == ["b", "a"]


def test_spanish_labels_and_numbering_in_reading_order():
    text = ("![Primera](a.png)\n\nTabla: Dosis {#tbl:dosis}\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n"
            "![Segunda](b.png){#fig:dos}\n\nVer [@fig:dos] y [@tbl:dosis].\n")
    html, _ = html_of(text, language="es")
    assert html.index("Figura&nbsp;1.") < html.index("Tabla&nbsp;1.") < html.index("Figura&nbsp;2.")
    assert '<a href="#fig:dos">Figura&nbsp;2</a>' in html and '<a href="#tbl:dosis">Tabla&nbsp;1</a>' in html


def test_an_image_inside_a_sentence_stays_inline():
    html, _ = html_of("An icon ![i](i.png) in a sentence.\n")
    assert "<figure" not in html and '<img alt="i" src="i.png">' in html


def test_a_cross_reference_to_nothing_and_a_bad_width_are_errors_at_their_lines(project):
    project.topic("t", body="[@smith2020] [@jones2021]\n\nSee [@fig:missing].\n\n![Chart](c.png){width=huge}\n")
    code, stdout, _ = run("check")
    assert code == 1
    assert errors(stdout) == [
        "content/t/article.md:18: error: cross-reference '@fig:missing' points at no figure in this "
        "document: give the figure the id {#fig:missing} or fix the spelling",
        "content/t/article.md:20: error: image width 'huge' is not a size: write a percentage of the text "
        "width (width=60%) or a length in mm, cm, in or pt (width=80mm)"]


def test_table_note_and_short_table_marks():
    rows = "".join(f"| {n} | x |\n" for n in range(12))
    html, _ = html_of(f"| A | B |\n|---|---|\n{rows}\nNote: all values are made up.\n\n"
                      "| C | D |\n|---|---|\n| 1 | 2 |\n")
    long_table, short_table = re.findall(r"<table[^>]*>", html)
    assert long_table == "<table>" and short_table == '<table class="short-table">'
    assert re.search(r'<p class="table-note">Note: all values are made up.</p>\s*</div>', html)


def test_admonitions_are_boxes_with_titles():
    html, _ = html_of('!!! help "When to get help"\n    Call the clinic.\n\n!!! note\n    A note.\n')
    assert '<div class="admonition help">\n<p class="admonition-title">When to get help</p>' in html
    assert '<div class="admonition note">\n<p class="admonition-title">Note</p>' in html


# --- numbers and words --------------------------------------------------------------

@pytest.mark.parametrize("written, kept", [
    ("5.45 ± 0.48", f"5.45{NBSP}±{NBSP}0.48"),
    ("P < 0.05", f"P{NBSP}<{NBSP}0.05"),
    ("n = 42", f"n{NBSP}={NBSP}42"),
    ("20 mg", f"20{NBSP}mg"),
    ("50 %", f"50{NBSP}%"),
    ("for 3 days", f"for 3{NBSP}days"),
    ("2 groups", "2 groups"),
    ("a < b", "a < b"),
])
def test_numbers_keep_their_units_and_signs(written, kept):
    assert keep_together(written) == kept


def test_words_with_their_own_hyphen_are_not_hyphenated_again():
    html, _ = html_of("A therapy-resistant case, not `code-like`.\n")
    assert '<span class="hyphenated">therapy-resistant</span>' in html
    assert "<code>code-like</code>" in html


# --- in the PDF ----------------------------------------------------------------------

def _png(path: Path, width: int, height: int) -> None:
    """A plain grey PNG of the given size (no plotting library needed for a test picture)."""
    row = b"\x00" + b"\x80" * width
    data = zlib.compress(row * height)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))


LEAFLET = """\
Some text.

- level one
  - level two
    - level three
      - level four

![A wide chart, scaled to the page](wide.png){#fig:wide}

!!! warning "Take care"
    A box that stays whole.

Term
:   Its definition.
"""


@pytest.mark.parametrize("source, layout", [("article.md", "article"), ("patient.en.md", "patient"),
                                            ("patient.en.md", "patient-large-print")])
def test_constructs_build_in_every_layout_and_the_wide_image_fits_the_page(project, source, layout):
    audience = "professionals" if layout == "article" else "patients"
    article = project.topic("t", body=f"[@smith2020] [@jones2021]\n\n{LEAFLET}", audience=audience)
    if source != "article.md":
        article.rename(article.with_name(source))
    _png(article.parent / "wide.png", 1500, 400)
    code, _, stderr = run("build", "--layout", layout)
    assert code == 0, stderr
    assert "preflight" not in stderr and "outside" not in stderr and "font" not in stderr, stderr
    (pdf,) = (project.root / "output" / "t").glob(f"{layout}*.pdf")
    text = " ".join(pdf_text(pdf).split())
    assert "Figure 1. A wide chart, scaled to the page" in text
    assert "level four" in text and "- level" not in text


def test_a_word_hyphenated_across_a_page_break_is_kept_whole():
    html = ('<html lang="en"><style>@page { size: 50mm 30mm; margin: 2mm } '
            'p { hyphens: auto; text-align: justify; font-size: 9pt }</style><p>'
            + " ".join(["extraordinarily", "uncharacteristically", "incomprehensibilities"] * 12) + "</p></html>")
    pages = HTML(string=html).render().pages
    words = words_hyphenated_across_pages(pages, html)
    assert words, "the test text should hyphenate a word across pages"
    for _ in range(3):  # as the typesetter does
        html = keep_words_whole(html, words)
        words = words_hyphenated_across_pages(HTML(string=html).render().pages, html)
        if not words:
            break
    assert not words


def test_an_image_too_small_for_print_is_a_warning_at_its_line_and_a_sharp_one_is_not(project):
    article = project.topic("t", body="[@smith2020] [@jones2021]\n\n![Soft chart](small.png)\n\n"
                                      "![Sharp chart](large.png){width=50%}\n")
    _png(article.parent / "small.png", 300, 100)
    _png(article.parent / "large.png", 1200, 400)
    code, _, stderr = run("build", "--layout", "article")
    assert code == 0, stderr
    lines = [line for line in stderr.splitlines() if "ppi" in line]
    assert lines == ["content/t/article.md:18: warning: image 'small.png' is 300 pixels across, printed 79 mm "
                     "wide: 96 ppi, below the 200 ppi print needs: supply it at least 625 pixels wide (300 ppi "
                     "is best), or give it a smaller width"]


DRAWING = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Test fixture in the way a drawing tool writes: the families of the machine that drew it. -->
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120" viewBox="0 0 400 120">
  <style>.label { font: 14px "Segoe UI"; }</style>
  <rect x="5" y="5" width="390" height="110" fill="none" stroke="#1f5f8b" stroke-width="2"/>
  <text x="20" y="30" style="font-family:Arial, Helvetica, sans-serif;font-size:16px">Arial box</text>
  <text x="20" y="55" font-family="'Times New Roman', Times, serif" font-size="16">Times box</text>
  <text x="20" y="80" font-size="16">No family at all</text>
  <text x="20" y="105" class="label">Shorthand font</text>
</svg>
"""


@pytest.mark.parametrize("source, layout", [("article.md", "article"), ("patient.en.md", "patient")])
def test_svg_text_from_drawing_tools_is_set_in_the_bundled_fonts(project, source, layout):
    audience = "professionals" if layout == "article" else "patients"
    article = project.topic("t", body="[@smith2020] [@jones2021]\n\n![A flow chart](flow.svg)\n",
                            audience=audience)
    if source != "article.md":
        article.rename(article.with_name(source))
    (article.parent / "flow.svg").write_text(DRAWING, encoding="utf-8")
    code, _, stderr = run("build", "--layout", layout)
    assert code == 0, stderr
    (pdf,) = (project.root / "output" / "t").glob(f"{layout}*.pdf")
    text = " ".join(pdf_text(pdf).split())
    for words in ("Arial box", "Times box", "No family at all", "Shorthand font"):
        assert words in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert names and all(name.startswith(("Source", "Atkinson")) for name in names), names
    assert any("Serif" in name for name in names), names  # the Times text


WIDE_TABLE = """\
Table: Seven columns in a narrow leaflet (test fixture)

| Day | Morning | Afternoon | Evening | Room | Contact person | Notes |
|---|---|---|---|---|---|---|
| Monday | 09:00–12:00 | 14:00–17:00 | none | Outpatients-Building-North | Anastasopoulou | Bring your list |
| Wednesday | 09:00–12:00 | 14:00–17:00 | 18:00–20:00 | Physiotherapy | Vanderbilt-Oyelaran | Side entrance |
"""


def test_a_table_too_wide_for_the_leaflet_breaks_its_words_rather_than_the_page(project):
    article = project.topic("t", body=f"[@smith2020] [@jones2021]\n\nA table.\n\n{WIDE_TABLE}\n",
                            audience="patients")
    article.rename(article.with_name("patient.en.md"))
    code, _, stderr = run("build", "--layout", "patient")
    assert code == 0, stderr
    assert "outside the trim box" not in stderr and "preflight" not in stderr, stderr
    text = pdf_text(project.root / "output" / "t" / "patient.en.pdf")  # read cell by cell, line by line
    assert "Outpatients-" in text and "Oyelaran" in text and "Side" in text


def test_only_tables_that_do_not_fit_are_marked():
    html = number_tables("<table><tr><td>a</td></tr></table><TABLE class=x></TABLE>")
    assert html == '<table data-table="0"><tr><td>a</td></tr></table><TABLE data-table="1" class=x></TABLE>'
    assert mark_tables_too_wide(html, ["1"]).count("data-too-wide") == 1
    narrow = '<html><style>@page { size: 60mm 60mm; margin: 5mm }</style>' + number_tables(
        "<table style='width: 100%'><tr><td>Extraordinarily</td><td>Incomprehensibilities</td>"
        "<td>Uncharacteristically</td></tr></table><table><tr><td>fits</td></tr></table>") + "</html>"
    assert tables_too_wide(HTML(string=narrow).render().pages) == ["0"]
