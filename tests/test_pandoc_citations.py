"""Pandoc's citation syntax (issue 16): locators, prefixes and suffixes, [-@key], in-text @key, ^[inline notes]."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import errors, pdf_text, run
from leafpress import Document, load_document
from leafpress.source.citing import in_text_name
from leafpress.source.markup import CitationState, render_markdown

REFERENCES = json.dumps([
    {"id": "one", "type": "book", "title": "One author", "URL": "https://example.org/1",
     "author": [{"family": "Smith", "given": "A"}], "issued": {"date-parts": [[2020]]}},
    {"id": "two", "type": "book", "title": "Two authors", "URL": "https://example.org/2",
     "author": [{"family": "Smith", "given": "A"}, {"family": "Jones", "given": "B"}],
     "issued": {"date-parts": [[2021]]}},
    {"id": "three", "type": "book", "title": "Three authors", "URL": "https://example.org/3",
     "author": [{"family": "Sigtermans", "given": "M"}, {"family": "van Hilten", "given": "J"},
                {"family": "Bauer", "given": "M"}], "issued": {"date-parts": [[2009]]}},
    {"id": "who", "type": "report", "title": "Guidelines", "URL": "https://example.org/4",
     "author": [{"literal": "World Health Organization"}], "issued": {"date-parts": [[2019]]}},
], indent=2)
KEYS = ("one", "two", "three", "who")


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def body_of(project, body: str, language: str = "en") -> str:
    document = load_document(project.topic("t", body=body, references=REFERENCES, language=language))
    assert isinstance(document, Document), [str(p) for p in document]
    return document.body_html


def errors_of(project, body: str) -> tuple[Path, list[str]]:
    article = project.topic("t", body=body, references=REFERENCES)
    result = load_document(article)
    assert isinstance(result, list), "expected the load to fail with problems"
    return article, [str(p) for p in result if p.is_error]


def html_of(text: str, language: str = "en") -> tuple[str, CitationState]:
    library = {item["id"]: item for item in json.loads(REFERENCES)}
    state = CitationState(known=frozenset(KEYS), language=language, library=library)
    return render_markdown(text, state), state


def link(n: int) -> str:
    return f'<a href="#ref-{n}">{n}</a>'


def cite(inner: str) -> str:
    return f'<span class="citation">{inner}</span>'


# --- bracketed citations ----------------------------------------------------------------

@pytest.mark.parametrize("written, printed", [
    ("[@one, p. 33]", f"[{link(1)}, p. 33]"),
    ("[@one, pp. 33-35]", f"[{link(1)}, pp. 33-35]"),
    ("[@one, page 33]", f"[{link(1)}, p. 33]"),
    ("[@one, p. 33-35]", f"[{link(1)}, pp. 33-35]"),  # a range is plural
    ("[@one, 33]", f"[{link(1)}, p. 33]"),  # digits alone are pages, as in pandoc
    ("[@one, chap. 2]", f"[{link(1)}, chap. 2]"),
    ("[@one, fig. 3]", f"[{link(1)}, fig. 3]"),
    ("[@one, table 2]", f"[{link(1)}, table 2]"),
    ("[@one, sec. 4.2]", f"[{link(1)}, sec. 4.2]"),
    ("[@one, para. 7]", f"[{link(1)}, para. 7]"),
    ("[@one, vol. iv]", f"[{link(1)}, vol. iv]"),
    ("[@one, p. 33; @two, pp. 4-5]", f"[{link(1)}, p. 33; {link(2)}, pp. 4-5]"),
    ("[@one, p. 33; @two]", f"[{link(1)}, p. 33; {link(2)}]"),
    ("[see @one, p. 4]", f"[see {link(1)}, p. 4]"),
    ("[see @one; also @two, chap. 1]", f"[see {link(1)}; also {link(2)}, chap. 1]"),
    ("[@one, and elsewhere]", f"[{link(1)}, and elsewhere]"),
    ("[@one, p. 33, and elsewhere]", f"[{link(1)}, p. 33, and elsewhere]"),
    ("[@one, xyz 3]", f"[{link(1)}, xyz 3]"),  # not a locator term: a suffix, as in pandoc
    ("[-@one]", f"[{link(1)}]"),
    ("[-@one; @two; @three]", f"[{link(1)}\u2013{link(3)}]"),  # nothing but numbers: a range
    ("[@{one}, p. 2]", f"[{link(1)}, p. 2]"),
])
def test_bracketed_citations_print_number_then_locator_inside_the_brackets(written, printed):
    html, state = html_of(f"Text {written}.")
    assert html == f"<p>Text {cite(printed)}.</p>"
    assert not state.unknown and not state.malformed


@pytest.mark.parametrize("written, printed", [
    ("[@one, chap. 2]", f"[{link(1)}, cap. 2]"),
    ("[@one, chapter 2]", f"[{link(1)}, cap. 2]"),
    ("[@one, capítulo 2]", f"[{link(1)}, cap. 2]"),
    ("[@one, pp. 4-5]", f"[{link(1)}, pp. 4-5]"),
    ("[@one, table 2]", f"[{link(1)}, tabla 2]"),
    ("[@one, para. 3]", f"[{link(1)}, párr. 3]"),
    ("[véase @one, p. 4]", f"[véase {link(1)}, p. 4]"),
])
def test_locators_print_in_the_documents_language(written, printed):
    html, _ = html_of(f"Texto {written}.", language="es")
    assert html == f"<p>Texto {cite(printed)}.</p>"


# --- in-text citations -------------------------------------------------------------------

@pytest.mark.parametrize("language, written, printed", [
    ("en", "@one", f"Smith [{link(1)}]"),
    ("en", "@two", f"Smith and Jones [{link(1)}]"),
    ("es", "@two", f"Smith y Jones [{link(1)}]"),
    ("en", "@three", f"Sigtermans et al. [{link(1)}]"),
    ("es", "@three", f"Sigtermans et al. [{link(1)}]"),
    ("en", "@who", f"World Health Organization [{link(1)}]"),
    ("en", "@one [p. 33]", f"Smith [{link(1)}, p. 33]"),
    ("es", "@three [chap. 2]", f"Sigtermans et al. [{link(1)}, cap. 2]"),
    ("en", "@one [and elsewhere]", f"Smith [{link(1)} and elsewhere]"),
])
def test_in_text_citation_prints_the_authors_name_and_the_number(language, written, printed):
    html, state = html_of(f"As {written} showed.", language=language)
    assert html == f"<p>As {cite(printed)} showed.</p>"
    assert not state.unknown


def test_in_text_key_ends_before_the_sentences_full_stop():
    html, state = html_of("Shown by @one.")
    assert html == f"<p>Shown by {cite(f'Smith [{link(1)}]')}.</p>"
    assert state.order == ["one"]


@pytest.mark.parametrize("text", [
    "Write to name@example.org today.",
    "Write to a.b@one.org or x+one@two.org.",
    "Meet us @ the clinic.",
    "See https://example.org/@one for more.",
    "Escaped: \\@one.",
])
def test_an_at_sign_that_is_not_a_citation_stays_text(text):
    html, state = html_of(text)
    assert "citation" not in html
    assert not state.order and not state.unknown and not state.malformed
    assert "@" in html


def test_a_citation_in_a_links_text_prints_its_number_without_a_link_inside_the_link():
    html, _ = html_of("[see @one](https://example.org).")
    assert html == ('<p><a href="https://example.org">see <span class="citation">Smith [<span>1</span>]'
                    "</span></a>.</p>")


def test_citation_syntax_in_code_is_left_alone():
    html, state = html_of("Write `@one` or `[@one, p. 3]` or `^[a note]`.")
    assert html == "<p>Write <code>@one</code> or <code>[@one, p. 3]</code> or <code>^[a note]</code>.</p>"
    assert not state.order


# --- inline notes ------------------------------------------------------------------------

def test_inline_note_is_a_page_footnote_and_its_citations_are_numbered_in_reading_order(project):
    html = body_of(project, "First [@one].^[As in [@two, p. 3] and @three.] Then [@three; @two].\n")
    assert html == (f'<p>First {cite(f"[{link(1)}]")}.<span class="footnote"><span class="footnote-para">'
                    f'As in {cite(f"[{link(2)}, p. 3]")} and {cite(f"Sigtermans et al. [{link(3)}]")}.'
                    f'</span></span> Then {cite(f"[{link(2)}, {link(3)}]")}.</p>')


def test_inline_and_regular_footnotes_make_the_same_structure(project):
    inline = body_of(project, "Text.^[A note [@one].]\n")
    regular = body_of(project, "Text.[^n]\n\n[^n]: A note [@one].\n")
    assert inline == regular


def test_unclosed_inline_note_stays_text():
    html, _ = html_of("Text ^[not closed.")
    assert html == "<p>Text ^[not closed.</p>"


# --- errors ------------------------------------------------------------------------------

def test_unknown_in_text_key_is_an_error_at_its_line(project):
    article, found = errors_of(project, "Intro [@one].\n\nAs @nokey showed.\n")
    assert found == [f"content/t/article.md:{line_of(article, 'As @nokey')}: error: unknown reference key "
                     "'nokey': add it to references.json or fix the spelling"]


def test_unknown_key_with_a_locator_or_in_an_inline_note_is_an_error_at_its_line(project):
    article, found = errors_of(project, "Intro [@one].\n\nSee [@missing, p. 3].\n\nA note.^[In [-@gone].]\n")
    assert found == [
        f"content/t/article.md:{line_of(article, '@missing')}: error: unknown reference key 'missing': add it "
        "to references.json or fix the spelling",
        f"content/t/article.md:{line_of(article, '@gone')}: error: unknown reference key 'gone': add it "
        "to references.json or fix the spelling",
    ]


def test_unknown_key_is_found_whole_not_as_the_start_of_a_known_key(project):
    article, found = errors_of(project, "Cites @one and [@two].\n\nThen @on here.\n")
    assert found == [f"content/t/article.md:{line_of(article, '@on here')}: error: unknown reference key "
                     "'on': add it to references.json or fix the spelling"]


@pytest.mark.parametrize("malformed", ["[@one; see]", "[@one", "[-@one", "[@]", "[@one;]"])
def test_malformed_citation_is_an_error_at_its_line(project, malformed):
    article, found = errors_of(project, f"Intro [@one].\n\nAs shown {malformed} here.\n")
    assert len(found) == 1
    assert found[0].startswith(f"content/t/article.md:{line_of(article, 'As shown')}: error: malformed "
                               "citation ")
    assert found[0].endswith("write [@key], [@key1; @key2], [see @key, p. 33] or [-@key]")


def test_in_text_citation_in_a_figure_caption_is_numbered(project):
    html = body_of(project, "See @one.\n\n![Scores, from @two [p. 4]](chart.png)\n")
    assert ('<figcaption><span class="caption-label">Figure&nbsp;1.</span> Scores, from '
            f"{cite(f'Smith and Jones [{link(2)}, p. 4]')}</figcaption>") in html


# --- the PDF -----------------------------------------------------------------------------

@pytest.mark.parametrize("language, expected", [
    ("en", "As Smith and Jones [1, p. 33] and Sigtermans et al. [2] showed [see 3, pp. 4-5; 1, chap. 2]. "
           "Vancouver prints no author [1]."),
    ("es", "As Smith y Jones [1, p. 33] and Sigtermans et al. [2] showed [see 3, pp. 4-5; 1, cap. 2]. "
           "Vancouver prints no author [1]."),
])
def test_the_pdf_prints_every_form_and_no_raw_citation(project, language, expected):
    project.topic("t", references=REFERENCES, language=language, body=(
        "As @two [p. 33] and @three showed [see @who, pp. 4-5; @two, chap. 2]. Vancouver prints no author "
        "[-@two].^[A note citing @one.]\n\nAlso [@who, and elsewhere].\n"))
    code, _, stderr = run("build", "--layout", "article")
    assert code == 0, stderr
    assert not errors(stderr)
    (pdf,) = (project.root / "output" / "t").glob("article*.pdf")
    text = " ".join(pdf_text(pdf).split())
    assert expected in text.replace("\u2011", "-").replace("\u2010", "-")
    assert "Smith [4]" in text
    assert "[3, and elsewhere]" in text
    assert "@" not in text.split("References")[0].split("Referencias")[0]


# --- names and cost -----------------------------------------------------------------------

@pytest.mark.parametrize("csl, name", [
    ({"author": [{"family": "Smith"}, {"literal": "et al."}]}, "Smith et al."),
    ({"author": [{"family": "Gogh", "non-dropping-particle": "van"}]}, "van Gogh"),
    ({"editor": [{"family": "Editor"}]}, "Editor"),
    ({"title": "Anonymous report"}, "Anonymous report"),
])
def test_in_text_name_of_unusual_author_lists(csl, name):
    assert in_text_name(csl, "en") == name


@pytest.mark.parametrize("unit", ["@one ", "[see @one, p. 3] ", "^[n @one] ", "@one [p. 3] ", "a@b.c "])
def test_a_paragraph_full_of_citations_is_converted_or_refused_fast(unit):
    for count in (1_000, 40_000):
        started = time.perf_counter()
        html, state = html_of(unit * count)
        assert time.perf_counter() - started < 3
        assert html or state.refused


def test_emphasis_in_a_prefix_or_suffix_is_emphasis_not_asterisks():
    html, _ = html_of("Text [*see* @one, p. 3, **and** _others_].")
    assert html == (f"<p>Text {cite(f'[<em>see</em> {link(1)}, p. 3, <strong>and</strong> <em>others</em>]')}"
                    ".</p>")


def test_data_file_text_cites_in_pandocs_syntax_and_reports_unknown_keys_at_its_line(project):
    from leafpress.layouts.context import Fragments

    document = load_document(project.topic("t", body="Text [@one] [@two].\n", references=REFERENCES))
    assert isinstance(document, Document)

    class Data:
        path = Path("evidence.yaml")

        @staticmethod
        def line_of(location: object) -> int:
            return 7

    fragments = Fragments(document)
    html = fragments.text(Data(), ("x",), "As @two [p. 3] and [see @three, pp. 1-2] and @nobody.")  # type: ignore[arg-type]
    assert html == (f"As {cite(f'Smith and Jones [{link(1)}, p. 3]')} and {cite(f'[see {link(2)}, pp. 1-2]')} "
                    f"and {cite('[?]')}.")
    assert [str(p) for p in fragments.problems] == [
        "evidence.yaml:7: error: unknown reference key 'nobody': add it to the references file or fix the spelling"]
