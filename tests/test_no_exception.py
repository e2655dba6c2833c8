"""Whatever the input, no exception escapes: each crash found by the attack run is one problem line.

Each case names the file to fix, the line where it is known, what is wrong
and what to do, in exact words. Most run the pipeline in this process
(render_target, load_project); the batch runner's own reporting of a worker
that raised or died is driven through its child function and a real batch.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT
from leafpress.errors import LeafpressError
from leafpress.failures import unexpected_problem
from leafpress.paths import LINK_LOOP
from leafpress.pipeline import Session, build_target, plan, render_target, settings_for
from leafpress.project.config import load_project
from leafpress.runner import batch
from leafpress.runner.batch import BatchOptions
from leafpress.runner.preview import Preview
from leafpress.source.markup import CitationState, render_markdown

UNREADABLE_HTML = ("the HTML markup '<![ ]>' could not be read: remove it (a comment is written <!-- like this -->), "
                   "or write a literal < as \\<")


def rendered_problems(project, layout: str = "article") -> list[str]:
    loaded = load_project(project.root)
    targets = plan(loaded, [project.root / "content"], [layout], settings_for(loaded))
    session = Session(loaded, project.root / "output")
    return [str(p) for target in targets for p in render_target(session, target).problems if p.is_error]


def loop(path: Path) -> None:
    """``path`` as a symbolic link loop: it leads to a link that leads back to it."""
    other = path.with_name(path.name + ".other")
    other.symlink_to(path.name)
    path.symlink_to(other.name)


# --- the sanitiser's HTML parser -------------------------------------------------------

@pytest.mark.parametrize("html", ["<div><![ ]></div>", "<div><![ ]>", "<p>a</p>\n<!-- c -->\n<div>\n<![ ]></div>"])
def test_a_declaration_the_html_parser_asserts_on_is_refused_not_raised(html):
    state = CitationState(known=frozenset())
    assert render_markdown(html + "\n", state) == ""
    assert [notice.message for notice in state.refused] == [UNREADABLE_HTML]


def test_the_18_byte_html_block_is_an_error_at_its_line(project):
    project.topic("t", body="Some text [@smith2020].\n\nMore text.\n\n<div><![ ]></div>\n")
    # Lines 1-14 the front matter, 15 blank, 16-20 the body.
    assert rendered_problems(project) == [f"content/t/article.md:20: error: {UNREADABLE_HTML}"]


# --- lone surrogates ---------------------------------------------------------------------

def test_a_lone_surrogate_in_a_csl_id_prints_and_reports(project, tmp_path):
    references = json.loads((ROOT / "content" / "ketamine-neuropathic-pain" / "references.json").read_text())[:1]
    references[0]["id"] = "\ud800odd"
    # json.dumps writes the surrogate as the escape \ud800, which JSON allows.
    project.topic("t", body="Some text.\n", references=json.dumps(references, indent=2))
    command = [sys.executable, "-m", "leafpress"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    expected = ("content/t/references.json:3: warning: reference '\\ud800odd' is never cited: cite it as "
                "[@\\ud800odd] or remove it")
    checked = subprocess.run([*command, "check", "content/t"], cwd=project.root, env=environment,
                             capture_output=True, text=True, errors="strict", timeout=120)
    assert "Traceback" not in checked.stderr and expected in checked.stdout.splitlines(), checked.stderr
    as_json = subprocess.run([*command, "check", "content/t", "--format", "json"], cwd=project.root,
                             env=environment, capture_output=True, text=True, timeout=120)
    (topic,) = json.loads(as_json.stdout)["topics"]
    assert "reference '\\ud800odd' is never cited: cite it as [@\\ud800odd] or remove it" in [
        p["message"] for p in topic["problems"]]
    report = tmp_path / "report.json"
    built = subprocess.run([*command, "build", "content/t", "--layout", "article", "--jobs", "1", "--report",
                            str(report)], cwd=project.root, env=environment, capture_output=True, text=True,
                           timeout=300)
    assert "Traceback" not in built.stderr and expected in built.stderr.splitlines(), built.stderr
    (target,) = json.loads(report.read_text(encoding="utf-8"))["targets"]
    assert "reference '\\ud800odd' is never cited: cite it as [@\\ud800odd] or remove it" in [
        p["message"] for p in target["problems"]]


# --- link loops ---------------------------------------------------------------------------

def config_problems_of(project) -> list[str]:
    with pytest.raises(LeafpressError) as raised:
        load_project(project.root)
    return [str(p) for p in raised.value.problems]


def test_a_logo_that_is_a_link_loop(project):
    loop(project.root / "logo.png")
    config = project.root / "leafpress.yaml"
    config.write_text(config.read_text().replace("clinic:\n", "clinic:\n  logo: logo.png\n  logo_alt: Logo\n", 1))
    assert config_problems_of(project) == [f"leafpress.yaml:4: error: clinic.logo 'logo.png' {LINK_LOOP}"]


def test_an_icc_profile_that_is_a_link_loop(project):
    loop(project.root / "styles" / "shop.icc")
    config = project.root / "leafpress.yaml"
    text = config.read_text()
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if "icc_profile:" in text_line)
    config.write_text(text.replace("styles/icc/FOGRA39L-coated.icc", "styles/shop.icc"))
    assert config_problems_of(project) == [f"leafpress.yaml:{line}: error: print.icc_profile 'styles/shop.icc' "
                                           f"{LINK_LOOP}"]


def test_a_references_file_that_is_a_link_loop(project):
    folder = project.topic("t", body="Some text.\n", references=None).parent
    loop(folder / "references.json")
    assert rendered_problems(project) == [f"content/t/references.json: error: {LINK_LOOP}"]


def test_a_data_file_that_is_a_link_loop(project):
    from conftest import add_data

    article = project.topic("t")
    add_data(article, cpd=None)
    (article.parent / "evidence.yaml").unlink()
    loop(article.parent / "evidence.yaml")
    assert rendered_problems(project, "summary") == [f"content/t/evidence.yaml: error: {LINK_LOOP}"]


def test_an_exception_is_a_line_in_the_users_terms():
    source = Path("content/t/article.md")
    assert str(unexpected_problem(source, RuntimeError("Symlink loop from '/p/content/t/pic.png'"))) == \
        f"{os.path.relpath('/p/content/t/pic.png')}: error: {LINK_LOOP}"
    assert str(unexpected_problem(source, OSError(errno.ELOOP, "Too many levels", "content/t/a.yaml"))) == \
        f"content/t/a.yaml: error: {LINK_LOOP}"
    assert str(unexpected_problem(source, PermissionError(errno.EACCES, "Permission denied", "out/t.pdf"))) == \
        ("out/t.pdf: error: cannot be read or written: Permission denied: check that it exists, that leafpress "
         "may read it, and that its disk has room")
    assert str(unexpected_problem(source, RecursionError("maximum recursion depth exceeded"))) == \
        ("content/t/article.md: error: is too deeply nested to process (Python's recursion limit was reached): "
         "use fewer levels of lists, block quotes, HTML elements or data")
    assert str(unexpected_problem(source, KeyError("x\n\x1b[31m"))) == \
        ("content/t/article.md: error: leafpress failed on this file (KeyError: ''x\\n\\x1b[31m''): this is a "
         "bug in leafpress; please report it with the file")


def test_a_topic_holding_a_link_to_the_root_is_reported_by_watch(project):
    link = project.root / "content" / "t" / "root"
    link.parent.mkdir()
    link.symlink_to("/")
    preview = Preview(project.root)
    raised = PermissionError(f'Permission denied (os error 13) about ["{link}/proc/1/task/1/fdinfo"]')
    assert str(preview.unwatchable(raised)) == (
        "content/t/root: error: is a link to '/', and watching what it leads to failed (Permission denied): link "
        "only to files or folders of the topic, or copy them into it")



def test_a_path_to_build_that_is_a_link_loop(project):
    loop(project.root / "content" / "t")
    loaded = load_project(project.root)
    with pytest.raises(LeafpressError) as raised:
        plan(loaded, [project.root / "content" / "t"], None, settings_for(loaded))
    assert [str(p) for p in raised.value.problems] == [f"content/t: error: {LINK_LOOP}"]


@pytest.mark.parametrize("command", [["build"], ["list"], ["certificates", "content/t", "--roster", "r.csv"]])
def test_an_output_folder_that_is_a_link_loop(project, command):
    from conftest import run

    project.topic("t")
    (project.root / "r.csv").write_text("name\nAna Test\n", encoding="utf-8")
    loop(project.root / "pdfs")
    code, _, stderr = run(*command, "--out", "pdfs")
    assert code == 1
    assert stderr.splitlines() == [f"pdfs: error: {LINK_LOOP}", "Stopped: 1 error."]


# --- locales ------------------------------------------------------------------------------

def test_a_locale_babel_does_not_know_is_an_error_in_leafpress_yaml(project):
    from conftest import add_data

    add_data(project.topic("t"), cpd=None)
    loaded = load_project(project.root)
    # Set past validation, as a value leafpress.yaml's checks do not know to refuse would be.
    loaded = replace(loaded, config=loaded.config.model_copy(update={"locales": {"en": "xx_QQ"}}))
    targets = plan(loaded, [project.root / "content"], ["article", "summary"], settings_for(loaded))
    session = Session(loaded, project.root / "output")
    # 'locales' is not written in the file: the problem is at its first line (every one has a line).
    expected = ["leafpress.yaml:1: error: locale 'xx_QQ' is not one leafpress knows: write a language and a country "
                "in 'locales', such as en_GB or es_ES"]
    for target in targets:
        assert [str(p) for p in render_target(session, target).problems if p.is_error] == expected


# --- the batch runner ---------------------------------------------------------------------

def test_a_worker_that_raises_names_the_file_and_the_exception(project, monkeypatch):
    project.topic("t")
    loaded = load_project(project.root)
    (target,) = plan(loaded, [project.root / "content"], ["article"], settings_for(loaded))

    def fails(session, target):
        raise ValueError("a library's bug")

    monkeypatch.setattr("leafpress.pipeline.build_target", fails)
    monkeypatch.setattr(batch, "_clean_up", lambda: None)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    out_dir = project.root / "output"
    batch._child(sender, batch._build_job, (loaded, (target,), out_dir), BatchOptions(out_dir=out_dir, memory_mb=None))
    kind, problem = receiver.recv()
    assert kind == "crash"
    assert str(batch._failed(target, 0.0, problem).problems[0]) == (
        "content/t/article.md: error: leafpress failed on this file (ValueError: 'a library's bug'): this is a "
        "bug in leafpress; please report it with the file")


def test_build_target_turns_what_a_stage_raises_into_its_result(project, monkeypatch):
    project.topic("t")
    loaded = load_project(project.root)
    (target,) = plan(loaded, [project.root / "content"], ["article"], settings_for(loaded))

    def fails(*args, **kwargs):
        raise OSError(errno.ELOOP, "Too many levels of symbolic links", str(project.root / "content/t/x.png"))

    monkeypatch.setattr("leafpress.pipeline.typeset_html", fails)
    result = build_target(Session(loaded, project.root / "output"), target)
    assert not result.ok
    assert [str(p) for p in result.problems if p.is_error] == [f"content/t/x.png: error: {LINK_LOOP}"]
