"""Layouts as units: a project's own layout with no Python, languages checked, the booklet from the same run.

The wallet-card layout below is test content made for these tests, not medical advice.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest

import leafpress.typeset.engine
from conftest import FRONT_MATTER, ROOT, errors, pdf_text, run
from leafpress import build, load_project, plan
from leafpress.pipeline import Session, build_target

CARD_LAYOUT = """
layouts:
  card:
    description: a wallet card with the clinic's contact details
    source: card.*.md
    template: card.html.j2
    stylesheets: [fonts/fonts.css, base.css, card.css]
    page_size: A6 landscape
    audience: patients
    max_pages: 1
    min_text_pt: 9
"""

CARD_TEMPLATE = """{% extends "base.html.j2" %}
{% block content %}
<h1>{{ meta.title }}</h1>
<main class="body">{{ body }}</main>
<p class="clinic">{{ clinic.name }}</p>
{% endblock %}
"""

CARD_CSS = """@page { margin: 8mm; }
body { font-family: "Atkinson Hyperlegible"; font-size: 11pt; }
h1 { font-size: 14pt; color: var(--primary); }
"""


def card_project(root: Path, css: str = CARD_CSS, body: str = "Bring this card to every visit.\n") -> Path:
    """A project of its own (no copy of the theme) that declares a card layout."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "leafpress.yaml").write_text((ROOT / "leafpress.yaml").read_text(encoding="utf-8") + CARD_LAYOUT,
                                         encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "card.html.j2").write_text(CARD_TEMPLATE, encoding="utf-8")
    (root / "styles").mkdir()
    (root / "styles" / "card.css").write_text(css, encoding="utf-8")
    topic = root / "content" / "card-topic"
    topic.mkdir(parents=True)
    fields = {**FRONT_MATTER, "audience": "patients", "title": "Your clinic card", "short_title": "Card"}
    front = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (topic / "card.en.md").write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    (topic / "references.json").write_text("[]\n", encoding="utf-8")
    return topic


def page_size_mm(pdf: Path) -> tuple[int, int]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    return round(width * 25.4 / 72), round(height * 25.4 / 72)


def test_a_project_declares_a_layout_and_builds_it_with_no_python(tmp_path, monkeypatch):
    card_project(tmp_path / "clinic")
    monkeypatch.chdir(tmp_path / "clinic")
    code, out, err = run("build")
    assert code == 0, err
    assert "built  card-topic/card.en -> output/card-topic/card.en.pdf (1 page," in out
    pdf = tmp_path / "clinic" / "output" / "card-topic" / "card.en.pdf"
    assert page_size_mm(pdf) == (148, 105)  # A6 landscape, from page_size in leafpress.yaml
    text = pdf_text(pdf)
    assert "Your clinic card" in text and "Bring this card to every visit." in text
    assert "Clínica Synaptica" in text  # the clinic from leafpress.yaml, through the theme's base template


def test_a_declared_layout_is_held_to_its_page_limit_and_smallest_text(tmp_path, monkeypatch):
    card_project(tmp_path / "clinic", css=CARD_CSS + ".clinic { font-size: 6pt; }\n",
                 body="Bring this card to every visit.\n\n" * 60)
    monkeypatch.chdir(tmp_path / "clinic")
    code, _, err = run("build")
    assert code == 1
    found = errors(err)
    assert any(line.startswith("content/card-topic/card.en.md: error: the card of 'card-topic' takes ")
               and "pages, over its limit of 1 page by" in line for line in found), found
    assert ("content/card-topic/card.en.md: error: the card layout prints 'Clínica Synaptica' at 6.0 pt, below its "
            "minimum of 9 pt: make that text larger in the layout's stylesheets") in found


@pytest.mark.parametrize("name, message", [
    ("article", "leafpress.yaml:{line}: error: layout 'article' is built in: give your layout another name"),
    ("Wallet Card", "leafpress.yaml:{line}: error: layout name 'Wallet Card' must be lower-case letters, digits "
                    "and hyphens, starting with a letter, such as 'poster' or 'clinic-card'"),
])
def test_a_declared_layout_needs_a_name_of_its_own(tmp_path, monkeypatch, name, message):
    card_project(tmp_path / "clinic")
    config = tmp_path / "clinic" / "leafpress.yaml"
    text = config.read_text(encoding="utf-8").replace("  card:\n", f"  {name}:\n")
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index(f"  {name}:") + 1
    monkeypatch.chdir(tmp_path / "clinic")
    code, _, err = run("build")
    assert code == 1 and message.format(line=line) in errors(err)


