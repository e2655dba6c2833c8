"""The patient leaflet: A5, large print and booklet, in Spanish and English, read from the PDFs."""

from __future__ import annotations

import re

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import ROOT, pdf_text, text_sizes
from leafpress import build, load_project
from leafpress.commands.cli import main
from leafpress.finish.impose import saddle_stitch_order
from leafpress.finish.verify import fonts_used

A5 = (419.53, 595.28)
A4 = (595.28, 841.89)
A4_LANDSCAPE = (841.89, 595.28)


@pytest.fixture(scope="module")
def leaflets(tmp_path_factory) -> dict[str, pikepdf.Path]:
    out = tmp_path_factory.mktemp("patient")
    results, _ = build(load_project(ROOT), [ROOT / "content" / "ketamine-neuropathic-pain"],
                       ["patient", "patient-large-print", "patient-booklet"], out_dir=out)
    assert all(r.ok for r in results), [str(p) for r in results for p in r.problems]
    return {r.output.stem: r.output for r in results}


def sizes_of(pdf: pikepdf.Pdf) -> set[tuple[float, float]]:
    return {(round(float(p.mediabox[2]) - float(p.mediabox[0]), 2),
             round(float(p.mediabox[3]) - float(p.mediabox[1]), 2))
            for p in pdf.pages}


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_leaflet_is_a5_in_atkinson_hyperlegible_with_no_text_below_12pt(leaflets, language):
    path = leaflets[f"patient.{language}"]
    with pikepdf.open(path) as pdf:
        assert sizes_of(pdf) == {A5}
        assert {use.name for use in fonts_used(pdf)} == {"AtkinsonHyperlegible-Regular",
                                                        "AtkinsonHyperlegible-Bold"}
    sizes = text_sizes(path)
    assert min(sizes) >= 12
    body = max(sizes, key=sizes.get)  # the size most text is set in
    assert body == 14


@pytest.mark.parametrize("language", ["en", "es"])
def test_large_print_is_a4_with_nothing_below_16pt(leaflets, language):
    path = leaflets[f"patient-large-print.{language}"]
    with pikepdf.open(path) as pdf:
        assert sizes_of(pdf) == {A4}
    sizes = text_sizes(path)
    assert min(sizes) >= 16
    assert max(sizes, key=sizes.get) >= 16


