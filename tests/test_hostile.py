"""Hostile documents, built like any other: nothing leaks, nothing is fetched, every refusal is said.

The corpus is ``tests/hostile/*.md``, one document per threat. Each is copied
into a topic of a throwaway project, with ``@SECRET@`` replaced by the path of
a canary file outside the project, ``@PORT@`` by the port of a local listener
and ``@PWNED@`` by a path that must never come to exist. The whole corpus is
then built in one ``leafpress build``, as a user would, and:

* no PDF holds the canary, the canary's path or the project's path (in its
  bytes, any decoded stream, or its text), and every PDF passes the audit:
  no embedded files, no JavaScript, no actions, no file: links;
* the listener never receives a connection;
* every document is either built, with a warning naming each thing the
  sanitiser removed, or fails with exactly the expected error lines;
* the good document in the batch is still built, and the exit code is 1.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import uuid
import zlib
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import REFERENCES, TestProject, pdf_text
from leafpress.commands.cli import main
from leafpress.errors import quote
from leafpress.finish.verify import audit_pdf

CORPUS = Path(__file__).parent / "hostile"
NOT_WEB = "is not a web address: it was removed; link to https://... instead"
NESTED = "use fewer levels of lists, block quotes or HTML elements"


class Listener:
    """A TCP server on 127.0.0.1 that records every connection; it stops itself after ``lifetime`` s."""

    def __init__(self, lifetime: float = 300):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.connections: list[tuple] = []
        self.stop = threading.Event()
        self.deadline = time.monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.server:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                try:
                    connection, address = self.server.accept()
                except (TimeoutError, OSError):
                    continue
                self.connections.append(address)
                connection.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but carries a few bytes: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def everything_in(pdf: Path) -> bytes:
    """A PDF's bytes, every stream decoded (object streams, content, fonts, attachments) and its text."""
    parts = [pdf.read_bytes(), pdf_text(pdf).encode()]
    with pikepdf.open(pdf) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:
                    parts.append(obj.read_raw_bytes())
    return b"\n".join(parts)


def holds(blob: bytes, text: str) -> bool:
    return any(form in blob for form in (text.encode(), text.encode("utf-16-be")))


# An image file in the topic is trusted no more than the text: what it points at goes through the fetcher.
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
<image href="{secret}" width="10" height="10"/>
<image href="http://127.0.0.1:{port}/from-svg.png" width="10" height="10"/>
<a href="file:///etc/passwd"><rect width="50" height="50"/></a>
</svg>
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    canary = f"CANARY-{uuid.uuid4().hex}"
    secret = outside / "secret.txt"
    secret.write_text(canary + "\n")
    project = TestProject(tmp_path_factory.mktemp("hostile-project"))
    listener = Listener()
    try:
        for source in sorted(CORPUS.glob("*.md")):
            folder = project.root / "content" / source.stem
            folder.mkdir()
            text = source.read_text(encoding="utf-8")
            text = (text.replace("@SECRET@", str(secret)).replace("@PORT@", str(listener.port))
                    .replace("@PWNED@", str(outside / "pwned")))
            (folder / "article.md").write_text(text, encoding="utf-8")
            (folder / "references.json").write_text(REFERENCES, encoding="utf-8")
        (project.root / "content" / "image-bomb" / "bomb.png").write_bytes(png_header(20000, 20000))
        (project.root / "content" / "svg-in-topic" / "diagram.svg").write_text(SVG.format(
            secret=secret.as_uri(), port=listener.port), encoding="utf-8")
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(project.root)
            started = time.monotonic()
            result = CliRunner().invoke(main, ["build"])
            seconds = time.monotonic() - started
        time.sleep(0.3)  # let a late connection land before the listener is asked
    finally:
        listener.close()
    assert "Traceback" not in result.output + result.stderr
    assert not isinstance(result.exception, Exception), result.exception  # SystemExit is not an Exception
    return {
        "code": result.exit_code, "out": result.stdout, "err": result.stderr.splitlines(), "seconds": seconds,
        "root": project.root, "secret": secret, "canary": canary, "outside": outside,
        "port": listener.port, "connections": listener.connections,
    }


def lines_of(hostile, topic: str, level: str) -> list[str]:
    prefix = f"content/{topic}/article.md"
    return [line for line in hostile["err"] if line.startswith(prefix) and f": {level}: " in line]


BUILT = ["attachments", "base-and-meta", "data-urls", "file-links", "forms", "frames-and-objects", "good",
         "jinja-in-content", "scripts", "styles"]
FAILED = ["brackets", "deep-html", "deep-lists", "deep-quotes", "emphasis", "image-bomb", "many-lines",
          "network-images", "outside-files", "svg-in-topic", "unterminated", "web-address", "yaml-alias-bomb",
          "yaml-deep", "yaml-huge-number", "yaml-not-a-mapping", "yaml-python-tag"]


def test_the_corpus_is_all_accounted_for():
    assert sorted(p.stem for p in CORPUS.glob("*.md")) == sorted(BUILT + FAILED)


