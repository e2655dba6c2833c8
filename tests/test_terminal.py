"""A hostile folder name reaches the terminal, the JSON report and the preview only as printable escapes.

The name sets the terminal's title (OSC 0), clears the screen, returns the
carriage to forge a "built" line, backspaces, turns the text right to left
(U+202E) and starts a line of its own. Every command prints it escaped, by
errors.printable, the one escaping function.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner

from leafpress.commands.cli import main
from leafpress.pipeline import BuildResult
from leafpress.runner import preview as preview_module
from leafpress.runner.preview import Preview, Snapshot, index_page

HOSTILE = "x\x1b]0;pwned\x07\x1b[2J\rbuilt  fake\b\u202eevil\nend"
SHOWN = "x\\x1b]0;pwned\\x07\\x1b[2J\\rbuilt  fake\\x08\\u202eevil\\nend"
ADDRESS_WARNING = "leafpress.yaml:9: warning: the clinic has no address: add clinic.address\n"
UNCITED = (f"content/{SHOWN}/references.json:15: warning: reference 'jones2021' is never cited: cite it as "
           "[@jones2021] or remove it\n")


# The colours leafpress itself sets on a terminal (errors.STYLES): red, green, yellow, cyan, bold, reset.
OWN_COLOURS = re.compile(r"\x1b\[(?:31|32|33|36|1|0)m")


def invoke(*args: str) -> tuple[int, str, str]:
    # color=True: click would otherwise strip escape sequences itself, and hide what leafpress printed.
    # Only leafpress's own colour codes are taken out; the hostile name's \x1b[2J or \x1b]0; would stay.
    result = CliRunner().invoke(main, list(args), color=True)
    assert not isinstance(result.exception, Exception), result.exception
    return result.exit_code, OWN_COLOURS.sub("", result.stdout), OWN_COLOURS.sub("", result.stderr)


def assert_printable(text: str) -> None:
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)


@pytest.fixture
def hostile(project):
    project.topic(HOSTILE)
    return project


def test_build_and_its_report(hostile):
    code, out, err = invoke("build", "--report", "report.json", "--jobs", "1", "--verbose")
    assert code == 0, err
    out = re.sub(r"\(\d+ pages?, \d+\.\d s\)", "(N pages, S s)", out)
    out = re.sub(r"  +\d+  +\d+\.\d  built", "  N  S  built", out)
    name = f"{SHOWN}/article"
    out = re.sub(r"\n\d+\.\d s in all\.\n", "\n", out)
    assert out == ("Building 1 target into output, 1 at a time.\n"
                   f"built  {name} -> output/{SHOWN}/article.en.pdf (N pages, S s)\n"
                   f"target{' ' * (len(name) - len('target'))}  pages  seconds  status\n"
                   f"{name}  N  S  built\n"
                   "1 built, 0 failed, 2 warnings.\n")
    assert_printable(out)
    assert err == ADDRESS_WARNING + UNCITED
    report = (hostile.root / "report.json").read_text(encoding="utf-8")
    assert_printable(report)
    data = json.loads(report)
    assert data["targets"][0]["target"] == f"{SHOWN}/article"
    assert data["targets"][0]["source"] == f"content/{SHOWN}/article.md"
    assert data["targets"][0]["output"] == f"output/{SHOWN}/article.en.pdf"


def test_list(hostile):
    code, out, err = invoke("list")
    assert (code, err) == (0, "")
    assert out == (f"target{' ' * (len(SHOWN) + 8 - 6)}  status\n"
                   f"{SHOWN}/article  needs building\n"
                   "1 targets, 1 to build.\n")


def test_check_text_and_json(hostile):
    code, out, err = invoke("check", "--today", "2025-01-01")
    assert (code, err) == (0, "")
    assert out == (ADDRESS_WARNING + f"{SHOWN}:\n" + UNCITED +
                   "1 topic checked: 0 errors, 2 warnings; 0 patient documents scored, 0 below target.\n")
    code, out, err = invoke("check", "--today", "2025-01-01", "--format", "json")
    assert_printable(out)
    assert json.loads(out)["topics"][0]["topic"] == SHOWN


def test_watch(hostile, monkeypatch):
    monkeypatch.setattr(Preview, "watch_forever", lambda self, stop_event=None: None)  # briefly: one build
    code, out, err = invoke("watch", "--port", "0")
    assert code == 0, err
    out = re.sub(r"127\.0\.0\.1:\d+/", "127.0.0.1:PORT/", out)
    out = re.sub(r"\(\d+ pages?, \d+\.\d s\)", "(N pages, S s)", out)
    assert out == ("Preview: http://127.0.0.1:PORT/ (this computer only; Ctrl-C to stop)\n"
                   f"built  {SHOWN}/article -> output/{SHOWN}/article.en.pdf (N pages, S s)\n"
                   "1 built, 0 failed, 2 warnings.\n"
                   "Watching content/, templates/, styles/, leafpress.yaml for changes.\n"
                   "Stopped.\n")
    assert_printable(out)
    assert err == ADDRESS_WARNING + UNCITED


def test_the_preview_index_and_problems_box(hostile):
    preview = Preview(hostile.root)
    snapshot = preview.replan()
    page = index_page(snapshot, "v", "n")
    assert f">{SHOWN}/article</a>" in page
    assert_printable(page.replace("\n", " "))
    box = preview_module.problems_box(
        [preview_module.error(hostile.root / "content" / HOSTILE / "article.md", 3, f"bad {HOSTILE}")])
    assert f"content/{SHOWN}/article.md:3: error: bad {SHOWN}</li>" in box
    assert isinstance(snapshot, Snapshot)
    # The pages view of a target that failed, with a PDF an earlier build left: its name and path, escaped.
    (target,) = snapshot.targets
    pdf = hostile.root / "output" / target.output
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.7")
    failed = BuildResult(target, None, 0, 0.0, (preview_module.error(target.source, 1, f"bad {HOSTILE}"),))
    snapshot = replace(snapshot, results={target.name: failed})
    pages = preview_module.pages_page(snapshot, target, "v", "n", images=lambda path: f"cannot draw {path.name}")
    assert f"<strong>{SHOWN}/article</strong>" in pages
    assert f"output/{SHOWN}/article.en.pdf; they do not show your latest changes" in pages
    assert_printable(pages.replace("\n", " "))


def test_certificates(hostile):
    (hostile.root / "roster.csv").write_text("name\nAna\n", encoding="utf-8")
    code, out, err = invoke("certificates", f"content/{HOSTILE}", "--roster", "roster.csv")
    assert (code, out) == (1, "")
    assert err == f"content/{SHOWN}/cpd.yaml: error: file not found\nStopped: 1 error.\n"


def test_new(hostile):
    code, out, err = invoke("new", HOSTILE)
    assert (code, out) == (1, "")
    assert err == (f"leafpress: error: topic name '{SHOWN}' must be lower-case letters, digits and hyphens, such "
                   "as 'ketamine-neuropathic-pain'\n"
                   f"content/{SHOWN}: error: already exists: choose another name or edit the topic there\n"
                   "Stopped: 2 errors.\n")
