"""Preflight: each finding on a PDF made to have it, with its exact words, and none on a clean one.

The PDFs are typeset by WeasyPrint in the test (small HTML documents with a
bundled font), tagged (PDF/UA-1, as the screen profile) and untagged, and
built by leafpress in a throwaway project for the pipeline and the command.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from weasyprint import HTML

from conftest import ROOT, errors, run
from leafpress import build, load_project
from leafpress.finish.preflight import DEFAULT_MIN_TEXT_PT, Finding, Rules, preflight

SERIF = ROOT / "styles" / "fonts" / "source-serif-4"
# Three lines of 12 pt text on an A5 page with 20 mm margins.
FILLER = ("<p>Leaflets are read by people who are unwell, tired or worried, so every page should be easy to "
          "follow from top to bottom.</p>")


def typeset(body: str, tagged: bool = True, css: str = "") -> bytes:
    """A5 pages, 20 mm margins, 12 pt text in Source Serif 4, a 7 pt page number in the bottom margin."""
    html = f"""<html lang="en"><head><title>Test</title><style>
      @font-face {{ font-family: T; src: url({(SERIF / 'source-serif-4-latin-400-normal.ttf').as_uri()}); }}
      @font-face {{ font-family: T; font-weight: bold;
                    src: url({(SERIF / 'source-serif-4-latin-700-normal.ttf').as_uri()}); }}
      @page {{ size: A5; margin: 20mm; @bottom-right {{ content: "Page " counter(page); font-size: 7pt; }} }}
      body {{ font-family: T; font-size: 12pt; line-height: 1.4; }}
      h2 {{ font-size: 16pt; }}
      {css}
    </style></head><body>{body}</body></html>"""
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1" if tagged else None)


def image_uri() -> str:
    png = io.BytesIO()
    Image.new("RGB", (400, 200), "steelblue").save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


def messages(data: bytes, minimum: float = 12) -> list[str]:
    return [str(finding) for finding in preflight(data, Rules(minimum))]


TAGGED = pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "untagged"])


# --- clean -------------------------------------------------------------------------------------

@TAGGED
def test_a_clean_document_has_no_findings(tagged):
    # Three full pages and a part one; the 7 pt page numbers are running footers, not text below 12 pt.
    data = typeset(FILLER * 30, tagged)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) >= 3
    assert messages(data) == []


def test_a_finding_reads_as_page_and_sentence():
    assert str(Finding(3, "something")) == "page 3: something"


# --- each finding --------------------------------------------------------------------------------

@TAGGED
def test_text_below_the_minimum(tagged):
    data = typeset(FILLER * 3 + '<p style="font-size: 9pt">Small print here</p>', tagged)
    assert messages(data) == ["page 1: text smaller than the minimum of 12 pt: 'Small print here' at 9.0 pt"]
    assert messages(data, minimum=9) == []


def test_superscripts_and_running_footers_may_be_smaller():
    data = typeset(FILLER * 3 + "<p>A cited claim<sup>12</sup> and water (H<sub>2</sub>O).</p>")
    assert messages(data) == []


@TAGGED
def test_text_outside_the_trim_box(tagged):
    data = typeset(FILLER * 3 + '<p style="margin-left: -30mm">Off the edge</p>', tagged)
    assert messages(data) == ["page 1: text outside the trim box, where the page is cut: 'Off the edge' by "
                              "7.7 mm at the left"]


@TAGGED
def test_an_image_cut_off_at_the_page_edge(tagged):
    data = typeset(FILLER * 3 + f'<img src="{image_uri()}" alt="A chart" style="width: 200mm">', tagged)
    assert messages(data) == ["page 2: an image (200 x 100 mm) runs 74.1 mm past the right edge of the page: "
                              "that part is cut off"]


def test_an_image_inside_the_page_is_fine():
    assert messages(typeset(FILLER * 3 + f'<img src="{image_uri()}" alt="A chart" style="width: 100mm">')) == []


@TAGGED
def test_a_heading_stranded_at_the_foot_of_a_page(tagged):
    data = typeset(FILLER * 5 + '<h2>What happens next</h2><p style="break-before: page">The nurse calls you.</p>'
                   + FILLER, tagged)
    assert messages(data) == ["page 1: the heading 'What happens next' is the last thing on the page and its "
                              "content starts on page 2: keep them together (break-after: avoid) or move the break"]


@TAGGED
def test_a_heading_with_its_content_is_fine(tagged):
    assert messages(typeset(FILLER * 5 + "<h2>What happens next</h2><p>The nurse calls you.</p>" + FILLER * 4,
                            tagged)) == []


@TAGGED
def test_a_heading_over_small_print_that_runs_over_the_page_is_fine(tagged):
    # Untagged, small print at the foot of a page is taken for footnotes only when set apart from the text.
    sources = "".join(f"<li>Author {n}. A study of leaflets. J Test. 2020;{n}:1-9.</li>" for n in range(8))
    data = typeset(FILLER * 5 + f"<h2>Sources</h2><ol style=\"font-size: 9pt\">{sources}</ol>" + FILLER * 6, tagged)
    assert messages(data, minimum=9) == []


@TAGGED
def test_a_page_less_than_a_third_full(tagged):
    data = typeset(FILLER + '<p style="break-before: page">Next</p>' + FILLER * 3, tagged)
    assert messages(data) == ["page 1: the page is only 23% full, and a page other than the last should be at "
                              "least a third full: look for a forced page break, or something too tall to fit "
                              "after it"]


def test_the_last_page_may_be_short():
    assert messages(typeset(FILLER * 12)) == []


def _remap(data: bytes, target: bytes, replacement: bytes | None) -> bytes:
    """The PDF with the ToUnicode entry that maps to ``target`` (hex) removed, or mapped to ``replacement``."""
    changed = 0
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for font in pdf.pages[0].Resources.Font.values():
            cmap = font.ToUnicode.read_bytes()
            line = re.search(rb"<([0-9a-f]{4})> <" + target + rb">\n", cmap, re.IGNORECASE)
            if line:
                new = b"" if replacement is None else b"<" + line.group(1) + b"> <" + replacement + b">\n"
                cmap = cmap.replace(line.group(0), new)
                if replacement is None:  # one entry fewer in the block that held it
                    cmap = re.sub(rb"(\d+) beginbfchar", lambda m: b"%d beginbfchar" % (int(m.group(1)) - 1), cmap)
                font.ToUnicode.write(cmap)
                changed += 1
        assert changed == 1
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


UNMAPPED = ("page 1: text that does not read back as Unicode (a glyph with no Unicode mapping, shown here as "
            "\ufffd): copying, searching and screen readers get {} wrong: the font or the PDF writer loses the mapping")


def test_a_ligature_with_no_unicode_mapping():
    # Source Serif sets "ff" as one glyph; without its ToUnicode entry, "different" reads "di erent"
    # ("office" has the "ffi" glyph, which keeps its entry).
    data = _remap(typeset("<p>A different office</p>"), b"00660066", None)
    assert messages(data) == [UNMAPPED.format("'di\ufffderent'")]


def test_a_glyph_mapped_to_private_use():
    data = _remap(typeset("<p>A different office</p>"), b"0041", b"E000")
    assert messages(data) == [UNMAPPED.format("'\ufffd'")]


def test_an_unreadable_file_has_no_findings_here():
    assert preflight(b"not a PDF") == []  # verify_pdf says so


# --- the build, the sample, the command -----------------------------------------------------------

def test_the_sample_topic_builds_with_preflight_warnings_only(sample_build):
    results, _ = sample_build
    assert all(r.ok for r in results)
    found = [p for r in results for p in r.problems if re.match(r"page \d+: ", p.message)]
    for problem in found:
        assert not problem.is_error
        assert problem.path is not None and problem.path.suffix == ".pdf"


def _stranding_project(project) -> Path:
    """A project whose article stylesheet puts a page break after every section heading."""
    body = "## Background\n\n" + "Some text [@smith2020].\n\n" * 3 + "## Evidence\n\nMore text [@smith2020].\n"
    source = project.topic(body=body)
    with (project.root / "styles" / "article.css").open("a", encoding="utf-8") as css:
        css.write("\n.body h2 { break-after: page; }\n")
    return source


def test_a_build_reports_findings_as_warnings_of_the_pdf(project):
    source = _stranding_project(project)
    results, _ = build(load_project(project.root), [source], ["article"])
    (result,) = results
    assert result.ok and result.output is not None and result.output.is_file()
    found = [p for p in result.problems if p.message.startswith("page ")]
    assert found and all(not p.is_error and p.path == result.output for p in found)
    assert "page 1: the heading '1. Background' is the last thing on the page and its content starts on page 2" in (
        found[0].message)


def test_strict_makes_findings_errors_and_fails_the_build(project):
    _stranding_project(project)
    code, _, stderr = run("build", "--layout", "article", "--strict", "--jobs", "1")
    assert code == 1
    assert any("article.en.pdf: error: page 1: the heading '1. Background'" in line for line in errors(stderr))
    code, _, stderr = run("build", "--layout", "article", "--jobs", "1")
    assert code == 0
    assert "article.en.pdf: warning: page 1: the heading '1. Background'" in stderr


def test_check_pdf_on_a_foreign_pdf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a project: no layout, no bundled fonts to compare with
    path = tmp_path / "foreign.pdf"
    path.write_bytes(typeset(FILLER * 3 + '<p style="font-size: 9pt">Small print here</p>', tagged=False))
    code, stdout, stderr = run("check", "--pdf", str(path))
    assert code == 0 and "0 with problems." in stdout
    assert DEFAULT_MIN_TEXT_PT < 7 and "warning" not in stderr  # 9 pt is above the default minimum
    code, stdout, stderr = run("check", "--pdf", "--min-text", "12", str(path))
    assert code == 0
    assert ("foreign.pdf: warning: page 1: text smaller than the minimum of 12 pt: 'Small print here' at 9.0 pt"
            in stderr)
    assert "foreign.pdf: ok, 1 warning" in stdout and "1 with warnings." in stdout
    code, stdout, stderr = run("check", "--pdf", "--min-text", "12", "--strict", str(path))
    assert code == 1
    assert "foreign.pdf: error: page 1: text smaller than the minimum of 12 pt" in stderr
    assert "foreign.pdf: FAILED" in stdout
