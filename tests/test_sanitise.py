"""Markdown to HTML under hostile input: the allowlist, the limits, and the time it takes."""

from __future__ import annotations

import time

import pytest

from conftest import outside_allowlist
from leafpress.source.markup import MAX_LINES, CitationState, Notice, markdown_limits, render_markdown

NESTED = "use fewer levels of lists, block quotes or HTML elements"


def render(text: str, known: tuple[str, ...] = ("a", "b")) -> tuple[str, CitationState]:
    state = CitationState(known=frozenset(known))
    return render_markdown(text, state), state


def removed(text: str) -> list[str]:
    return [n.message for n in render(text)[1].removed]


# --- what our own processors make survives, exactly -----------------------------------

def test_citations_footnotes_headings_and_links_survive_unchanged():
    html, state = render("## Dose and effect\n\nKetamine [@a; @b] works.[^n] See [the dose](#dose-and-effect), "
                         "[NICE](https://www.nice.org.uk/) or [write](mailto:info@example.org).\n\n"
                         "[^n]: A note [@a].\n")
    assert html == (
        '<h2 id="dose-and-effect">Dose and effect</h2>\n'
        '<p>Ketamine <span class="citation">[<a href="#ref-1">1</a>, <a href="#ref-2">2</a>]</span> works.'
        '<span class="footnote"><span class="footnote-para">A note <span class="citation">[<a href="#ref-1">1</a>]'
        '</span>.</span></span> See <a href="#dose-and-effect">the dose</a>, <a href="https://www.nice.org.uk/">NICE'
        '</a> or <a href="mailto:info@example.org">write</a>.</p>')
    assert state.removed == [] and state.refused == [] and state.order == ["a", "b"]


def test_table_caption_and_alignment_survive():
    html, state = render("Table 1. Doses\n\n| Drug | mg |\n|:-----|---:|\n| K | 5 |\n")
    assert html == ('<div class="table-block"><table class="short-table">\n<caption><span class="caption-label">'
                    'Table&nbsp;1.</span> Doses</caption><thead>\n<tr>\n<th style="text-align: left;">Drug'
                    '</th>\n<th style="text-align: right;">mg</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
                    '<td style="text-align: left;">K</td>\n<td style="text-align: right;">5</td>\n</tr>\n</tbody>\n'
                    '</table></div>')
    assert state.removed == []


def test_images_inside_the_topic_and_raster_data_urls_are_kept():
    html, state = render('![A chart](figures/chart.png) <img src="data:image/png;base64,iVBORw0K" alt="dot" '
                         'width="10">')
    assert html == ('<p><img alt="A chart" src="figures/chart.png"> '
                    '<img src="data:image/png;base64,iVBORw0K" alt="dot" width="10"></p>')
    assert state.removed == []


# --- what goes, and what the author is told -------------------------------------------

def element(tag: str, how: str = "") -> str:
    return f"HTML element <{tag}> is not allowed in a leaflet: it was removed{how}"


def attribute(name: str) -> str:
    return f"HTML attribute '{name}' is not allowed in a leaflet: it was removed"


CONTENT, TEXT = " with its content", " (its text is kept)"


@pytest.mark.parametrize("source, message", [
    ("<script>alert(1)</script>", element("script", CONTENT)),
    ('<iframe src="x">t</iframe>', element("iframe", CONTENT)),
    ("<form><input name=q></form>", element("form", TEXT)),
    ('<link rel="stylesheet" href="x.css">', element("link")),
    ("<style>p{color:red}</style>", element("style", CONTENT)),
    ('<object data="x"></object>', element("object", CONTENT)),
    ('<embed src="x">', element("embed", CONTENT)),
    ('<base href="file:///">', element("base")),
    ('<meta name="author" content="x">', element("meta")),
    ('<a href="https://x.org" rel="attachment">x</a>', attribute("rel")),
    ('<p onclick="x()">x</p>', attribute("onclick")),
    ('<p style="position: fixed">x</p>', attribute("style")),
    ('<table><tr><td style="background: url(x)">x</td></tr></table>', attribute("style")),
    ("[x](other.md)", "relative link 'other.md' is not a web address: it was removed; link to https://... instead"),
    ('<a href="../etc">x</a>', "relative link '../etc' is not a web address: it was removed; link to https://... "
                               "instead"),
    ("[x](javascript:alert(1))", "link 'javascript:alert(1)' is not a web address: it was removed; link to "
                                 "https://... instead"),
    ("[x](file:///etc/passwd)", "link 'file:///etc/passwd' is not a web address: it was removed; link to "
                                "https://... instead"),
    ("![x](data:image/svg+xml,<svg/>)", None),  # Markdown does not read this as an image: '<' ends the URL
    ('<img src="data:image/svg+xml;base64,PHN2Zy8+" alt="x">',
     "image 'data:image/svg+xml;base64,PHN2Zy8+' is not a PNG, JPEG, GIF or WebP image: it was removed; put the "
     "image file in the topic folder"),
    ('<img src="ftp://x/y.png" alt="x">',
     "image 'ftp://x/y.png' is not a file of the topic: it was removed; put the image file in the topic folder"),
    ('<table><tr><td colspan="100000">x</td></tr></table>',
     "HTML attribute colspan='100000' is not a number up to 100: it was removed"),
])
def test_each_removal_is_reported(source, message):
    messages = removed(source)
    if message:
        assert message in messages
    html, _ = render(source)
    for forbidden in ("<script", "<iframe", "<form", "<input", "<link", "<style", "<object", "<embed", "<base",
                      "<meta", "rel=", "onclick", "style=\"position", "other.md", "../etc", "javascript:", "file:",
                      "svg+xml", "ftp:", "background", "100000"):
        assert forbidden not in html


