"""Fuzzing the whole pipeline short of WeasyPrint: whatever the input, no exception escapes.

Random and mutated HTML blocks, Markdown, YAML data files, CSL-JSON and
roster rows go through ``render_target`` (load, cite, layout data, Jinja,
the glyph check) via one :class:`Session` per example, and through
``check_topics``; each problem must be one printable line. Typesetting is
left to tests/test_properties.py and the corpora (tests/test_corpus.py):
it is what makes examples slow, and these budgets keep the file under
about 20 s. Set ``HYPOTHESIS_EXAMPLES`` to run more, and randomly.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CPD, EVIDENCE, SUMMARY, TestProject
from leafpress.errors import LeafpressError
from leafpress.pipeline import Session, plan, render_target, settings_for
from leafpress.project.config import load_project
from leafpress.source.checks import check_topics

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "0"))
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def budget(default: int) -> settings:
    return settings(max_examples=EXAMPLES or default, deadline=None, derandomize=not EXAMPLES, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    project = TestProject(tmp_path_factory.mktemp("fuzz"))
    return project, itertools.count()


def one_line_each(problems) -> None:
    for problem in problems:
        line = str(problem)
        assert "\n" not in line and not CONTROL.search(line), line
        assert len(line) < 800, line
        assert "Traceback" not in line, line


def through_the_pipeline(sandbox, layouts: list[str], body: str = "Text [@smith2020] and [@jones2021].\n",
                         references: str | None = None, files: dict[str, str] | None = None) -> list[str]:
    """A fresh topic through render_target in every layout given, then through check; every problem line."""
    from conftest import REFERENCES

    project, counter = sandbox
    name = f"f{next(counter)}"
    article = project.topic(name, body="", references=REFERENCES if references is None else references)
    # Written as bytes may hold them: lone surrogates as the invalid UTF-8 they encode to.
    article.write_text(article.read_text(encoding="utf-8") + body, encoding="utf-8", errors="surrogatepass")
    for file, text in (files or {}).items():
        (article.parent / file).write_text(text, encoding="utf-8", errors="surrogatepass")
    loaded = load_project(project.root)
    targets = plan(loaded, [article.parent], layouts, settings_for(loaded))
    session = Session(loaded, project.root / "out")
    lines = []
    for target in targets:
        rendered = render_target(session, target)
        assert rendered.html is not None or any(p.is_error for p in rendered.problems)
        one_line_each(rendered.problems)
        lines += [str(p) for p in rendered.problems]
    for topic in check_topics(loaded, [article.parent], datetime.date(2026, 6, 1)):
        one_line_each(topic.problems)
    return lines


# --- HTML blocks and Markdown ---------------------------------------------------------------

HTML_PIECES = ["<div>", "</div>", "<![ ]>", "<![", "]]>", "<![CDATA[x]]>", "<!x>", "<!>", "<!--", "-->", "<?php ?>",
               "<? x", "<!DOCTYPE html>", "<span a=1>", "</span x>", "<p", ">", "<", "&", "&#0;", "&#x110000;",
               "<b>", "</ b>", "<img src=x>", "<a href='javascript:x'>", "<svg><![CDATA[", "<table><tr><td>",
               "\n", "\n\n", " ", "x", "é", "\x00", "\ud800", "<math>", "<style>", "</style>", "<script>"]

html_blocks = st.lists(st.one_of(st.sampled_from(HTML_PIECES), st.text(max_size=6)), min_size=1,
                       max_size=14).map("".join)


@budget(100)
@given(block=html_blocks, prefix=st.sampled_from(["", "Text.\n\n", "<div>\n", "- item\n\n    "]))
def test_any_html_block_renders_or_is_refused_in_one_line(sandbox, block, prefix):
    through_the_pipeline(sandbox, ["article"], body=prefix + block + "\n")


def mutations(seed: str):
    """``seed`` with a few characters inserted, deleted or replaced."""
    @st.composite
    def mutate(draw) -> str:
        text = seed
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            piece = draw(st.sampled_from(HTML_PIECES + ["[@", "]", "*", "`", "|", "\n> ", "{: #x }", "[^1]"]))
            how = draw(st.integers(0, 2))
            text = (text[:at] + piece + text[at:] if how == 0 else text[:at] + text[at + len(piece):] if how == 1
                    else text[:at] + piece + text[at + len(piece):])
        return text
    return mutate()


MARKDOWN_SEED = """\
## Heading {#h}

Text with a citation [@smith2020], a note[^1] and <span class="x">HTML</span>.

<div class="box">
<p>A block of <b>HTML</b>.</p>
</div>