def spanish_file_in_english(project) -> int:
    """A topic whose patient.es.md says 'language: en'; the line of 'language'."""
    article = project.topic("t")
    fields = {**FRONT_MATTER, "audience": "patients", "language": "en"}
    front = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (article.parent / "patient.es.md").write_text(f"---\n{front}---\n\nTexto sencillo.\n", encoding="utf-8")
    return front.splitlines().index("language: en") + 2


def test_a_patient_file_whose_name_and_language_disagree_fails_at_the_language_line(project):
    line = spanish_file_in_english(project)
    code, out, err = run("build", "--layout", "patient")
    assert code == 1
    assert (f"content/t/patient.es.md:{line}: error: the file name says the language is 'es' but the front matter "
            "says 'language: en': rename the file to 'patient.en.md' or correct 'language'") in errors(err)
    assert "FAILED t/patient.es" in out
    assert not (project.root / "output" / "t" / "patient.en.pdf").exists()


def patient_topic(project) -> Path:
    article = project.topic("t")
    fields = {**FRONT_MATTER, "audience": "patients"}
    front = "".join(f"{key}: {value}\n" for key, value in fields.items())
    body = "".join(f"## Question {n}\n\nShort plain words help you read. You can ask us.\n\n" for n in range(12))
    (article.parent / "patient.en.md").write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return article.parent


def build_counting_typesets(monkeypatch, loaded, out_dir: Path, *targets):
    """Build ``targets`` in one session; their results and how many documents WeasyPrint typeset."""
    typeset_calls = []
    real = leafpress.typeset.engine.typeset
    monkeypatch.setattr(leafpress.typeset.engine, "typeset",
                        lambda *args, **kwargs: typeset_calls.append(1) or real(*args, **kwargs))
    session = Session(loaded, out_dir)
    session.expect(list(targets))
    return [build_target(session, target) for target in targets], typeset_calls


def test_the_booklet_is_imposed_from_the_leaflet_typeset_in_the_same_run(project, monkeypatch):
    patient_topic(project)
    loaded = load_project(project.root)
    leaflet, booklet = plan(loaded, [], ["patient", "patient-booklet"])
    assert booklet.base == leaflet
    results, typeset_calls = build_counting_typesets(monkeypatch, loaded, project.root / "output", leaflet, booklet)
    assert [r.ok for r in results] == [True, True] and len(typeset_calls) == 1
    a5_pages, sheet_sides = results[0].pages, results[1].pages
    assert sheet_sides == -(-a5_pages // 4) * 2


def test_a_booklet_that_cannot_be_imposed_fails_alone(project):
    patient_topic(project)
    # A4 pages do not fit two to an A4 landscape sheet.
    (project.root / "styles" / "patient.css").write_text(
        (ROOT / "styles" / "patient.css").read_text(encoding="utf-8") + "\n@page { size: A4; }\n", encoding="utf-8")
    results, _ = build(load_project(project.root), layouts=["patient", "patient-booklet"])
    by_name = {r.name: r for r in results}
    assert by_name["t/patient.en"].ok
    booklet = by_name["t/patient-booklet.en"]
    assert not booklet.ok
    assert [str(p) for p in booklet.problems if p.is_error] == [
        "content/t/patient.en.md: error: the patient-booklet cannot be imposed: pages of 595 x 842 pt do not fit "
        "two to a 842 x 595 pt sheet"]


def test_no_code_outside_the_layouts_names_a_layout():
    names = ("article", "summary", "cpd", "patient", "patient-large-print", "patient-booklet", "certificate")
    alternatives = "|".join(map(re.escape, names))
    compared = re.compile(rf"""(==|!=|\bin)\s*\(?["']({alternatives})["']""")
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in (ROOT / "leafpress").rglob("*.py") if "layouts" not in path.parts
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if compared.search(line)]
    assert offenders == []


def test_every_layout_is_declared_once_with_what_the_pipeline_needs():
    from leafpress.layouts.registry import BUILT_IN

    assert len({layout.name for layout in BUILT_IN}) == len(BUILT_IN)
    for layout in BUILT_IN:
        assert (ROOT / "templates" / layout.template).is_file(), layout.name
        for sheet in layout.stylesheets:
            assert (ROOT / "styles" / sheet).is_file(), (layout.name, sheet)
        assert textwrap.dedent(layout.description).strip()


@pytest.mark.parametrize("layout, smallest", [("patient", 12.0), ("patient-large-print", 16.0)])
def test_patient_tables_are_printed_at_the_size_the_leaflet_promises(project, layout, smallest):
    from conftest import text_sizes

    topic = patient_topic(project)
    leaflet = topic / "patient.en.md"
    leaflet.write_text(leaflet.read_text(encoding="utf-8") + textwrap.dedent("""
        | When | What to do |
        |---|---|
        | Before the visit | Eat a light meal |
        | After the visit | Rest for the day |
        """), encoding="utf-8")
    results, _ = build(load_project(project.root), layouts=[layout])
    (result,) = results
    assert result.ok, [str(p) for p in result.problems]
    assert "Eat a light meal" in pdf_text(result.output)
    # The running footer is the smaller text of the page; nothing in the body is below the promise.
    body_sizes = [size for size in text_sizes(result.output) if size < smallest]
    assert body_sizes == []


