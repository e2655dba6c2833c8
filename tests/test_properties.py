"""Property-based tests (hypothesis): whatever the input, a valid audited PDF or a clean error, never an exception.

Random front matter and Markdown go through the whole build (load_document,
layout data, Jinja, WeasyPrint, the checks) with ``leafpress.build`` on a
throwaway project. The examples are few and derandomised so the suite stays
fast and repeatable; set ``HYPOTHESIS_EXAMPLES`` to run more, for example
``HYPOTHESIS_EXAMPLES=500 pytest tests/test_properties.py``.
"""

from __future__ import annotations

import itertools
import os
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FRONT_MATTER, ROOT, TestProject, outside_allowlist
from leafpress import build, load_project
from leafpress.cite.references import Reference, format_reference
from leafpress.finish.profiles import PROFILES
from leafpress.finish.verify import audit_pdf, bundled_font_names, verify_pdf
from leafpress.source.markup import CitationState, render_markdown

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "0"))


def few(default: int) -> settings:
    return settings(max_examples=EXAMPLES or default, deadline=None, derandomize=not EXAMPLES, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


SNIPPETS = [
    "[@smith2020]", "[@jones2021; @smith2020]", "[@nokey]", "[@", "[^1]", "\n\n[^1]: A note.\n", "*", "**", "_",
    "`", "```\n", "<", ">", "\n> ", "\n- ", "\n1. ", "\n    ", "\n", "\n\n", "|", "\n| a | b |\n|---|:-:|\n| c | d |\n",
    "\n## Heading\n", "#", "[x](https://example.org)", "[x](other.md)", "[x](file:///etc/passwd)",
    "![alt](missing.png)", "![](x.png)", "<script>alert(1)</script>", "<a href='javascript:x'>j</a>",
    '<img src="file:///etc/passwd" alt="x">', '<img src="data:image/svg+xml,x" alt="x">', "<div>", "</div>", "<b>",
    "&amp;", "&#0;", "&#x1F600;", "\n{: .note onclick=x }\n", "\nTerm\n: definition\n", "\nTable 1. Caption\n",
    "\\", "\t", "é", "—", "😀", "\x00", "\x1b", "<!--", "-->", "<style>p{}</style>", "\n---\n", "<p style='x'>",
    '<link rel="attachment" href="x">', "<iframe>", "<svg><image href='file:///x'/></svg>", "\u202e", "\r\n",
]

markdown_text = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=12)), max_size=30).map("".join)

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20)
    | st.sampled_from(["2026-02-30", "2026-01-15", "no", "1.10", "file:///etc/passwd", "https://example.org",
                       "<script>x</script>", "[@smith2020]", "{{ 7 * 7 }}", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)


@st.composite
def front_matters(draw) -> str:
    """Front matter as YAML text: usually the valid fields with some replaced, dropped or added; sometimes noise."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(alphabet=st.sampled_from(list("ab: -[]{}'\"!&*#|>\n\t%@`,?.\\0123")), max_size=60))
    fields = dict(yaml.safe_load("\n".join(f"{k}: {v}" for k, v in FRONT_MATTER.items())))
    fields = {k: str(v) if k in ("published", "review_date") else v for k, v in fields.items()}
    for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del fields[key]
        else:
            fields[key] = draw(yaml_values)
    fields.update(draw(st.dictionaries(st.sampled_from(["url", "sources", "keywords", "subtitle", "extra",
                                                        "numbered_headings", "readability", "references"]),
                                       yaml_values, max_size=2)))
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    project = TestProject(tmp_path_factory.mktemp("properties"))
    return project, load_project(project.root), itertools.count()


FONTS = bundled_font_names(ROOT / "styles" / "fonts")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def build_one(sandbox, front_matter: str | None, body: str):
    project, loaded, counter = sandbox
    name = f"t{next(counter)}"
    project.topic(name, body=body, front_matter=front_matter)
    results, _ = build(loaded, [project.root / "content" / name], ["article"], out_dir=project.root / "out")
    (result,) = results
    if result.ok:
        data = result.output.read_bytes()
        assert audit_pdf(data) == []
        assert verify_pdf(data, FONTS, PROFILES["screen"]) == []
    else:
        assert any(p.is_error for p in result.problems)
    for problem in result.problems:
        line = str(problem)
        assert not CONTROL.search(line), line
        assert len(line) < 600, line
        assert "could not be converted" not in line, line  # a parser bug, not the author's mistake
    return result


@few(25)
@given(body=markdown_text)
def test_any_markdown_gives_an_audited_pdf_or_a_clean_error(sandbox, body):
    build_one(sandbox, None, body)


@few(25)
@given(front_matter=front_matters())
def test_any_front_matter_gives_an_audited_pdf_or_a_clean_error(sandbox, front_matter):
    build_one(sandbox, front_matter if front_matter.endswith("\n") else front_matter + "\n",
              "Text [@smith2020] [@jones2021].\n")


@few(300)
@given(text=markdown_text)
def test_rendered_html_never_leaves_the_allowlist(text):
    state = CitationState(known=frozenset({"smith2020", "jones2021"}))
    html = render_markdown(text, state)
    assert outside_allowlist(html) == [], html
    assert all("could not be converted" not in n.message for n in state.refused)


csl_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["date-parts", "literal", "raw", "family", "given", "suffix", "non-dropping-particle"]),
        children, max_size=3),
    max_leaves=10)


@few(300)
@given(csl=st.dictionaries(st.sampled_from(["type", "title", "author", "editor", "issued", "page", "volume", "issue",
                                            "DOI", "PMID", "URL", "container-title", "container-title-short",
                                            "publisher", "publisher-place", "edition"]), csl_values, max_size=8),
       kind=st.sampled_from(["article-journal", "book", "chapter", "webpage", "report", "other"]))
def test_any_csl_entry_formats_without_an_exception(csl, kind):
    html = format_reference(Reference("key", 1, {"type": kind, **csl}))
    assert all(re.match(r"https?://", href) for href in re.findall(r'href="([^"]*)"', html)), html
