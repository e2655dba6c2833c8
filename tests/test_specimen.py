"""The specimen (tests/specimen/): every construct, every layout, built once and read back.

The specimen is a test fixture, not medical content: a topic written to use
every Markdown construct and data file leafpress typesets, plus a roster of
names in several scripts. One module fixture copies it to a temporary
folder, adds a Spanish variant of the article, summary and CPD handout, and
runs ``leafpress build`` and ``leafpress certificates`` as a user would; the
tests read the printed problems and the PDFs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from conftest import ROOT, pdf_text

SPECIMEN = ROOT / "tests" / "specimen"
TOPIC = "specimen"
TOPIC_ES = "specimen-es"  # the article, summary and CPD handout with `language: es`

# PDF (relative to the output folder) -> (width, height) in points, portrait or landscape as printed.
A4, A4_LANDSCAPE, A5 = (595.3, 841.9), (841.9, 595.3), (419.5, 595.3)
PAGE_SIZES = {
    f"{TOPIC}/article.en.pdf": A4,
    f"{TOPIC}/summary.en.pdf": A4,
    f"{TOPIC}/cpd.en.pdf": A4,
    f"{TOPIC}/patient.en.pdf": A5,
    f"{TOPIC}/patient.es.pdf": A5,
    f"{TOPIC}/patient-large-print.en.pdf": A4,
    f"{TOPIC}/patient-large-print.es.pdf": A4,
    f"{TOPIC}/patient-booklet.en.pdf": A4_LANDSCAPE,
    f"{TOPIC}/patient-booklet.es.pdf": A4_LANDSCAPE,
    f"{TOPIC_ES}/article.es.pdf": A4,
    f"{TOPIC_ES}/summary.es.pdf": A4,
    f"{TOPIC_ES}/cpd.es.pdf": A4,
}
PDFS = sorted(PAGE_SIZES)

# The Spanish variant: the article's language and the few fixed words an author types.
SPANISH_WORDS = {
    "language: en": "language: es",
    "\nTable: ": "\nTabla: ",
    "\nNote: ": "\nNota: ",
    "\nAbbreviations: ": "\nAbreviaturas: ",
    '!!! help "When to get help"': '!!! help "Cuándo pedir ayuda"',
}

# Preflight findings of a PDF: "output/t/x.pdf: warning: page 3: ...".
FINDING = re.compile(r"^(?P<pdf>\S+\.pdf): (?:warning|error): page \d+: .*$", re.M)
PROBLEM = re.compile(r"^\S+: (?:warning|error): .*$", re.M)


@dataclass
class Specimen:
    root: Path
    out: Path
    build: subprocess.CompletedProcess[str]
    certificates: subprocess.CompletedProcess[str]

    @property
    def log(self) -> str:
        return self.build.stdout + self.build.stderr

    def text(self, pdf: str) -> str:
        return flat(pdf_text(self.out / pdf))


def flat(text: str) -> str:
    """Text with every run of spaces (no-break ones too) and line ends as one space, and NFC."""
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text.replace("\u00a0", " ")))


def leafpress(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "leafpress", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def copy_specimen(root: Path) -> Path:
    shutil.copytree(SPECIMEN, root, ignore=shutil.ignore_patterns("output", "__pycache__"))
    return root


@pytest.fixture(scope="module")
def specimen(tmp_path_factory) -> Specimen:
    root = copy_specimen(tmp_path_factory.mktemp("specimen") / "project")
    spanish = root / "content" / TOPIC_ES
    shutil.copytree(root / "content" / TOPIC, spanish)
    for leaflet in spanish.glob("patient.*.md"):  # built once already, from the English topic
        leaflet.unlink()
    article = (spanish / "article.md").read_text(encoding="utf-8")
    for english, spanish_words in SPANISH_WORDS.items():
        assert english in article, english
        article = article.replace(english, spanish_words)
    (spanish / "article.md").write_text(article, encoding="utf-8")

    out = root / "output"
    build = leafpress(root, "build", "--out", str(out))
    certificates = leafpress(root, "certificates", f"content/{TOPIC}", "--roster", "roster.csv",
                             "--out", str(out / "certificates"), "--combined")
    return Specimen(root, out, build, certificates)


def test_every_target_is_built(specimen):
    assert specimen.build.returncode == 0, specimen.log
    missing = [pdf for pdf in PDFS if not (specimen.out / pdf).is_file()]
    assert not missing, specimen.log


@pytest.mark.parametrize("pdf", PDFS)
def test_no_preflight_findings(specimen, pdf):
    findings = [m.group(0) for m in FINDING.finditer(specimen.log) if m.group("pdf").endswith(pdf)]
    assert not findings


def test_no_font_problems(specimen):
    """No system font, missing glyph or font warning anywhere, in the build or the certificates."""
    lines = PROBLEM.findall(specimen.log + specimen.certificates.stdout + specimen.certificates.stderr)
    assert not [line for line in lines if re.search(r"font|glyph|U\+[0-9A-F]{4}", line, re.I)]


@pytest.mark.parametrize("pdf", PDFS)
def test_page_size(specimen, pdf):
    with pikepdf.open(specimen.out / pdf) as document:
        for page in document.pages:
            box = [float(v) for v in page.trimbox]
            assert (box[2] - box[0], box[3] - box[1]) == pytest.approx(PAGE_SIZES[pdf], abs=1)


def test_the_summary_fits_one_page(specimen):
    for pdf in (f"{TOPIC}/summary.en.pdf", f"{TOPIC_ES}/summary.es.pdf"):
        with pikepdf.open(specimen.out / pdf) as document:
            assert len(document.pages) == 1, pdf


@pytest.mark.parametrize("pdf, labels", [
    (f"{TOPIC}/article.en.pdf", ["Figure 1.", "Figure 2.", "Figure 3.", "Table 1.", "Table 2.", "Table 3."]),
    (f"{TOPIC_ES}/article.es.pdf", ["Figura 1.", "Figura 2.", "Figura 3.", "Tabla 1.", "Tabla 2.", "Tabla 3."]),
    (f"{TOPIC}/patient.en.pdf", ["Figure 1.", "Table 1."]),
    (f"{TOPIC}/patient.es.pdf", ["Figura 1.", "Tabla 1."]),
    (f"{TOPIC}/patient-large-print.es.pdf", ["Figura 1.", "Tabla 1."]),
    (f"{TOPIC}/summary.en.pdf", ["Figure 1."]),
    (f"{TOPIC_ES}/summary.es.pdf", ["Figura 1."]),
])
def test_figures_and_tables_are_numbered_in_the_documents_language(specimen, pdf, labels):
    text = specimen.text(pdf)
    missing = [label for label in labels if label not in text]
    assert not missing, text[:2000]
    if ".es." in pdf:
        assert not re.search(r"\b(Figure|Table) \d", text), "an English label in a Spanish document"


@pytest.mark.parametrize("pdf, references", [
    # Figures: wide (1), small (2), flow (3); tables in reading order: short (1), wide (2), long (3).
    (f"{TOPIC}/article.en.pdf", ["(Figure 1)", "(Figure 2)", "(Figure 3)", "(Table 1)", "(Table 2)", "(Table 3)",
                                 "such as Table 2 or Figure 3", "(Figure 1, Table 3)"]),
    (f"{TOPIC_ES}/article.es.pdf", ["(Figura 1)", "(Figura 2)", "(Figura 3)", "(Tabla 1)", "(Tabla 2)", "(Tabla 3)",
                                    "such as Tabla 2 or Figura 3", "(Figura 1, Tabla 3)"]),
    (f"{TOPIC}/patient.en.pdf", ["(Figure 1)", "(Table 1)"]),
    (f"{TOPIC}/patient.es.pdf", ["(Figura 1)", "(Tabla 1)"]),
])
def test_cross_references_are_resolved(specimen, pdf, references):
    text = specimen.text(pdf)
    missing = [reference for reference in references if reference not in text]
    assert not missing, text[:3000]
    assert not re.search(r"@(fig|tbl):|\?\?", text)


def test_cross_references_link_to_their_targets(specimen):
    """Each "Figure n" / "Table n" in the text is a link to a destination inside the article."""
    with pikepdf.open(specimen.out / f"{TOPIC}/article.en.pdf") as document:
        internal = 0
        for page in document.pages:
            for annotation in page.get("/Annots", []):
                if annotation.get("/Subtype") == "/Link" and ("/Dest" in annotation or (
                        "/A" in annotation and annotation.A.get("/S") == "/GoTo")):
                    internal += 1
    # 8 cross-references, 4 footnote-free citation links at least.
    assert internal >= 8


def test_every_roster_name_has_a_certificate(specimen):
    result = specimen.certificates
    assert result.returncode == 0, result.stdout + result.stderr
    combined = specimen.out / "certificates" / "certificates.pdf"
    text = flat(pdf_text(combined))
    names = [line.split(",")[0] for line in
             (SPECIMEN / "roster.csv").read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    assert len(names) == 8
    missing = [name for name in names if unicodedata.normalize("NFC", name) not in text]
    assert not missing
    with pikepdf.open(combined) as document:
        assert len(document.pages) == len(names)
        for page in document.pages:
            box = [float(v) for v in page.trimbox]
            assert (box[2] - box[0], box[3] - box[1]) == pytest.approx(A4_LANDSCAPE, abs=1)


def test_spanish_numbers_use_a_decimal_comma_in_the_forest_plot(specimen):
    text = specimen.text(f"{TOPIC_ES}/summary.es.pdf")
    assert "0,62 (0,41 a 0,94)" in text and "OR (IC 95%)" in text and "escala logarítmica" in text


def test_spanish_bibliography_has_no_english_words(specimen):
    for pdf in (f"{TOPIC_ES}/article.es.pdf", f"{TOPIC_ES}/summary.es.pdf", f"{TOPIC}/patient.es.pdf"):
        assert "Available from" not in specimen.text(pdf), pdf
    assert "Disponible en:" in specimen.text(f"{TOPIC_ES}/article.es.pdf")


def test_the_small_chart_is_reported_as_too_coarse_for_print_and_the_wide_one_is_not(specimen):
    warnings = [line for line in specimen.log.splitlines() if "ppi" in line]
    assert warnings and all("'chart-small.png' is 300 pixels across" in line for line in warnings), warnings
