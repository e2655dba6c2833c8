"""How many authors a Vancouver entry names before "et al." ('reference_authors').

The references are test fixtures, not real sources.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import errors, pdf_text, run
from leafpress import Document, load_project
from leafpress.pipeline import Session

EIGHT = [{"family": name, "given": "A"} for name in ("Ash", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Gum", "Hazel")]
REFERENCES = json.dumps([{"id": "many", "type": "article-journal", "title": "A trial with eight authors",
                          "author": EIGHT, "container-title": "J Test", "issued": {"date-parts": [[2020]]},
                          "volume": "1", "page": "1-9", "DOI": "10.1000/many"}])
SIX = "Ash A, Birch A, Cedar A, Dogwood A, Elm A, Fir A, et al. A trial with eight authors."
ALL = "Ash A, Birch A, Cedar A, Dogwood A, Elm A, Fir A, Gum A, Hazel A. A trial with eight authors."
THREE = "Ash A, Birch A, Cedar A, et al. A trial with eight authors."


def entry(project, article) -> str:
    document = Session(load_project(project.root), project.root / "output").load(article, "t")
    assert isinstance(document, Document), [str(p) for p in document]
    return re.sub(r"<[^>]+>", "", str(document.bibliography[0].html))


def set_project(project, line: str) -> None:
    with (project.root / "leafpress.yaml").open("a", encoding="utf-8") as config:
        config.write(line)


def test_six_then_et_al_by_default(project):
    article = project.topic("t", body="Cited [@many].\n", references=REFERENCES)
    assert entry(project, article).startswith(SIX)


def test_the_project_can_list_every_author_and_the_pdf_shows_them(project):
    set_project(project, "reference_authors: all\n")
    article = project.topic("t", body="Cited [@many].\n", references=REFERENCES)
    assert entry(project, article).startswith(ALL)
    code, _, stderr = run("build", "--layout", "article")
    assert code == 0 and not errors(stderr), stderr
    (pdf,) = (project.root / "output" / "t").glob("article*.pdf")
    assert ALL in " ".join(pdf_text(pdf).split())


def test_a_document_overrides_the_project(project):
    set_project(project, "reference_authors: all\n")
    article = project.topic("t", body="Cited [@many].\n", references=REFERENCES, reference_authors="3")
    assert entry(project, article).startswith(THREE)


MESSAGE = ("'reference_authors' must be how many authors to name before 'et al.' (a number from 1 to 100) or "
           "'all', not {}")


@pytest.mark.parametrize("value, shown", [("0", "'0'"), ("some", "'some'"), ("true", "'True'")])
def test_a_bad_value_in_the_front_matter_is_an_error_at_its_line(project, value, shown):
    article = project.topic("t", body="Cited [@many].\n", references=REFERENCES, reference_authors=value)
    code, stdout, _ = run("check", str(article.parent))
    assert code == 1
    assert f"content/t/article.md:14: error: {MESSAGE.format(shown)}" in errors(stdout), stdout


def test_a_bad_value_in_leafpress_yaml_is_an_error_at_its_line(project):
    set_project(project, "reference_authors: 0\n")
    lines = (project.root / "leafpress.yaml").read_text(encoding="utf-8").splitlines()
    project.topic("t", body="Cited [@many].\n", references=REFERENCES)
    code, stdout, stderr = run("check")
    assert code == 1
    assert f"leafpress.yaml:{len(lines)}: error: {MESSAGE.format(repr('0'))}" in errors(stdout + stderr), stdout
