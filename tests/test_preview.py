"""leafpress watch without a browser: the preview server, its fetch rule, rebuilds.

The browser test (a real headless Chromium) is in tests/preview/ and runs with
`make test-preview`.
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import watchfiles
from click.testing import CliRunner

from conftest import SUMMARY, add_data
from leafpress.runner.preview import PROBLEMS_ID, RELOAD_SCRIPT_PATH, Preview, PreviewServer, served_file, watch


class Printed:
    """Collects what the watcher prints."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, message: str = "", err: bool = False) -> None:
        self.lines.append(message)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def served(project):
    """A planned (not yet built) preview of one article, served on a free port."""
    # An address (of no real place), so that leafpress.yaml has no warning for every page's problems box.
    config = project.root / "leafpress.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("address: []", "address: [1 Test Street]"),
                      encoding="utf-8")
    project.topic(body="Hello preview world [@smith2020; @jones2021].\n\n![A small figure](figure.svg)\n")
    figure = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    (project.root / "content" / "topic" / "figure.svg").write_text(figure, encoding="utf-8")
    printed = Printed()
    preview = Preview(project.root, layouts=["article"], echo=printed)
    preview.printed = printed
    snapshot = preview.replan()
    assert not snapshot.problems, [str(p) for p in snapshot.problems]
    server = PreviewServer(preview, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield preview, server, project
    preview.stop()
    server.shutdown()
    server.server_close()


def request(server: PreviewServer, path: str, method: str = "GET", host: str | None = None,
            timeout: float = 10) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        # skip_host: send exactly the Host asked for (or the usual one)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{server.port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_binds_127_0_0_1_and_a_free_port_with_port_0(served):
    _, server, _ = served
    assert server.server_address[0] == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/"


def test_index_lists_the_targets_with_links(served):
    _, server, _ = served
    status, headers, body = request(server, "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert '<a href="/preview/topic/article">topic/article</a>' in body
    assert "not built yet" in body
    assert RELOAD_SCRIPT_PATH in body


def test_preview_page_is_the_documents_html_with_stylesheets_and_reload_script(served):
    _, server, _ = served
    status, headers, body = request(server, "/preview/topic/article")
    assert status == 200
    assert "Hello preview world" in body
    assert "<h1>Test topic</h1>" in body
    assert 'class="bibliography' in body or "Smith AB" in body  # the rendered references
    for sheet in ("fonts/fonts.css", "base.css", "article.css"):
        assert f'<link rel="stylesheet" href="/styles/{sheet}">' in body
    assert f'<script src="{RELOAD_SCRIPT_PATH}" nonce="' in body
    assert body.index("</style>") < body.index('href="/styles/base.css"') < body.index("</head>")
    assert PROBLEMS_ID not in body  # no problems: no box
    # Only the reload script runs: it alone carries this response's nonce.
    nonce = re.search(r"script-src 'nonce-([^']+)'", headers["Content-Security-Policy"]).group(1)
    assert body.count(f'nonce="{nonce}"') == 1
    assert request(server, "/preview/topic/article")[1]["Content-Security-Policy"] != headers["Content-Security-Policy"]
    status, headers, script = request(server, RELOAD_SCRIPT_PATH)
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert 'new EventSource("/events")' in script and "location.reload()" in script


def test_relative_images_and_file_urls_point_at_served_paths(served):
    preview, server, project = served
    (project.root / "styles" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', encoding="utf-8")
    config = project.root / "leafpress.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "clinic:\n", "clinic:\n  logo: styles/logo.svg\n  logo_alt: Test Clinic logo\n", 1), encoding="utf-8")
    preview.replan()
    _, _, body = request(server, "/preview/topic/article")
    assert "file:" not in body
    assert 'src="/styles/logo.svg"' in body
    assert 'src="figure.svg"' in body  # relative to /preview/topic/, as WeasyPrint's base URL is the topic
    status, headers, svg = request(server, "/preview/topic/figure.svg")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml") and "<rect" in svg
    assert "sandbox" in headers["Content-Security-Policy"]
    assert request(server, "/styles/logo.svg")[0] == 200


def test_serves_styles_fonts_templates_and_topic_files(served):
    _, server, _ = served
    status, headers, css = request(server, "/styles/fonts/fonts.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and "@font-face" in css
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/styles/fonts/source-sans-3/source-sans-3-latin-700-normal.ttf")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "font/ttf"
    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    connection.close()
    assert request(server, "/templates/base.html.j2")[0] == 200
    assert request(server, "/preview/topic/references.json")[0] == 200


@pytest.mark.parametrize("path", [
    "/styles/../leafpress.yaml",
    "/styles/%2e%2e/leafpress.yaml",
    "/styles/..%2fleafpress.yaml",
    "/styles//etc/passwd",
    "/styles/%2Fetc%2Fpasswd",
    "/templates/../content/topic/article.md",
    "/preview/topic/../../leafpress.yaml",
    "/preview/topic/%2e%2e/%2e%2e/leafpress.yaml",
    "/preview/topic/",             # a folder, not a file
    "/styles/fonts",               # a folder, not a file
    "/preview/nosuchtopic/article",
    "/preview/nosuchtopic/article.md",
    "/leafpress.yaml",
    "/content/topic/article.md",
    "/output/",
    "/styles/out-link.css",        # a symbolic link out of styles/
    "/preview/topic/secret.txt",   # a symbolic link out of the topic folder
    "/preview/topic/.hidden",
    "/styles/base.css%00.png",
    "/logo",                       # no logo configured
])
def test_refuses_everything_outside_the_allowed_folders(served, path):
    _, server, project = served
    outside = project.root / "secret.txt"
    outside.write_text("not for the browser", encoding="utf-8")
    (project.root / "styles" / "out-link.css").symlink_to(project.root / "leafpress.yaml")
    (project.root / "content" / "topic" / "secret.txt").symlink_to(outside)
    (project.root / "content" / "topic" / ".hidden").write_text("hidden", encoding="utf-8")
    status, _, body = request(server, path)
    assert status == 404, (path, status)
    assert "clinic" not in body and "not for the browser" not in body


def test_served_file_follows_the_fetch_rule(tmp_path):
    root = tmp_path / "styles"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.css").write_text("a", encoding="utf-8")
    (root / "inside-link.css").symlink_to(root / "sub" / "a.css")
    (tmp_path / "b.css").write_text("b", encoding="utf-8")
    (root / "outside-link.css").symlink_to(tmp_path / "b.css")
    (root / "loop.css").symlink_to(root / "loop.css")
    assert served_file(root, "sub/a.css") == (root / "sub" / "a.css").resolve()
    assert served_file(root, "inside-link.css") == (root / "sub" / "a.css").resolve()
    for refused in ("outside-link.css", "../b.css", "sub/../../b.css", "sub", "", "loop.css", "missing.css",
                    str(tmp_path / "b.css"), "a\x00b"):
        assert served_file(root, refused) is None, refused


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_answers_only_get(served, method):
    _, server, _ = served
    status, headers, _ = request(server, "/", method=method)
    assert status == 405
    assert headers["Allow"] == "GET"


def test_refuses_other_host_names(served):
    """A page on another site cannot read the preview through DNS rebinding."""
    _, server, _ = served
    assert request(server, "/", host="evil.example")[0] == 403
    assert request(server, "/", host=f"evil.example:{server.port}")[0] == 403
    assert request(server, "/", host=f"localhost:{server.port}")[0] == 200


def test_errors_show_on_the_preview_page_instead_of_the_document(served):
    _, server, project = served
    article = project.root / "content" / "topic" / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title: Test topic", "title: no"),
                       encoding="utf-8")
    status, _, body = request(server, "/preview/topic/article")
    assert status == 200
    assert f'id="{PROBLEMS_ID}"' in body
    assert "content/topic/article.md:2: error: &#x27;title&#x27; must be text" in body
    assert "Hello preview world" not in body
    assert RELOAD_SCRIPT_PATH in body  # and it reloads once the error is fixed


def test_a_broken_leafpress_yaml_is_reported_not_raised(served):
    preview, server, project = served
    (project.root / "leafpress.yaml").write_text("clinic: [\n", encoding="utf-8")
    assert preview.rebuild() == []
    assert "leafpress.yaml:" in preview.printed.text and "error" in preview.printed.text
    _, _, body = request(server, "/preview/topic/article")
    assert f'id="{PROBLEMS_ID}"' in body and "leafpress.yaml" in body
    _, _, index = request(server, "/")
    assert f'id="{PROBLEMS_ID}"' in index


def test_events_send_the_version_at_once_and_after_each_rebuild(served):
    preview, server, _ = served
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/events")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"

    def next_event() -> str:
        while True:
            line = response.fp.readline().decode()
            if line.startswith("data: "):
                return line[len("data: "):].strip()

    first = next_event()
    assert first == preview.version
    preview.bump()
    second = next_event()
    assert second != first and second == preview.version
    connection.close()


def test_a_save_rebuilds_the_target_and_updates_the_page(served):
    preview, server, project = served
    results = preview.rebuild(first=True)
    assert [r.status for r in results] == ["built"], [str(p) for r in results for p in r.problems]
    assert "built  topic/article -> output/topic/article.en.pdf" in preview.printed.text
    before = preview.version
    article = project.root / "content" / "topic" / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("Hello preview world", "Edited text"),
                       encoding="utf-8")
    preview.printed.lines.clear()
    preview.on_changes({(watchfiles.Change.modified, str(article))})
    assert preview.printed.lines[0] == "changed content/topic/article.md"
    assert any(line.startswith("built  topic/article ->") for line in preview.printed.lines)
    assert preview.version != before
    _, _, body = request(server, "/preview/topic/article")
    assert "Edited text" in body and "Hello preview world" not in body
    # Nothing changed: nothing is rebuilt, and no line claims otherwise.
    preview.printed.lines.clear()
    assert [r.up_to_date for r in preview.rebuild()] == [True]
    assert not any(line.startswith(("built", "fresh", "FAILED")) for line in preview.printed.lines)


def test_a_failed_build_shows_its_errors_above_the_document(served):
    """The HTML renders, but WeasyPrint is refused a file outside the topic: the build fails."""
    preview, server, project = served
    (project.root / "outside.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    article = project.root / "content" / "topic" / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("(figure.svg)", "(../../outside.svg)"),
                       encoding="utf-8")
    line = article.read_text(encoding="utf-8").splitlines().index("![A small figure](../../outside.svg)") + 1
    results = preview.rebuild()
    assert [r.status for r in results] == ["FAILED"]
    assert "FAILED topic/article" in preview.printed.text
    assert f"content/topic/article.md:{line}: error: refused to load" in preview.printed.text
    _, _, body = request(server, "/preview/topic/article")
    assert body.index(f'id="{PROBLEMS_ID}"') < body.index("Hello preview world")
    assert f"content/topic/article.md:{line}: error: refused to load" in body
    assert "src=\"../../outside.svg\"" in body
    assert request(server, "/preview/topic/../../outside.svg")[0] == 404
    _, _, index = request(server, "/")
    assert "FAILED, 1 error" in index


def test_errors_in_a_data_file_are_shown_with_their_line(served):
    preview, server, project = served
    add_data(project.root / "content" / "topic" / "article.md", summary=SUMMARY.replace("@smith2020", "@nobody"))
    preview.layouts = ["summary"]
    preview.replan()
    _, _, body = request(server, "/preview/topic/summary")
    assert "content/topic/summary.yaml:3: error: unknown reference key &#x27;nobody&#x27;" in body


def first_changes_seen(preview, monkeypatch, save) -> set[str]:
    """Run the watch loop, call ``save`` until the loop reports changes, and return the first set of paths."""
    stop = threading.Event()
    seen: list[set[str]] = []

    def on_changes(changes):
        seen.append({path for _, path in changes})
        stop.set()
        return False

    monkeypatch.setattr(preview, "on_changes", on_changes)
    thread = threading.Thread(target=preview.watch_forever, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not stop.is_set() and time.monotonic() < deadline:  # until the watcher has started
        save()
        stop.wait(0.5)
    thread.join(5)
    assert not thread.is_alive() and seen
    return seen[0]


def test_the_watch_loop_rebuilds_when_a_file_is_saved(served, monkeypatch):
    preview, _, project = served
    article = project.root / "content" / "topic" / "article.md"

    def save() -> None:
        article.write_text(article.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")

    assert str(article.resolve()) in first_changes_seen(preview, monkeypatch, save)


def test_the_watch_loop_sees_a_first_override_and_ignores_the_output(served, monkeypatch):
    # A project made by 'leafpress init' has no styles/ until its first override.
    preview, _, project = served
    shutil.rmtree(project.root / "styles")
    override = project.root / "styles" / "patient.css"

    def save() -> None:
        (project.root / "output").mkdir(exist_ok=True)
        (project.root / "output" / "ignored.pdf").write_bytes(b"not news")
        override.parent.mkdir(exist_ok=True)
        override.write_text("/* the clinic's own */\n", encoding="utf-8")

    seen = first_changes_seen(preview, monkeypatch, save)
    # The folder's creation and the file's may come in one batch of changes or the folder's first.
    styles = (project.root / "styles").resolve()
    assert any(Path(path).resolve().is_relative_to(styles) for path in seen), seen
    assert not any("output" in path for path in seen)


def test_watch_paths(served):
    preview, _, project = served
    assert preview.watch_paths() == [project.root / "content", project.root / "templates",
                                     project.root / "styles", project.root / "leafpress.yaml"]


def test_help_has_an_example():
    result = CliRunner().invoke(watch, ["--help"])
    assert result.exit_code == 0
    assert any(line.strip().startswith("Example: leafpress watch") for line in result.output.splitlines())
    assert "--port" in result.output and "--layout" in result.output


def test_a_page_that_fails_to_render_has_the_problems_box_and_reloads(served, monkeypatch):
    from leafpress.runner import preview as module

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("\x1b]0;owned\x07 the renderer broke")

    monkeypatch.setattr(module, "preview_page", broken)
    _, server, _ = served
    status, headers, body = request(server, "/preview/topic/article")
    assert status == 500
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<section id="{PROBLEMS_ID}" role="alert"' in body
    assert ("<li style=\"margin:0.2em 0\">leafpress: error: this page could not be made: RuntimeError: "
            "\\x1b]0;owned\\x07 the renderer broke; it reloads after the next save</li>") in body
    nonce = re.search(r"script-src 'nonce-([^']+)'", headers["Content-Security-Policy"]).group(1)
    assert f'<script src="{RELOAD_SCRIPT_PATH}" nonce="{nonce}" data-version="' in body
    monkeypatch.undo()
    assert request(server, "/preview/topic/article")[0] == 200  # fixed: the reload finds the page


def test_idle_and_slow_clients_do_not_stall_a_request(served):
    _, server, _ = served
    idle = []
    try:
        for number in range(40):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if number % 2:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # half a request, never finished
            idle.append(sock)
        time.sleep(0.2)
        start = time.monotonic()
        status, _, body = request(server, "/", timeout=5)
        assert status == 200 and "leafpress preview" in body
        assert time.monotonic() - start < 2
    finally:
        for sock in idle:
            sock.close()


def test_a_client_that_never_sends_its_request_is_dropped(served, monkeypatch):
    from leafpress.runner import preview as module

    monkeypatch.setattr(module, "HEAD_SECONDS", 0.3)
    _, server, _ = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HT")
        start = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server
        assert time.monotonic() - start < 3


def test_a_port_in_use_is_one_clear_error(project):
    project.topic()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(watch, ["--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot serve the preview on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_path_is_an_error_before_serving(project):
    project.topic()
    result = CliRunner().invoke(watch, ["content/nothing", "--port", "0"])
    assert result.exit_code == 1
    assert "content/nothing: error: no such file or folder" in result.output
    assert "Preview:" not in result.output
    assert not (project.root / "output").exists()  # nothing was built
