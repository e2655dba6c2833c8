"""Batch builds: isolation of failures, incremental rebuilds, interruption, reports."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import ROOT
from leafpress.commands.cli import main
from leafpress.pipeline import plan
from leafpress.project.config import load_project
from leafpress.runner import batch
from leafpress.runner.batch import START_METHOD_VARIABLE, BatchOptions, run_batch, start_method
from leafpress.runner.cache import MANIFEST_NAME

# Long enough to outlast a 3 s time limit on any machine (about 90 A4 pages).
LONG_BODY = "\n\n".join(f"## Part {n}\n\n" + ("Words that fill the page. " * 120) for n in range(150)) + "\n"


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.fixture(params=["forkserver", "spawn"])
def children(request, monkeypatch) -> str:
    """Each way of starting children, forced through the variable (spawn is what macOS and Windows use)."""
    monkeypatch.setenv(START_METHOD_VARIABLE, request.param)
    return request.param


def test_a_broken_and_a_hanging_document_fail_alone(project):
    project.topic("good1")
    project.topic("broken", title="no")
    project.topic("hangs", body=LONG_BODY)
    project.topic("good2")
    result = run("build", "--timeout", "3", "--jobs", "2")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "FAILED broken/article" in lines and "FAILED hangs/article" in lines
    assert any(line.startswith("built  good1/article") for line in lines)
    assert any(line.startswith("built  good2/article") for line in lines)
    assert "content/hangs/article.md: error: took longer than 3 s and was stopped; raise the limit with " \
           "--timeout if the document is meant to be this long" in result.stderr
    assert "content/broken/article.md:2: error: 'title' must be text" in result.stderr
    # Warnings: no clinic address, and each good topic's uncited reference.
    assert lines[-1] == "2 built, 2 failed, 3 warnings."
    for good in ("good1", "good2"):
        assert (project.root / "output" / good / "article.en.pdf").is_file()


def test_a_target_over_its_memory_limit_fails_alone(project, children):
    project.topic("a")
    project.topic("b")
    targets = plan(load_project(project.root), [])
    # 64 MB is below what rendering needs, so each target hits the limit; the
    # batch reports it per target and goes on.
    results = run_batch(load_project(project.root), targets,
                        BatchOptions(out_dir=project.root / "output", memory_mb=64))
    assert [r.status for r in results] == ["FAILED", "FAILED"]
    for result in results:
        # Wherever the allocation fails (MemoryError, a library's own error, a crash in C code), the limit
        # was reached, and that is what is said.
        (problem,) = [str(p) for p in result.problems]
        assert problem == (f"content/{result.target.topic}/article.md: error: ran out of memory (limit 64 MB per "
                           "target; raise it with --memory)")
    # With room to work, the same targets build.
    results = run_batch(load_project(project.root), targets,
                        BatchOptions(out_dir=project.root / "output", memory_mb=1024))
    assert [r.status for r in results] == ["built", "built"]


def test_second_build_with_nothing_changed_rebuilds_nothing(project):
    project.topic("a")
    project.topic("b")
    first = run("build")
    assert first.exit_code == 0 and first.stdout.splitlines()[-1] == "2 built, 0 failed, 3 warnings."
    pdf = project.root / "output" / "a" / "article.en.pdf"
    stamp = pdf.stat().st_mtime_ns
    again = run("build", "--verbose")  # the default prints no line for a target that is up to date
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == "0 built, 2 up to date, 0 failed, 1 warning."
    assert "fresh  a/article -> output/a/article.en.pdf (up to date)" in again.stdout
    assert pdf.stat().st_mtime_ns == stamp
    listed = run("list")
    assert listed.stdout.splitlines()[-1] == "2 targets, 0 to build."


def test_changes_rebuild_exactly_what_they_affect(project):
    a = project.topic("a")
    project.topic("b")
    assert run("build").exit_code == 0
    a.write_text(a.read_text().replace("Some text", "Other text"), encoding="utf-8")
    assert run("list").stdout.splitlines()[-1] == "2 targets, 1 to build."
    result = run("build", "-v")
    assert "built  a/article" in result.stdout and "fresh  b/article" in result.stdout
    # A stylesheet the layout uses: both rebuild.
    css = project.root / "styles" / "article.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    assert run("list").stdout.splitlines()[-1] == "2 targets, 2 to build."
    assert run("build").exit_code == 0
    # A stylesheet no article uses: nothing to do.
    other = project.root / "styles" / "cpd.css"
    other.write_text(other.read_text() + "\n/* changed */\n")
    assert run("list").stdout.splitlines()[-1] == "2 targets, 0 to build."
    # The project config, a build option, --force, or a PDF deleted by hand: rebuilt.
    assert run("list", "--profile", "print").stdout.splitlines()[-1] == "2 targets, 2 to build."
    (project.root / "output" / "b" / "article.en.pdf").unlink()
    assert run("list").stdout.splitlines()[-1] == "2 targets, 1 to build."
    assert run("build", "--force").stdout.splitlines()[-1] == "2 built, 0 failed, 3 warnings."
    config = project.root / "leafpress.yaml"
    config.write_text(config.read_text().replace("#1f5f8b", "#123456"))
    assert run("list").stdout.splitlines()[-1] == "2 targets, 2 to build."


def test_report_json(project, tmp_path):
    project.topic("a")
    project.topic("broken", title="no")
    report = tmp_path / "report.json"
    result = run("build", "--report", str(report))
    assert result.exit_code == 1
    data = json.loads(report.read_text())
    assert data["ok"] is False
    by_name = {t["target"]: t for t in data["targets"]}
    assert by_name["a/article"]["status"] == "built" and by_name["a/article"]["pages"] == 1
    assert by_name["broken/article"]["status"] == "FAILED"
    assert by_name["broken/article"]["problems"][0] == {
        "path": "content/broken/article.md", "line": 2, "level": "error",
        "message": "'title' must be text, not a yes/no value; put it in quotes: title: \"no\""}


def test_killing_a_build_leaves_every_previous_pdf_intact(project):
    for name in ("a", "b", "c"):
        project.topic(name, body=LONG_BODY[: len(LONG_BODY) // 6])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "build.py"), "build", "--jobs", "2"]
    subprocess.run(command, cwd=project.root, env=env, capture_output=True, check=True)
    before = {p: p.read_bytes() for p in (project.root / "output").rglob("*.pdf")}
    assert len(before) == 3
    for name in ("a", "b", "c"):
        article = project.root / "content" / name / "article.md"
        article.write_text(article.read_text().replace("Words that fill", "Other words fill"), encoding="utf-8")
    process = subprocess.Popen(command + ["--force"], cwd=project.root, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(2.0)
    os.killpg(process.pid, signal.SIGKILL)  # the whole build, children included, mid-run
    process.wait()
    for path in before:
        with pikepdf.open(path) as pdf:  # a whole PDF, old or new, never a truncated one
            assert len(pdf.pages) > 1
    # The next build clears half-written files and finishes the job.
    result = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not list((project.root / "output").rglob("*.part"))


def test_the_forkserver_warm_up_builds_its_throw_away_article(project):
    # If the warm-up article stopped building (a layout needing a new field,
    # say), every batch would silently lose the warm-up.
    from leafpress.runner.warm import warm_up, warm_up_spec

    project.topic()
    loaded = load_project(project.root)
    result = warm_up(warm_up_spec(loaded, plan(loaded, [])))
    assert result.ok and result.pages >= 1, [str(p) for p in result.problems]
    assert not (project.root / "output").exists()  # built in a temporary folder, then thrown away


def test_a_build_with_nothing_to_do_loads_neither_weasyprint_nor_the_pipeline(project):
    # What keeps a no-op rebuild fast: the parent only plans and compares fingerprints.
    project.topic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(ROOT / "build.py"), "build"], cwd=project.root, env=env, check=True,
                   capture_output=True)
    code = ("import sys\nfrom leafpress.commands.cli import main\n"
            "try:\n    main(['build'])\nexcept SystemExit:\n    pass\n"
            "heavy = ('weasyprint', 'pikepdf', 'markdown', 'fontTools', 'leafpress.source.document',"
            " 'leafpress.runner.preview')\n"
            "print('loaded:', sorted(m for m in heavy if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=project.root, env=env, capture_output=True, text=True)
    assert "1 up to date" in done.stdout, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "loaded: []"


def test_the_longest_targets_start_first_by_the_last_builds_times(project):
    # With two jobs, a long target started last keeps one busy while the other idles.
    for name in ("a", "b"):
        project.topic(name)
    project.topic("long", body=LONG_BODY[: len(LONG_BODY) // 10])
    loaded = load_project(project.root)
    targets = plan(loaded, [])
    assert [t.topic for t in targets] == ["a", "b", "long"]
    options = BatchOptions(out_dir=project.root / "output", jobs=1)
    first: list[str] = []
    run_batch(loaded, targets, options, progress=lambda r: first.append(r.target.topic))
    assert first == ["a", "b", "long"]  # nothing known yet: the order planned
    again: list[str] = []
    results = run_batch(loaded, targets, replace(options, force=True),
                        progress=lambda r: again.append(r.target.topic))
    assert again[0] == "long"
    assert [r.target.topic for r in results] == ["a", "b", "long"]  # reported in the planned order


def test_ctrl_c_stops_the_build_with_a_summary_and_the_next_build_carries_on(project, children):
    for name in ("a", "b", "c", "d"):
        project.topic(name, body=LONG_BODY[: len(LONG_BODY) // 12])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "build.py"), "build", "--jobs", "1"]
    process = subprocess.Popen(command, cwd=project.root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in process.stdout:  # the first target is done: interrupt the rest
        if line.startswith("built "):
            break
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err
    message = re.fullmatch(r"Interrupted: (\d) of 4 targets done\. Every PDF in output is whole; the next build "
                           r"carries on from there\.", err.splitlines()[-1])
    assert message, err
    finished = int(message.group(1))
    assert 1 <= finished < 4
    assert not list((project.root / "output").rglob("*.part"))
    done = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"{4 - finished} built, {finished} up to date, 0 failed")


def test_the_spawn_path_gives_the_forkserver_paths_results(project):
    # Where there is no forkserver (Windows) or forking is unsafe (macOS), each
    # child is a fresh interpreter: same failures, same messages, same PDFs.
    project.topic("good")
    project.topic("broken", title="no")
    project.topic("hangs", body=LONG_BODY)
    loaded = load_project(project.root)
    targets = plan(loaded, [])
    seen = {}
    for method in ("forkserver", "spawn"):
        options = BatchOptions(out_dir=project.root / "output", jobs=3, timeout=3, force=True, start_method=method)
        seen[method] = [(r.name, r.status, r.output, r.pages, [str(p) for p in r.problems])
                        for r in run_batch(loaded, targets, options)]
    assert seen["spawn"] == seen["forkserver"]
    assert [status for _, status, *_ in seen["spawn"]] == ["FAILED", "built", "FAILED"]
    (hangs,) = [problems for name, _, _, _, problems in seen["spawn"] if name == "hangs/article"]
    assert hangs == ["content/hangs/article.md: error: took longer than 3 s and was stopped; raise the limit with "
                     "--timeout if the document is meant to be this long"]


def test_the_start_method_is_the_platforms_unless_forced(monkeypatch):
    monkeypatch.delenv(START_METHOD_VARIABLE, raising=False)
    assert start_method() == "forkserver"  # Linux
    assert start_method("spawn") == "spawn"
    monkeypatch.setenv(START_METHOD_VARIABLE, "spawn")
    assert start_method() == "spawn"
    assert start_method("forkserver") == "forkserver"  # the parameter wins
    monkeypatch.setenv(START_METHOD_VARIABLE, "no-such-method")
    assert start_method() == "forkserver"
    with pytest.raises(ValueError, match="start_method must be one of forkserver, spawn"):
        start_method("fork")
    monkeypatch.delenv(START_METHOD_VARIABLE)
    monkeypatch.setattr(sys, "platform", "darwin")  # forking after macOS's frameworks have loaded is unsafe
    assert start_method() == "spawn"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert start_method() == "spawn"
    assert start_method("forkserver") == "spawn"  # asked for where there is none


def test_a_platform_without_resource_or_signal_masks_still_builds_with_no_memory_limit(project, monkeypatch):
    # Windows has neither: the parent must not need them, and there is no limit to report.
    project.topic()
    monkeypatch.setitem(sys.modules, "resource", None)  # import resource raises ImportError
    monkeypatch.delattr(signal, "pthread_sigmask")
    monkeypatch.delattr(signal, "SIGALRM")
    assert batch.memory_limit(BatchOptions(out_dir=project.root, memory_mb=64)) is None
    assert batch._limit_memory(64) is False
    loaded = load_project(project.root)
    results = run_batch(loaded, plan(loaded, []),
                        BatchOptions(out_dir=project.root / "output", memory_mb=64, start_method="spawn"))
    assert [r.status for r in results] == ["built"]  # 64 MB would have stopped it where the limit holds


def test_a_copied_project_trusts_only_the_pdfs_in_its_own_output(project, tmp_path_factory, monkeypatch):
    project.topic("a")
    project.topic("b")
    assert run("build").exit_code == 0
    manifest = json.loads((project.root / "output" / MANIFEST_NAME).read_text())
    assert sorted(entry["output"] for entry in manifest["targets"].values()) == ["a/article.en.pdf",
                                                                                 "b/article.en.pdf"]
    copy = tmp_path_factory.mktemp("moved") / "project"
    shutil.copytree(project.root, copy)
    (copy / "output" / "b" / "article.en.pdf").unlink()
    monkeypatch.chdir(copy)
    report = copy / "report.json"
    result = run("build", "--report", str(report), "-v")
    assert result.exit_code == 0
    assert "fresh  a/article -> output/a/article.en.pdf (up to date)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 built, 1 up to date, 0 failed")
    outputs = {t["target"]: t["output"] for t in json.loads(report.read_text())["targets"]}
    assert outputs == {"a/article": "output/a/article.en.pdf", "b/article": "output/b/article.en.pdf"}
    assert (copy / "output" / "b" / "article.en.pdf").is_file()
    assert (project.root / "output" / "b" / "article.en.pdf").is_file()  # the original is untouched


def test_a_manifest_naming_pdfs_outside_the_output_folder_is_not_trusted(project):
    # Manifests used to record absolute paths: in a copied project they named the original's PDFs.
    project.topic("a")
    project.topic("b")
    assert run("build").exit_code == 0
    path = project.root / "output" / MANIFEST_NAME
    manifest = json.loads(path.read_text())
    entries = manifest["targets"]
    (a_key,) = [key for key in entries if key.startswith("a/")]
    (b_key,) = [key for key in entries if key.startswith("b/")]
    entries[a_key]["output"] = str(project.root / "output" / entries[a_key]["output"])  # absolute, as before
    shutil.copy(project.root / "output" / "b" / "article.en.pdf", project.root / "b.pdf")
    entries[b_key]["output"] = "../b.pdf"  # outside the folder, same content
    path.write_text(json.dumps(manifest))
    assert run("list").stdout.splitlines()[-1] == "2 targets, 2 to build."
    assert run("build").stdout.splitlines()[-1].startswith("2 built, 0 failed")
    rewritten = json.loads(path.read_text())["targets"]
    assert {rewritten[a_key]["output"], rewritten[b_key]["output"]} == {"a/article.en.pdf", "b/article.en.pdf"}
    assert run("list").stdout.splitlines()[-1] == "2 targets, 0 to build."


def test_ctrl_c_while_the_children_start_is_neither_lost_nor_a_childs_traceback(tmp_path):
    # The forkserver starts with SIGINT ignored, but a Ctrl-C meanwhile must still stop the parent; a
    # spawned child starts with SIGINT blocked, even the first, which starts multiprocessing's resource
    # tracker (that unblocks SIGINT).
    script = tmp_path / "starting.py"
    script.write_text(
        "import os, signal, sys\n"
        "from multiprocessing import forkserver\n"
        "from leafpress.runner import batch\n"
        "def child(connection):\n"
        "    connection.send(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))\n"
        "if __name__ == '__main__':\n"
        "    context = batch._context('spawn')\n"
        "    receiver, sender = context.Pipe(duplex=False)\n"
        "    process = context.Process(target=child, args=(sender,))\n"
        "    batch._start(process)\n"
        "    print('spawned child blocks SIGINT:', receiver.recv())\n"
        "    process.join()\n"
        "    real = forkserver.ensure_running\n"
        "    def pressed_meanwhile():\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        real()\n"
        "    forkserver.ensure_running = pressed_meanwhile\n"
        "    try:\n"
        "        batch._context('forkserver')\n"
        "        print('Ctrl-C lost')\n"
        "    except KeyboardInterrupt:\n"
        "        print('Ctrl-C reached the parent')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.splitlines() == ["spawned child blocks SIGINT: True", "Ctrl-C reached the parent"], \
        done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_booklet_is_built_in_the_same_process_as_its_leaflet_when_both_are_built(project):
    from leafpress.runner.batch import jobs_of

    article = project.topic("t")
    (article.parent / "patient.en.md").write_text(article.read_text(encoding="utf-8").replace(
        "audience: professionals", "audience: patients"), encoding="utf-8")
    loaded = load_project(project.root)
    targets = plan(loaded, [], ["article", "patient", "patient-booklet"])
    names = [[target.name for target in job] for job in jobs_of(targets)]
    assert names == [["t/article"], ["t/patient.en", "t/patient-booklet.en"]]
    # Asked for alone, the booklet is a job of its own that typesets the leaflet it imposes.
    (booklet,) = plan(loaded, [], ["patient-booklet"])
    assert [[target.name for target in job] for job in jobs_of([booklet])] == [["t/patient-booklet.en"]]
    results = run_batch(loaded, targets, BatchOptions(out_dir=project.root / "output", jobs=2))
    assert [(r.name, r.ok) for r in results] == [("t/article", True), ("t/patient.en", True),
                                                 ("t/patient-booklet.en", True)]
    only_booklet = run_batch(loaded, [booklet], BatchOptions(out_dir=project.root / "output", force=True))
    assert only_booklet[0].ok and only_booklet[0].pages == results[2].pages


def test_a_child_that_exits_right_after_its_result_is_not_taken_for_a_crash(project, monkeypatch):
    # The parent asks whether the child is alive before reading its pipe: a result sent just
    # before the child exits is read, never reported as "the worker crashed (exit code 0)".
    import multiprocessing.process

    project.topic()
    loaded = load_project(project.root)
    real = multiprocessing.process.BaseProcess.is_alive

    def slow_is_alive(self):
        time.sleep(0.5)  # the child sends its result and exits meanwhile
        return real(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "is_alive", slow_is_alive)
    (result,) = run_batch(loaded, plan(loaded, [], ["article"]), BatchOptions(out_dir=project.root / "output", jobs=1))
    assert result.ok, [str(p) for p in result.problems]


def test_a_temporary_folder_too_deep_for_the_forkserver_socket_still_builds(project, tmp_path):
    # The forkserver listens on a Unix socket in $TMPDIR, whose path may be at most 107 bytes;
    # under a deeper TMPDIR it cannot start, and the build used to end with "AF_UNIX path too long".
    project.topic("t")
    deep = tmp_path / ("d" * 120)
    deep.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(deep)}
    env.pop(START_METHOD_VARIABLE, None)
    command = [sys.executable, str(ROOT / "build.py"), "build", "--layout", "article", "--jobs", "2"]
    done = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[-1].startswith("1 built, 0 failed")
