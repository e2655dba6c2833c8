"""Template safety: escaping in HTML and CSS, strict templates, and a Spanish build."""

from __future__ import annotations

import re

import jinja2
import pikepdf
import pytest
from markupsafe import Markup

from conftest import TestProject, pdf_text
from leafpress import LAYOUTS, Document, build, load_document, load_project
from leafpress.render.html import render_html
from leafpress.render.jinja import css_string, make_environment

# --- css_string ----------------------------------------------------------------

def test_css_string_escapes_a_double_quote():
    value = css_string('a"b')
    assert isinstance(value, Markup)
    assert str(value) == '"a\\22 b"'


@pytest.mark.parametrize("raw, quoted", [
    ("plain text", '"plain text"'),
    ("back\\slash", '"back\\5c slash"'),
    ("two\nlines", '"two\\a lines"'),
    ("cr\rlf", '"cr\\d lf"'),
    ("tab\there", '"tab\\9 here"'),
    ("A & B", '"A \\26  B"'),
    ("Clínica", '"Clínica"'),
    ("</style>", '"\\3c /style\\3e "'),
])
def test_css_string_exact_escapes(raw, quoted):
    assert str(css_string(raw)) == quoted


def test_css_string_cannot_close_the_style_element():
    value = str(css_string("</style><script>alert(1)</script>"))
    assert "<" not in value and ">" not in value
    assert value.startswith('"') and value.endswith('"') and value.count('"') == 2


def test_css_string_is_not_escaped_again_by_autoescape(tmp_path):
    (tmp_path / "s.css.j2").write_text("--x: {{ v|css_string }};")
    rendered = make_environment(tmp_path).get_template("s.css.j2").render(v='say "hi" & <go>')
    assert rendered == '--x: "say \\22 hi\\22  \\26  \\3c go\\3e ";'


# --- the Jinja2 environment -----------------------------------------------------

def test_autoescape_applies_to_any_file_name(tmp_path):
    (tmp_path / "x.txt").write_text("{{ v }}")
    (tmp_path / "noext").write_text("[{{ v }}]")
    env = make_environment(tmp_path)
    assert env.get_template("x.txt").render(v="<b>") == "&lt;b&gt;"
    assert env.get_template("noext").render(v='"&"') == "[&#34;&amp;&#34;]"


def test_undefined_variables_are_errors(tmp_path):
    (tmp_path / "x.txt").write_text("before {{ missing }} after")
    (tmp_path / "y.txt").write_text("{{ meta.nothing }}")
    env = make_environment(tmp_path)
    with pytest.raises(jinja2.UndefinedError, match="'missing' is undefined"):
        env.get_template("x.txt").render()
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("y.txt").render(meta={})


# --- end to end ----------------------------------------------------------------

HOSTILE_TITLE = "<script>alert(1)</script> & co"
HOSTILE_SHORT_TITLE = '</style><script>x" \\ y'
BODY = "Text [@smith2020] [@jones2021].\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of a hostile-title topic and a Spanish topic."""
    project = TestProject(tmp_path_factory.mktemp("render-project"))
    hostile = project.topic("hostile", body=BODY, title='"<script>alert(1)</script> & co"',
                            short_title="'</style><script>x\" \\ y'")
    spanish = project.topic("spanish", body="Texto [@smith2020] [@jones2021].\n", language="es")
    loaded = load_project(project.root)
    results, _ = build(loaded, [hostile.parent, spanish.parent], out_dir=project.root / "out")
    by_topic = {r.target.topic: r for r in results}
    for result in by_topic.values():
        assert result.ok, [str(p) for p in result.problems]
    return loaded, {"hostile": hostile, "spanish": spanish}, by_topic


@pytest.fixture(scope="module")
def hostile_html(built) -> str:
    project, articles, _ = built
    document = load_document(articles["hostile"])
    assert isinstance(document, Document)
    assert document.meta.title == HOSTILE_TITLE
    assert document.meta.short_title == HOSTILE_SHORT_TITLE
    return render_html(make_environment(project.templates_dir), LAYOUTS["article"], document, project)


def test_hostile_title_is_escaped_in_the_html(hostile_html):
    assert "<script>" not in hostile_html.lower()
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in hostile_html
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</h1>" in hostile_html


def test_hostile_short_title_stays_inside_the_style_element(hostile_html):
    assert hostile_html.count("</style>") == 1
    assert hostile_html.count("<style>") == 1
    style = hostile_html[hostile_html.index("<style>"):hostile_html.index("</style>")]
    assert '--running-title: "\\3c /style\\3e \\3c script\\3e x\\22  \\5c  y";' in style


def test_hostile_title_is_the_literal_pdf_title(built):
    _, _, results = built
    with pikepdf.open(results["hostile"].output) as pdf:
        assert str(pdf.docinfo["/Title"]) == HOSTILE_TITLE
        with pdf.open_outline() as outline:
            assert [item.title for item in outline.root] == [HOSTILE_TITLE]
    assert HOSTILE_TITLE in pdf_text(results["hostile"].output)


@pytest.fixture(scope="module")
def spanish_text(built) -> str:
    _, _, results = built
    return re.sub(r"[ \t]+", " ", pdf_text(results["spanish"].output))


def test_spanish_build_is_named_for_its_language(built):
    _, _, results = built
    assert results["spanish"].output.name == "article.es.pdf"
    assert results["spanish"].pages == 1


def test_spanish_pdf_labels_and_long_dates(spanish_text):
    for fact in ("Página 1 de 1", "Próxima revisión", "15 de enero de 2026", "15 de enero de 2027",
                 "Bibliografía", "Control del documento", "Versión 1.0", "PARA PROFESIONALES SANITARIOS"):
        assert fact in spanish_text, fact
    for english in ("Page 1 of", "Next review", "References", "15 January 2026", "Document control"):
        assert english not in spanish_text, english


def test_spanish_pdf_language_is_es(built):
    _, _, results = built
    with pikepdf.open(results["spanish"].output) as pdf:
        assert str(pdf.Root.Lang) == "es"
    with pikepdf.open(results["hostile"].output) as pdf:
        assert str(pdf.Root.Lang) == "en"


# --- typesetting ---------------------------------------------------------------

def test_a_weasyprint_warning_is_reported_once_when_the_document_is_laid_out_again():
    """A table too wide for its page makes the document be laid out twice; its warnings are not doubled.
    (Test fixture, not medical content.)"""
    from pathlib import Path

    from leafpress.project.theme import find_theme
    from leafpress.typeset.engine import typeset

    styles = find_theme().styles_dir
    cells = "".join(f"<td>Unbreakablewordunbreakablewordunbreakableword{i}</td>" for i in range(12))
    html = f'<html lang="en"><body><p style="colour: red">x</p><table><tr>{cells}</tr></table></body></html>'
    pages = typeset(html, Path.cwd(), (styles / "fonts/fonts.css", styles / "base.css"), (styles,))
    assert pages.warnings.count("Ignored `colour: red` at 1:1, unknown property.") == 1
