"""Issue 17: `check`, `build` and `watch` report one set of problems before typesetting, in the same words.

The fixtures are test data, not medical content: the "hard" text only has to
score badly for readability.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

from conftest import CPD, ROOT, add_data, run
from leafpress.runner.preview import PROBLEMS_ID, Preview, preview_page

# What the tests' $LEAFPRESS_TODAY (conftest) makes of a review date of 2026-03-01.
REVIEW_SOON = "2026-03-01"

PROBLEM_LINE = re.compile(r"^\S.*?: (error|warning|note): ")

SCAFFOLD = "This leaflet is for you if ... (say who it is for, in one or two short sentences).\n\n"
HARD = ("Pharmacological antagonism of N-methyl-D-aspartate receptors constitutes the predominant mechanistic "
        "hypothesis underpinning antihyperalgesic properties in neuropathic conditions, notwithstanding "
        "considerable methodological heterogeneity across randomised investigations.\n")


def problem_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if PROBLEM_LINE.match(line)]


def patient_leaflet(project, topic: str, body: str, **fields: str) -> Path:
    """patient.en.md in ``topic`` (written as article.md by the fixture, then renamed)."""
    article = project.topic(topic, body=body, audience="patients", **fields)
    return article.rename(article.with_name("patient.en.md"))


def representative(project) -> None:
    """Leftover scaffold text, a readability miss, a review date near, an unknown citation key, a data file
    problem, and leafpress.yaml's warnings (no phone, no address)."""
    patient_leaflet(project, "t", SCAFFOLD + HARD, review_date=REVIEW_SOON)
    project.topic("t", body="Text that cites [@nobody2020] and [@smith2020; @jones2021].\n")
    article = project.topic("u", body="Text [@smith2020; @jones2021].\n")
    add_data(article, cpd=CPD.replace("answer: Gamma", "answer: Epsilon", 1))


