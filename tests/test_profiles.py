"""Output profiles: what screen, print and archive PDFs promise, read from the files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import ROOT
from leafpress import build, load_project
from leafpress.commands.cli import main
from leafpress.finish.profiles import PROFILES
from leafpress.finish.verify import bundled_font_names, verify_pdf

TOPIC = ROOT / "content" / "ketamine-neuropathic-pain"
BLEED = 3 * 72 / 25.4
A4 = [0.0, 0.0, 595.28, 841.89]
A5 = [0.0, 0.0, 419.53, 595.28]


def built(tmp_path_factory, profile: str, layouts: list[str], marks: bool = False) -> dict[str, Path]:
    out = tmp_path_factory.mktemp(profile)
    results, _ = build(load_project(ROOT), [TOPIC / "article.md", TOPIC / "patient.en.md"], layouts,
                       out_dir=out, profile=profile, marks=marks)
    assert all(r.ok for r in results), [str(p) for r in results for p in r.problems]
    return {r.output.name: r.output for r in results}


@pytest.fixture(scope="module")
def screen(tmp_path_factory):
    return built(tmp_path_factory, "screen", ["article", "patient"])


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    return built(tmp_path_factory, "print", ["article", "patient"])


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    return built(tmp_path_factory, "print", ["patient"], marks=True)


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    return built(tmp_path_factory, "archive", ["article"])


def boxes(path: Path) -> dict[str, list[float]]:
    out = subprocess.run(["pdfinfo", "-box", "-f", "1", "-l", "1", str(path)], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for name in ("MediaBox", "BleedBox", "TrimBox"):
        line = re.search(rf"Page\s+1 {name}:\s+([-\d. ]+)", out) or re.search(rf"^{name}:\s+([-\d. ]+)", out, re.M)
        found[name] = [float(v) for v in line.group(1).split()]
    return found


def grown(box: list[float], by: float) -> list[float]:
    return [box[0] - by, box[1] - by, box[2] + by, box[3] + by]


# --- names ---------------------------------------------------------------------------

def test_profiles_other_than_the_default_are_named_in_the_file(screen, printed, archived):
    assert sorted(screen) == ["article.en.pdf", "patient.en.pdf"]
    assert sorted(printed) == ["article.en.print.pdf", "patient.en.print.pdf"]
    assert sorted(archived) == ["article.en.archive.pdf"]


# --- print -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, trim", [("article.en.print.pdf", A4), ("patient.en.print.pdf", A5)])
def test_print_has_trim_at_the_finished_size_and_3mm_bleed(printed, name, trim):
    found = boxes(printed[name])
    assert found["TrimBox"] == pytest.approx(trim, abs=0.01)
    assert found["BleedBox"] == pytest.approx(grown(trim, BLEED), abs=0.01)
    with pikepdf.open(printed[name]) as pdf:
        for page in pdf.pages:  # every page, not just the first
            assert [float(v) for v in page.obj.BleedBox] == pytest.approx(grown(trim, BLEED), abs=0.01)


def test_print_is_pdf_x4_with_a_cmyk_output_intent(printed):
    with pikepdf.open(printed["article.en.print.pdf"]) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert str(intent.S) == "/GTS_PDFX"
        assert int(intent.DestOutputProfile.N) == 4
        assert "FOGRA39L" in str(intent.OutputConditionIdentifier)
        assert pdf.pdf_version == "1.6"
        with pdf.open_metadata() as meta:
            assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"


def test_print_cover_band_runs_into_the_bleed(printed, tmp_path):
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", str(printed["patient.en.print.pdf"]),
                    str(tmp_path / "p")], check=True)
    from PIL import Image  # Pillow comes with WeasyPrint
    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("RGB")
    corner = image.getpixel((1, 1))  # inside the bleed, 3 mm beyond the trim
    assert corner != (255, 255, 255) and sum(corner) < 450


def test_crop_marks_sit_outside_the_bleed(marked):
    path = marked["patient.en.print.pdf"]
    found = boxes(path)
    bleed = found["BleedBox"]
    assert found["TrimBox"] == pytest.approx(A5, abs=0.01)
    assert found["MediaBox"][0] < bleed[0] - 20 and found["MediaBox"][3] > bleed[3] + 20
    with pikepdf.open(path) as pdf:
        strokes = []
        # Page 2: the cover's colour band runs into the bleed by design; a text page has only the marks there.
        for operands, operator in pikepdf.parse_content_stream(pdf.pages[1]):
            if str(operator) in ("m", "l"):
                strokes.append((float(operands[0]), float(operands[1])))
        # The marks are the lines drawn in default space outside the bleed box.
        outside = [(x, y) for x, y in strokes if not (bleed[0] <= x <= bleed[2] and bleed[1] <= y <= bleed[3])]
        assert len(outside) == 16  # 8 marks, 2 points each
        # Each mark lines up with a trim edge: x at 0 or the A5 width, or y at 0 or the height.
        on_trim = [min(abs(x - 0), abs(x - A5[2])) < 0.01 or min(abs(y - 0), abs(y - A5[3])) < 0.01
                   for x, y in outside]
        assert all(on_trim), outside
    assert verify_pdf(path.read_bytes(), bundled_font_names(ROOT / "styles" / "fonts"), PROFILES["print"]) == []


# --- screen ----------------------------------------------------------------------------

def test_screen_is_tagged_pdf_ua_with_title_and_language(screen):
    for name in ("article.en.pdf", "patient.en.pdf"):
        with pikepdf.open(screen[name]) as pdf:
            assert "/StructTreeRoot" in pdf.Root
            assert bool(pdf.Root.MarkInfo.Marked)
            assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
            assert str(pdf.Root.Lang) == "en"
            assert str(pdf.docinfo.Title)
            with pdf.open_metadata() as meta:
                assert meta.get("pdfuaid:part") == "1"
            # Running headers and footers are artifacts, not content.
            tags = [str(operands[0]) for operands, op in pikepdf.parse_content_stream(pdf.pages[0])
                    if str(op) in ("BDC", "BMC")]
            assert "/Artifact" in tags


def test_screen_headings_and_tables_are_tagged(screen):
    with pikepdf.open(screen["article.en.pdf"]) as pdf:
        kinds = set()
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary):
                if "/S" in node:
                    kinds.add(str(node.S))
                kids = node.get("/K")
                if isinstance(kids, pikepdf.Array):
                    stack.extend(kids)
                elif isinstance(kids, pikepdf.Dictionary):
                    stack.append(kids)
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/P"} <= kinds


def test_an_image_without_alt_text_fails_the_build(project):
    project.topic("t", body="Text [@smith2020] [@jones2021].\n\n![](chart.png)\n")
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "content/t/article.md:18: error: image 'chart.png' has no alt text: describe it between the " \
           "brackets, as in ![what the image shows](chart.png)" in result.stderr


# --- archive ---------------------------------------------------------------------------

def test_archive_is_pdf_a3a_with_srgb_intent_and_structure(archived):
    with pikepdf.open(archived["article.en.archive.pdf"]) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert str(intent.S) == "/GTS_PDFA1"
        assert "/StructTreeRoot" in pdf.Root
        with pdf.open_metadata() as meta:
            assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "A")


# --- checks ----------------------------------------------------------------------------

def test_verification_names_what_a_profile_misses(screen, printed):
    fonts = bundled_font_names(ROOT / "styles" / "fonts")
    assert verify_pdf(screen["article.en.pdf"].read_bytes(), fonts, PROFILES["screen"]) == []
    assert verify_pdf(printed["article.en.print.pdf"].read_bytes(), fonts, PROFILES["print"]) == []
    assert verify_pdf(screen["article.en.pdf"].read_bytes(), fonts, PROFILES["print"]) == [
        "the print profile needs a GTS_PDFX output intent, and there is none",
        "page 1: BleedBox [0.0 0.0 595.3 841.9] should be the TrimBox [0.0 0.0 595.3 841.9] plus 3 mm on each side",
    ]
    assert verify_pdf(printed["article.en.print.pdf"].read_bytes(), fonts, PROFILES["screen"])[:1] == [
        "the screen profile needs a tagged PDF, but it has no structure tree"]
    assert verify_pdf(b"%PDF-1.7 not really", fonts)[0].startswith("is not a readable PDF")


# --- reproducibility -------------------------------------------------------------------

SCRIPT = """
import sys
from pathlib import Path
from leafpress import build, load_project
root = Path(sys.argv[1])
results, _ = build(load_project(root), [root / "content/ketamine-neuropathic-pain/article.md"], ["article"],
                   out_dir=Path(sys.argv[2]), profile=sys.argv[3])