@pytest.mark.parametrize("language", ["en", "es"])
def test_booklet_sheets_carry_the_right_page_pairs_in_order(leaflets, language):
    a5 = leaflets[f"patient.{language}"]
    booklet = leaflets[f"patient-booklet.{language}"]
    with pikepdf.open(a5) as pdf:
        pages = len(pdf.pages)
    with pikepdf.open(booklet) as pdf:
        assert sizes_of(pdf) == {A4_LANDSCAPE}
        sides = len(pdf.pages)
    expected = saddle_stitch_order(pages)
    assert sides == len(expected) == 2 * -(-pages // 4)
    word = {"en": "Page", "es": "Página"}[language]
    of = {"en": "of", "es": "de"}[language]
    for side, (left, right) in enumerate(expected, start=1):
        for half, number in ((0, left), (1, right)):
            text = pdf_text_region(booklet, side, half)
            found = re.findall(rf"{word} (\d+) {of} {pages}", text)
            # The cover has no page number: it shows the clinic and the version instead.
            assert found == ([str(number)] if number > 1 else []), (side, half, text[-80:])
            if number == 1:
                assert "Clínica Synaptica" in text and re.search(r"Versi(on|ón) 1\.0", text)


def pdf_text_region(path, page: int, half: int) -> str:
    import subprocess
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-x", str(421 * half), "-y", "0",
                           "-W", "420", "-H", "596", "-r", "72", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_saddle_stitch_order_pads_to_multiples_of_four_keeping_the_last_page_as_the_back_cover():
    assert saddle_stitch_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert saddle_stitch_order(5) == [(5, 1), (2, 0), (0, 3), (4, 0)]
    assert saddle_stitch_order(6) == [(6, 1), (2, 0), (0, 3), (4, 5)]
    assert saddle_stitch_order(1) == [(0, 1), (0, 0)]


def test_spanish_leaflet_has_no_english_left(leaflets):
    text = flat(pdf_text(leaflets["patient.es"]))
    for english in ("Page ", "Version", "Published", "Next review", "Contact us", "Sources", "Document control",
                    "Reviewed by", "Publisher", "Your feedback", "Information for patients", "November"):
        assert english not in text, english
    for spanish in ("Información para pacientes", "Página 2 de", "Versión 1.0", "Contacto", "Fuentes",
                    "Control del documento", "Revisado por", "Publicado", "25 de noviembre de 2026",
                    "Próxima revisión", "25 de noviembre de 2028", "Su opinión"):
        assert spanish in text, spanish
    with pikepdf.open(leaflets["patient.es"]) as pdf:
        assert str(pdf.Root.Lang) == "es"


@pytest.mark.parametrize("language, questions", [
    ("en", ["What is ketamine and why might it help my pain?", "How is it given?", "What will I feel?",
            "What are the risks and side effects?", "What happens afterwards?", "Questions to ask your doctor"]),
    ("es", ["¿Qué es la ketamina y por qué podría aliviar mi dolor?", "¿Cómo se administra?",
            "¿Qué voy a sentir?", "¿Qué riesgos y efectos secundarios tiene?", "¿Qué pasa después?",
            "Preguntas para su médico"]),
])
def test_headings_are_the_patients_questions_in_order(leaflets, language, questions):
    with pikepdf.open(leaflets[f"patient.{language}"]) as pdf, pdf.open_outline() as outline:
        (top,) = outline.root
        titles = [item.title for item in top.children]
    positions = [titles.index(q) for q in questions]
    assert positions == sorted(positions)


@pytest.mark.parametrize("language, facts", [
    ("en", ["Document control", "Publisher", "Reviewed by", "Clínica Synaptica", "Version", "1.0", "Published",
            "25 November 2026", "Next review", "25 November 2028", "Your feedback"]),
    ("es", ["Control del documento", "Editor", "Revisado por", "Publicado", "25 de noviembre de 2026",
            "Próxima revisión", "25 de noviembre de 2028", "Su opinión"]),
])
def test_document_control_and_contact_on_the_last_pages(leaflets, language, facts):
    path = leaflets[f"patient.{language}"]
    with pikepdf.open(path) as pdf:
        last = flat(pdf_text(path, len(pdf.pages)))
    for fact in facts:
        assert fact in last, fact
    whole = flat(pdf_text(path))
    assert "https://www.clinicasynaptica.com" in whole
    assert whole.index("Sigtermans MJ, et al.") < whole.index(facts[0])  # sources come before control


def test_review_more_than_three_years_after_publication_is_an_error(project):
    project.topic("t", audience="patients", review_date="2029-01-16")
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "content/t/article.md:13: error: 'review_date' 2029-01-16 is more than 3 years after publication: " \
           "patient information must be reviewed by 2029-01-15" in result.stderr


HARD = """Pharmacological antagonism of N-methyl-D-aspartate receptors constitutes the predominant mechanistic
hypothesis underpinning ketamine's antihyperalgesic properties in neuropathic conditions, notwithstanding
considerable methodological heterogeneity across randomised investigations.
"""


def patient_doc(project, body: str, language: str = "en") -> None:
    project.topic("t", body=body, references="[]", audience="patients", language=language)
    folder = project.root / "content" / "t"
    (folder / "article.md").rename(folder / f"patient.{language}.md")


def test_check_prints_scores_that_match_the_hand_computed_values(project):
    patient_doc(project, "The cat sat on the mat. It was a very happy cat.\n")
    result = CliRunner().invoke(main, ["check", "--today", "2026-02-01"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        # leafpress.yaml's warnings for patient leaflets, as a build prints them.
        "leafpress.yaml:3: warning: the clinic has no phone number, so the patient leaflets' contact box gives "
        "none to call: add clinic.phone to leafpress.yaml, the number patients should call, in quotes",
        "leafpress.yaml:9: warning: the clinic has no address: add clinic.address",
        "t:",
        "content/t/patient.en.md: readability: 2 sentences, 12 words, 14 syllables",
        "  Flesch Reading Ease: 102.0, target 60 or more  ok",
        "  Flesch-Kincaid grade: 0.5, for information",
        "  Hardest sentences:",
        "    1. (6 words) It was a very happy cat.",
        "    2. (6 words) The cat sat on the mat.",
        "1 topic checked: 0 errors, 2 warnings; 1 patient document scored, 0 below target.",
    ]


def test_check_spanish_scores_and_band(project):
    patient_doc(project, "El dolor de los nervios es difícil de tratar. Su médico le explicará los riesgos.\n", "es")
    result = CliRunner().invoke(main, ["check", "--today", "2026-02-01"])
    assert result.exit_code == 0
    assert "  Szigriszt-Pazos (INFLESZ): 91.3 (muy fácil), target 55 or more  ok" in result.stdout
    assert "  Fernández-Huerta: 89.2, target 60 or more  ok" in result.stdout


def test_check_fails_on_hard_text_and_lists_the_hardest_sentence(project):
    patient_doc(project, HARD)
    result = CliRunner().invoke(main, ["check", "--today", "2026-02-01"])
    # A miss is a warning, as the build prints it, and check exits 1 on it (as the README says).
    assert result.exit_code == 1
    assert "BELOW TARGET" in result.stdout
    assert "    1. (24 words) Pharmacological antagonism" in result.stdout
    assert re.search(r"^content/t/patient\.en\.md: warning: readability: Flesch Reading Ease is -?\d+\.\d, "
                     r"below the target of 60", result.stdout, re.M)
    assert result.stdout.splitlines()[-1] == "1 topic checked: 0 errors, 3 warnings; 1 patient document scored, " \
                                             "1 below target."
    strict = CliRunner().invoke(main, ["check", "--today", "2026-02-01", "--strict"])
    assert strict.exit_code == 1  # as build --strict: the miss is an error
    assert re.search(r"^content/t/patient\.en\.md: error: readability: Flesch Reading Ease is", strict.stdout, re.M)
    assert strict.stdout.splitlines()[-1] == "1 topic checked: 1 error, 2 warnings; 1 patient document scored, " \
                                             "1 below target."


def test_sample_leaflets_pass_their_targets():
    result = CliRunner().invoke(main, ["check", str(ROOT / "content" / "ketamine-neuropathic-pain"),
                                       "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("; 2 patient documents scored, 0 below target.")


def test_strict_build_refuses_a_leaflet_below_its_target(project):
    patient_doc(project, HARD)
    relaxed = CliRunner().invoke(main, ["build", "--layout", "patient"])
    assert relaxed.exit_code == 0
    assert "warning: readability: Flesch Reading Ease is" in relaxed.stderr
    strict = CliRunner().invoke(main, ["build", "--layout", "patient", "--strict"])
    assert strict.exit_code == 1
    assert re.search(r"content/t/patient\.en\.md: error: readability: Flesch Reading Ease is -?\d+\.\d, below "
                     r"the target of 60: use shorter sentences and everyday words", strict.stderr)