def test_check_build_and_watch_print_the_same_problems(project):
    representative(project)
    code, out, _ = run("check")
    assert code == 1
    checked = problem_lines(out)
    # The representative problems, each at its line.
    for line in [
        "leafpress.yaml:3: warning: the clinic has no phone number, so the patient leaflets' contact box gives none "
        "to call: add clinic.phone to leafpress.yaml, the number patients should call, in quotes",
        "leafpress.yaml:9: warning: the clinic has no address: add clinic.address",
        "content/t/patient.en.md:13: warning: the review date 2026-03-01 is 28 days away: plan the review",
        "content/t/patient.en.md:16: warning: still has the example text from 'leafpress new': replace it",
        "content/t/article.md:16: error: unknown reference key 'nobody2020': add it to references.json or fix the "
        "spelling",
        "content/u/cpd.yaml:19: error: question 1: the answer 'Epsilon' is not one of its options; copy the right "
        "option's text exactly",
    ]:
        assert line in checked, line
    assert any(re.fullmatch(r"content/t/patient\.en\.md: warning: readability: Flesch Reading Ease is -?\d+\.\d, "
                            r"below the target of 60: .*", line) for line in checked)
    assert len(checked) == len(set(checked))

    code, _, err = run("build", "--out", "built", "--jobs", "2")
    assert code == 1  # the article with the unknown key, the CPD handout and the summary fail
    built = problem_lines(err)
    assert sorted(built) == sorted(checked)  # same words, same count (nothing here that only typesetting finds)

    said: list[str] = []
    preview = Preview(project.root, echo=lambda text="", err=False: said.append(text))
    preview.rebuild(first=True)
    assert sorted(problem_lines("\n".join(said))) == sorted(checked)
    # Each page's problems box: the build's problems of that target and of leafpress.yaml.
    boxed: dict[str, None] = {}
    for target in preview.snapshot.targets:
        page = preview_page(preview.snapshot, target, preview.version, "nonce")
        box = re.search(rf'id="{PROBLEMS_ID}".*?</ul>', page, re.S)
        assert box is not None, target.name
        boxed.update(dict.fromkeys(html.unescape(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", box[0])))
    assert sorted(boxed) == sorted(checked)


def test_strict_check_and_build_refuse_text_from_leafpress_new_at_its_line(project):
    patient_leaflet(project, "t", SCAFFOLD + "Take the tablets with water. Ask us if you are not sure.\n",
                    references="[]")
    scaffold_error = "content/t/patient.en.md:16: error: still has the example text from 'leafpress new': replace it"
    code, _, err = run("build", "--layout", "patient")
    assert code == 0
    assert scaffold_error.replace("error", "warning", 1) in problem_lines(err)
    code, out, err = run("build", "--layout", "patient", "--strict")
    assert code == 1
    assert scaffold_error in problem_lines(err)
    assert "FAILED t/patient.en" in out
    code, out, _ = run("check", "--strict")
    assert code == 1
    assert scaffold_error in problem_lines(out)


CLEAN_CONFIG = ("clinic:\n  name: Test Clinic\n  phone: \"+00 0000 0000\"\n  address: [1 Test Street]\n"
                "colours: {primary: \"#1f5f8b\", accent: \"#b74b34\"}\n")


def test_check_exit_codes(project):
    """0 when clean or with warnings only; 1 on errors, on a leaflet below its readability target (as the
    README says), and with --strict on any warning."""
    (project.root / "leafpress.yaml").write_text(CLEAN_CONFIG, encoding="utf-8")
    project.topic("a", body="Text [@smith2020; @jones2021].\n")
    code, out, _ = run("check")
    assert (code, problem_lines(out)) == (0, [])
    assert out.splitlines()[-1] == "1 topic checked: 0 errors, 0 warnings; 0 patient documents scored, 0 below target."
    assert run("check", "--strict")[0] == 0

    project.topic("a", body="Text [@smith2020].\n")  # jones2021 never cited: a warning
    code, out, _ = run("check")
    assert code == 0
    assert problem_lines(out) == ["content/a/references.json:15: warning: reference 'jones2021' is never cited: "
                                  "cite it as [@jones2021] or remove it"]
    assert run("check", "--strict")[0] == 1

    patient_leaflet(project, "p", HARD, references="[]")
    code, out, _ = run("check", "content/p")
    assert code == 1  # a warning, as the build prints it, and exit 1
    assert [line.split(": readability:")[0] for line in problem_lines(out)] == [
        "content/p/patient.en.md: warning"]
    assert out.splitlines()[-1].endswith("; 1 patient document scored, 1 below target.")

    project.topic("a", body="Text [@nobody2020].\n")
    code, out, _ = run("check", "content/a")
    assert code == 1
    assert "content/a/article.md:16: error: unknown reference key 'nobody2020': add it to references.json or fix " \
           "the spelling" in problem_lines(out)


BAD_CONFIG = ("clinic:\n  name: Test Clinic\n  address: [1 Test Street]\n"
              "colours: {primary: \"#1f5f8b\", accent: \"#b74b34\"}\n"
              "colour: red\n"
              "profile: paper\n")
BAD_CONFIG_LINES = [
    "leafpress.yaml:5: error: unknown field 'colour': remove it or fix its spelling (did you mean 'colours'?)",
    "leafpress.yaml:6: error: 'profile' must be one of 'screen', 'print' or 'archive', not 'paper'",
]


def test_leafpress_yaml_problems_have_their_lines_in_every_command(project):
    project.topic("a")
    (project.root / "leafpress.yaml").write_text(BAD_CONFIG, encoding="utf-8")
    for command in ("check", "build"):
        code, out, err = run(command)
        assert code == 1
        assert problem_lines(err) == BAD_CONFIG_LINES
        assert err.splitlines()[-1] == "Stopped: 2 errors."
    preview = Preview(project.root, echo=lambda *args, **kwargs: None)
    assert [str(p) for p in preview.replan().problems] == BAD_CONFIG_LINES
    # Its warnings too, each at the line of what to add (clinic is written on line 1).
    (project.root / "leafpress.yaml").write_text(
        "clinic: {name: Test Clinic, website: 'https://example.org'}\n"
        "colours: {primary: \"#1f5f8b\", accent: \"#b74b34\"}\n", encoding="utf-8")
    code, out, _ = run("check")
    assert problem_lines(out)[:1] == ["leafpress.yaml:1: warning: the clinic has no address: add clinic.address"]


def test_booklet_build_for_print_shows_no_python_warning(project):
    """pikepdf's "/Trapped ... has no XMP equivalent" is gone at its cause, and no raw warning gets through."""
    from leafpress import build, load_project

    patient_leaflet(project, "t", "Take the tablets with water. Ask us if you are not sure.\n", references="[]")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results, _ = build(load_project(project.root), layouts=["patient-booklet"], profile="print", marks=True)
    assert all(result.ok for result in results), [str(p) for r in results for p in r.problems]
    assert [str(w.message) for w in caught if "XMP" in str(w.message)] == []

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "leafpress", "build", "--profile", "print", "--marks", "--force",
                           "--layout", "patient-booklet"], cwd=project.root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [line for line in lines if "Warning" in line or str(ROOT) in line or line.startswith("/")] == []
    assert all(PROBLEM_LINE.match(line) for line in lines), lines
