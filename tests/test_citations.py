"""Vancouver formatting (leafpress.cite.references) and citations in Markdown (markup, load_document)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import Markup

from conftest import REFERENCES, errors_of, loaded
from leafpress import load_document
from leafpress.cite.references import Reference, compress_numbers, format_name, format_pages, format_reference


def ref(**csl) -> Reference:
    csl.setdefault("id", "key")
    return Reference(csl["id"], 1, csl)


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of ``path`` containing ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def lines_of(path: Path, needle: str) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [n for n, line in enumerate(lines, start=1) if needle in line]


def three_references() -> str:
    return json.dumps([{"id": k, "type": "book", "title": f"Book {k}", "URL": f"https://example.org/{k}"}
                       for k in ("a", "b", "c")], indent=2)




# --- format_reference -----------------------------------------------------------

def test_journal_article_two_authors_volume_issue_pages_doi():
    html = format_reference(ref(
        type="article-journal",
        title="Ketamine for chronic pain: risks and benefits",
        **{"container-title-short": "Br J Clin Pharmacol", "container-title": "British Journal"},
        volume="77", issue="2", page="357-367",
        issued={"date-parts": [[2014]]},
        DOI="https://doi.org/10.1111/bcp.12094",
        author=[{"family": "Niesters", "given": "Marieke"}, {"family": "Dahan", "given": "A."}],
    ))
    assert isinstance(html, Markup)
    assert str(html) == (
        "Niesters M, Dahan A. Ketamine for chronic pain: risks and benefits. "
        "Br J Clin Pharmacol. 2014;77(2):357-67. "
        'doi:<a href="https://doi.org/10.1111/bcp.12094">10.1111/bcp.12094</a>.')


def test_seven_authors_list_six_then_et_al():
    authors = [{"family": f"Author{n}", "given": "B"} for n in range(1, 8)]
    html = str(format_reference(ref(type="article-journal", title="Many hands", author=authors,
                                    **{"container-title": "J X"}, issued={"date-parts": [[2020]]})))
    assert html == ("Author1 B, Author2 B, Author3 B, Author4 B, Author5 B, Author6 B, et al. "
                    "Many hands. J X. 2020.")
    assert "Author7" not in html


def test_six_authors_are_all_listed_without_et_al():
    authors = [{"family": f"Author{n}", "given": "B"} for n in range(1, 7)]
    html = str(format_reference(ref(type="book", title="Six", author=authors)))
    assert html.startswith("Author1 B, Author2 B, Author3 B, Author4 B, Author5 B, Author6 B. Six.")
    assert "et al" not in html


def test_author_list_ending_in_literal_et_al():
    html = str(format_reference(ref(
        type="article-journal", title="Ketamine produces pain relief",
        author=[{"family": "Sigtermans", "given": "M. J."}, {"literal": "et al."}],
        **{"container-title": "Pain"}, volume="145", issue="3", page="304-311",
        issued={"date-parts": [[2009]]}, DOI="10.1016/j.pain.2009.06.023")))
    assert html == ("Sigtermans MJ, et al. Ketamine produces pain relief. Pain. 2009;145(3):304-11. "
                    'doi:<a href="https://doi.org/10.1016/j.pain.2009.06.023">10.1016/j.pain.2009.06.023</a>.')


@pytest.mark.parametrize("parts, printed", [
    ([2022, 4], "2022 Apr"),
    ([2024, 6, 3], "2024 Jun 3"),
    ([2009], "2009"),
])
def test_dates_in_nlm_form(parts, printed):
    html = str(format_reference(ref(type="article-journal", title="Dated", **{"container-title": "J X"},
                                    volume="5", issued={"date-parts": [parts]})))
    assert html == f"Dated. J X. {printed};5."


@pytest.mark.parametrize("fields, printed", [
    ({"issued": {"date-parts": [[2020]]}, "page": "5"}, "Odd. 2020:5."),  # no journal, no volume
    ({"container-title": "J X", "page": "12-19"}, "Odd. J X. p. 12-9."),  # no date, no volume
    ({"volume": "3", "issue": "1"}, "Odd. 3(1)."),  # only where in the journal
    ({"page": "7"}, "Odd. p. 7."),
    ({}, "Odd."),
])
def test_missing_journal_details_leave_no_stray_punctuation(fields, printed):
    assert str(format_reference(ref(type="article-journal", title="Odd", **fields))) == printed


def test_pmid_is_a_pubmed_link():
    html = str(format_reference(ref(type="article-journal", title="Indexed", **{"container-title": "J X"},
                                    issued={"date-parts": [[2021, 3]]}, PMID="12345678")))
    assert html == ('Indexed. J X. 2021 Mar. Cited in: PubMed; '
                    'PMID <a href="https://pubmed.ncbi.nlm.nih.gov/12345678/">12345678</a>.')


def test_url_is_given_only_when_there_is_no_doi():
    without_doi = str(format_reference(ref(type="book", title="Guide", publisher="WHO",
                                           URL="https://example.org/guide?a=1&b=2")))
    # Citing Medicine 16: a book read online is marked [Internet].
    assert without_doi == ('Guide [Internet]. WHO. Available from: '
                           '<a href="https://example.org/guide?a=1&amp;b=2">https://example.org/guide?a=1&amp;b=2</a>')
    with_doi = str(format_reference(ref(type="book", title="Guide", publisher="WHO",
                                        URL="https://example.org/guide", DOI="10.1/x")))
    assert "Available from" not in with_doi
    assert "https://example.org/guide" not in with_doi
    assert with_doi.endswith('doi:<a href="https://doi.org/10.1/x">10.1/x</a>.')


@pytest.mark.parametrize("title", ["Does ketamine work?", "It works!"])
def test_title_ending_in_question_or_exclamation_mark_gets_no_full_stop(title):
    html = str(format_reference(ref(type="article-journal", title=title, **{"container-title": "J X"},
                                    issued={"date-parts": [[2020]]})))
    assert html == f"{title} J X. 2020."


def test_html_special_characters_in_a_title_are_escaped():
    html = str(format_reference(ref(type="book", title="A <b> & C", publisher="P&Q")))
    assert html == "A &lt;b&gt; &amp; C. P&amp;Q."
    assert "<b>" not in html


# --- pages, names, number runs -------------------------------------------------

@pytest.mark.parametrize("page, printed", [
    ("304-311", "304-11"),
    ("1011-1037", "1011-37"),
    ("1-10", "1-10"),
    ("99-101", "99-101"),
    ("e123", "e123"),
    ("304\u2013311", "304-11"),
])
def test_format_pages(page, printed):
    assert format_pages(page) == printed


@pytest.mark.parametrize("name, printed", [
    ({"non-dropping-particle": "van", "family": "Hilten", "given": "J. J."}, "van Hilten JJ"),
    ({"family": "Dupont", "given": "Jean-Pierre"}, "Dupont JP"),
    ({"family": "Smith", "given": "Anne Beth"}, "Smith AB"),
    ({"family": "Gauss"}, "Gauss"),
    ({"family": "King", "given": "Martin Luther", "suffix": "Jr"}, "King ML Jr"),
    ({"literal": "World Health Organization"}, "World Health Organization"),
])
def test_format_name(name, printed):
    assert format_name(name) == printed


@pytest.mark.parametrize("numbers, runs", [
    ([], []),
    ([4], [(4, 4)]),
    ([1, 2, 3, 5], [(1, 3), (5, 5)]),
    ([5, 3, 1, 2, 2], [(1, 3), (5, 5)]),
    ([1, 3], [(1, 1), (3, 3)]),
    ([7, 8], [(7, 8)]),
])
def test_compress_numbers(numbers, runs):
    assert compress_numbers(numbers) == runs


# --- citations through load_document ------------------------------------------

def test_citations_are_numbered_in_order_of_first_use(project):
    document = loaded(project.topic("t", body="[@jones2021] then [@smith2020; @jones2021]\n"))
    assert [(e.number, e.reference.key) for e in document.bibliography] == [(1, "jones2021"), (2, "smith2020")]
    assert ('<span class="citation">[<a href="#ref-1">1</a>]</span> then '
            '<span class="citation">[<a href="#ref-1">1</a>, <a href="#ref-2">2</a>]</span>') in document.body_html
    assert [e.anchor for e in document.bibliography] == ["ref-1", "ref-2"]
    assert "Jones C. Another trial." in str(document.bibliography[0].html)


def test_three_consecutive_numbers_print_as_a_range(project):
    document = loaded(project.topic("t", body="See [@a; @b; @c] and [@a; @c].\n",
                                    references=three_references()))
    assert ('<span class="citation">[<a href="#ref-1">1</a>\u2013<a href="#ref-3">3</a>]</span>'
            in document.body_html)
    assert '<span class="citation">[<a href="#ref-1">1</a>, <a href="#ref-3">3</a>]</span>' in document.body_html
    assert 'href="#ref-2"' not in document.body_html
    assert [e.reference.key for e in document.bibliography] == ["a", "b", "c"]


def test_unknown_key_is_one_error_at_its_line(project):
    article = project.topic("t", body="""\
        First paragraph [@smith2020] [@jones2021].

        Second [@nokey].

        Third [@nokey] again.
        """)
    line = line_of(article, "Second [@nokey]")
    assert line == 18  # 12 front-matter fields between two '---' lines, a blank line, then the body
    errors = errors_of(load_document(article))
    assert errors == [f"content/t/article.md:{line}: error: unknown reference key 'nokey': "
                      "add it to references.json or fix the spelling"]


def test_unknown_key_that_prefixes_a_known_key_is_reported_at_its_own_line(project):
    article = project.topic("t", body="First [@smith2020] [@jones2021].\n\nLater [@smith].\n")
    errors = errors_of(load_document(article))
    assert errors == [f"content/t/article.md:{line_of(article, 'Later')}: error: unknown reference key "
                      "'smith': add it to references.json or fix the spelling"]


def test_unknown_key_after_the_same_text_in_a_code_span_is_reported_at_the_citation(project):
    article = project.topic("t", body="Write `[@nokey]` to cite.\n\n[@smith2020] [@jones2021] [@nokey]\n")
    errors = errors_of(load_document(article))
    assert errors == [f"content/t/article.md:{line_of(article, '[@jones2021] [@nokey]')}: error: unknown "
                      "reference key 'nokey': add it to references.json or fix the spelling"]


def test_malformed_citation_is_an_error_at_its_line(project):
    article = project.topic("t", body="Intro [@jones2021].\n\nAs shown [@smith2020; see].\n")
    errors = errors_of(load_document(article))
    assert errors == [f"content/t/article.md:{line_of(article, 'As shown')}: error: malformed citation "
                      "'[@smith2020; see]': write [@key], [@key1; @key2], [see @key, p. 33] or [-@key]"]


def test_citation_syntax_inside_a_code_span_is_not_a_citation(project):
    document = loaded(project.topic("t", body="Write `[@smith2020]` to cite; see [@jones2021].\n"))
    assert "<code>[@smith2020]</code>" in document.body_html
    assert [e.reference.key for e in document.bibliography] == ["jones2021"]
    assert not [p for p in document.problems if p.is_error]
    # smith2020 only appears in code, so it counts as never cited.
    assert any("reference 'smith2020' is never cited" in p.message for p in document.problems)


def test_reference_never_cited_is_a_warning_at_its_line_in_references_json(project):
    article = project.topic("t", body="Only [@smith2020].\n")
    document = loaded(article)
    line = line_of(article.parent / "references.json", '"id": "jones2021"')
    assert line == 15
    assert [str(p) for p in document.problems] == [
        f"content/t/references.json:{line}: warning: reference 'jones2021' is never cited: "
        "cite it as [@jones2021] or remove it"]


def test_line_of_a_non_ascii_reference_id(project):
    references = REFERENCES.rstrip().rstrip("]") + (
        ',\n  {"id": "müller2020", "type": "book", "title": "Ein Buch", "URL": "https://example.org/m"}\n]\n')
    article = project.topic("t", body="[@smith2020] [@jones2021]\n", references=references)
    document = loaded(article)
    line = line_of(article.parent / "references.json", "müller2020")
    assert [str(p) for p in document.problems] == [
        f"content/t/references.json:{line}: warning: reference 'müller2020' is never cited: "
        "cite it as [@müller2020] or remove it"]


def test_reference_without_doi_pmid_or_url_is_a_warning(project):
    references = REFERENCES.rstrip().rstrip("]") + (
        ',\n  {"id": "nolink", "type": "book", "title": "Offline", "publisher": "P"}\n]\n')
    article = project.topic("t", body="[@smith2020] [@jones2021] [@nolink]\n", references=references)
    document = loaded(article)
    line = line_of(article.parent / "references.json", '"id": "nolink"')
    assert [str(p) for p in document.problems] == [
        f"content/t/references.json:{line}: warning: reference 'nolink' has no DOI, PMID or URL: "
        "readers cannot look it up; add one if it exists"]


def test_invalid_json_in_references_is_an_error_with_its_line(project):
    references = '[\n  {"id": "smith2020",\n   "title": }\n]\n'
    article = project.topic("t", body="[@smith2020]\n", references=references)
    result = load_document(article)
    assert isinstance(result, list)
    (problem,) = [p for p in result if p.path and p.path.name == "references.json"]
    assert problem.is_error and problem.line == 3
    assert str(problem).startswith("content/t/references.json:3: error: invalid JSON: Expecting value")


def test_duplicate_reference_ids_are_an_error(project):
    references = json.dumps([{"id": "smith2020", "type": "book", "title": "T", "URL": "https://x.org/1"},
                             {"id": "smith2020", "type": "book", "title": "U", "URL": "https://x.org/2"}],
                            indent=2)
    article = project.topic("t", body="[@smith2020]\n", references=references)
    first = line_of(article.parent / "references.json", '"id": "smith2020"')
    errors = errors_of(load_document(article))
    assert len(errors) == 1
    assert errors[0].startswith("content/t/references.json:")
    assert errors[0].endswith(f"error: reference id 'smith2020' is used twice (first on line {first}): "
                              "make the ids unique")


def test_duplicate_reference_id_error_points_at_the_duplicate(project):
    references = json.dumps([{"id": "smith2020", "type": "book", "title": "T", "URL": "https://x.org/1"},
                             {"id": "smith2020", "type": "book", "title": "U", "URL": "https://x.org/2"}],
                            indent=2)
    article = project.topic("t", body="[@smith2020]\n", references=references)
    first, second = lines_of(article.parent / "references.json", '"id": "smith2020"')
    errors = errors_of(load_document(article))
    assert errors == [f"content/t/references.json:{second}: error: reference id 'smith2020' is used twice "
                      f"(first on line {first}): make the ids unique"]


# --- footnotes and table captions ----------------------------------------------

FOOTNOTE_BODY = """\
Intro text[^n] and a claim [@jones2021].