| a | b |
|---|---|
| 1 | 2 |

Table 1. A caption.

[^1]: The note.
"""


@budget(60)
@given(body=mutations(MARKDOWN_SEED))
def test_mutated_markdown_renders_or_fails_in_one_line(sandbox, body):
    through_the_pipeline(sandbox, ["article"], body=body)


# --- data files: YAML, CSL-JSON --------------------------------------------------------------

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                    st.sampled_from([0, 1, -1, 1e-300, 5e-324, 1e300, 0.1, 2.5]))


@st.composite
def forest_plots(draw) -> str:
    measure = draw(st.sampled_from(["OR", "RR", "HR", "MD", "SMD", "RD", "Mean difference", ""]))
    rows = []
    for n in range(draw(st.integers(0, 4))):
        values = sorted(draw(st.lists(numbers, min_size=3, max_size=3)), key=lambda v: (v != v, v))
        low, value, high = draw(st.permutations(values)) if draw(st.booleans()) else values
        rows.append(f"    - label: Row {n}\n      value: {value!r}\n      ci_low: {low!r}\n      ci_high: {high!r}\n")
    text = "".join(rows).replace("nan", ".nan").replace("inf", ".inf")
    extra = draw(st.sampled_from(["", "  axis_min: 0\n", "  axis_max: 1e308\n", "  ratio: true\n", "  ratio: false\n"]))
    return (EVIDENCE.split("forest_plot:")[0] + f"forest_plot:\n  title: T\n  cite: smith2020\n  measure: {measure}\n"
            + extra + "  caption: C.\n  estimates:\n" + text)


@budget(60)
@given(evidence=st.one_of(forest_plots(), mutations(EVIDENCE)), summary=st.one_of(st.just(SUMMARY),
                                                                                  mutations(SUMMARY)))
def test_any_evidence_and_summary_data_render_or_fail_in_one_line(sandbox, evidence, summary):
    through_the_pipeline(sandbox, ["summary"], files={"evidence.yaml": evidence, "summary.yaml": summary})


@budget(30)
@given(cpd=mutations(CPD))
def test_mutated_cpd_data_renders_or_fails_in_one_line(sandbox, cpd):
    through_the_pipeline(sandbox, ["cpd"], files={"evidence.yaml": EVIDENCE, "summary.yaml": SUMMARY, "cpd.yaml": cpd})


csl_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8)
csl_values = st.recursive(st.none() | st.booleans() | numbers | csl_text,
                          lambda children: st.lists(children, max_size=2) | st.dictionaries(
                              st.sampled_from(["date-parts", "literal", "family", "given", "raw"]), children,
                              max_size=2), max_leaves=6)


@budget(60)
@given(entries=st.lists(st.dictionaries(st.sampled_from(["id", "type", "title", "author", "issued", "DOI", "URL",
                                                         "page", "container-title"]), csl_values, max_size=6),
                        max_size=3),
       key=st.sampled_from(["smith2020", "\ud800", "a b", "", "x" * 300, "é"]))
def test_any_csl_json_renders_or_fails_in_one_line(sandbox, entries, key):
    entries = [*entries, {"id": key, "type": "book", "title": "T"}]
    # Lone surrogates written as JSON escapes, as a hostile file would hold them.
    through_the_pipeline(sandbox, ["article"], body=f"Text [@{key}].\n", references=json.dumps(entries))


# --- roster rows ---------------------------------------------------------------------------------

roster_cells = st.one_of(st.text(max_size=12), st.sampled_from(["", "=cmd|' /C calc'!A0", "\ud800", "2026-02-30",
                                                                '"', "a,b", "\r", "\x00", "Ana Test"]))


@budget(50)
@given(rows=st.lists(st.lists(roster_cells, min_size=0, max_size=4), max_size=4),
       header=st.sampled_from(["name", "name,email", "name,date", "", "\ufeffname", "nombre"]))
def test_any_roster_is_read_or_refused_in_one_line(sandbox, rows, header):
    from leafpress.runner import certificates

    project, counter = sandbox
    roster = project.root / f"roster{next(counter)}.csv"
    lines = [header, *(",".join(cell.replace(",", " ") for cell in row) for row in rows)]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    try:
        rows, problems = certificates.read_roster(roster)
    except LeafpressError as exc:  # a roster it cannot use at all: refused with its lines
        one_line_each(exc.problems)
        return
    one_line_each(problems)
    # What a certificate is made of, short of typesetting: numbers and file names, one per attendee.
    attendees = certificates.number_rows(rows, "topic", datetime.date(2027, 3, 10))
    assert len(set(certificates.file_names(attendees))) == len(attendees)