MAILTO_ALONE = "must be an email address alone, such as mailto:info@example.org: it was removed; write one address " \
               "and nothing after it"


@pytest.mark.parametrize("source, link", [
    ("[write](mailto:a@example.org?attach=/etc/passwd)", "mailto:a@example.org?attach=/etc/passwd"),
    ('<a href="mailto:a@example.org?body=x">write</a>', "mailto:a@example.org?body=x"),
    ("[write](MAILTO:a@example.org,b@example.org)", "MAILTO:a@example.org,b@example.org"),
])
def test_a_mailto_link_carries_an_address_and_nothing_else(source, link):
    assert f"link '{link}' {MAILTO_ALONE}" in removed(source)
    assert "mailto:" not in render(source)[0].lower()


def test_a_plain_mailto_link_is_kept():
    assert removed("[write](mailto:info@example.org)") == []
    assert 'href="mailto:info@example.org"' in render("[write](mailto:info@example.org)")[0]


def test_a_removal_is_reported_once_however_often_it_occurs():
    assert removed("<p onclick=1>a</p>\n\n<p onclick=2>b</p>\n") == [
        "HTML attribute 'onclick' is not allowed in a leaflet: it was removed"]


def test_attributes_from_attr_lists_are_sanitised_too():
    html, state = render('A paragraph.\n{: style="background: url(http://x/)" onload="x()" class="note" }\n')
    assert html == '<p class="note">A paragraph.</p>'
    assert sorted(n.message for n in state.removed) == [
        "HTML attribute 'onload' is not allowed in a leaflet: it was removed",
        "HTML attribute 'style' is not allowed in a leaflet: it was removed"]


def allowlisted(html: str) -> bool:
    return outside_allowlist(html) == []


MIXED = """\
<div class="box" onclick="x"><SCRIPT>x</SCRIPT><ScRiPt src=//x></ScRiPt><scr<script>ipt>alert(1)</script>
<img src=x onerror=alert(1) alt=a><svg/onload=alert(1)><a href="jav&#x61;script:x">a</a>
<a href=" javascript:x">b</a><a href="&#106;avascript:x">c</a><!-- <script>x</script> -->
<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><template><script>x</script></template>
"""


def test_mutation_tricks_never_leave_anything_outside_the_allowlist():
    html, _ = render(MIXED)
    assert allowlisted(html), html
    lowered = html.lower()
    assert "javascript" not in lowered and "onerror" not in lowered and "onload" not in lowered


# --- limits ----------------------------------------------------------------------------

def test_fifty_levels_are_fine_and_fifty_one_are_refused():
    assert markdown_limits(">" * 50 + " x") == []
    assert markdown_limits(">" * 51 + " x") == [Notice(f"too deeply nested (51 levels; at most 50): {NESTED}", 1)]
    lists = "".join("    " * i + "- x\n" for i in range(51))  # a list, then 50 more inside it
    assert markdown_limits(lists) == []
    assert markdown_limits(lists + "    " * 51 + "- x\n") == [
        Notice(f"too deeply nested (51 levels; at most 50): {NESTED}", 52)]


def test_html_nested_too_deep_is_refused_before_the_sanitiser_sees_it():
    html, state = render("<div>" * 50 + "x" + "</div>" * 50)
    assert state.refused == [] and html.count("<div>") == 50
    html, state = render("<div>" * 51 + "x" + "</div>" * 51)
    assert html == ""
    assert state.refused == [Notice(f"too deeply nested (over 50 levels; at most 50): {NESTED}")]


def test_too_many_lines():
    assert markdown_limits("x\n" * (MAX_LINES - 1)) == []
    assert markdown_limits("x\n" * MAX_LINES) == [
        Notice("too many lines (10001; at most 10000): split the text into several documents")]