def test_the_batch_fails_with_exit_code_1_but_builds_the_rest(hostile):
    assert hostile["code"] == 1
    summary = hostile["out"].splitlines()[-1]
    assert summary.startswith(f"{len(BUILT)} built, {len(FAILED)} failed"), summary
    for topic in BUILT:
        assert (hostile["root"] / "output" / topic / "article.en.pdf").is_file(), topic
    for topic in FAILED:
        assert not (hostile["root"] / "output" / topic).exists(), topic


def test_no_connection_reaches_the_local_listener(hostile):
    assert hostile["connections"] == []


def test_the_hostile_batch_finishes_quickly(hostile):
    # 50,000 '[' alone would keep Python-Markdown busy for minutes.
    assert hostile["seconds"] < 60


@pytest.mark.parametrize("topic", BUILT)
def test_no_local_file_path_or_script_reaches_a_pdf(hostile, topic):
    pdf = hostile["root"] / "output" / topic / "article.en.pdf"
    blob = everything_in(pdf)
    assert not holds(blob, hostile["canary"])
    assert not holds(blob, str(hostile["outside"]))  # where the secret is
    assert not holds(blob, str(hostile["root"]))  # where the server keeps the project
    assert not holds(blob, "file:/")
    assert not holds(blob, "/etc/passwd")
    assert audit_pdf(pdf.read_bytes()) == []
    with pikepdf.open(pdf) as document:
        assert "/Names" not in document.Root or "/EmbeddedFiles" not in document.Root.Names
        assert "/AcroForm" not in document.Root  # no form from content
        assert document.attachments.keys() == set()


def test_nothing_ran_from_the_yaml(hostile):
    assert not (hostile["outside"] / "pwned").exists()


def test_template_syntax_in_content_is_printed_as_text(hostile):
    text = pdf_text(hostile["root"] / "output" / "jinja-in-content" / "article.en.pdf")
    flat = " ".join(text.split())
    assert "{{ 6 * 7 }} <script>alert(1)</script>" in flat
    assert "{{ 7 * 7 }} {% if true %}templated{% endif %}" in flat
    assert "42" not in flat and "49" not in flat


def test_a_raster_data_image_is_kept(hostile):
    with pikepdf.open(hostile["root"] / "output" / "data-urls" / "article.en.pdf") as document:
        images = [x for page in document.pages for x in page.get_images().values()]
    assert [(int(i.Width), int(i.Height)) for i in images] == [(1, 1)]


def expected_warnings(hostile) -> dict[str, list[str]]:
    secret = str(hostile["secret"])
    file_url = f"file://{secret}"
    return {
        "attachments": [
            "20: HTML element <link> is not allowed in a leaflet: it was removed",
            "20: HTML attribute 'rel' is not allowed in a leaflet: it was removed",
            f"20: link {quote(file_url)} {NOT_WEB}",
            f"24: relative link {quote(secret)} {NOT_WEB}",
        ],
        "base-and-meta": [
            "18: HTML element <base> is not allowed in a leaflet: it was removed",
            "20: HTML element <meta> is not allowed in a leaflet: it was removed",
            f"24: relative link 'etc/passwd' {NOT_WEB}",
        ],
        "data-urls": [
            "20: image 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53M…' is not a PNG, JPEG, GIF or "
            "WebP image: it was removed; put the image file in the topic folder",
            f"22: link 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==' {NOT_WEB}",
        ],
        "file-links": [
            f"19: relative link 'other-topic.md' {NOT_WEB}",
            f"19: link {quote(file_url)} {NOT_WEB}",
            f"20: relative link '../../secret.txt' {NOT_WEB}",
            f"20: relative link '//fileserver/share/x.pdf' {NOT_WEB}",
            f"21: relative link '/etc/passwd' {NOT_WEB}",
        ],
        "forms": [
            "18: HTML element <form> is not allowed in a leaflet: it was removed (its text is kept)",
            "19: HTML element <label> is not allowed in a leaflet: it was removed (its text is kept)",
            "19: HTML element <input> is not allowed in a leaflet: it was removed",
            "20: HTML element <textarea> is not allowed in a leaflet: it was removed with its content",
            "21: HTML element <select> is not allowed in a leaflet: it was removed with its content",
            "22: HTML element <button> is not allowed in a leaflet: it was removed with its content",
        ],
        "frames-and-objects": [
            f"{line}: HTML element <{tag}> is not allowed in a leaflet: it was removed with its content"
            for line, tag in ((18, "iframe"), (20, "object"), (22, "embed"), (24, "svg"), (26, "math"))
        ],
        "good": [],
        "jinja-in-content": [],
        "scripts": [
            "18: HTML element <script> is not allowed in a leaflet: it was removed with its content",
            "20: HTML attribute 'onclick' is not allowed in a leaflet: it was removed",
            "20: HTML attribute 'onmouseover' is not allowed in a leaflet: it was removed",
            f"22: link 'javascript:alert(1)' {NOT_WEB}",
            f"22: link 'JaVaScRiPt:alert(3)' {NOT_WEB}",
            # Written as java&#x09;script: the entity is not in the source as the browser reads it.
            f"link 'java\\tscript:alert(4)' {NOT_WEB}",
            "26: HTML attribute 'onload' is not allowed in a leaflet: it was removed",
            "28: HTML element <svg> is not allowed in a leaflet: it was removed with its content",
        ],
        "styles": [
            "18: HTML element <style> is not allowed in a leaflet: it was removed with its content",
            "24: HTML element <link> is not allowed in a leaflet: it was removed",
            "26: HTML attribute 'style' is not allowed in a leaflet: it was removed",
        ],
    }


