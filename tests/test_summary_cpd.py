"""The clinician summary and the CPD handout, read from the real PDFs."""

from __future__ import annotations

import re
import shutil
import subprocess

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import CPD, EVIDENCE, QUESTION, ROOT, SUMMARY, add_data, pdf_text
from leafpress import load_project, plan, render_target
from leafpress.commands.cli import main
from leafpress.pipeline import Session

URL = "https://www.clinicasynaptica.com/en/ketamine-for-chronic-neuropathic-pain"
A4 = (595.28, 841.89)


def build(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["build", *args])
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def page_size(pdf: pikepdf.Pdf, index: int = 0) -> tuple[float, float]:
    x0, y0, x1, y1 = (float(v) for v in pdf.pages[index].mediabox)
    return round(x1 - x0, 2), round(y1 - y0, 2)


# --- the sample summary ---------------------------------------------------------

def test_sample_summary_is_exactly_one_a4_page(summary_pdf):
    with pikepdf.open(summary_pdf) as pdf:
        assert len(pdf.pages) == 1
        assert page_size(pdf) == A4


def test_sample_summary_has_key_points_table_safety_and_references(summary_pdf):
    text = flat(pdf_text(summary_pdf))
    for fact in ("CLINICIAN SUMMARY", "Key points", "Safety and monitoring", "Evidence at a glance",
                 "Study Design Participants Population Intervention Main result Ref.",
                 "Sigtermans et al., 2009", "Guimarães Pereira et al., 2022", "References",
                 "Next review: 25 November 2028"):
        assert fact in text, fact
    # The table's numbers come from evidence.yaml.
    assert "2.68 ± 0.51 vs 5.45 ± 0.48" in text


