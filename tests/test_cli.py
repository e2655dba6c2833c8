"""What a user sees at the command line: exact messages, exit codes, no tracebacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, errors, run
from leafpress.commands.cli import main
from leafpress.finish.files import _umask

BROKEN = """\
title: no
short_title: Short
language: en
audience: professionals
authers: []
reviewers: [{name: Test Clinic}]
publisher: Test Clinic
version: 1.10
published: 2026-02-30
review_date: 2025-01-01
summary: One
summary: Two
"""


def test_broken_front_matter_lists_every_problem_once_with_file_and_line(project):
    project.topic("bad", front_matter=BROKEN)
    code, out, err = run("build")
    assert code == 1
    assert errors(err) == [
        "content/bad/article.md:2: error: 'title' must be text, not a yes/no value; put it in quotes: title: \"no\"",
        "content/bad/article.md:2: error: missing required field 'authors': add a line such as 'authors: []'",
        "content/bad/article.md:6: error: unknown field 'authers': remove it or fix its spelling "
        "(did you mean 'authors'?)",
        "content/bad/article.md:9: error: 'version' must be text, not a number; put it in quotes: version: \"1.10\"",
        "content/bad/article.md:10: error: 'published' '2026-02-30' is not a real date: check the month and day",
        "content/bad/article.md:13: error: duplicate key 'summary' (first written on line 12): keep one of them",
    ]
    assert "FAILED bad/article" in out.splitlines()
    code, out, err = run("build", "--verbose")
    assert out.splitlines()[-4:-1] == ["target       pages  seconds  status",
                                     "bad/article      0      0.0  FAILED",
                                     out.splitlines()[-2]]
    assert re.fullmatch(r"\d+\.\d s in all\.", out.splitlines()[-2])
    assert out.splitlines()[-1] == "0 built, 1 failed, 1 warning."


def test_review_date_before_publication(project):
    project.topic("early", review_date="2025-12-31")
    code, _, err = run("build")
    assert code == 1
    assert errors(err) == ["content/early/article.md:13: error: 'review_date' 2025-12-31 is before "
                           "'published' 2026-01-15: the next review must come after publication"]


@pytest.mark.parametrize("front_matter, expected", [
    ("title: [a, b]\n", "'title' must be text, not a list; write it as text"),
    ("audience: everyone\n", "'audience' must be one of 'professionals', 'patients' or 'educators', not 'everyone'"),
    ("language: fr\n", "'language' must be one of 'en' or 'es', not 'fr'"),
    ("published: 15/01/2026\n", "'published' must be a date written as YYYY-MM-DD, not '15/01/2026'"),
    ("reviewers: Test Clinic\n", "'reviewers' must be a list (one '- item' per line), not text"),
    ("authors: [{nom: Ana}]\n", "unknown field 'authors[1].nom': remove it or fix its spelling "
                                "(known fields are affiliation, name, role)"),
])
def test_wrong_types_name_the_field_and_the_fix(project, front_matter, expected):
    field = front_matter.split(":")[0]
    project.topic("t", **{field: front_matter.split(":", 1)[1].strip()})
    code, _, err = run("build")
    assert code == 1
    assert any(line.endswith(f"error: {expected}") for line in errors(err)), err


@pytest.mark.parametrize("text, expected", [
    ("no front matter\n", "content/t/article.md:1: error: no front matter: start the file with a '---' line, "
                          "the YAML fields, then another '---' line"),
    ("---\ntitle: x\n", "content/t/article.md:1: error: the front matter is not closed: "
                        "add a '---' line after the last field"),
    ("---\n- a\n- b\n---\n", "content/t/article.md:2: error: expected 'key: value' lines here, not a list"),
    ("---\ntitle: !!python/object:os.system x\n---\n",
     "content/t/article.md:2: error: the YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed: "
     "remove it and write a plain value"),
    ("---\na: &x [1]\nb: *x\n---\n", "content/t/article.md:3: error: YAML aliases (*name) are not allowed here: "
                                     "write the value out in full"),
    ("---\ntitle: 'unclosed\n---\n", None),
])
def test_malformed_files_give_one_clear_line(project, text, expected):
    folder = project.root / "content" / "t"
    folder.mkdir(parents=True)
    (folder / "article.md").write_text(text, encoding="utf-8")
    code, _, err = run("build")
    assert code == 1
    lines = errors(err)
    assert len(lines) == 1, err
    if expected:
        assert lines[0] == expected
    else:
        assert lines[0].startswith("content/t/article.md:") and "invalid YAML" in lines[0]


def test_non_utf8_file(project):
    folder = project.root / "content" / "t"
    folder.mkdir(parents=True)
    (folder / "article.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    code, _, err = run("build")
    assert code == 1
    assert errors(err) == ["content/t/article.md: error: is not UTF-8 text (bad byte at offset 14): save it as UTF-8"]


def test_one_broken_topic_does_not_stop_the_others(project):
    project.topic("good")
    project.topic("bad", title="no")
    code, out, _ = run("build")
    assert code == 1
    assert "built  good/article -> output/good/article.en.pdf (1 page" in out
    assert "FAILED bad/article" in out
    assert out.splitlines()[-1].startswith("1 built, 1 failed")
    assert (project.root / "output" / "good" / "article.en.pdf").is_file()
    assert not (project.root / "output" / "bad").exists()


def test_failed_rebuild_keeps_the_previous_pdf_and_leaves_no_temporary_files(project):
    article = project.topic("t")
    assert run("build")[0] == 0
    pdf = project.root / "output" / "t" / "article.en.pdf"
    before = pdf.read_bytes()
    article.write_text(article.read_text().replace("Some text", "Broken [@nokey]"), encoding="utf-8")
    assert run("build")[0] == 1
    assert pdf.read_bytes() == before
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["article.en.pdf"]
    # Readable like any other file, not private to its owner as a temporary file is.
    assert pdf.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_build_paths_layout_and_out(project, tmp_path):
    project.topic("one")
    project.topic("two")
    out = tmp_path / "elsewhere"
    code, stdout, stderr = run("build", "content/two", "--layout", "article", "--out", str(out))
    assert code == 0
    assert [p.relative_to(out).as_posix() for p in out.rglob("*.pdf")] == ["two/article.en.pdf"]
    # Warnings: the sample config has no address, and jones2021 is never cited.
    assert "content/two/references.json:15: warning: reference 'jones2021' is never cited: " \
           "cite it as [@jones2021] or remove it" in stderr.splitlines()
    assert stdout.splitlines()[-1] == "1 built, 0 failed, 2 warnings."


def test_unknown_layout_and_missing_path(project):
    project.topic("t")
    # A project may declare layouts of its own, so the name is checked against the project's registry.
    code, _, err = run("build", "--layout", "poster")
    assert code == 1 and errors(err) == [
        "leafpress: error: unknown layout 'poster': choose from article, summary, cpd, patient, patient-large-print, "
        "patient-booklet"]
    code, _, err = run("build", "content/nope")
    assert code == 1
    assert errors(err) == ["content/nope: error: no such file or folder"]


def test_outside_a_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run("build")
    assert code == 1
    assert err.splitlines()[0] == f"{os.path.relpath(tmp_path)}: error: no leafpress.yaml here or in any parent " \
                                  "folder: run leafpress inside a project"


def test_every_command_has_help_with_an_example():
    for name in main.commands:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output, name
    assert "Example:" in CliRunner().invoke(main, ["--help"]).output


def test_build_py_and_console_script_are_the_same_cli():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    via_script = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], capture_output=True,
                                text=True, cwd=ROOT, env=env)
    leafpress = Path(sys.executable).with_name("leafpress")
    via_entry_point = subprocess.run([str(leafpress), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert via_script.returncode == via_entry_point.returncode == 0
    assert via_script.stdout.replace("build.py", "leafpress") == via_entry_point.stdout


def test_a_report_that_cannot_be_written_is_an_error_not_a_traceback(project):
    project.topic("t")
    code, _, err = run("build", "--layout", "article", "--report", "leafpress.yaml/report.json")
    assert code == 1
    assert err.splitlines()[-2:] == ["leafpress.yaml/report.json: error: cannot be written (a folder in its path "
                                     "is a file): give --report a file in a folder that can be written to",
                                     "Stopped: 1 error."]