assert all(r.ok for r in results)
"""


@pytest.mark.parametrize("profile", ["screen", "print", "archive"])
def test_same_input_gives_identical_bytes_in_any_time_zone(tmp_path, profile):
    outputs = []
    for zone in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles"):
        out = tmp_path / zone.replace("/", "-")
        env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), str(out), profile], check=True, env=env)
        (pdf,) = out.rglob("*.pdf")
        outputs.append(pdf.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_check_pdf_verifies_any_file_against_the_profile_it_claims(screen, printed, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    good = CliRunner().invoke(main, ["check", "--pdf", str(screen["article.en.pdf"]),
                                     str(printed["patient.en.print.pdf"])])
    assert good.exit_code == 0
    assert good.stdout.splitlines()[-1] == "2 PDFs checked, 0 with problems."
    assert "ok, checked as screen (pdf/ua-1)" in good.stdout and "ok, checked as print (pdf/x-4)" in good.stdout
    wrong = CliRunner().invoke(main, ["check", "--pdf", "--profile", "print", str(screen["article.en.pdf"])])
    assert wrong.exit_code == 1
    assert "error: the print profile needs a GTS_PDFX output intent, and there is none" in wrong.stderr
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(screen["article.en.pdf"].read_bytes()[:5000])
    damaged = CliRunner().invoke(main, ["check", "--pdf", str(broken)])
    assert damaged.exit_code == 1 and "Traceback" not in damaged.output + damaged.stderr
