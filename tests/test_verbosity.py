"""How much `leafpress build` prints (-q, default, -v), `--report -`, and problems printed during the progress bar."""

from __future__ import annotations

import io
import json
import re

import click
import pytest

from conftest import run
from leafpress.commands.cli import CLEAR_LINE, print_problems_during_progress
from leafpress.errors import warning

ADDRESS = "leafpress.yaml:9: warning: the clinic has no address: add clinic.address"


def uncited(topic: str) -> str:
    return (f"content/{topic}/references.json:15: warning: reference 'jones2021' is never cited: "
            "cite it as [@jones2021] or remove it")


def timeless(text: str) -> str:
    """Seconds vary from run to run: S instead."""
    text = re.sub(r"\d+\.\d s\)", "S s)", text)
    text = re.sub(r"  +\d+\.\d  ", "  S  ", text)
    return re.sub(r"^\d+\.\d s in all\.$", "S s in all.", text, flags=re.M)


@pytest.fixture
def two_topics(project):
    project.topic("a")
    project.topic("b")
    return project


def test_default_quiet_and_verbose(two_topics):
    code, out, err = run("build", "--jobs", "2")
    assert code == 0
    lines = timeless(out).splitlines()
    assert sorted(lines[:-1]) == ["built  a/article -> output/a/article.en.pdf (1 page, S s)",
                                  "built  b/article -> output/b/article.en.pdf (1 page, S s)"]
    assert lines[-1] == "2 built, 0 failed, 3 warnings."
    assert sorted(err.splitlines()) == sorted([ADDRESS, uncited("a"), uncited("b")])

    # Nothing to do: by default, the summary alone (and the project's warnings).
    assert run("build") == (0, "0 built, 2 up to date, 0 failed, 1 warning.\n", ADDRESS + "\n")
    assert run("build", "--quiet") == (0, "0 built, 2 up to date, 0 failed, 1 warning.\n", ADDRESS + "\n")

    code, out, err = run("build", "-v", "--jobs", "2")
    assert (code, err) == (0, ADDRESS + "\n")
    assert timeless(out) == ("Building 2 targets into output, 2 at a time.\n"
                             "fresh  a/article -> output/a/article.en.pdf (up to date)\n"
                             "fresh  b/article -> output/b/article.en.pdf (up to date)\n"
                             "target     pages  seconds  status\n"
                             "a/article      1  S  up to date\n"
                             "b/article      1  S  up to date\n"
                             "S s in all.\n"
                             "0 built, 2 up to date, 0 failed, 1 warning.\n")

    # Quiet with work to do: problems and the summary, no line per target.
    code, out, err = run("build", "-q", "--force", "--jobs", "2")
    assert (code, out) == (0, "2 built, 0 failed, 3 warnings.\n")
    assert sorted(err.splitlines()) == sorted([ADDRESS, uncited("a"), uncited("b")])


def test_quiet_and_verbose_together_is_a_usage_error(two_topics):
    code, _, err = run("build", "-q", "-v")
    assert code == 2 and "give -q/--quiet or -v/--verbose, not both" in err


def test_report_to_standard_output(two_topics):
    code, out, err = run("build", "--report", "-", "--jobs", "2")
    assert code == 0
    data = json.loads(out)  # stdout holds the JSON alone; the other lines went to stderr
    assert not (two_topics.root / "-").exists()
    assert err.splitlines()[-1] == "2 built, 0 failed, 3 warnings."
    by_name = {t["target"]: t for t in data["targets"]}
    assert by_name["a/article"]["source"] == "content/a/article.md"
    assert by_name["a/article"]["output"] == "output/a/article.en.pdf"
    assert by_name["a/article"]["problems"] == [
        {"path": "content/a/references.json", "line": 15, "level": "warning",
         "message": "reference 'jones2021' is never cited: cite it as [@jones2021] or remove it"}]
    assert data["project_problems"] == [{"path": "leafpress.yaml", "line": 9, "level": "warning",
                                         "message": "the clinic has no address: add clinic.address"}]


def test_check_quiet(two_topics):
    code, out, err = run("check", "-q", "--today", "2025-01-01")
    assert (code, err) == (0, "")
    assert out == ("leafpress.yaml:9: warning: the clinic has no address: add clinic.address\n"
                   + uncited("a") + "\n" + uncited("b") + "\n"
                   "2 topics checked: 0 errors, 3 warnings; 0 patient documents scored, 0 below target.\n")


class Terminal(io.StringIO):
    """Standard output and error as one terminal shows them: the bar draws, as on a tty."""

    def isatty(self) -> bool:
        return True


def test_a_problem_during_the_progress_bar_gets_a_line_of_its_own(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setattr("sys.stderr", terminal)
    problem = warning(None, None, "something to fix")
    with click.progressbar(length=3, label="Building", show_pos=True, file=terminal) as bar:
        bar.update(1)
        print_problems_during_progress([problem], terminal)
        bar.update(1)
        print_problems_during_progress([], terminal)  # nothing to print: the bar is left alone
        bar.update(1)
    text = terminal.getvalue()
    # On a terminal the level is coloured (yellow, bold).
    assert "1/3" + CLEAR_LINE + "leafpress: \x1b[33m\x1b[1mwarning:\x1b[0m something to fix\n" in text
    # What stays on the screen: each line as the last carriage return left it.
    shown = [line.rsplit("\r", 1)[-1] for line in click.unstyle(text).split("\n")]
    assert "leafpress: warning: something to fix" in shown
    assert not [line for line in shown if "Building" in line and "warning" in line]
    assert text.count(CLEAR_LINE) == 1
