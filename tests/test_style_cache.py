"""Parsed stylesheets and their fonts are shared between documents, never stale, never leaked."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pikepdf

from conftest import ROOT
from leafpress.pipeline import build
from leafpress.project.config import load_project
from leafpress.typeset.engine import forget_parsed_styles

A5_POINTS = [0, 0, 419.528, 595.276]


def build_all(project) -> dict[str, bytes]:
    results, _ = build(load_project(project.root))
    assert all(r.ok for r in results), [str(p) for r in results for p in r.problems]
    return {r.target.name: r.output.read_bytes() for r in results}


def media_box(pdf_bytes: bytes) -> list[float]:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return [round(float(v), 3) for v in pdf.pages[0].mediabox]


def test_documents_built_with_shared_stylesheets_are_byte_identical_to_fresh_ones(project):
    project.topic("one")
    project.topic("two", title="Another topic")
    forget_parsed_styles()
    shared = build_all(project)  # 'two' reuses what 'one' parsed
    fresh = {}
    for name in ("two", "one"):  # each parsed afresh, in the other order
        forget_parsed_styles()
        results, _ = build(load_project(project.root), [project.root / "content" / name / "article.md"])
        fresh[results[0].target.name] = results[0].output.read_bytes()
    assert fresh == shared


def test_an_edited_stylesheet_is_used_by_the_next_build_in_the_same_process(project):
    project.topic()
    (before,) = build_all(project).values()
    assert media_box(before) == [0, 0, 595.276, 841.89]  # A4
    with (project.root / "styles" / "article.css").open("a", encoding="utf-8") as sheet:
        sheet.write("\n@page { size: A5; }\n")
    (after,) = build_all(project).values()
    assert media_box(after) == A5_POINTS


def test_a_refused_font_is_reported_on_every_build_not_only_the_first(project):
    project.topic()
    with (project.root / "styles" / "article.css").open("a", encoding="utf-8") as sheet:
        sheet.write("\n@font-face { font-family: Elsewhere; src: url(/etc/hostname); }\n")
    for _ in range(2):
        results, _ = build(load_project(project.root))
        assert not results[0].ok
        assert any("refused to load file:///etc/hostname is outside the project's content, styles and templates"
                   in str(p) for p in results[0].problems), [str(p) for p in results[0].problems]


def test_a_batch_build_leaves_no_temporary_files(project, tmp_path):
    for name in ("a", "b", "c"):  # more targets than jobs: the workers come from a warmed-up server
        project.topic(name)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temporary)}
    # One job: the server parses the stylesheets before it forks the workers.
    # Three: no warm-up, each worker parses them itself and must clean up.
    for jobs in ("1", "3"):
        command = [sys.executable, str(ROOT / "build.py"), "build", "--force", "--jobs", jobs]
        done = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1].startswith("3 built, 0 failed")
        # The server the workers came from removes its fonts as it exits, just after the command.
        deadline = time.monotonic() + 10
        while list(temporary.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(temporary.iterdir()) == []


def test_workers_of_a_long_running_server_see_an_edited_stylesheet(project):
    # As under `leafpress watch`: the server parsed the stylesheets for its first
    # batch; a later batch, after an edit, must not get the old ones from it.
    for name in ("a", "b", "c"):  # more targets than jobs, so the server warms up
        project.topic(name)
    code = """
import sys
from pathlib import Path
import pikepdf
from leafpress.runner.batch import BatchOptions, run_batch
from leafpress.pipeline import plan
from leafpress.project.config import load_project
project = load_project(Path.cwd())
targets = plan(project, [])
options = BatchOptions(out_dir=Path("output"), jobs=1, force=True)
def width(path):
    with pikepdf.open(path) as pdf:
        return round(float(pdf.pages[0].mediabox[2]))
def widths():
    results = run_batch(project, targets, options)
    assert all(r.ok for r in results), [str(p) for r in results for p in r.problems]
    return sorted({width(r.output) for r in results})
print(widths())
with open("styles/article.css", "a", encoding="utf-8") as sheet:
    sheet.write("@page { size: A5; }")
print(widths())
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=project.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[595]", "[420]"]  # A4 wide, then A5
