"""Authoring: `leafpress new` scaffolds a topic that builds; `leafpress check` finds mistakes fast."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from conftest import CPD, SUMMARY, add_data
from leafpress.commands.cli import main


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


def test_new_topic_has_every_field_explained_and_builds_at_once(project):
    result = run("new", "ketamine-depression", "--title", "Ketamine: for depression?", "--lang", "es")
    assert result.exit_code == 0, result.stderr
    folder = project.root / "content" / "ketamine-depression"
    assert sorted(p.name for p in folder.iterdir()) == [
        "article.md", "cpd.yaml.example", "evidence.yaml.example", "patient.en.md", "patient.es.md",
        "references.json", "summary.yaml.example"]
    assert (folder / "references.json").read_text() == "[]\n"
    lines = (folder / "article.md").read_text(encoding="utf-8").splitlines()
    fields = [line.split(":")[0] for line in lines[1:lines.index("---", 1)] if line and not line.startswith("#")]
    assert fields == ["title", "short_title", "subtitle", "language", "audience", "audience_notice", "summary",
                      "authors", "reviewers", "publisher", "version", "published", "review_date", "keywords",
                      "references"]
    for field in fields:  # each field has a comment line above it (dates share one)
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{field}:"))
        assert lines[index - 1].startswith("#") or lines[index - 1].startswith("published:"), field
    assert 'title: "Ketamine: for depression?"' in lines and "language: es" in lines

    built = run("build")
    assert built.exit_code == 0, built.stderr
    outputs = sorted(p.name for p in (project.root / "output" / "ketamine-depression").glob("*.pdf"))
    assert outputs == ["article.es.pdf", "patient-booklet.en.pdf", "patient-booklet.es.pdf",
                       "patient-large-print.en.pdf", "patient-large-print.es.pdf", "patient.en.pdf",
                       "patient.es.pdf"]
    # Warnings say what is still empty.
    assert "content/ketamine-depression/article.md:17: warning: no named author" in built.stderr
    assert "content/ketamine-depression/article.md:19: warning: no reviewer" in built.stderr
    checked = run("check", "content/ketamine-depression")
    assert "warning: still has the example text from 'leafpress new': replace it" in checked.stdout


def test_every_example_sentence_check_looks_for_is_one_new_writes(project):
    # check and build find text left from `leafpress new` by its sentences: each must still be written by it,
    # or a skeleton could reach print without a warning.
    from leafpress.source.checks import SCAFFOLD_MARKERS

    assert run("new", "knee", "--title", "Knee test").exit_code == 0
    assert run("new", "rodilla", "--title", "Prueba de rodilla", "--lang", "es").exit_code == 0
    written = "".join(path.read_text(encoding="utf-8") for path in (project.root / "content").glob("*/*.md"))
    assert [marker for marker in SCAFFOLD_MARKERS if marker not in written] == []
    # The patient cover names its audience once, above the title: no subtitle repeats it.
    english = (project.root / "content" / "knee" / "patient.en.md").read_text(encoding="utf-8")
    assert 'subtitle: ""' in english and "Information for patients" not in english


def test_new_refuses_bad_names_and_existing_topics(project):
    result = run("new", "Bad Name")
    assert result.exit_code == 1
    assert "leafpress: error: topic name 'Bad Name' must be lower-case letters, digits and hyphens, such as " \
           "'ketamine-neuropathic-pain'" in result.stderr
    assert run("new", "fine").exit_code == 0
    again = run("new", "fine")
    assert again.exit_code == 1
    assert "content/fine: error: already exists: choose another name or edit the topic there" in again.stderr


SEEDED = """\
Text with an unknown key [@nobody2020] and a known one [@smith2020].

![](chart.png)

See [the method](#methods) for details.

## Results

More text.
"""


def test_check_lists_seeded_mistakes_with_file_and_line(project):
    article = project.topic("t", body=SEEDED, authors="[]", reviewers="[]", review_date="2026-03-01")
    add_data(article, summary=SUMMARY.replace(
        "key_points:\n", "key_points:\n" + "".join(f"  - {'Words ' * 60}[@smith2020]\n" for _ in range(8))),
        cpd=CPD.replace("answer: Gamma", "answer: Epsilon", 1))
    project.topic("u", review_date="2026-02-20")
    result = run("check", "--today", "2026-02-01")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # leafpress.yaml's warnings first, as a build prints them (the test project has no address).
    assert lines[:2] == ["leafpress.yaml:9: warning: the clinic has no address: add clinic.address", "t:"]
    expected = [
        "content/t/article.md:8: warning: no named author: add the person responsible for the content to "
        "'authors' (the PDF's author will be the publisher, 'Test Clinic')",
        "content/t/article.md:9: warning: no reviewer: add who checked the content to 'reviewers'",
        "content/t/article.md:13: error: the review date 2026-03-01 is 28 days away: plan the review"
        .replace("error", "warning"),
        "content/t/article.md:16: error: unknown reference key 'nobody2020': add it to references.json or fix "
        "the spelling",
        "content/t/article.md:18: error: image 'chart.png' has no alt text: describe it between the brackets, "
        "as in ![what the image shows](chart.png)",
        "content/t/article.md:20: error: the link to '#methods' goes nowhere: no heading or anchor has that id "
        "(heading ids are their text in lower case, with hyphens)",
        "content/t/cpd.yaml:19: error: question 1: the answer 'Epsilon' is not one of its options; copy the "
        "right option's text exactly",
        "content/t/references.json:15: warning: reference 'jones2021' is never cited: cite it as [@jones2021] "
        "or remove it",
    ]
    for line in expected:
        assert line in lines, line
    assert any(re.fullmatch(r"content/t/summary\.yaml:1: warning: the summary's text runs to \d+ words; about 380 "
                            r"fit on 1 page, so it may overflow: shorten the key points, the safety box or the "
                            r"evidence rows, or set 'max_pages: 2' \(leafpress build measures it exactly\)", line)
               for line in lines)
    assert "u:" in lines
    assert "content/u/article.md:13: warning: the review date 2026-02-20 is 19 days away: plan the review" in lines
    past = run("check", "content/u", "--today", "2026-03-01")
    assert "content/u/article.md:13: error: the review date 2026-02-20 has passed: review the content, then " \
           "set a new version, publication date and review date" in past.stdout
    assert re.fullmatch(r"2 topics checked: \d+ errors, \d+ warnings; 0 patient documents scored, 0 below target\.",
                        lines[-1])


def test_check_json_and_strict(project):
    project.topic("t")
    result = run("check", "--format", "json", "--today", "2026-02-01")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["errors"] == 0 and data["warnings"] == 2
    assert data["config"] == [{"path": str(project.root / "leafpress.yaml"), "line": 9, "level": "warning",
                               "message": "the clinic has no address: add clinic.address"}]
    (topic,) = data["topics"]
    assert topic["topic"] == "t"
    assert topic["problems"] == [{"path": str(project.root / "content" / "t" / "references.json"), "line": 15,
                                  "level": "warning",
                                  "message": "reference 'jones2021' is never cited: cite it as [@jones2021] or "
                                             "remove it"}]
    assert run("check", "--strict", "--today", "2026-02-01").exit_code == 1
