"""leafpress watch without a browser: the preview server, its fetch rule, rebuilds.

The browser test (a real headless Chromium) is in tests/preview/ and runs with
`make test-preview`.
"""

from __future__ import annotations

import http.client
import io
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
import watchfiles
from click.testing import CliRunner
from PIL import Image

from conftest import SUMMARY, add_data
from leafpress.runner.preview import (
    LIMIT_ID,
    PAGE_SCALE,
    PAGES_ID,
    PREFLIGHT_ID,
    PROBLEMS_ID,
    RELOAD_SCRIPT_PATH,
    Preview,
    PreviewServer,
    served_file,
    watch,
)

HTML_VIEW = "/preview/topic/article?view=html"


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


def test_html_view_is_the_documents_html_with_stylesheets_and_reload_script(served):
    _, server, _ = served
    status, headers, body = request(server, HTML_VIEW)
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
    assert request(server, HTML_VIEW)[1]["Content-Security-Policy"] != headers["Content-Security-Policy"]
    assert 'HTML view of topic/article: the HTML WeasyPrint receives' in body
    assert '<a style="all:initial;color:#8ab4f8;text-decoration:underline;cursor:pointer;font:inherit" ' \
        'href="/preview/topic/article">Pages</a>' in body
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
    _, _, body = request(server, HTML_VIEW)
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


def test_errors_show_on_the_html_view_instead_of_the_document(served):
    _, server, project = served
    article = project.root / "content" / "topic" / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title: Test topic", "title: no"),
                       encoding="utf-8")
    status, _, body = request(server, HTML_VIEW)
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
    _, _, body = request(server, HTML_VIEW)
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
    _, _, body = request(server, HTML_VIEW)
    assert body.index(f'id="{PROBLEMS_ID}"') < body.index("Hello preview world")
    assert f"content/topic/article.md:{line}: error: refused to load" in body
    assert "src=\"../../outside.svg\"" in body
    assert request(server, "/preview/topic/../../outside.svg")[0] == 404
    _, _, index = request(server, "/")
    assert "FAILED, 1 error" in index
    # The pages view: the error, and no pages, as no PDF was ever made.
    _, _, pages = request(server, "/preview/topic/article")
    assert f"content/topic/article.md:{line}: error: refused to load" in pages
    assert "<strong>No PDF: the errors above stopped the build.</strong>" in pages
    assert f'id="{PAGES_ID}"' not in pages


def test_a_failed_rebuild_shows_the_last_pdf_marked_not_rebuilt(served):
    preview, server, project = served
    assert [r.status for r in preview.rebuild(first=True)] == ["built"]
    article = project.root / "content" / "topic" / "article.md"
    article.write_text(article.read_text(encoding="utf-8").replace("title: Test topic", "title: no"),
                       encoding="utf-8")
    assert [r.status for r in preview.rebuild()] == ["FAILED"]
    _, _, body = request(server, "/preview/topic/article")
    assert "content/topic/article.md:2: error: &#x27;title&#x27; must be text" in body
    assert ("<strong>Not rebuilt: the errors above stopped the build.</strong><p>These are the pages of the PDF "
            "an earlier build made, output/topic/article.en.pdf; they do not show your latest changes.</p>") in body
    assert "Page 1 of 1" in body


def test_errors_in_a_data_file_are_shown_with_their_line(served):
    preview, server, project = served
    add_data(project.root / "content" / "topic" / "article.md", summary=SUMMARY.replace("@smith2020", "@nobody"))
    preview.layouts = ["summary"]
    preview.replan()
    _, _, body = request(server, "/preview/topic/summary?view=html")
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
    status, headers, body = request(server, HTML_VIEW)
    assert status == 500
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<section id="{PROBLEMS_ID}" role="alert"' in body
    assert ("<li style=\"margin:0.2em 0\">leafpress: error: this page could not be made: RuntimeError: "
            "\\x1b]0;owned\\x07 the renderer broke; it reloads after the next save</li>") in body
    nonce = re.search(r"script-src 'nonce-([^']+)'", headers["Content-Security-Policy"]).group(1)
    assert f'<script src="{RELOAD_SCRIPT_PATH}" nonce="{nonce}" data-version="' in body
    monkeypatch.undo()
    assert request(server, HTML_VIEW)[0] == 200  # fixed: the reload finds the page


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


# --- the pages view: the PDF as built ---------------------------------------------------

# Not medical content: filler to make an article of several pages.
FILLER = "".join(f"## Part {n}\n\n" + "Filler words for a layout test, not medical content. " * 40
                 + "[@smith2020]\n\n" for n in range(1, 7))
