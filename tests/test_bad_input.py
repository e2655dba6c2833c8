"""Every kind of bad input: one clear line (file, line where known, what to fix), exit code 1, no traceback."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from conftest import add_data, errors, pdf_text, run
from leafpress.errors import error, limit_problems, printable, quote, warning
from leafpress.typeset.engine import FetchRefused, ProjectFetcher


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " in line and not line.startswith("leafpress.yaml")]


def build_fails_with(*expected: str, args: tuple[str, ...] = ("build",)) -> str:
    code, _, err = run(*args)
    assert code == 1, err
    assert errors(err) == list(expected)
    return err


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


# --- the article and its front matter -------------------------------------------------

@pytest.mark.parametrize("front_matter, expected", [
    ("title: x\x00y\n", "content/t/article.md:2: error: invalid YAML: the character U+0000 is not allowed in YAML "
                        "text; remove it"),
    ("keywords: " + "[" * 60 + "]" * 60 + "\n",
     "content/t/article.md:2: error: too deeply nested (51 levels; at most 50): write the data with fewer levels of "
     "lists and mappings"),
    ("version: " + "1" * 200 + "\n",
     "content/t/article.md:2: error: a number of 200 characters is too long: put it in quotes if it is text"),
    ("title: 'x'\n" * 1 + "notes: |\n" + "  " + "x" * 300_000 + "\n",
     "content/t/article.md:2: error: the YAML is too long (292 KiB; at most 256 KiB): shorten it"),
])
def test_hostile_front_matter_gives_one_clear_line(project, front_matter, expected):
    folder = project.root / "content" / "t"
    folder.mkdir(parents=True)
    (folder / "article.md").write_text(f"---\n{front_matter}---\n\nText.\n", encoding="utf-8")
    code, _, err = run("build")
    assert code == 1
    assert errors(err) == [expected]


def test_control_characters_in_the_text_are_errors_on_one_printable_line_each(project):
    project.topic("t", title='"a\\0b\\x1b[2J"', body="Text\x00 with \x02 and \x03 [@smith2020] [@jones2021].\n")
    code, _, err = run("build")
    assert code == 1
    assert errors(err) == ['content/t/article.md: error: WeasyPrint: .notdef glyph rendered for Unicode string '
                           'unsupported by fonts: "\\x1b" (U+001B)']


def test_a_byte_order_mark_is_not_an_error(project):
    article = project.topic("t")
    article.write_bytes(b"\xef\xbb\xbf" + article.read_bytes())
    code, _, err = run("build")
    assert code == 0, err


def test_the_article_url_must_be_a_web_address(project):
    project.topic("t", url="javascript:alert(1)")
    build_fails_with("content/t/article.md:14: error: 'url' must be a web address starting with https://, not "
                     "'javascript:alert(1)'")


def test_a_flood_of_mistakes_is_cut_to_fifty_lines_and_a_count(project):
    folder = project.root / "content" / "t"
    folder.mkdir(parents=True)
    (folder / "article.md").write_text("---\n" + "".join(f"unknown{i}: x\n" for i in range(80)) + "---\n\nText.\n",
                                       encoding="utf-8")
    code, _, err = run("build")
    lines = errors(err)
    assert code == 1 and len(lines) == 51
    assert lines[-1] == "content/t/article.md: error: 40 more problems in this file are not shown: fix the ones " \
                        "above and run again"


def test_control_characters_in_values_are_escaped_in_messages(project):
    project.topic("t", audience='"\\e[2J\\u202eeveryone"')
    build_fails_with("content/t/article.md:5: error: 'audience' must be one of 'professionals', 'patients' or "
                     "'educators', not '\\x1b[2J\\u202eeveryone'")


def test_an_article_that_links_out_of_its_topic_is_refused(project, tmp_path):
    article = project.topic("t")
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    article.unlink()
    article.symlink_to(elsewhere)
    build_fails_with("content/t/article.md: error: is a link to a file outside its folder: copy the file into the "
                     "folder instead")


def test_a_missing_image_names_the_file_and_its_line(project):
    article = project.topic("t", body="Text [@smith2020] [@jones2021].\n\n![A chart](chart.png)\n")
    line = article.read_text(encoding="utf-8").splitlines().index("![A chart](chart.png)") + 1
    url = (article.parent / "chart.png").as_uri()
    shown = url if len(url) <= 80 else url[:26] + "…" + url[-53:]
    build_fails_with(f"content/t/article.md:{line}: error: refused to load {shown} cannot be read (No such file "
                     "or directory): check the file's name, and that it is in the topic's folder")


# --- references --------------------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    (b'[{"id": "smith2020", "title": "Caf\xe9"}]',
     "content/t/references.json: error: is not UTF-8 text (bad byte at offset 34): export it again as UTF-8 CSL-JSON"),
    (b"[" * 100_000, "content/t/references.json: error: invalid JSON: too deeply nested; export the references again "
                     "as CSL-JSON"),
    (b"[" + b"1" * 5000 + b"]", "content/t/references.json: error: invalid JSON: 'Exceeds the limit (4300 digits) "
                                "for integer string conversion: value has 5000 digits; use sys.set_i…'; export the "
                                "references again as CSL-JSON"),
])
def test_broken_references_give_one_line(project, content, expected):
    article = project.topic("t")
    (article.parent / "references.json").write_bytes(content)
    code, _, err = run("build")
    assert code == 1
    assert errors(err) == [expected]


def test_references_that_are_a_pipe_are_refused_without_waiting(project):
    article = project.topic("t")
    (article.parent / "references.json").unlink()
    os.mkfifo(article.parent / "references.json")
    started = time.monotonic()
    build_fails_with("content/t/references.json: error: is not a regular file: replace it with a text file")
    assert time.monotonic() - started < 30


def test_strange_dates_and_authors_in_references_do_not_crash(project):
    project.topic("t", body="Text [@odd].\n", references="""[
      {"id": "odd", "type": "article-journal", "title": "Odd", "DOI": "10.1/x",
       "issued": {"date-parts": [["2020", "May", {"x": 1}]]}, "author": "not a list", "page": 5}
    ]""")
    code, _, err = run("build")
    assert code == 0, err
    text = " ".join(pdf_text(project.root / "output" / "t" / "article.en.pdf").split())
    assert "1. Odd. 2020:5. doi:10.1/x" in text, text  # what can be read is printed, the rest left out


# --- data files ----------------------------------------------------------------------------

def test_raw_html_and_relative_links_in_data_files_are_reported_at_their_line(project):
    article = project.topic("t", url="https://example.org/t")
    summary = ("max_pages: 1\nkey_points:\n  - The drug <script>x</script> lowers pain [@smith2020].\n"
               "  - See [the notes](notes.md).\nsafety:\n  - Watch for side effects [@jones2021].\n")
    add_data(article, summary=summary, cpd=None)
    code, _, err = run("build", "--layout", "summary")
    assert code == 0, err
    assert [line for line in warnings(err) if "summary.yaml" in line] == [
        "content/t/summary.yaml:3: warning: HTML element <script> is not allowed in a leaflet: it was removed with "
        "its content",
        "content/t/summary.yaml:4: warning: relative link 'notes.md' is not a web address: it was removed; link to "
        "https://... instead",
    ]


def test_a_parser_bomb_in_a_data_file_fails_at_its_line(project):
    article = project.topic("t", url="https://example.org/t")
    summary = ("max_pages: 1\nkey_points:\n  - Fine [@smith2020].\n  - '" + "[" * 50_000 + "'\n"
               "safety:\n  - Watch for side effects [@jones2021].\n")
    add_data(article, summary=summary, cpd=None)
    started = time.monotonic()
    build_fails_with("content/t/summary.yaml:4: error: this paragraph is too long and complex to convert (50001 "
                     "characters, 50000 of them markup such as [ * _ ` | <): split it up, or escape stray characters "
                     "with a backslash, as in \\[", args=("build", "--layout", "summary"))
    assert time.monotonic() - started < 30


# --- templates, styles, rosters ------------------------------------------------------------

def test_a_template_that_does_not_parse(project):
    project.topic("t")
    template = project.root / "templates" / "article.html.j2"
    lines = template.read_text(encoding="utf-8").count("\n")
    template.write_text(template.read_text(encoding="utf-8") + "{% if %}\n", encoding="utf-8")
    build_fails_with(f"templates/article.html.j2:{lines + 1}: error: template error: Expected an expression, got "
                     "'end of statement block'")


def test_a_stylesheet_that_does_not_parse_names_the_stylesheet(project):
    project.topic("t")
    sheet = project.root / "styles" / "base.css"
    line = sheet.read_text(encoding="utf-8").count("\n") + 1
    sheet.write_text(sheet.read_text(encoding="utf-8") + "p { color: ; }\n", encoding="utf-8")
    build_fails_with(f"content/t/article.md: error: WeasyPrint: styles/base.css: Ignored `color: ` at {line}:5, "
                     "no value.")


@pytest.mark.parametrize("roster, expected", [
    # 0x81 is text in neither UTF-8 nor Windows-1252 (Excel's two CSV encodings).
    (b"name\nJos\x81\n", "roster.csv:2: error: is neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 8): "
                         "save it as UTF-8 (in Excel: 'CSV UTF-8')"),
    (b"nombre completo,email\nAna,a@example.org\n", "roster.csv:1: error: the header row has no 'name' column (it has "
                                                    "'nombre completo', 'email'): call the column of attendees' full "
                                                    "names 'name'"),
])
def test_a_roster_that_cannot_be_read(project, roster, expected):
    article = project.topic("course")
    add_data(article)
    (project.root / "roster.csv").write_bytes(roster)
    code, _, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert errors(err) == [expected]


def test_a_bad_roster_row_is_one_line_and_exit_code_1(project):
    article = project.topic("course")
    add_data(article)
    (project.root / "roster.csv").write_text("name,email\nAna López,a@example.org\n,b@example.org\n", encoding="utf-8")
    code, _, err = run("certificates", "content/course", "--roster", "roster.csv")
    assert code == 1
    assert "roster.csv:3: error: empty name: write the attendee's full name in the 'name' column, or delete the " \
           "row" in errors(err)


# --- images: pixels are counted from the header, before anything is decoded ---------------

@pytest.fixture
def fetcher(tmp_path) -> ProjectFetcher:
    return ProjectFetcher((tmp_path,))


def test_a_large_photograph_is_served(fetcher, tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (4000, 3000)).save(buffer, "PNG")
    (tmp_path / "photo.png").write_bytes(buffer.getvalue())
    assert fetcher.fetch((tmp_path / "photo.png").as_uri()).read() == buffer.getvalue()


@pytest.mark.parametrize("width, height, size", [(8000, 5001, "8000 x 5001 pixels"),
                                                  (100_000, 100_000, "10000000000 pixels")])
def test_an_image_with_too_many_pixels_is_refused_from_its_header(fetcher, tmp_path, width, height, size):
    (tmp_path / "bomb.png").write_bytes(png(width, height))
    url = (tmp_path / "bomb.png").as_uri()
    started = time.monotonic()
    with pytest.raises(FetchRefused) as refused:
        fetcher.fetch(url)
    assert time.monotonic() - started < 1
    # A long address loses its middle, so the file's name stays in sight.
    shown = url if len(url) <= 80 else url[:26] + "…" + url[-53:]
    assert str(refused.value) == f"{shown} is an image of {size}, over the limit of 40 megapixels: scale it down"
    assert [str(r) for r in fetcher.refused] == [str(refused.value)]


def test_an_inline_data_image_is_counted_too(fetcher):
    import base64
    url = "data:image/png;base64," + base64.b64encode(png(9000, 9000)).decode()
    with pytest.raises(FetchRefused, match="is an image of 9000 x 9000 pixels, over the limit of 40 megapixels"):
        fetcher.fetch(url)


def test_files_that_are_not_images_pass_the_pixel_check(fetcher, tmp_path):
    (tmp_path / "a.css").write_text("p { color: red }")
    assert fetcher.fetch((tmp_path / "a.css").as_uri()).read() == b"p { color: red }"


# --- messages are bounded ------------------------------------------------------------------

def test_quote_cuts_and_escapes():
    assert quote("x" * 1000) == "'" + "x" * 59 + "…'"
    assert quote("a\nb\tc\x1b[31m\u202e") == "'a\\nb\\tc\\x1b[31m\\u202e'"
    assert printable("plain café") == "plain café"


def test_limit_problems_keeps_fifty_per_file_and_counts_the_rest():
    path = Path("a.md")
    problems = [error(path, n, f"problem {n}") for n in range(1, 61)] + [error(Path("b.md"), 1, "other")]
    limited = limit_problems(problems)
    assert len(limited) == 52
    assert str(limited[-1]) == ("a.md: error: 10 more problems in this file are not shown: fix the ones above "
                                "and run again")
    assert limited[-2].path == Path("b.md")


def test_a_list_cut_twice_counts_every_problem_left_out():
    # A loader cuts its list, then the next stage adds to it and cuts again (references.json).
    path = Path("references.json")
    once = limit_problems([warning(path, n, f"reference {n}") for n in range(1, 81)])
    twice = limit_problems(once + [error(path, 200, "a new problem")])
    assert [str(p) for p in twice[50:]] == [
        "references.json: error: 31 more problems in this file are not shown: fix the ones above and run again"]
    assert twice[:50] == once[:50]


def test_weasyprint_messages_are_cut_to_one_short_line():
    import logging

    from leafpress.typeset.engine import _LogCollector
    collector = _LogCollector()
    collector.emit(logging.LogRecord("weasyprint", logging.WARNING, "x", 1, "Ignored `%s`", ("a\n" * 1000,), None))
    (message,) = collector.messages
    assert len(message) <= 300 and "\n" not in message