def test_sample_summary_figure_is_drawn_from_the_data(summary_pdf):
    text = flat(pdf_text(summary_pdf))
    assert "1 week after treatment" in text and "30 days after treatment" in text
    assert "−2.14 (−2.65 to −1.63)" in text and "−1.68 (−2.25 to −1.12)" in text
    assert "Figure 1. Pooled mean differences in pain intensity" in text
    assert "Favours ketamine" in text
    # The plot's title and column headings are printed, not only its alt text.
    lines = [" ".join(line.split()) for line in pdf_text(summary_pdf, layout=True).splitlines()]
    assert "Ketamine versus standard treatment for neuropathic pain" in lines
    assert "Time after treatment MD (95% CI)" in lines
    assert "−3.0 −2.5 −2.0 −1.5 −1.0 −0.5 0.0 0.5" in lines  # past the null line, so its other side shows


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) is installed by make")
def test_sample_summary_qr_code_decodes_to_the_article_url(summary_pdf, tmp_path):
    subprocess.run(["pdftoppm", "-png", "-r", "200", str(summary_pdf), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True)
    assert decoded.stdout.split() == [URL]


def test_sample_summary_qr_and_figure_are_vector_with_alt_text(summary_pdf):
    # Vector: no raster image anywhere on the page (the QR code and the plot are paths).
    with pikepdf.open(summary_pdf) as pdf:
        assert list(pdf.pages[0].get_images()) == []
    project = load_project(ROOT)
    (target,) = plan(project, [ROOT / "content" / "ketamine-neuropathic-pain"], ["summary"])
    html = render_target(Session(project, project.output_dir), target).html
    assert f'alt="QR code linking to the full article at {URL}"' in html
    assert 'alt="Ketamine versus standard treatment for neuropathic pain. Mean difference in pain intensity, ' \
           '0–10 scale. 1 week after treatment: −2.14 (95% CI −2.65 to −1.63); 30 days after treatment: ' \
           '−1.68 (95% CI −2.25 to −1.12). Favours ketamine / Favours standard treatment."' in html


# --- the sample CPD handout -----------------------------------------------------

def test_sample_cpd_handout_states_the_session_and_no_invented_credits(cpd_pdf):
    text = flat(pdf_text(cpd_pdf, 1))
    for fact in ("CPD HANDOUT", "Target audience", "Duration 90 minutes",
                 "Date and place 10 March 2027 · Clínica Synaptica",
                 "CPD credits This activity is not accredited for CPD credits.",
                 "Faculty and conflicts of interest", "no declaration of interests recorded",
                 "Learning objectives"):
        assert fact in text, fact


def test_sample_cpd_handout_has_questions_and_all_answers_whole_on_the_last_page(cpd_pdf):
    with pikepdf.open(cpd_pdf) as pdf:
        pages = len(pdf.pages)
        assert all(page_size(pdf, i) == A4 for i in range(pages))
    last = pdf_text(cpd_pdf, pages)
    before = pdf_text(cpd_pdf, pages - 1)
    assert "Answers 1. B." in flat(last) and flat(last).rstrip().endswith(f"Version 1.0 Page {pages} of {pages}")
    assert "Answers" not in before
    answers = re.findall(r"^(\d+)\. ([A-D])\.", last, flags=re.M)
    assert [int(n) for n, _ in answers] == list(range(1, 9))
    # Every answer ends with the number of the reference it rests on.
    entries = re.split(r"\s\d\. [A-D]\. ", " " + flat(last).split("Answers", 1)[1])[1:]
    assert len(entries) == 8 and all(re.search(r"\[\d\]", entry) for entry in entries)
    whole = flat(pdf_text(cpd_pdf))
    assert "Self-assessment" in whole and "Reflection on your practice" in whole
    assert len(re.findall(r"\b[1-8]\. (In|What|Which|According|Psilocybin)", whole)) >= 8


def test_sample_cpd_handout_has_fillable_reflection_and_answer_fields(cpd_pdf):
    with pikepdf.open(cpd_pdf) as pdf:
        fields = {str(f.T): str(f.get("/FT")) for f in pdf.Root.AcroForm.Fields}
    assert {fields[f"reflection-{n}"] for n in (1, 2, 3)} == {"/Tx"}
    assert {fields[f"q{n}-{letter}"] for n in range(1, 9) for letter in "ABCD"} == {"/Btn"}


# --- summaries and handouts of other topics --------------------------------------

@pytest.fixture
def data_topic(project):
    article = project.topic("t", body="Text [@smith2020] and [@jones2021].\n", url="https://example.org/t")
    add_data(article)
    return article


def test_numbers_in_the_data_change_the_figure(project, data_topic):
    code, _, err = build("--layout", "summary")
    assert code == 0, err
    text = flat(pdf_text(project.root / "output" / "t" / "summary.en.pdf"))
    assert "−1.25 (−1.9 to −0.6)" in text  # with the decimals written in the data
    (data_topic.parent / "evidence.yaml").write_text(EVIDENCE.replace("-1.25", "-0.75"), encoding="utf-8")
    assert build("--layout", "summary")[0] == 0
    text = flat(pdf_text(project.root / "output" / "t" / "summary.en.pdf"))
    assert "−0.75 (−1.9 to −0.6)" in text and "−1.25 (" not in text


def test_summary_over_its_page_limit_is_an_error_that_says_by_how_much(project, data_topic):
    long_points = "key_points:\n" + "".join(f"  - Point {n} " + "words " * 60 + "[@smith2020]\n"
                                            for n in range(8))
    (data_topic.parent / "summary.yaml").write_text(SUMMARY.replace(
        "key_points:\n  - The drug lowers pain for a while [@smith2020].\n", long_points), encoding="utf-8")
    code, _, err = build("--layout", "summary")
    assert code == 1
    (line,) = [e for e in err.splitlines() if ": error: " in e]
    # The key points take most of the page: the error is at their line in summary.yaml, not in article.md.
    assert re.fullmatch(r"content/t/summary\.yaml:2: error: the summary of 't' takes 2 pages, over its limit of "
                        r"1 page by \d+ mm of content; its largest part is the key points \(\d+ mm\): shorten "
                        r"or remove key points \(nothing was cut; draft to look at: output/t/summary\.en\.draft\.pdf\)",
                        line)
    output = project.root / "output" / "t"
    assert not (output / "summary.en.pdf").exists()
    with pikepdf.open(output / "summary.en.draft.pdf") as draft:
        assert len(draft.pages) == 2
    assert "Point 7 words" in flat(pdf_text(output / "summary.en.draft.pdf"))
    assert [p.name for p in output.iterdir()] == ["summary.en.draft.pdf"]  # written whole: no temporary left
    # Two pages are allowed when the topic says so; the draft, stale now, goes.
    summary = (data_topic.parent / "summary.yaml").read_text()
    (data_topic.parent / "summary.yaml").write_text(summary.replace("max_pages: 1", "max_pages: 2"))
    assert build("--layout", "summary")[0] == 0
    assert [p.name for p in output.iterdir()] == ["summary.en.pdf"]


def test_accredited_activity_shows_credits_and_statement(project, data_topic):
    code, _, err = build("--layout", "cpd")
    assert code == 0, err
    text = flat(pdf_text(project.root / "output" / "t" / "cpd.en.pdf"))
    assert "CPD credits 1.5 credits (Test Accreditation Council)" in text
    assert "Accreditation This activity is accredited by the Test Accreditation Council." in text
    assert "Dr Ana Test (Lecturer): None declared" in text


@pytest.mark.parametrize("change, expected", [
    (("answer: Gamma\n    explanation: Because the trial said so.\n    cite: smith2020\n  - question: Question 2",
      "answer: Epsilon\n    explanation: Because the trial said so.\n    cite: smith2020\n  - question: Question 2"),
     "content/t/cpd.yaml:19: error: question 1: the answer 'Epsilon' is not one of its options; "
     "copy the right option's text exactly"),
    (("cite: smith2020\n  - question: Question 3", "cite: smyth2020\n  - question: Question 3"),
     "content/t/cpd.yaml:26: error: question 2 cites the unknown reference key 'smyth2020': "
     "add it to the references file or fix the spelling"),
    (("".join(QUESTION.format(n=n, answer="Gamma", cite="smith2020") for n in (5, 6)), ""),
     "content/t/cpd.yaml:16: error: 'questions' must have at least 6 entries"),
    (("status: accredited\n  credits: 1.5\n", "status: accredited\n"),
     "content/t/cpd.yaml:5: error: an accredited activity needs accreditation.credits"),
])
def test_cpd_data_errors_name_file_line_and_fix(project, data_topic, change, expected):
    (data_topic.parent / "cpd.yaml").write_text(CPD.replace(*change), encoding="utf-8")
    code, _, err = build("--layout", "cpd")
    assert code == 1
    assert [e for e in err.splitlines() if ": error: " in e] == [expected]


def test_unknown_key_in_evidence_is_reported_with_its_line(project, data_topic):
    (data_topic.parent / "evidence.yaml").write_text(EVIDENCE.replace("cite: smith2020\n    design",
                                                                      "cite: nobody2020\n    design"))
    code, _, err = build("--layout", "summary")
    assert code == 1
    assert "content/t/evidence.yaml:3: error: unknown reference key 'nobody2020': add it to the references " \
           "file or fix the spelling" in err


def test_interval_must_contain_its_value(project, data_topic):
    (data_topic.parent / "evidence.yaml").write_text(EVIDENCE.replace("ci_high: -0.6", "ci_high: -1.5"))
    code, _, err = build("--layout", "summary")
    assert code == 1
    assert "content/t/evidence.yaml:15: error: 'forest_plot.estimates[1]' the interval -1.9 to -1.5 must " \
           "contain the value -1.25: check ci_low, value and ci_high" in err


def test_summary_needs_the_article_url(project):
    article = project.topic("t", body="Text [@smith2020] and [@jones2021].\n")
    add_data(article)
    code, _, err = build("--layout", "summary")
    assert code == 1
    assert "content/t/article.md:1: error: the summary layout needs 'url' in the front matter: the web " \
           "address of the full article, for its QR code" in err


def test_layouts_without_their_data_are_skipped_unless_asked_for(project):
    project.topic("t")
    code, out, _ = build()
    assert code == 0 and "built  t/article" in out and "t/summary" not in out
    code, out, err = build("--layout", "summary")
    assert code == 1
    assert "content/t/evidence.yaml: error: the summary layout needs evidence.yaml in the topic folder: " \
           "create it (see the sample topic for its fields)" in err


def test_text_with_a_colon_gets_a_hint_to_quote_it(project, data_topic):
    (data_topic.parent / "summary.yaml").write_text(SUMMARY.replace(
        "  - The drug lowers pain for a while [@smith2020].", "  - Note: the drug lowers pain [@smith2020]."))
    code, _, err = build("--layout", "summary")
    assert code == 1
    assert "content/t/summary.yaml:3: error: 'key_points[1]' must be text, not a mapping; a ': ' inside text " \
           "makes YAML read it as 'key: value'; put the whole text in quotes" in err


# --- the studies the summary shows ------------------------------------------------

STUDY = """\
  - study: Author {n} et al., 20{n:02d}
    cite: smith2020
    design: Randomised, double-blind, placebo-controlled trial in {n} centres
    participants: {n}0 adults, of whom half received the drug and half a placebo
    population: Adults with chronic neuropathic pain of at least six months' duration
    intervention: Drug infusion over four days, titrated to effect, versus placebo infusion
    result: Pain lower at week 1 (mean difference −1.{n}) and no longer at week 12; more adverse effects
"""


def eleven_studies(chosen: tuple[int, ...] = ()) -> str:
    studies = "".join(STUDY.format(n=n) + ("    summary: true\n" if n in chosen else "") for n in range(1, 12))
    return "studies:\n" + studies + "forest_plot:" + EVIDENCE.split("forest_plot:")[1]


def test_eleven_studies_fit_by_showing_the_first_ones_unless_the_data_chooses(project):
    article = project.topic("t", body="Text [@smith2020] and [@jones2021].\n", url="https://example.org/t")
    add_data(article, evidence=eleven_studies())
    output = project.root / "output" / "t"
    # None chosen: as many as fit, the first ones, with a warning that says how to choose.
    code, _, err = build("--layout", "summary")
    assert code == 0, err
    (line,) = [e for e in err.splitlines() if "as many as fit" in e]
    shown = int(re.fullmatch(r"content/t/evidence\.yaml:1: warning: the summary shows the first (\d+) of 11 "
                             r"studies, as many as fit on its page: write 'summary: true' on the ones it should "
                             r"show", line).group(1))
    assert 1 <= shown < 11
    with pikepdf.open(output / "summary.en.pdf") as pdf:
        assert len(pdf.pages) == 1
    summary = flat(pdf_text(output / "summary.en.pdf"))
    assert [n for n in range(1, 12) if f"Author {n} et al." in summary] == list(range(1, shown + 1))

    # All eleven chosen: the data asks for more than fits, which is an error, with a draft to look at.
    (article.parent / "evidence.yaml").write_text(eleven_studies(chosen=tuple(range(1, 12))), encoding="utf-8")
    code, _, err = build("--layout", "summary")
    assert code == 1
    (line,) = [e for e in err.splitlines() if ": error: " in e]
    assert re.fullmatch(r"content/t/evidence\.yaml:1: error: the summary of 't' takes 2 pages, over its limit of 1 "
                        r"page by \d+ mm of content; its largest part is the studies table \(\d+ mm\): show fewer "
                        r"studies in the summary \(write 'summary: true' on the ones to show\) or shorten their "
                        r"texts \(nothing was cut; draft to look at: output/t/summary\.en\.draft\.pdf\)", line), line
    with pikepdf.open(output / "summary.en.draft.pdf") as draft:
        assert len(draft.pages) == 2

    (article.parent / "evidence.yaml").write_text(eleven_studies(chosen=(2, 5, 9)), encoding="utf-8")
    code, _, err = build("--layout", "summary", "--layout", "cpd")
    assert code == 0, err
    with pikepdf.open(output / "summary.en.pdf") as pdf:
        assert len(pdf.pages) == 1
    assert not (output / "summary.en.draft.pdf").exists()  # stale once the summary fits
    summary = flat(pdf_text(output / "summary.en.pdf"))
    assert [n for n in range(1, 12) if f"Author {n} et al." in summary] == [2, 5, 9]
    handout = flat(pdf_text(output / "cpd.en.pdf"))
    assert [n for n in range(1, 12) if f"Author {n} et al." in handout] == list(range(1, 12))


def test_a_summary_with_every_study_left_out_is_an_error(project):
    article = project.topic("t", body="Text [@smith2020] and [@jones2021].\n", url="https://example.org/t")
    add_data(article, evidence=EVIDENCE.replace("    cite: smith2020\n    design",
                                                "    summary: false\n    cite: smith2020\n    design"), cpd=None)
    code, _, err = build("--layout", "summary")
    assert code == 1
    assert [e for e in err.splitlines() if ": error: " in e] == [
        "content/t/evidence.yaml:1: error: every study says 'summary: false', so the summary would show none: "
        "write 'summary: true' on the studies it should show"]