@pytest.mark.parametrize("topic", BUILT)
def test_what_the_sanitiser_removed_is_reported_with_its_line(hostile, topic):
    def line(entry: str) -> str:
        number, _, message = entry.partition(": ")
        if number.isdigit():
            return f"content/{topic}/article.md:{number}: warning: {message}"
        return f"content/{topic}/article.md: warning: {entry}"
    assert lines_of(hostile, topic, "warning") == [line(e) for e in expected_warnings(hostile)[topic]]
    assert lines_of(hostile, topic, "error") == []


def short(url: str) -> str:
    """A URL as refusals show it: at most 80 characters, the middle left out so the file name stays."""
    return url if len(url) <= 80 else url[:26] + "…" + url[-53:]


def expected_errors(hostile) -> dict[str, list[str]]:
    port, root, secret = hostile["port"], hostile["root"], hostile["secret"]
    refused = "error: refused to load"
    return {
        "brackets": ["17: error: this paragraph is too long and complex to convert (50050 characters, 50000 of them "
                     "markup such as [ * _ ` | <): split it up, or escape stray characters with a backslash, "
                     "as in \\["],
        "deep-html": [f": error: too deeply nested (over 50 levels; at most 50): {NESTED}"],
        "deep-lists": [f"68: error: too deeply nested (51 levels; at most 50): {NESTED}"],
        "deep-quotes": [f"19: error: too deeply nested (60 levels; at most 50): {NESTED}"],
        "emphasis": ["17: error: this paragraph is too long and complex to convert (30001 characters, 10000 of them "
                     "markup such as [ * _ ` | <): split it up, or escape stray characters with a backslash, "
                     "as in \\["],
        "image-bomb": [
            f"17: {refused} {short((root / 'content/image-bomb/bomb.png').as_uri())} is an image of 400000000 "
            "pixels, over the limit of 40 megapixels: scale it down",
            f"19: {refused} data:image/png;base64,iVBO…AEUlEQVR4nGNgGAWjYBQMdwAAA+gAAbOm00YAAAAASUVORK5CYII= is an "
            "image of 900000000 pixels, over the limit of 40 megapixels: scale it down",
        ],
        "many-lines": [": error: too many lines (10053; at most 10000): split the text into several documents"],
        "network-images": [
            f"18: {refused} http://127.0.0.1:{port}/pixel.png is not a file of this project (no network access)",
            f"20: {refused} https://127.0.0.1:{port}/secure.png is not a file of this project (no network access)",
        ],
        "outside-files": [
            f"18: {refused} {secret.as_uri()} is outside the project's content, styles and templates",
            f"22: {refused} file:///dev/zero is outside the project's content, styles and templates",
        ],
        "svg-in-topic": [
            f": {refused} {secret.as_uri()} is outside the project's content, styles and templates",
            f": {refused} http://127.0.0.1:{port}/from-svg.png is not a file of this project (no network access)",
        ],
        "unterminated": ["1: error: the front matter is not closed: add a '---' line after the last field"],
        "web-address": ["14: error: 'url' must be a web address starting with https://, not 'file:///etc/passwd'"],
        "yaml-alias-bomb": ["15: error: YAML aliases (*name) are not allowed here: write the value out in full"],
        "yaml-deep": ["14: error: too deeply nested (51 levels; at most 50): write the data with fewer levels of "
                      "lists and mappings"],
        "yaml-huge-number": ["11: error: a number of 5000 characters is too long: put it in quotes if it is text"],
        "yaml-not-a-mapping": ["2: error: expected 'key: value' lines here, not a list"],
        "yaml-python-tag": ["2: error: the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not "
                            "allowed: remove it and write a plain value"],
    }


@pytest.mark.parametrize("topic", FAILED)
def test_each_hostile_input_fails_with_exactly_its_error_lines(hostile, topic):
    def line(entry: str) -> str:
        return f"content/{topic}/article.md{':' if entry[0].isdigit() else ''}{entry}"
    assert lines_of(hostile, topic, "error") == [line(e) for e in expected_errors(hostile)[topic]]


def test_every_problem_line_is_one_bounded_line(hostile):
    for line in hostile["err"]:
        assert len(line) < 400, line
        assert line.isprintable(), line
