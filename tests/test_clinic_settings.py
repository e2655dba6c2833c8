"""leafpress.yaml's colours and clinic details: WCAG contrast, a phone for patients, a short name for footers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import FRONT_MATTER, ROOT, errors, pdf_text, run
from leafpress import build, load_project
from leafpress.commands.init import init_project
from leafpress.errors import LeafpressError
from leafpress.project.config import config_problems, contrast_problems, contrast_ratio, relative_luminance

# A fixture name, long as some hospital units' are; not a claim about any real clinic.
LONG_NAME = "Unidad de Tratamiento del Dolor Crónico del Hospital Universitario"

CONFIG = """\
clinic:
  name: Test Clinic
  address: [1 Main Street, Town]
  email: info@example.org
colours:
  primary: "#123456"
  accent: "#654321"
default_language: en
languages: [en, es]
"""


def write_config(project, text: str = CONFIG) -> None:
    (project.root / "leafpress.yaml").write_text(text, encoding="utf-8")


def patient_topic(project) -> Path:
    """Topic t with an article and an English patient leaflet."""
    article = project.topic("t", body="Text.\n\n" + "\n\n".join(f"## Part {n}\n\n" + "Words here. " * 80
                                                                  for n in range(4)))
    front = "".join(f"{key}: {value}\n" for key, value in {**FRONT_MATTER, "audience": "patients"}.items())
    body = "".join(f"## Question {n}\n\nShort plain words help you read. You can ask us.\n\n" for n in range(12))
    (article.parent / "patient.en.md").write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return article.parent


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("leafpress.yaml:") and ": warning: " in line]


# Contrast, computed as WCAG 2.2 says


def test_luminance_uses_the_wcag_22_srgb_curve():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    # 10/255 = 0.0392 is below the 0.04045 threshold: divided by 12.92; 11/255 = 0.0431 is above it.
    assert relative_luminance("#0a0a0a") == pytest.approx(10 / 255 / 12.92)
    assert relative_luminance("#0b0b0b") == pytest.approx(((11 / 255 + 0.055) / 1.055) ** 2.4)
    assert relative_luminance("#ff0000") == pytest.approx(0.2126)
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)


def test_contrast_ratio_matches_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#000000") == contrast_ratio("#000000", "#ffffff")
    # The well-known pair either side of 4.5:1 for grey text on white.
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    # The sample's former accent, just short on white.
    assert contrast_ratio("#c8553d", "#ffffff") == pytest.approx(4.35, abs=0.005)


def test_sample_and_init_colours_pass():
    assert contrast_problems(load_project(ROOT)) == []
    assert contrast_ratio(load_project(ROOT).config.colours.accent, "#eef3f7") >= 4.5


def test_the_init_default_passes(tmp_path):
    init_project(tmp_path / "clinic", "Clínica Ejemplo")
    assert contrast_problems(load_project(tmp_path / "clinic")) == []


@pytest.mark.parametrize("change, expected", [
    # Worst background first: an accent that passes there passes on white too.
    (('accent: "#654321"', 'accent: "#c8553d"'),
     ["leafpress.yaml:7: error: colours.accent #c8553d on colours.tint #eef3f7 (the summary's safety box heading) "
      "has contrast 3.89:1; small text needs at least 4.5:1: use a darker colour or a lighter colours.tint"]),
    (('accent: "#654321"', 'accent: "#654321"\n  muted: "#999999"'),
     ["leafpress.yaml:8: error: colours.muted #999999 on white (8 pt running headers and footers, subtitles) "
      "has contrast 2.84:1; small text needs at least 4.5:1: use a darker colour"]),
    (('accent: "#654321"', 'accent: "#e07a1f"'),
     ["leafpress.yaml:7: error: colours.accent #e07a1f on colours.tint #eef3f7 (the summary's safety box heading) "
      "has contrast 2.69:1; small text needs at least 4.5:1: use a darker colour or a lighter colours.tint"]),
    # A dark tint: the text colour is left at its default, so the line is the tint's.
    (('accent: "#654321"', 'accent: "#654321"\n  tint: "#777777"'),
     ["leafpress.yaml:6: error: colours.primary #123456 on colours.tint #777777 (links and note numbers in table "
      "headers and boxes) has contrast 2.83:1; small text needs at least 4.5:1: use a darker colour or a "
      "lighter colours.tint",
      "leafpress.yaml:7: error: colours.accent #654321 on colours.tint #777777 (the summary's safety box heading) "
      "has contrast 1.97:1; small text needs at least 4.5:1: use a darker colour or a lighter colours.tint",
      "leafpress.yaml:8: error: colours.text #1a1a1a on colours.tint #777777 (table headers and boxes) has "
      "contrast 3.88:1; small text needs at least 4.5:1: use a darker colour or a lighter colours.tint"]),
])
def test_faint_colours_stop_the_build_with_key_colours_background_ratio_and_line(project, change, expected):
    write_config(project, CONFIG.replace(*change))
    project.topic("t")
    code, _, err = run("build")
    assert code == 1
    assert sorted(errors(err)) == sorted(expected)
    assert err.splitlines()[-1] == f"Stopped: {len(expected)} error{'s' if len(expected) > 1 else ''}."
    assert not (project.root / "output" / "t").exists()


def test_ratio_just_below_the_minimum_never_prints_as_the_minimum(project):
    # #777777 on white is 4.478:1: rounded it would read 4.5:1, which passes.
    write_config(project, CONFIG.replace('accent: "#654321"', 'accent: "#654321"\n  muted: "#777777"'))
    project.topic("t")
    code, _, err = run("build")
    assert code == 1
    assert errors(err) == ["leafpress.yaml:8: error: colours.muted #777777 on white (8 pt running headers and "
                           "footers, subtitles) has contrast 4.47:1; small text needs at least 4.5:1: "
                           "use a darker colour"]


def test_check_reports_faint_colours_and_still_checks_the_content(project):
    write_config(project, CONFIG.replace('accent: "#654321"', 'accent: "#c8553d"'))
    project.topic("t")
    code, out, _ = run("check", "--today", "2026-02-01")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("leafpress.yaml:7: error: colours.accent #c8553d on colours.tint #eef3f7 ")
    assert lines[1] == "t:"
    assert re.fullmatch(r"1 topic checked: 1 error, \d+ warnings?; 0 patient documents scored, 0 below target\.",
                        lines[-1])


def test_library_build_raises_on_faint_colours(project):
    write_config(project, CONFIG.replace('accent: "#654321"', 'accent: "#c8553d"'))
    project.topic("t")
    with pytest.raises(LeafpressError) as raised:
        build(load_project(project.root))
    assert [p.line for p in raised.value.problems if p.is_error] == [7]


def test_watch_and_certificates_build_nothing_with_faint_colours(project):
    from leafpress.runner.preview import Preview

    write_config(project, CONFIG.replace('accent: "#654321"', 'accent: "#c8553d"'))
    project.topic("t")
    printed: list[str] = []
    preview = Preview(project.root, layouts=["article"], echo=lambda message="", err=False: printed.append(message))
    assert [p.line for p in preview.replan().problems] == [7]
    assert preview.rebuild() == []
    assert printed[-1] == "Not built: 1 error; waiting for the next save."
    code, _, err = run("certificates", "content/t", "--roster", "attendees.csv")
    assert code == 1
    assert [line[:47] for line in errors(err)] == ["leafpress.yaml:7: error: colours.accent #c8553d"]


# A phone number for patient leaflets


PHONE_WARNING = ("leafpress.yaml:1: warning: the clinic has no phone number, so the patient leaflets' contact box "
                 "gives none to call: add clinic.phone to leafpress.yaml, the number patients should call, in quotes")


def test_patient_leaflets_without_a_phone_number_warn(project):
    write_config(project)
    patient_topic(project)
    code, _, err = run("build", "--layout", "patient")
    assert code == 0, err
    assert warnings(err) == [PHONE_WARNING]


def test_only_patient_layouts_need_the_phone(project):
    write_config(project)
    patient_topic(project)
    code, _, err = run("build", "--layout", "article")
    assert code == 0, err
    assert warnings(err) == []  # an email is a way to reach the clinic


def test_a_phone_number_silences_the_warning(project):
    write_config(project, CONFIG.replace("  email:", '  phone: "+34 900 000 000"\n  email:'))
    patient_topic(project)
    code, _, err = run("build", "--layout", "patient")
    assert code == 0, err
    assert warnings(err) == []


# A short name for running headers and footers


def footer_lines(path: Path, page: int) -> dict[int, str]:
    """The footer's printed lines on ``page``: baseline (pt from the top) -> words, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    lines: dict[int, list[str]] = {}
    for y_min, word in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)<', html):
        if float(y_min) > height - 16 / 25.4 * 72:  # the A5 leaflet's bottom margin is 16 mm
            lines.setdefault(round(float(y_min)), []).append(word)
    return {y: " ".join(words) for y, words in lines.items()}


