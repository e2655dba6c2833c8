"""Nothing from outside the project, by any route: hard links, linked topic folders, pipes, huge or deep files."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import add_data, errors, run
from leafpress.pipeline import plan
from leafpress.project.config import load_project
from leafpress.runner.cache import Fingerprinter
from leafpress.runner.preview import watch
from leafpress.source.safefile import FileRefused, FileTooLarge, list_files, read_bytes

HARD_LINK = "is a hard link to another file: copy the file here instead of linking it"
LINKED_TOPIC = "content/t: error: is a link to a folder outside content: move or copy the topic into it instead of " \
               "linking it"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def shown(url: str) -> str:
    return url if len(url) <= 80 else url[:26] + "…" + url[-53:]


def within(seconds: float, action):
    """``action()``'s result, or fail if it takes longer than ``seconds`` (a pipe that blocks)."""
    outcome: list = []

    def target() -> None:
        try:
            outcome.append(action())
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: something waits on a pipe"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def image_line(article: Path, markdown: str) -> int:
    return article.read_text(encoding="utf-8").splitlines().index(markdown) + 1


# --- the one reader -----------------------------------------------------------------------

def test_read_bytes_refuses_what_is_not_one_regular_file(tmp_path):
    (tmp_path / "file").write_bytes(b"12345")
    assert read_bytes(tmp_path / "file", 5) == b"12345"
    with pytest.raises(FileTooLarge, match=r"^is larger than 4 bytes$"):
        read_bytes(tmp_path / "file", 4)
    os.link(tmp_path / "file", tmp_path / "second")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    expected = {"file": HARD_LINK, "pipe": "is not a regular file", "link": "is a symbolic link: copy the file here "
                "instead of linking it", ".": "is not a regular file"}
    for name, reason in expected.items():
        with pytest.raises(FileRefused) as refused:
            within(5, lambda name=name: read_bytes(tmp_path / name, 100))
        assert refused.value.reason == reason


def test_list_files_is_bounded_and_never_follows_a_link(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text("x")
    (tmp_path / "top.txt").write_text("x")
    (tmp_path / "out").symlink_to("/")
    assert list(list_files(tmp_path)) == [tmp_path / "top.txt", tmp_path / "a" / "b" / "deep.txt"]
    assert list(list_files(tmp_path, max_depth=1)) == [tmp_path / "top.txt"]
    assert list(list_files(tmp_path, max_files=1)) == [tmp_path / "top.txt"]
    assert tmp_path / "out" in list(list_files(tmp_path, links=True))


# --- hard links ------------------------------------------------------------------------------

def hard_link_in_place(path: Path, elsewhere: Path) -> None:
    """Move ``path`` into the folder ``elsewhere`` and leave a hard link to it where it was."""
    path.rename(elsewhere / path.name)
    os.link(elsewhere / path.name, path)


def test_a_hard_linked_image_is_refused(project, tmp_path):
    article = project.topic("t", body="Text [@smith2020].\n\n![A chart](chart.png)\n")
    (tmp_path / "secret.png").write_bytes(PNG)
    os.link(tmp_path / "secret.png", article.parent / "chart.png")
    code, _, err = run("build")
    assert code == 1
    line = image_line(article, "![A chart](chart.png)")
    assert errors(err) == [f"content/t/article.md:{line}: error: refused to load "
                           f"{shown((article.parent / 'chart.png').as_uri())} {HARD_LINK}"]


def test_hard_linked_references_are_refused(project, tmp_path):
    article = project.topic("t")
    hard_link_in_place(article.parent / "references.json", tmp_path)
    code, out, _ = run("check")
    assert code == 1
    assert errors(out) == [f"content/t/references.json: error: {HARD_LINK}"]


def test_a_hard_linked_data_file_is_refused(project, tmp_path):
    article = project.topic("t")
    add_data(article)
    hard_link_in_place(article.parent / "evidence.yaml", tmp_path)
    code, out, _ = run("check")
    assert code == 1
    assert errors(out) == [f"content/t/evidence.yaml: error: {HARD_LINK}"]


def test_a_hard_linked_article_is_refused(project, tmp_path):
    article = project.topic("t")
    hard_link_in_place(article, tmp_path)
    code, out, _ = run("check")
    assert code == 1
    assert errors(out) == [f"content/t/article.md: error: {HARD_LINK}"]


def test_a_hard_linked_stylesheet_is_refused(project, tmp_path):
    project.topic("t")
    hard_link_in_place(project.root / "styles" / "article.css", tmp_path)
    code, _, err = run("build", "--layout", "article")
    assert code == 1
    assert errors(err) == [f"content/t/article.md: error: refused to load styles/article.css {HARD_LINK}"]


# --- topic folders linked out of content/ ----------------------------------------------------

@pytest.fixture
def linked_topic(project, tmp_path):
    """content/t: a link to a topic folder outside the project; content/good: a real topic."""
    project.topic("good")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "article.md").write_text("---\ntitle: Secret\n---\n\nSecret text.\n", encoding="utf-8")
    (project.root / "content" / "t").symlink_to(outside)
    return project