[^n]: A note citing [@smith2020].
"""


def test_footnote_moves_to_its_call_site(project):
    html = loaded(project.topic("t", body=FOOTNOTE_BODY)).body_html
    assert html.startswith('<p>Intro text<span class="footnote"><span class="footnote-para">A note citing '
                           '<span class="citation">[<a href="#ref-1">1</a>]</span>.')
    assert html.count('<span class="footnote">') == 1
    assert '<div class="footnote">' not in html
    assert "footnote-backref" not in html and "footnote-ref" not in html
    assert "\u21a9" not in html and "&#8617;" not in html  # the back-reference arrow
    assert "<sup" not in html and "<hr" not in html


def test_citation_in_a_footnote_is_numbered_in_reading_order(project):
    document = loaded(project.topic("t", body=FOOTNOTE_BODY))
    assert [(e.number, e.reference.key) for e in document.bibliography] == [(1, "smith2020"), (2, "jones2021")]
    assert ' and a claim <span class="citation">[<a href="#ref-2">2</a>]</span>.' in document.body_html


def test_footnote_has_no_trailing_non_breaking_space(project):
    html = loaded(project.topic("t", body=FOOTNOTE_BODY)).body_html
    assert "&#160;" not in html and "\xa0" not in html
    assert '<a href="#ref-1">1</a>]</span>.</span></span> and a claim' in html


@pytest.mark.parametrize("caption, text", [("Table 1. Doses used in the trials", "Doses used in the trials"),
                                           ("Tabla 2: Dosis", "Dosis"), ("Table: Doses", "Doses"),
                                           ("Tabla: Dosis", "Dosis")])
def test_table_caption_paragraph_becomes_the_tables_numbered_caption(project, caption, text):
    body = f"[@smith2020] [@jones2021]\n\n{caption}\n\n| Drug | Dose |\n|------|------|\n| K | 1 |\n"
    html = loaded(project.topic("t", body=body)).body_html
    assert '<table class="short-table">\n<caption>' in html
    assert f'<caption><span class="caption-label">Table&nbsp;1.</span> {text}</caption><thead>' in html
    assert html.count(text) == 1


def test_caption_like_paragraph_without_a_table_stays_a_paragraph(project):
    html = loaded(project.topic("t", body="[@smith2020] [@jones2021]\n\nTable 1. Not followed by a table.\n"
                                          "\nJust text.\n")).body_html
    assert "<p>Table 1. Not followed by a table.</p>" in html
    assert "<caption>" not in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x"])
def test_only_web_urls_become_links(url):
    html = str(format_reference(ref(type="webpage", title="A page", URL=url)))
    assert "href" not in html and url not in html