def test_check_reports_a_patient_file_whose_name_and_language_disagree(project):
    line = spanish_file_in_english(project)
    code, out, _ = run("check", "content/t")
    assert code == 1
    assert (f"content/t/patient.es.md:{line}: error: the file name says the language is 'es' but the front matter "
            "says 'language: en': rename the file to 'patient.en.md' or correct 'language'") in out.splitlines()


@pytest.mark.parametrize("front_matter, language", [
    ("title: T\nlanguage: es\n", "es"),
    ("title: T\nlanguage: 'es'  # Spanish\n", "es"),
    ("{title: T, language: es}\n", "es"),  # flow style: read by the YAML parser
    ("title: T\nnotes: |\n  language: es\n", None),  # indented text is not the key
    ("title: T\nlanguage: xx\n", None),  # not a language leafpress has
])
def test_planning_reads_the_language_of_a_file_whose_name_does_not_say_it(tmp_path, front_matter, language):
    from leafpress.source.frontmatter import declared_language

    source = tmp_path / "article.md"
    source.write_text(f"---\n{front_matter}---\n\nText.\n", encoding="utf-8")
    assert declared_language(source) == language


def test_an_article_in_spanish_is_named_for_its_language(project):
    project.topic("t", language="es")
    (target,) = plan(load_project(project.root), [], ["article"])
    assert (target.language, str(target.output)) == ("es", "t/article.es.pdf")


def test_an_error_raised_inside_a_projects_template_is_reported_at_its_line(tmp_path, monkeypatch):
    card_project(tmp_path / "clinic")
    template = tmp_path / "clinic" / "templates" / "card.html.j2"
    template.write_text(CARD_TEMPLATE.replace("{{ meta.title }}", "{{ meta.title / 2 }}"), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "clinic")
    expected = ("templates/card.html.j2:3: error: template error: TypeError: unsupported operand type(s) for /: "
                "'str' and 'int'")
    code, _, err = run("build")
    assert code == 1 and expected in errors(err)
    code, out, _ = run("check")
    assert code == 1 and expected in out.splitlines()


def test_a_topic_given_twice_is_planned_once(project):
    article = project.topic("t")
    targets = plan(load_project(project.root), [article.parent, article], ["article", "article"])
    assert [target.name for target in targets] == ["t/article"]


def test_a_declared_source_is_one_file_or_one_per_language(tmp_path, monkeypatch):
    card_project(tmp_path / "clinic")
    config = tmp_path / "clinic" / "leafpress.yaml"
    text = config.read_text(encoding="utf-8").replace("source: card.*.md", "source: card?.md")
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    source: card?.md") + 1
    monkeypatch.chdir(tmp_path / "clinic")
    code, _, err = run("build")
    assert code == 1 and errors(err) == [
        f"leafpress.yaml:{line}: error: 'layouts.card.source' must be the name of a Markdown file in the topic "
        "folder, such as poster.md or poster.*.md (one per language), not 'card?.md'"]


def test_editing_a_file_a_stylesheet_imports_rebuilds_what_uses_it(tmp_path, monkeypatch):
    card_project(tmp_path / "clinic", css='@import "card-extra.css";\n' + CARD_CSS)
    extra = tmp_path / "clinic" / "styles" / "card-extra.css"
    extra.write_text("h1 { letter-spacing: 0; }\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "clinic")
    assert run("build")[0] == 0
    assert "(up to date)" in run("build", "-v")[1]
    extra.write_text("h1 { letter-spacing: 1pt; }\n", encoding="utf-8")
    code, out, _ = run("build")
    assert code == 0 and "built  card-topic/card.en" in out


def test_a_failed_leaflet_is_not_typeset_again_for_its_booklet(project, monkeypatch):
    patient_topic(project)
    (project.root / "styles" / "patient.css").write_text(
        (ROOT / "styles" / "patient.css").read_text(encoding="utf-8") + "\np { font-size: 9pt !important; }\n",
        encoding="utf-8")
    loaded = load_project(project.root)
    leaflet, booklet = plan(loaded, [], ["patient", "patient-booklet"])
    results, typeset_calls = build_counting_typesets(monkeypatch, loaded, project.root / "output", leaflet, booklet)
    assert [r.ok for r in results] == [False, False] and len(typeset_calls) == 1
    assert "below its minimum of 12 pt" in str(results[1].problems)
