"""The locked-down WeasyPrint fetcher, alone and through a whole build."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from conftest import TestProject
from leafpress import build, load_project
from leafpress.typeset.engine import FetchRefused, ProjectFetcher


@pytest.fixture
def root(tmp_path) -> Path:
    folder = tmp_path / "root"
    (folder / "sub").mkdir(parents=True)
    (folder / "image.png").write_bytes(b"\x89PNG fake bytes")
    (tmp_path / "secret.txt").write_text("outside the root")
    return folder


@pytest.fixture
def fetcher(root) -> ProjectFetcher:
    return ProjectFetcher((root,))


@pytest.fixture
def no_network(monkeypatch) -> list[tuple]:
    """Record (and block) any attempt to resolve a name or open a connection."""
    attempts: list[tuple] = []

    def blocked(name):
        def refuse(*args, **kwargs):
            attempts.append((name, args))
            raise OSError(f"test: network access attempted via {name}")
        return refuse

    monkeypatch.setattr(socket, "getaddrinfo", blocked("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", blocked("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", blocked("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", blocked("connect_ex"))
    return attempts


def shown(url: str) -> str:
    """A URL as refusals show it: at most 80 characters, the middle left out so the file name stays."""
    return url if len(url) <= 80 else url[:26] + "…" + url[-53:]


def reason(url: str, why: str) -> str:
    """The refusal message: the URL (cut to 80 characters) and why."""
    return f"{shown(url)} {why}"


OUTSIDE = "is outside the project's content, styles and templates"
NETWORK = "is not a file of this project (no network access)"


def refusal(fetcher: ProjectFetcher, url: str) -> str:
    """Fetch ``url``, expect a refusal, and return its recorded reason."""
    before = list(fetcher.refused)
    started = time.perf_counter()
    with pytest.raises(FetchRefused) as caught:
        fetcher.fetch(url)
    assert time.perf_counter() - started < 0.5  # immediate: nothing was waited for
    assert [str(r) for r in fetcher.refused] == [str(r) for r in before] + [str(caught.value)]
    assert fetcher.refused[-1].url == url
    return str(caught.value)


# --- allowed -------------------------------------------------------------------

def test_regular_file_inside_a_root_is_served(fetcher, root):
    response = fetcher.fetch((root / "image.png").as_uri())
    assert response.read() == b"\x89PNG fake bytes"
    assert response.url == (root / "image.png").resolve().as_uri()
    assert fetcher.refused == []


def test_symlink_inside_a_root_to_a_file_inside_it_is_served(fetcher, root):
    (root / "sub" / "alias.png").symlink_to(root / "image.png")
    assert fetcher.fetch((root / "sub" / "alias.png").as_uri()).read() == b"\x89PNG fake bytes"
    assert fetcher.refused == []


def test_file_in_any_of_several_roots_is_served(tmp_path, root):
    other = tmp_path / "styles"
    other.mkdir()
    (other / "a.css").write_text("p {}")
    fetcher = ProjectFetcher((root, other))
    assert fetcher.fetch((other / "a.css").as_uri()).read() == b"p {}"
    assert fetcher.fetch((root / "image.png").as_uri()).read() == b"\x89PNG fake bytes"


def test_data_url_is_served(fetcher, no_network):
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert fetcher.fetch("data:,plain%20text").read() == b"plain text"
    assert fetcher.refused == []
    assert no_network == []


# --- refused -------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1/", "https://example.org/x.png",
                                 "http://localhost:1/x.css", "ftp://example.org/x"])
def test_network_urls_are_refused_without_any_request(fetcher, no_network, url):
    assert refusal(fetcher, url) == reason(url, NETWORK)
    assert no_network == []


def test_file_url_with_a_host_is_refused(fetcher, root, no_network):
    url = f"file://otherhost{root / 'image.png'}"
    assert refusal(fetcher, url) == reason(url, NETWORK)
    assert refusal(fetcher, "file://otherhost/x") == \
        "file://otherhost/x is not a file of this project (no network access)"
    assert no_network == []


def test_file_outside_every_root_is_refused(fetcher):
    assert refusal(fetcher, "file:///etc/hostname") == \
        "file:///etc/hostname is outside the project's content, styles and templates"


@pytest.mark.parametrize("tail", ["/../secret.txt", "/sub/../../secret.txt", "/sub/%2e%2e/%2E%2E/secret.txt"])
def test_dot_dot_escaping_a_root_is_refused(fetcher, root, tail):
    url = root.as_uri() + tail
    assert refusal(fetcher, url) == reason(url, OUTSIDE)


def test_sibling_folder_sharing_the_roots_name_as_prefix_is_refused(fetcher, root):
    twin = root.parent / (root.name + "2")
    twin.mkdir()
    (twin / "x.png").write_bytes(b"x")
    url = (twin / "x.png").as_uri()
    assert refusal(fetcher, url) == reason(url, OUTSIDE)


def test_symlink_inside_a_root_pointing_outside_is_refused(fetcher, root, tmp_path):
    link = root / "sub" / "innocent.png"
    link.symlink_to(tmp_path / "secret.txt")
    assert link.read_text() == "outside the root"  # the link itself works
    url = link.as_uri()
    assert refusal(fetcher, url) == reason(url, OUTSIDE)


def test_symlinked_folder_inside_a_root_pointing_outside_is_refused(fetcher, root, tmp_path):
    (root / "escape").symlink_to(tmp_path)
    url = (root / "escape" / "secret.txt").as_uri()
    assert refusal(fetcher, url) == reason(url, OUTSIDE)


def test_directory_is_refused(fetcher, root):
    url = (root / "sub").as_uri()
    assert refusal(fetcher, url) == reason(url, "is not a regular file")


def test_dev_zero_is_refused_as_not_a_regular_file():
    fetcher = ProjectFetcher((Path("/dev"),))  # even with /dev allowed, it is no regular file
    assert refusal(fetcher, "file:///dev/zero") == "file:///dev/zero is not a regular file"


def test_dev_zero_is_refused_from_a_project_root(fetcher):
    assert refusal(fetcher, "file:///dev/zero") == \
        "file:///dev/zero is outside the project's content, styles and templates"


def test_fifo_inside_a_root_is_refused_without_blocking(fetcher, root):
    os.mkfifo(root / "pipe")
    url = (root / "pipe").as_uri()
    assert refusal(fetcher, url) == reason(url, "is not a regular file")


def test_missing_file_is_refused_with_the_os_reason(fetcher, root):
    url = (root / "missing.png").as_uri()
    assert refusal(fetcher, url) == reason(url, "cannot be read (No such file or directory): check the file's "
                                                "name, and that it is in the topic's folder")


def test_long_url_is_shortened_in_the_reason(fetcher):
    url = "https://example.org/" + "a" * 200 + "/chart.png"
    assert refusal(fetcher, url) == ("https://example.org/aaaaaa…" + "a" * 43 + "/chart.png is not a file of this "
                                     "project (no network access)")


def test_url_with_a_nul_byte_is_a_recorded_refusal(fetcher, root):
    refusal(fetcher, root.as_uri() + "/image.png%00")


# --- end to end ----------------------------------------------------------------

GOOD_BODY = "Text [@smith2020] [@jones2021].\n"


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """One build run: three topics that name forbidden resources, then a good one."""
    project = TestProject(tmp_path_factory.mktemp("fetch-project"))
    topics = [
        project.topic("a-absolute", body=GOOD_BODY + "\n![x](/etc/hostname)\n"),
        project.topic("b-relative", body=GOOD_BODY + "\n![x](../../../etc/passwd)\n"),
        project.topic("c-network", body=GOOD_BODY + "\n![x](http://127.0.0.1:9/x.png)\n"),
        project.topic("d-good", body=GOOD_BODY),
    ]
    attempts = []
    with pytest.MonkeyPatch.context() as patch:
        def refuse(*args, **kwargs):
            attempts.append(args)
            raise OSError("test: network access attempted")
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(socket.socket, "connect", refuse)
        out = project.root / "out"
        results, _ = build(load_project(project.root), [t.parent for t in topics], out_dir=out)
    return {r.target.topic: r for r in results}, out, attempts


@pytest.mark.parametrize("topic, url", [
    ("a-absolute", "file:///etc/hostname"),
    ("b-relative", "etc/passwd"),
    ("c-network", "http://127.0.0.1:9/x.png"),
])
def test_topic_naming_a_forbidden_resource_fails_without_a_pdf(hostile_build, topic, url):
    results, out, _ = hostile_build
    result = results[topic]
    assert not result.ok
    assert result.output is None
    refused = [str(p) for p in result.problems if "refused to load" in p.message]
    assert len(refused) == 1, [str(p) for p in result.problems]
    assert url in refused[0]
    assert refused[0].endswith(("is outside the project's content, styles and templates",
                                "is not a file of this project (no network access)"))
    assert all(p.is_error for p in result.problems if "refused to load" in p.message)
    assert not (out / topic).exists()


def test_relative_path_escaping_the_project_is_refused_as_outside(hostile_build):
    results, _, _ = hostile_build
    (problem,) = results["b-relative"].problems
    assert problem.message.startswith("refused to load file:///")
    assert problem.message.endswith("/etc/passwd is outside the project's content, styles and templates")


def test_no_network_request_during_the_build(hostile_build):
    _, _, attempts = hostile_build
    assert attempts == []


def test_good_sibling_topic_still_builds(hostile_build):
    results, out, _ = hostile_build
    good = results["d-good"]
    assert good.ok, [str(p) for p in good.problems]
    assert good.output == out / "d-good" / "article.en.pdf"
    assert good.output.read_bytes().startswith(b"%PDF-")
    assert good.pages == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == ["d-good/article.en.pdf"]
    assert not list(out.rglob("*.part"))
