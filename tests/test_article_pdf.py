"""Facts about the sample article PDF that readers and printers rely on."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest

from conftest import ROOT, pdf_text
from leafpress.finish.verify import bundled_font_names, fonts_used

A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def pdf(article_pdf):
    with pikepdf.open(article_pdf) as document:
        yield document


@pytest.fixture(scope="module")
def pages_text(article_pdf, pdf):
    return [pdf_text(article_pdf, n) for n in range(1, len(pdf.pages) + 1)]


def test_every_page_is_a4(pdf):
    for page in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        assert (round(x1 - x0, 2), round(y1 - y0, 2)) == A4


def test_only_bundled_fonts_are_used_and_all_are_embedded(article_pdf, pdf):
    uses = fonts_used(pdf)
    assert uses and all(use.embedded for use in uses)
    assert {use.name for use in uses} <= bundled_font_names(ROOT / "styles" / "fonts")
    # pdffonts is what a print shop runs: every font embedded, none from the system.
    lines = subprocess.run(["pdffonts", str(article_pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert lines
    for line in lines:
        name, emb = line.split()[0], line.split()[-5]
        assert emb == "yes", line
        assert re.fullmatch(r"[A-Z]{6}\+Source-(Serif-4|Sans-3)\S*", name), line


def test_metadata_title_author_subject_keywords_language(pdf):
    info = pdf.docinfo
    assert str(info["/Title"]) == "Ketamine for chronic neuropathic pain"
    # No named author in the seed: the publisher stands in, and the build warns.
    assert str(info["/Author"]) == "Clínica Synaptica"
    assert str(info["/Subject"]).startswith("Evidence on ketamine for chronic neuropathic pain")
    assert "neuropathic pain" in str(info["/Keywords"])
    assert str(pdf.Root.Lang) == "en"
    # Dates come from the front matter, not the build time.
    assert str(info["/CreationDate"]) == "D:20261125000000Z"


def test_bookmarks_follow_the_numbered_headings(pdf):
    with pdf.open_outline() as outline:
        (top,) = outline.root
        children = [item.title for item in top.children]
    assert top.title == "Ketamine for chronic neuropathic pain"
    assert children[:3] == ["1. Chronic and neuropathic pain", "2. Ketamine as a treatment option",
                            "3. Safety and monitoring"]
    assert children[-2:] == ["References", "Document control"]


def test_citations_are_numbered_in_order_of_first_use(pages_text):
    text = "\n".join(pages_text)
    body = text[: text.index("References\n")]
    first_seen: list[int] = []
    for group in re.findall(r"\[(\d[\d,–\s]*)\]", body):
        for part in group.split(","):
            ends = [int(n) for n in part.split("–")]
            for number in range(ends[0], ends[-1] + 1):
                if number not in first_seen:
                    first_seen.append(number)
    assert first_seen == list(range(1, 9))


def test_citation_numbers_link_to_their_bibliography_entries(pdf):
    names = pdf.Root.Names.Dests.Names
    destinations = {str(names[i]) for i in range(0, len(names), 2)}
    assert {f"ref-{n}" for n in range(1, 9)} <= destinations
    links = [str(a.Dest) for page in pdf.pages for a in page.get("/Annots", []) if "/Dest" in a]
    assert set(links) == {f"ref-{n}" for n in range(1, 9)}


def test_bibliography_is_vancouver_with_working_doi_links(pdf, pages_text):
    # Compare without spaces: line breaks fall anywhere in the printed entries.
    text = re.sub(r"\s+", "", "".join(pages_text))
    for entry in ("1. Niesters M, Martini C, Dahan A. Ketamine for chronic pain: risks and benefits. "
                  "Br J Clin Pharmacol. 2014;77(2):357-67. doi:10.1111/bcp.12094",
                  "2. Sigtermans MJ, et al. Ketamine produces effective and long-term pain relief in "
                  "patients with complex regional pain syndrome type 1. Pain. 2009;145(3):304-11. "
                  "doi:10.1016/j.pain.2009.06.023."):
        assert re.sub(r"\s+", "", entry) in text
    uris = {str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a}
    assert {"https://doi.org/10.1016/j.pain.2009.06.023", "https://doi.org/10.2147/JPR.S358070",
            "https://doi.org/10.1016/j.neuropharm.2018.05.012", "https://doi.org/10.1111/bcp.12094"} == uris


def test_footer_shows_page_x_of_y_and_version(pages_text):
    total = len(pages_text)
    for number, text in enumerate(pages_text, start=1):
        assert f"Page {number} of {total}" in text
        assert "Version 1.0" in text


def test_running_header_with_short_title_after_the_first_page(pages_text):
    assert pages_text[0].startswith("FOR HEALTHCARE PROFESSIONALS\n")
    for text in pages_text[1:]:
        assert text.startswith("Ketamine for neuropathic pain\n\nClínica Synaptica\n")


def test_title_block_names_reviewer_and_audience(pages_text):
    first = re.sub(r"\s+", " ", pages_text[0])
    assert "FOR HEALTHCARE PROFESSIONALS" in first
    assert "Reviewed by: Clínica Synaptica" in first
    assert "healthcare professionals practising in Spain" in first


def test_footnotes_sit_at_the_foot_of_the_page_that_calls_them(pages_text):
    (page,) = [text for text in pages_text if "received placebo.a" in text]  # the call, a superscript letter
    note = page.index("The trial used S(+)-ketamine")
    assert note > page.index("received placebo.a")  # below the body text that calls it
    assert note < page.index("Page ")
    assert "22.2 ± 2.0 mg/h per 70 kg" in re.sub(r"\s+", " ", page)


def test_document_control_on_the_last_page(pages_text):
    last = re.sub(r"\s+", " ", pages_text[-1])
    for fact in ("Document control", "Publisher Clínica Synaptica", "Version 1.0",
                 "Published 25 November 2026", "Next review 25 November 2028"):
        assert fact in last


def test_table_keeps_its_caption_and_rows_whole(pages_text):
    page = re.sub(r"\s+", " ", next(t for t in pages_text if "Table 1." in t))
    # Cells are read column by column, so a study's name may be split by the next cell's text.
    assert "Sigtermans et" in page and "Guimarães" in page and "al., 2022" in page


def test_qpdf_finds_no_syntax_errors(article_pdf):
    result = subprocess.run(["qpdf", "--check", str(article_pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sample_build_reports_the_real_gaps(sample_build):
    results, project_problems = sample_build
    messages = [str(p) for r in results for p in r.problems] + [str(p) for p in project_problems]
    assert any("no named author" in m for m in messages)
    for key in ("keizer2020", "castellanos2020", "kooijman2023", "stratton2024"):
        assert any(f"reference '{key}' has no DOI, PMID or URL" in m for m in messages)
    assert not any("'sigtermans2009' has no DOI" in m for m in messages)


def test_body_text_runs_60_to_75_characters_a_line(pages_text):
    # Full lines of running text (a line that ends a paragraph is shorter; tables and notes differ).
    lengths = sorted(len(line) for text in pages_text[:3] for line in text.splitlines() if len(line) > 50)
    median = lengths[len(lengths) // 2]
    assert 60 <= median <= 75, median


def test_no_word_is_hyphenated_across_a_page_break(article_pdf, pages_text):
    # The last line of each page before its footer (or its footnotes, which are checked the same way).
    ends = [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(article_pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, len(pages_text) + 1)]
    for text in ends:
        body = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(
            ("Version", "Page"))]
        assert body and not re.search(r"[a-z]-$", body[-1]), body[-1]


def test_a_doi_label_never_ends_a_line_without_its_doi(article_pdf):
    # Entry 2's "doi:" fell at a line's end, its DOI on the next, before the label was joined to its link.
    lines = [line.rstrip() for line in pdf_text(article_pdf).splitlines()]
    assert any("doi:10.1016/j.pain.2009.06.023." in line for line in lines)
    assert not [line for line in lines if line.endswith(("doi:", "PMID", "PMCID"))]