PAGE = re.compile(r'<figure class="([^"]*)" id="page-(\d+)" data-page="\d+"><figcaption>([^<]*)</figcaption>'
                  r'(?:<ul>.*?</ul>)?<img src="([^"]*)" alt="([^"]*)" width="(\d+)" height="(\d+)" '
                  r'style="([^"]*)"></figure>')


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    """The page boxes of a PDF in millimetres, as pikepdf reads them."""
    with pikepdf.open(path) as pdf:
        return [(round(float(page.mediabox[2] - page.mediabox[0]) * 25.4 / 72, 1),
                 round(float(page.mediabox[3] - page.mediabox[1]) * 25.4 / 72, 1)) for page in pdf.pages]


def request_bytes(server: PreviewServer, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_pages_view_shows_every_page_of_the_pdf_at_its_printed_size(served):
    preview, server, project = served
    article = project.root / "content" / "topic" / "article.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n" + FILLER, encoding="utf-8")
    (result,) = preview.rebuild(first=True)
    assert result.ok, [str(p) for p in result.problems]
    pdf = project.root / "output" / "topic" / "article.en.pdf"
    sizes = pdf_pages(pdf)
    assert len(sizes) >= 3 and set(sizes) == {(210.0, 297.0)}  # A4, several pages
    status, headers, body = request(server, "/preview/topic/article")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    pages = PAGE.findall(body)
    assert [int(number) for _, number, *_ in pages] == list(range(1, len(sizes) + 1))
    count = len(sizes)
    for page, (width_mm, height_mm) in zip(pages, sizes, strict=True):
        classes, number, caption, src, alt, width, height, style = page
        assert classes == "lp-page"
        assert caption == alt == f"Page {number} of {count}"
        assert style == f"width:{width_mm:.1f}mm;height:{height_mm:.1f}mm"  # 1:1 at 100% zoom (96 px an inch)
        assert (int(width), int(height)) == (794, 1123)
        assert re.fullmatch(rf"/_leafpress/pages/[0-9a-f]{{24}}/{number}\.png", src)
    assert f'<span id="leafpress-current">Page 1 of {count}</span>' in body
    assert ('<a href="/output/topic/article.en.pdf" target="_blank" rel="noopener">PDF: article.en.pdf</a>'
            in body)
    assert '<a href="/preview/topic/article?view=html">HTML view</a>' in body
    assert f'<script src="{RELOAD_SCRIPT_PATH}" nonce="' in body
    # Each image is the page, drawn at twice its CSS size; the browser may keep it, as its URL names one version.
    status, headers, png = request_bytes(server, pages[1][3])
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == "private, max-age=86400, immutable"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1588, 2246)
    # Page 2 as pdfium draws it: the image is that page (text on white), not another or a blank one.
    darkest, lightest = image.convert("L").getextrema()
    assert darkest < 64 and lightest == 255
    page = pypdfium2.PdfDocument(pdf)[1]
    assert page.render(scale=PAGE_SCALE * 96 / 72).to_pil().tobytes() == image.tobytes()
    # The link is the PDF itself.
    status, headers, data = request_bytes(server, "/output/topic/article.en.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == "inline; filename*=UTF-8''article.en.pdf"
    assert data == pdf.read_bytes()
    # The index says how many pages, and links the PDF.
    _, _, index = request(server, "/")
    assert f"(built, {count} pages)" in index and '<a href="/output/topic/article.en.pdf">PDF</a>' in index
    # A rebuild makes new images under a new name; the old ones are gone.
    article.write_text(article.read_text(encoding="utf-8").replace("Hello preview world", "Hello again"),
                       encoding="utf-8")
    preview.rebuild()
    _, _, again = request(server, "/preview/topic/article")
    assert PAGE.findall(again)[0][3] != pages[0][3]
    assert request(server, pages[0][3])[0] == 404


def with_summary(article: Path, summary: str = SUMMARY) -> None:
    """The summary's data beside ``article``, and the web address it needs for its QR code."""
    add_data(article, summary=summary)
    article.write_text(article.read_text(encoding="utf-8").replace(
        "title: Test topic\n", "title: Test topic\nurl: https://example.org/topic\n", 1), encoding="utf-8")


LONG_POINTS = "key_points:\n" + "".join(f"  - Point {n} " + "words " * 60 + "[@smith2020]\n" for n in range(8))


def test_a_summary_over_its_page_limit_shows_the_drafts_pages_marked(served):
    preview, server, project = served
    article = project.root / "content" / "topic" / "article.md"
    with_summary(article, SUMMARY.replace("key_points:\n  - The drug lowers pain for a while [@smith2020].\n",
                                          LONG_POINTS))
    preview.layouts = ["summary"]
    (result,) = preview.rebuild(first=True)
    assert result.status == "FAILED"
    _, _, body = request(server, "/preview/topic/summary")
    assert (f'<section id="{LIMIT_ID}" class="lp-box" role="alert"><strong>Over its page limit: 2 pages, the '
            "summary must fit on 1</strong><p>These are the pages of the draft, output/topic/summary.en.draft.pdf: "
            "no PDF was made. The pages past the limit are marked in red.</p></section>") in body
    pages = PAGE.findall(body)
    assert [(classes, caption) for classes, _, caption, *_ in pages] == [
        ("lp-page", "Page 1 of 2"), ("lp-page lp-over", "Page 2 of 2: past the limit of 1 page")]
    # The error itself, with its cause and advice, is in the problems box above.
    assert "content/topic/summary.yaml:2: error: the summary of &#x27;topic&#x27; takes 2 pages" in body
    assert '<a href="/output/topic/summary.en.draft.pdf" target="_blank" rel="noopener">draft PDF: ' in body
    draft = project.root / "output" / "topic" / "summary.en.draft.pdf"
    assert request_bytes(server, "/output/topic/summary.en.draft.pdf")[2] == draft.read_bytes()
    _, _, index = request(server, "/")
    assert "(FAILED, 1 error, 1 warning; over its page limit: 2 pages)" in index
    # Two pages allowed: it is built, and neither the mark nor the draft is left.
    summary = article.parent / "summary.yaml"
    summary.write_text(summary.read_text(encoding="utf-8").replace("max_pages: 1", "max_pages: 2"), encoding="utf-8")
    (result,) = preview.rebuild()
    assert result.ok
    _, _, body = request(server, "/preview/topic/summary")
    assert f'id="{LIMIT_ID}"' not in body and "lp-page lp-over" not in body
    assert [caption for _, _, caption, *_ in PAGE.findall(body)] == ["Page 1 of 2", "Page 2 of 2"]
    assert request(server, "/output/topic/summary.en.draft.pdf")[0] == 404


def test_a_stale_draft_is_not_shown_for_another_error(served):
    """A draft from an earlier overflow is still on disk when a later build fails for another reason."""
    preview, server, project = served
    article = project.root / "content" / "topic" / "article.md"
    with_summary(article)
    preview.layouts = ["summary"]
    draft = project.root / "output" / "topic" / "summary.en.draft.pdf"
    draft.parent.mkdir(parents=True)
    draft.write_bytes(b"%PDF-1.7 an earlier overflow's draft")
    article.write_text(article.read_text(encoding="utf-8").replace("title: Test topic", "title: no"),
                       encoding="utf-8")
    (result,) = preview.rebuild()
    assert result.status == "FAILED"
    _, _, body = request(server, "/preview/topic/summary")
    assert f'id="{LIMIT_ID}"' not in body and f'id="{PAGES_ID}"' not in body
    assert "<strong>No PDF: the errors above stopped the build.</strong>" in body


def test_preflight_findings_are_listed_with_their_pages_and_marked(served):
    preview, server, project = served
    article = project.root / "content" / "topic" / "article.md"
    body = "## Background\n\n" + "Some text [@smith2020].\n\n" * 3 + "## Evidence\n\nMore text [@smith2020].\n"
    article.write_text(article.read_text(encoding="utf-8").split("---\n\n", 1)[0] + "---\n\n" + body,
                       encoding="utf-8")
    with (project.root / "styles" / "article.css").open("a", encoding="utf-8") as css:
        css.write("\n.body h2 { break-after: page; }\n")  # strands each heading at the foot of its page
    (result,) = preview.rebuild(first=True)
    assert result.ok
    finding = ("the heading &#x27;1. Background&#x27; is the last thing on the page and its content starts on "
               "page 2")
    _, _, page = request(server, "/preview/topic/article")
    box = re.search(rf'<section id="{PREFLIGHT_ID}" class="lp-box">(.*?)</section>', page).group(1)
    assert box.startswith("<strong>Preflight: ")
    assert f'<li><a href="#page-1">Page 1</a>: {finding}' in box
    pages = {number: (classes, notes) for classes, number, _, *rest in PAGE.findall(page)
             for notes in [re.search(rf'id="page-{number}".*?</figcaption>(<ul>.*?</ul>)?<img', page).group(1)]}
    assert pages["1"][0] == "lp-page lp-flagged"
    assert finding in pages["1"][1]
    # Shown there, not again among the other problems.
    assert f"article.en.pdf: warning: page 1: {finding}" not in page


@pytest.mark.parametrize("path", [
    "/output/topic/article.en.pdf",         # planned, but not built yet
    "/output/../leafpress.yaml",
    "/output/%2e%2e/leafpress.yaml",
    "/output/topic/../../leafpress.yaml",
    "/output/topic/..%2f..%2fleafpress.yaml",
    "/output//etc/passwd",
    "/output/topic/other.pdf",              # a PDF in output/, but no planned target's
    "/output/topic/summary.en.pdf",         # a layout not watched
    "/output/topic/article.en.pdf%00.png",
    "/output/.leafpress-manifest.json",
    "/_leafpress/pages/../../leafpress.yaml",
    "/_leafpress/pages/%2e%2e/%2e%2e/leafpress.yaml",
    "/_leafpress/pages/0123456789abcdef01234567/1.png",  # a name this server never made
    "/_leafpress/pages/output/topic/article.en.pdf",
    "/_leafpress/pages/",
])
def test_new_routes_refuse_anything_but_generated_images_and_planned_pdfs(served, path):
    _, server, project = served
    output = project.root / "output" / "topic"
    output.mkdir(parents=True)
    (output / "other.pdf").write_bytes(b"%PDF-1.7 not a planned target")
    (output / "summary.en.pdf").write_bytes(b"%PDF-1.7 not watched")
    (project.root / "output" / ".leafpress-manifest.json").write_text("{}", encoding="utf-8")
    status, _, body = request(server, path)
    assert status == 404, (path, status)
    assert "clinic" not in body and "PDF-1.7" not in body


def _built_pdf_linked_out(preview, project):
    """The article built, then moved out of the output folder with a link left in its place."""
    (result,) = preview.rebuild(first=True)
    assert result.ok
    pdf = project.root / "output" / "topic" / "article.en.pdf"
    outside = project.root / "elsewhere.pdf"
    pdf.rename(outside)
    pdf.symlink_to(outside)
    return pdf, outside


def test_a_planned_pdf_that_links_out_of_the_output_folder_is_refused(served):
    preview, server, project = served
    pdf, outside = _built_pdf_linked_out(preview, project)
    assert request(server, "/output/topic/article.en.pdf")[0] == 404
    pdf.unlink()
    pdf.hardlink_to(outside)  # read_bytes refuses a file with other names: it may be anything
    assert request(server, "/output/topic/article.en.pdf")[0] == 404
    pdf.unlink()
    outside.rename(pdf)
    status, _, _ = request_bytes(server, "/output/topic/article.en.pdf")
    assert status == 200
    # The host and method rules hold on the new routes too.
    assert request(server, "/output/topic/article.en.pdf", host="evil.example")[0] == 403
    assert request(server, "/output/topic/article.en.pdf", method="POST")[0] == 405
    _, _, body = request(server, "/preview/topic/article")
    image = PAGE.findall(body)[0][3]
    assert request_bytes(server, image)[0] == 200
    assert request(server, image, host="evil.example")[0] == 403
    assert request(server, image, method="PUT")[0] == 405


def test_a_pdf_whose_pages_cannot_be_drawn_is_a_problem_on_the_page(served):
    preview, server, project = served
    (result,) = preview.rebuild(first=True)
    assert result.ok
    (project.root / "output" / "topic" / "article.en.pdf").write_bytes(b"not a PDF any more")
    status, _, body = request(server, "/preview/topic/article")
    assert status == 200
    assert ("output/topic/article.en.pdf: error: its pages cannot be shown: cannot be read: Failed to load "
            "document (PDFium: Data format error).") in body
    assert f'id="{PAGES_ID}"' not in body


def test_a_built_pdf_replaced_by_a_link_out_of_the_output_folder_is_not_drawn(served):
    preview, server, project = served
    _built_pdf_linked_out(preview, project)
    _, _, body = request(server, "/preview/topic/article")
    assert ("output/topic/article.en.pdf: error: its pages cannot be shown: it is not a regular file in the "
            "output folder") in body
    assert f'id="{PAGES_ID}"' not in body


def test_requests_queued_together_each_have_a_worker(served):
    # A page's requests come in a burst: its event stream, which holds a worker as long as the page is
    # open, and its images. Two queued while one worker was idle used to share it: the image then
    # waited behind the stream until some worker came free, up to half a minute in a browser.
    _, server, _ = served
    assert request(server, "/")[0] == 200
    deadline = time.monotonic() + 5
    while server._idle < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    stream, stream_peer = socket.socketpair()
    page, page_peer = socket.socketpair()
    host = f"Host: 127.0.0.1:{server.port}\r\n\r\n".encode()
    try:
        server._dispatch(stream, ("127.0.0.1", 0), b"GET /events HTTP/1.1\r\n" + host)
        server._dispatch(page, ("127.0.0.1", 0), b"GET / HTTP/1.1\r\n" + host)
        page_peer.settimeout(3)
        assert page_peer.recv(64).startswith(b"HTTP/1.0 200")
    finally:
        for end in (stream, stream_peer, page, page_peer):
            end.close()
