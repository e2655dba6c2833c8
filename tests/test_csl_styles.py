"""Bibliographies in a CSL style named by 'csl' (leafpress.cite.styles), in the front matter or leafpress.yaml."""

from __future__ import annotations

import json

from conftest import errors, errors_of, loaded, pdf_text, run
from leafpress import Document, load_document
from leafpress.cite.references import format_reference

# Author. Title. Year. -- the smallest style the CSL 1.0 schema accepts, with a bibliography.
TINY = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info>
    <title>Tiny</title>
    <id>tiny</id>
    <updated>2026-01-01T00:00:00+00:00</updated>
  </info>
  <citation><layout><text variable="citation-number"/></layout></citation>
  <bibliography>
    <sort><key variable="title"/></sort>
    <layout suffix=".">
      <group delimiter=". ">
        <names variable="author"><name initialize-with="" name-as-sort-order="all" sort-separator=" "/></names>
        <text variable="title" font-style="italic"/>
        <date variable="issued"><date-part name="year"/></date>
      </group>
    </layout>
  </bibliography>
</style>
"""

BODY = "Jones first [@jones2021], then Smith [@smith2020].\n"




def test_a_style_in_the_front_matter_formats_the_pdf_bibliography_in_citation_order(project):
    article = project.topic("t", body=BODY, csl="tiny.csl")
    (article.parent / "tiny.csl").write_text(TINY, encoding="utf-8")
    code, _, stderr = run("build", "--layout", "article")
    assert code == 0, stderr
    assert not errors(stderr)
    (pdf,) = (project.root / "output" / "t").glob("article*.pdf")
    text = " ".join(pdf_text(pdf).split())
    bibliography = text.split("References")[-1]
    # The style's own <sort> (by title) is not followed: the numbers follow the order of first citation.
    assert "1. Jones C. Another trial. 2021." in bibliography
    assert "2. Smith AB. A trial of something. 2020." in bibliography
    assert "Jones first [1], then Smith [2]" in text


def test_the_style_html_is_escaped_and_cleaned(project):
    item = {"id": "x", "type": "book", "title": "<script>alert(1)</script> & <b onclick='x()'>bold</b>",
            "author": [{"family": "O'Brien <img src=x>"}], "issued": {"date-parts": [[2020]]}}
    article = project.topic("t", body="Text [@x].\n", references=json.dumps([item]), csl="tiny.csl")
    style = TINY.replace('<layout suffix=".">', '<layout suffix="." prefix="&lt;img src=y onerror=z&gt;">')
    (article.parent / "tiny.csl").write_text(style, encoding="utf-8")
    (entry,) = loaded(article).bibliography
    html = str(entry.html)
    assert "<script" not in html and "<img" not in html and "onclick" not in html and "onerror" not in html
    assert "alert" not in html  # a script's content goes with it
    assert "&amp;" in html and "<b>bold</b>" in html  # CSL-JSON's rich text (bold) is kept, without its attributes
    assert "<i>" in html  # and so are the style's italics


def test_a_style_in_leafpress_yaml_is_used_and_the_front_matter_overrides_it(project):
    (project.root / "styles" / "tiny.csl").write_text(TINY, encoding="utf-8")
    with (project.root / "leafpress.yaml").open("a", encoding="utf-8") as config:
        config.write("csl: styles/tiny.csl\n")
    from leafpress import load_project
    from leafpress.pipeline import Session

    article = project.topic("t", body=BODY)
    session = Session(load_project(project.root), project.root / "output")
    document = session.load(article, "t")
    assert isinstance(document, Document), [str(p) for p in document]
    assert str(document.bibliography[0].html) == "Jones C. <i>Another trial</i>. 2021."
    assert document.style is not None and document.style.path == (project.root / "styles" / "tiny.csl").resolve()


def test_no_csl_is_leafpress_vancouver_unchanged(project):
    document = loaded(project.topic("t", body=BODY))
    assert document.style is None
    assert [entry.html for entry in document.bibliography] == [
        format_reference(document.references[key], "en") for key in ("jones2021", "smith2020")]


def test_a_malformed_style_is_an_error_at_the_file(project):
    article = project.topic("t", body=BODY, csl="broken.csl")
    (article.parent / "broken.csl").write_text(TINY.replace("</bibliography>", ""), encoding="utf-8")
    (problem,) = errors_of(load_document(article))
    assert problem == ("content/t/broken.csl:19: error: is not a valid CSL style: the XML is malformed "
                       "(Opening and ending tag mismatch: bibliography line 9 and style, line 19, column 9)")


def test_a_style_the_schema_refuses_is_an_error_at_the_file(project):
    article = project.topic("t", body=BODY, csl="odd.csl")
    (article.parent / "odd.csl").write_text(TINY.replace("<text variable=\"title\"", "<txt variable=\"title\""),
                                            encoding="utf-8")
    (problem,) = errors_of(load_document(article))
    assert problem == ("content/t/odd.csl: error: is not a valid CSL 1.0 style (Extra element bibliography in "
                       "interleave): download the style again, or choose another one")


def test_a_style_with_entities_is_refused(project):
    article = project.topic("t", body=BODY, csl="dtd.csl")
    doctype = '<!DOCTYPE style [<!ENTITY x "boom">]>\n<style '
    (article.parent / "dtd.csl").write_text(TINY.replace("<style ", doctype, 1), encoding="utf-8")
    (problem,) = errors_of(load_document(article))
    assert problem == ("content/t/dtd.csl: error: is not a valid CSL style: it has a DOCTYPE, "
                       "which CSL styles never have")


def test_a_style_outside_the_topic_is_refused(project):
    (project.root / "content" / "outside.csl").write_text(TINY, encoding="utf-8")
    article = project.topic("t", body=BODY, csl="../outside.csl")
    (problem,) = errors_of(load_document(article))
    assert problem == (f"content/t/article.md:{_line(article, 'csl:')}: error: 'csl' '../outside.csl' must be "
                       "a file inside the topic folder: copy the style there")


def test_a_project_style_outside_the_project_is_refused(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "tiny.csl"
    elsewhere.write_text(TINY, encoding="utf-8")
    with (project.root / "leafpress.yaml").open("a", encoding="utf-8") as config:
        config.write(f"csl: {elsewhere}\n")
    project.topic("t", body=BODY)
    code, _, stderr = run("build", "--layout", "article")
    assert code != 0
    assert any(f"'csl' '{elsewhere}' must be a file inside the project" in line for line in errors(stderr)), stderr


def test_a_missing_style_is_an_error(project):
    article = project.topic("t", body=BODY, csl="nowhere.csl")
    (problem,) = errors_of(load_document(article))
    assert problem == "content/t/nowhere.csl: error: CSL style not found: fix 'csl' or add the file"


def _line(path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_the_document_language_is_the_csl_locale(project):
    two = [{"id": "a", "type": "book", "title": "Libro", "issued": {"date-parts": [[2020]]},
            "author": [{"family": "García", "given": "Ana"}, {"family": "López", "given": "Luis"}]}]
    style = TINY.replace('<name initialize-with=""', '<name and="text" initialize-with=""')
    for language, word in (("en", " and "), ("es", " y ")):
        article = project.topic(language, body="Texto [@a].\n", references=json.dumps(two), language=language,
                                csl="tiny.csl")
        (article.parent / "tiny.csl").write_text(style, encoding="utf-8")
        (entry,) = loaded(article).bibliography
        assert str(entry.html) == f"García A{word}López L. <i>Libro</i>. 2020."


def test_a_numeric_style_does_not_print_its_number_twice(project):
    # Vancouver-like: the style numbers its own entries ("1. "); leafpress's list already does.
    numeric = TINY.replace('<layout suffix=".">\n      <group delimiter=". ">',
                           '<layout suffix=".">\n      <text variable="citation-number" suffix=". "/>\n'
                           '      <group delimiter=". ">')
    assert 'variable="citation-number" suffix' in numeric
    article = project.topic("t", body=BODY, csl="numeric.csl")
    (article.parent / "numeric.csl").write_text(numeric, encoding="utf-8")
    entries = [str(entry.html) for entry in loaded(article).bibliography]
    assert entries == ["Jones C. <i>Another trial</i>. 2021.", "Smith AB. <i>A trial of something</i>. 2020."]


def test_dois_and_web_addresses_a_style_prints_are_links(project):
    item = {"id": "x", "type": "webpage", "title": "Page", "author": [{"family": "Ruiz", "given": "Ana"}],
            "issued": {"date-parts": [[2020]]}, "DOI": "10.1000/abc.1", "URL": "https://example.org/a?b=1&c=2"}
    article = project.topic("t", body="Text [@x].\n", references=json.dumps([item]), csl="tiny.csl")
    style = TINY.replace('<date variable="issued"><date-part name="year"/></date>',
                         '<date variable="issued"><date-part name="year"/></date>'
                         '<text variable="DOI" prefix="doi:"/><text variable="URL" prefix="Available from: "/>')
    (article.parent / "tiny.csl").write_text(style, encoding="utf-8")
    (entry,) = loaded(article).bibliography
    assert str(entry.html) == (
        'Ruiz A. <i>Page</i>. 2020. doi:<a href="https://doi.org/10.1000/abc.1">10.1000/abc.1</a>. '
        'Available from: <a href="https://example.org/a?b=1&amp;c=2">https://example.org/a?b=1&amp;c=2</a>.')