@pytest.mark.parametrize("args", [("build",), ("check",), ("build", "content/t"), ("check", "content/t/article.md")])
def test_a_topic_folder_linked_out_of_content_is_refused(linked_topic, args):
    code, _, err = run(*args)
    assert code == 1
    assert errors(err) == [LINKED_TOPIC]
    assert not (linked_topic.root / "output" / "t").exists()


def test_a_topic_folder_linked_out_of_content_is_not_watched(linked_topic):
    result = CliRunner().invoke(watch, ["--port", "0"])
    assert result.exit_code == 1
    assert LINKED_TOPIC in result.output
    assert "Preview:" not in result.output
    assert not (linked_topic.root / "output").exists()


def test_a_topic_folder_linked_inside_content_is_still_a_topic(project):
    project.topic("real")
    (project.root / "content" / "alias").symlink_to(project.root / "content" / "real")
    targets = plan(load_project(project.root), [], ["article"])
    assert sorted(target.topic for target in targets) == ["alias", "real"]


# --- pipes --------------------------------------------------------------------------------

def test_a_pipe_as_a_source_is_refused_at_once(project):
    project.topic("t")
    os.mkfifo(project.root / "content" / "t" / "patient.en.md")
    code, out, _ = within(60, lambda: run("check"))
    assert code == 1
    assert "content/t/patient.en.md: error: is not a regular file: replace it with a text file" in errors(out)


def test_a_pipe_as_a_roster_is_refused_at_once(project):
    add_data(project.topic("course"))
    os.mkfifo(project.root / "roster.csv")
    code, _, err = within(60, lambda: run("certificates", "content/course", "--roster", "roster.csv"))
    assert code == 1
    assert errors(err) == ["roster.csv: error: is not a regular file: save the list of attendees as a CSV file"]


# --- what the change tracking reads ---------------------------------------------------------

def fingerprint(project) -> str:
    loaded = load_project(project.root)
    return Fingerprinter(loaded).of(plan(loaded, [], ["article"])[0])


def test_a_huge_file_nothing_names_costs_nothing_and_deep_folders_do_not_crash(project):
    article = project.topic("t")
    before = fingerprint(project)
    with open(article.parent / "huge.bin", "wb") as file:
        file.truncate(3 * 2**30)  # sparse: no disk used
    deep = str(article.parent)
    for _ in range(1100):
        deep += "/d"
        os.mkdir(deep)
    try:
        started = time.monotonic()
        assert fingerprint(project) == before
        assert time.monotonic() - started < 2
        started = time.monotonic()
        code, out, err = run("build", "--layout", "article")
        assert code == 0, err
        assert "1 built" in out
        assert time.monotonic() - started < 60
    finally:
        # pytest's own clean-up of old temporary folders recurses and would fail on 1,100 levels.
        subprocess.run(["rm", "-rf", str(article.parent / "d")], check=False)


def test_a_huge_file_the_article_names_is_refused_by_size(project):
    article = project.topic("t", body="Text [@smith2020].\n\n![A scan](scan.png)\n")
    with open(article.parent / "scan.png", "wb") as file:
        file.truncate(3 * 2**30)
    started = time.monotonic()
    code, _, err = run("build", "--layout", "article")
    assert code == 1
    line = image_line(article, "![A scan](scan.png)")
    assert errors(err) == [f"content/t/article.md:{line}: error: refused to load "
                           f"{shown((article.parent / 'scan.png').as_uri())} is larger than 20 MiB"]
    assert time.monotonic() - started < 60


def test_the_fingerprint_follows_the_files_the_article_names_and_no_others(project):
    article = project.topic("t", body="Text [@smith2020].\n\n![A chart](images/my%20chart.png)\n")
    (article.parent / "images").mkdir()
    (article.parent / "images" / "my chart.png").write_bytes(PNG)
    (article.parent / "notes.txt").write_text("draft")
    first = fingerprint(project)
    (article.parent / "notes.txt").write_text("another draft")
    assert fingerprint(project) == first
    (article.parent / "images" / "my chart.png").write_bytes(PNG + b"\0")
    assert fingerprint(project) != first