def test_a_long_name_warns_and_never_breaks_the_footer_line(project):
    write_config(project, CONFIG.replace("name: Test Clinic", f"name: {LONG_NAME}"))
    patient_topic(project)
    code, _, err = run("build", "--layout", "patient", "--layout", "article")
    assert code == 0, err
    assert warnings(err) == [
        PHONE_WARNING,
        "leafpress.yaml:2: warning: clinic.name has 66 characters, more than the 32 that fit in running headers "
        "and footers, which would cut it short: add clinic.short_name, a shorter name for them"]
    leaflet = project.root / "output" / "t" / "patient.en.pdf"
    # Cut short on one line (the rest is clipped under an ellipsis), the page number whole beside it.
    (footer,) = footer_lines(leaflet, 2).values()  # page 1 is the cover, with no footer
    assert footer.startswith("Unidad de Tratamiento del Dolor") and re.search(r"Page 2 of \d$", footer)


def test_short_name_is_printed_in_running_headers_and_footers(project):
    write_config(project, CONFIG.replace("name: Test Clinic", f"name: {LONG_NAME}\n  short_name: Unidad del Dolor"))
    patient_topic(project)
    code, _, err = run("build", "--layout", "patient", "--layout", "article")
    assert code == 0, err
    assert "short_name" not in err and "characters" not in err
    leaflet = project.root / "output" / "t" / "patient.en.pdf"
    (footer,) = footer_lines(leaflet, 2).values()  # page 1 is the cover, with no footer
    assert re.fullmatch(r"Unidad del Dolor · Version 1\.0 Page 2 of \d", footer)
    # The cover and the contact box still give the clinic's full name.
    assert LONG_NAME in " ".join(pdf_text(leaflet, 1).split())
    assert " ".join(pdf_text(leaflet).split()).count(LONG_NAME) == 2
    # The article's running header, from page 2.
    assert pdf_text(project.root / "output" / "t" / "article.en.pdf", 2).startswith("Test\n\nUnidad del Dolor\n")


def test_a_long_short_name_warns_at_its_line(project):
    write_config(project, CONFIG.replace("name: Test Clinic", f"name: {LONG_NAME}\n  short_name: {LONG_NAME}"))
    problems = config_problems(load_project(project.root))
    assert [str(p) for p in problems] == [
        "leafpress.yaml:3: warning: clinic.short_name has 66 characters, more than the 32 that fit in running "
        "headers and footers, which would cut it short: shorten it"]