def test_a_long_paragraph_full_of_citations_is_not_too_complex():
    # Long for a leaflet: 200 citations and 100 links in one paragraph.
    text = " ".join(f"Claim {i} [@a] and [a link](https://example.org/{i})." for i in range(100)) + "\n"
    text += " ".join("More *text* with _emphasis_ [@b]." for _ in range(100)) + "\n"
    assert markdown_limits(text) == []


BOMBS = {
    "50,000 [": "[" * 50_000,
    "50,000 *": "*" * 50_000,
    "50,000 <": "<" * 50_000,
    "50,000 _": "_" * 50_000,
    "50,000 `": "`" * 50_000,
    "unclosed tags": "<a " * 20_000,
    "unclosed links": "[a](" * 15_000,
    "images": "![" * 25_000,
    "footnote calls": "[^" * 25_000,
    "nested links": "[" * 15_000 + "a" + "](b)" * 15_000,
    "nested emphasis": "*a _b " * 10_000,
    "alternating emphasis": "a*" * 25_000,
    "table columns": "|a" * 25_000 + "\n" + "|-" * 25_000,
    "definitions": "a\n" + ": b\n" * 9_000,
    "long line": "word " * 400_000,
    "one long word": "x" * 2_000_000,
    "entities": "&#" * 100_000,
    "quotes": ">" * 100_000 + " x",
    "lists": "".join(" " * (4 * i) + "- x\n" for i in range(300)),
    "divs": "<div>" * 100_000,
    "paragraphs of [": ("[" * 2_000 + "\n\n") * 200,
    "list items": "- item [@a] *b*\n" * 9_000,
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_constructs_that_make_the_parser_crawl_finish_or_fail_quickly(name):
    started = time.monotonic()
    html, state = render(BOMBS[name])
    assert time.monotonic() - started < 10, name
    assert html or state.refused  # either converted or refused with a reason


# What Python-Markdown replaces one at a time, rewriting the paragraph each time: 160 KB of '\\.' took 20 s.
PUNCTUATION_BOMBS = {
    "backslash escapes": "\\." * 80_000,
    "single quotes": "a'" * 80_000,
    "double quotes": 'a"' * 80_000,
    "dashes": "a--" * 60_000,
    "em dashes": "a---" * 40_000,
    "ellipses": "a..." * 40_000,
    "named entities": "&amp;" * 32_000,
    "numeric entities": "&#38;" * 32_000,
    "mixed": "don't \\* -- &lt; \"quoted\"... " * 5_000,
}


@pytest.mark.parametrize("name", list(PUNCTUATION_BOMBS))
def test_a_paragraph_full_of_punctuation_is_refused_at_its_line_quickly(name):
    text = "# Title\n\nA first paragraph, as it should be.\n\n" + PUNCTUATION_BOMBS[name] + "\n\nThe end.\n"
    started = time.monotonic()
    html, state = render(text)
    assert time.monotonic() - started < 2, name
    length = len(PUNCTUATION_BOMBS[name]) + 1
    assert html == ""
    assert [(n.message.split(" (")[0], n.line) for n in state.refused] == [
        ("this paragraph is too long to convert with so much punctuation", 5)]
    assert state.refused[0].message.startswith(f"this paragraph is too long to convert with so much punctuation "
                                               f"({length} characters, ")
    assert state.refused[0].message.endswith("backslash escapes, quotes, dashes, '...' or &entities;): split it "
                                             "into shorter paragraphs")


def test_the_punctuation_refusal_counts_what_it_names():
    assert markdown_limits("x\n\n" + "\\." * 80_000) == [Notice(
        "this paragraph is too long to convert with so much punctuation (160001 characters, 80000 backslash "
        "escapes, quotes, dashes, '...' or &entities;): split it into shorter paragraphs", line=3)]


def test_punctuation_in_ordinary_prose_is_far_below_the_limit():
    # A long paragraph of dialogue, dashes and entities, as a leaflet might quote a patient.
    paragraph = ("\"I don't know -- it's hard,\" she said... &ndash; \\*not\\* easy; we'd \"try\" again. " * 40)
    html, state = render("\n\n".join([paragraph] * 20))
    assert state.refused == [] and html.count("<p>") == 20


def test_the_article_loader_refuses_a_bomb_with_one_line_quickly(project):
    article = project.topic("t", body="Text [@smith2020] [@jones2021].\n\n" + "[" * 50_000 + "\n")
    from leafpress import load_document
    started = time.monotonic()
    problems = load_document(article)
    assert time.monotonic() - started < 10
    assert [str(p) for p in problems] == [
        "content/t/article.md:18: error: this paragraph is too long and complex to convert (50001 characters, "
        "50000 of them markup such as [ * _ ` | <): split it up, or escape stray characters with a backslash, "
        "as in \\["]
