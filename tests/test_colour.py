"""Colours on a terminal: problems and summary lines, never with NO_COLOR, --no-color or into a pipe.

The topics here are test fixtures, not medical content.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from leafpress.commands.cli import main
from leafpress.errors import Level, Problem

ROOT = Path(__file__).resolve().parent.parent
RED, YELLOW, GREEN, CYAN, RESET = "\x1b[31m\x1b[1m", "\x1b[33m\x1b[1m", "\x1b[32m", "\x1b[36m", "\x1b[0m"
CHECK = ["check", "--today", "2026-01-01", "--jobs", "1"]

UNKNOWN = "content/bad/article.md:16: {}error:{} unknown reference key 'nobody2020': add it to references.json " \
          "or fix the spelling"
CHECKED = "2 topics checked: {}1 error{}, {}4 warnings{}; 0 patient documents scored, 0 below target."


@pytest.fixture
def good_and_bad(project):
    project.topic("good")
    project.topic("bad", body="Some text [@nobody2020].\n")
    return project


def invoke(args: list[str], color: bool = True, **env: str | None) -> tuple[int, str, str]:
    """`leafpress ARGS` as on a terminal (``color``) or into a pipe, with these environment variables."""
    env = {"NO_COLOR": None, "FORCE_COLOR": None, **env}
    result = CliRunner().invoke(main, args, color=color, env=env)
    assert not isinstance(result.exception, Exception), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_build_colours_problems_built_failed_and_the_summary_on_a_terminal(good_and_bad):
    code, out, err = invoke(["build", "--jobs", "1"])
    assert code == 1
    out = re.sub(r"\d+\.\d s\)", "S s)", out)
    assert sorted(out.splitlines()[:2]) == [f"{RED}FAILED{RESET} bad/article",
                                            f"{GREEN}built{RESET}  good/article -> output/good/article.en.pdf "
                                            "(1 page, S s)"]
    assert out.splitlines()[2] == f"{GREEN}1 built{RESET}, {RED}1 failed{RESET}, {YELLOW}4 warnings{RESET}."
    address = f"leafpress.yaml:9: {YELLOW}warning:{RESET} the clinic has no address: add clinic.address"
    assert address in err.splitlines()
    assert UNKNOWN.format(RED, RESET) in err.splitlines()
    # Without the colour codes, the text is what leafpress prints without colour.
    assert sorted(click.unstyle(out).splitlines()) == ["1 built, 1 failed, 4 warnings.", "FAILED bad/article",
                                                       "built  good/article -> output/good/article.en.pdf "
                                                       "(1 page, S s)"]
    assert UNKNOWN.format("", "") in click.unstyle(err).splitlines()

    # Nothing to do: a count of 0 is not coloured, nothing needs attention there.
    assert invoke(["build", "content/good"])[1] == (
        f"0 built, 1 up to date, 0 failed, {YELLOW}1 warning{RESET}.\n")


def test_check_is_coloured_on_a_terminal_and_the_same_text_without(good_and_bad):
    code, out, _ = invoke(CHECK)
    assert code == 1
    assert UNKNOWN.format(RED, RESET) in out.splitlines()
    assert out.splitlines()[-1] == CHECKED.format(RED, RESET, YELLOW, RESET)
    plain = invoke(CHECK, color=False)
    assert "\x1b" not in plain[1]
    assert plain == (1, click.unstyle(out), "")
    assert plain[1].splitlines()[-1] == CHECKED.format("", "", "", "")


@pytest.mark.parametrize("args, env", [
    (CHECK, {"NO_COLOR": "1"}),
    (CHECK, {"NO_COLOR": "yes", "FORCE_COLOR": "1"}),  # off wins
    (["--no-color", *CHECK], {}),
    ([*CHECK, "--no-color"], {}),
    ([*CHECK, "--no-color"], {"FORCE_COLOR": "1"}),
], ids=["NO_COLOR", "NO_COLOR and FORCE_COLOR", "--no-color first", "--no-color after", "--no-color, FORCE_COLOR"])
def test_no_colour_on_a_terminal_when_asked(good_and_bad, args, env):
    code, out, err = invoke(args, **env)
    assert code == 1
    assert "\x1b" not in out + err
    assert out.splitlines()[-1] == CHECKED.format("", "", "", "")


def test_an_empty_no_color_leaves_colour_on_and_force_color_colours_a_pipe(good_and_bad):
    # no-color.org: NO_COLOR counts only when it is not empty.
    assert invoke(CHECK, NO_COLOR="")[1].splitlines()[-1] == CHECKED.format(RED, RESET, YELLOW, RESET)
    assert invoke(CHECK, color=False, FORCE_COLOR="1")[1].splitlines()[-1] == CHECKED.format(RED, RESET, YELLOW, RESET)


def run_real(root: Path, terminal: bool) -> str:
    """`python -m leafpress check` in its own process, its output on a pseudo-terminal or into a pipe."""
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "leafpress", *CHECK]
    if not terminal:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
        return done.stdout + done.stderr
    controller, terminal_end = pty.openpty()
    process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=terminal_end,
                               stderr=terminal_end)
    os.close(terminal_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if select.select([controller], [], [], 0.5)[0]:
                try:
                    data = os.read(controller, 65536)
                except OSError:  # EIO: every process let go of the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
    finally:
        os.close(controller)
        process.wait(timeout=60)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_a_real_terminal_gets_colour_and_a_pipe_gets_none(good_and_bad):
    on_terminal = run_real(good_and_bad.root, terminal=True)
    assert CHECKED.format(RED, RESET, YELLOW, RESET) in on_terminal.splitlines()
    piped = run_real(good_and_bad.root, terminal=False)
    assert "\x1b" not in piped
    assert piped == click.unstyle(on_terminal)


def test_each_level_has_its_colour_and_input_cannot_add_any():
    note = Problem(Path("roster.csv"), None, Level.NOTE, "read as semicolon-separated, Windows-1252")
    assert str(note) == "roster.csv: note: read as semicolon-separated, Windows-1252"
    assert str(note).styled() == f"roster.csv: {CYAN}note:{RESET} read as semicolon-separated, Windows-1252"
    # A file name or a message that carries escape codes is printed with them escaped, coloured or not.
    hostile = Problem(Path("a\x1b[32mb.md"), 3, Level.WARNING, "value '\x1b]0;title\x07'")
    assert str(hostile).styled() == f"a\\x1b[32mb.md:3: {YELLOW}warning:{RESET} value '\\x1b]0;title\\x07'"
