"""Translations kept in step (issue 17): 'translation_of', `leafpress translated`, and what check and build say.

The fixtures are small neutral texts, not medical content: a source in English and its "translation" with
the same structure, whose words only need to be different.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leafpress.commands.cli import main
from leafpress.errors import Level
from leafpress.source.document import load_source
from leafpress.source.translations import translation_problems

EN = """\
A short opening text for the test. It says very little.

## First part

Plain words are here.

- one
- two
- three

## Second part

| Name | Size |
| ---- | ---- |
| a    | 1    |
| b    | 2    |

!!! note "A note"
    Some words in a box.

## Third part

More plain words.[^1]

[^1]: A note at the foot.
"""

ES = """\
Un texto corto de apertura para la prueba. Dice muy poco.

## Primera parte

Aquí hay palabras sencillas.

- uno
- dos
- tres

## Segunda parte

| Nombre | Tamaño |
| ------ | ------ |
| a      | 1      |
| b      | 2      |

!!! note "Una nota"
    Unas palabras en un recuadro.

## Tercera parte

Más palabras sencillas.[^1]

[^1]: Una nota al pie.
"""


def front_matter(language: str, title: str, version: str = '"1.0"', extra: str = "") -> str:
    return (f"---\ntitle: {title}\nshort_title: {title}\nlanguage: {language}\naudience: patients\n"
            "authors: [{name: Ana Test}]\nreviewers: [{name: Test Clinic}]\npublisher: Test Clinic\n"
            f"version: {version}\npublished: 2026-01-15\nreview_date: 2027-01-15\n{extra}---\n\n")


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


def pair(project, en: str = EN, es: str = ES) -> tuple[Path, Path]:
    folder = project.root / "content" / "t"
    folder.mkdir(parents=True)
    (folder / "references.json").write_text("[]\n", encoding="utf-8")
    (folder / "patient.en.md").write_text(front_matter("en", "A test leaflet") + en, encoding="utf-8")
    (folder / "patient.es.md").write_text(front_matter("es", "Un folleto de prueba") + es, encoding="utf-8")
    return folder / "patient.en.md", folder / "patient.es.md"


def marked(project, en: str = EN, es: str = ES) -> tuple[Path, Path]:
    source, translation = pair(project, en, es)
    assert run("translated", "content/t/patient.es.md").exit_code == 0
    return source, translation


def line_of(path: Path, start: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(start))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def translation_lines(output: str) -> list[str]:
    """What check or build said about the translation: its lines about patient.es.md, but its own warnings."""
    return [line for line in output.splitlines()
            if line.startswith("content/t/patient.es.md:") and "readability" not in line]


def checked(project) -> list[str]:
    result = run("check", "-q", "--today", "2026-02-01", "content/t")
    return translation_lines(result.stdout)


RECORD = "run 'leafpress translated content/t/patient.es.md' to record it"


def changed_at_the_same_version(translation: Path) -> str:
    """The warning when patient.en.md's text changed since it was translated but its version (1.0) did not."""
    return (f"content/t/patient.es.md:{line_of(translation, '  fingerprint:')}: warning: patient.en.md has changed "
            f"since patient.es.md was translated from it, without a new version (still 1.0): update the "
            f"translation, then {RECORD}")


# --- recording -----------------------------------------------------------------------------

def test_marking_writes_the_record_and_keeps_the_rest_byte_for_byte(project):
    _, translation = pair(project)
    before = translation.read_bytes()
    result = run("translated", "content/t/patient.es.md")
    assert result.exit_code == 0, result.stderr
    after = translation.read_bytes()
    # Inserted before the closing '---' of the front matter; not a byte elsewhere changes.
    head, tail = before.split(b"---\n\n", 1)[0], b"---\n\n" + before.split(b"---\n\n", 1)[1]
    assert after.startswith(head) and after.endswith(tail)
    block = after[len(head):-len(tail)].decode()
    found = re.fullmatch(r'translation_of:\n  source: "patient.en.md"\n  version: "1.0"\n'
                         r'  fingerprint: "([0-9a-f]{12})"\n  outline: "(h2:[0-9a-f]{6}) (h2:[0-9a-f]{6}) '
                         r'(h2:[0-9a-f]{6})"\n', block)
    assert found, block
    assert len(set(found.groups()[1:])) == 3  # three different headings
    assert result.stdout == (f"content/t/patient.es.md:12: recorded: translated from patient.en.md, version 1.0, "
                             f"text {found.group(1)}, 3 headings\n")
    assert result.stderr == ""  # the two match in structure: nothing to look at
    # Marking again with nothing changed writes the same bytes; check has nothing to say.
    assert run("translated", "content/t/patient.es.md").exit_code == 0
    assert translation.read_bytes() == after
    assert checked(project) == []


def test_marking_again_replaces_only_the_record_in_a_crlf_file(project):
    source, translation = marked(project)
    text = translation.read_bytes().replace(b"\n", b"\r\n")
    text = text.replace(b"translation_of:", b"# kept\r\ntranslation_of:")
    text = text.replace(b"---\r\n\r\n", b"keywords: []\r\n---\r\n\r\n")  # a field after the record
    translation.write_bytes(text)
    edit(source, 'version: "1.0"', 'version: "2.0"')
    assert run("translated", "content/t/patient.es.md").exit_code == 0
    after = translation.read_bytes()
    assert after == text.replace(b'version: "1.0"\r\n  fingerprint', b'version: "2.0"\r\n  fingerprint')
    assert checked(project) == []


def test_marking_a_file_whose_source_cannot_be_told(project):
    _, translation = pair(project)
    translation.rename(translation.with_name("leaflet.md"))
    result = run("translated", "content/t/leaflet.md")
    assert result.exit_code == 1
    assert "content/t/leaflet.md: error: cannot tell which file this translates: name it with --from, such as " \
           "--from patient.en.md" in result.stderr
    assert run("translated", "content/t/leaflet.md", "--from", "content/t/patient.en.md").exit_code == 0


def test_marking_from_a_link_loop_is_an_error_not_a_traceback(project):
    _, translation = pair(project)
    loop = translation.with_name("loop.md")
    loop.symlink_to(loop.name)  # a link to itself
    result = run("translated", "content/t/patient.es.md", "--from", "content/t/loop.md")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("content/t/patient.es.md: error: content/t/loop.md is not a file in "
                                             "content/t: a translation and its source are in the same topic folder")


# --- the source changed since ------------------------------------------------------------------

def test_version_bumped(project):
    source, translation = marked(project)
    edit(source, 'version: "1.0"', 'version: "1.2"')
    edit(source, "It says very little.", "It says little.")
    assert checked(project) == [
        f"content/t/patient.es.md:{line_of(translation, '  version:')}: warning: patient.en.md is at version 1.2; "
        f"patient.es.md was translated from 1.0: update the translation, then {RECORD}"]


def test_version_bumped_with_the_same_text(project):
    source, translation = marked(project)
    edit(source, 'version: "1.0"', 'version: "1.1"')
    assert checked(project) == [
        f"content/t/patient.es.md:{line_of(translation, '  version:')}: warning: patient.en.md is at version 1.1; "
        "patient.es.md was translated from 1.0, but its text is the same: run 'leafpress translated "
        "content/t/patient.es.md' to record the new version"]


def test_text_edited_without_a_new_version(project):
    source, translation = marked(project)
    edit(source, "Plain words are here.", "Plain words are here, and more.")
    assert checked(project) == [changed_at_the_same_version(translation)]


def test_heading_added(project):
    source, translation = marked(project)
    edit(source, "## Third part", "## A new part\n\nNew words.\n\n## Third part")
    assert checked(project) == [
        changed_at_the_same_version(translation),
        # Said once: not again as a section with no counterpart.
        f"content/t/patient.es.md:{line_of(translation, '  outline:')}: warning: a heading was added to "
        f"patient.en.md since patient.es.md was translated: 'A new part' (patient.en.md:{line_of(source, '## A new')}"
        "): translate that section"]


def test_heading_removed(project):
    source, translation = marked(project)
    edit(source, "## Third part\n\nMore plain words.[^1]\n\n[^1]: A note at the foot.\n", "")
    assert checked(project) == [
        changed_at_the_same_version(translation),
        f"content/t/patient.es.md:{line_of(translation, '## Tercera')}: warning: a heading was removed from "
        "patient.en.md since patient.es.md was translated: the one translated as 'Tercera parte': remove that "
        "section too, or check the source"]


def test_heading_reworded(project):
    source, translation = marked(project)
    edit(source, "## Second part", "## The second part")
    problems = checked(project)
    assert problems[1] == (
        f"content/t/patient.es.md:{line_of(translation, '## Segunda')}: warning: a heading of patient.en.md was "
        f"reworded since patient.es.md was translated: it is now 'The second part' (patient.en.md:"
        f"{line_of(source, '## The second')}): check the translation of this heading and its section")
    assert len(problems) == 2


@pytest.mark.parametrize("named", ["patient.fr.md", "../u/patient.en.md", "patient.es.md", "link.md"])
def test_source_missing(project, named):
    source, translation = marked(project)
    (project.root / "content" / "u").mkdir()
    (project.root / "content" / "u" / "patient.en.md").write_bytes(source.read_bytes())
    (source.parent / "link.md").symlink_to(project.root / "content" / "u" / "patient.en.md")
    edit(translation, 'source: "patient.en.md"', f'source: "{named}"')
    assert checked(project) == [
        f"content/t/patient.es.md:{line_of(translation, '  source:')}: warning: 'translation_of' names "
        f"'{named}', which is not another file in this topic folder: correct 'source', or remove "
        "'translation_of' if patient.es.md is no longer a translation"]


def test_a_record_not_as_leafpress_writes_it(project):
    _, translation = marked(project)
    edit(translation, "  fingerprint: \"", "  fingerprint: \"x")
    result = run("check", "-q", "--today", "2026-02-01", "content/t")
    line = line_of(translation, "  fingerprint:")
    assert re.search(rf"content/t/patient.es.md:{line}: error: 'translation_of.fingerprint' is not as 'leafpress "
                     r"translated' writes it \('x[0-9a-f]{12}'\): run 'leafpress translated' on this file again "
                     "to record it", result.stdout), result.stdout


def test_strict_build_refuses_a_stale_translation_but_not_a_structure_difference(project):
    source, translation = marked(project, es=ES.replace("- tres\n", ""))
    edit(source, "Plain words are here.", "Other plain words.")
    loaded, _ = load_source(translation)
    assert loaded is not None
    for strict, stale in ((False, Level.WARNING), (True, Level.ERROR)):
        found = translation_problems(translation, loaded.meta, loaded.yaml, loaded.body, loaded.body_first_line,
                                     strict)
        assert [p.level for p in found] == [stale, Level.WARNING]
        assert found[1].message.startswith("this list has 2 items")


# --- the two differ in structure now ---------------------------------------------------------

def test_structure_differs(project):
    short = (ES.replace("- tres\n", "")
             .replace("| b      | 2      |\n", "")
             .replace("## Tercera parte\n\nMás palabras sencillas.[^1]\n\n[^1]: Una nota al pie.\n", ""))
    source, translation = marked(project, es=short)
    assert checked(project) == [
        f"content/t/patient.es.md:{line_of(translation, '- uno')}: warning: this list has 2 items and its "
        f"counterpart in patient.en.md (patient.en.md:{line_of(source, '- one')}) has 3: a translation keeps "
        "every item",
        f"content/t/patient.es.md:{line_of(translation, '## Segunda')}: warning: the section 'Third part' of "
        f"patient.en.md (patient.en.md:{line_of(source, '## Third')}) has no counterpart in patient.es.md: "
        "translate it (it comes after the section 'Segunda parte')",
        f"content/t/patient.es.md:{line_of(translation, '| Nombre')}: warning: this table has 1 row and its "
        f"counterpart in patient.en.md (patient.en.md:{line_of(source, '| Name')}) has 2: a translation keeps "
        "every row"]


def test_structure_differs_in_callouts_figures_and_columns(project):
    other = (ES.replace('!!! note "Una nota"\n    Unas palabras en un recuadro.\n', "Unas palabras.\n")
             .replace("| Nombre | Tamaño |\n| ------ | ------ |\n| a      | 1      |\n| b      | 2      |",
                      "| Nombre |\n| ------ |\n| a      |\n| b      |"))
    source, translation = marked(project, es=other)
    segunda, second = line_of(translation, "## Segunda"), line_of(source, "## Second")
    assert checked(project) == [
        f"content/t/patient.es.md:{segunda}: warning: the section 'Segunda parte' has 0 callouts and its "
        f"counterpart in patient.en.md (patient.en.md:{second}) has 1: a translation keeps every callout",
        f"content/t/patient.es.md:{line_of(translation, '| Nombre')}: warning: this table has 1 column and its "
        f"counterpart in patient.en.md (patient.en.md:{line_of(source, '| Name')}) has 2: a translation keeps "
        "every column"]


def test_no_record_no_translation_check(project):
    # Without 'translation_of', leafpress cannot tell a translation from a text written side by side:
    # nothing is said, even when the two differ.
    pair(project, es=ES.replace("- tres\n", ""))
    assert checked(project) == []


# --- leafpress new, and check and build saying the same ---------------------------------------

def test_new_writes_the_spanish_leaflet_in_spanish_as_a_translation(project):
    assert run("new", "knee", "--title", "Knee test").exit_code == 0
    folder = project.root / "content" / "knee"
    spanish = (folder / "patient.es.md").read_text(encoding="utf-8")
    assert 'title: "Traduzca el título: Knee test"' in spanish
    assert 'summary: "Una frase que diga de qué trata este folleto."' in spanish
    assert "# Título en la portada y en los metadatos del PDF." in spanish
    assert "# Idioma de este documento: en o es." in spanish
    assert "## ¿Qué riesgos tiene?" in spanish and "Title on the cover" not in spanish
    assert re.search(r'translation_of:\n  source: "patient.en.md"\n  version: "0.1"\n', spanish)
    english = (folder / "patient.en.md").read_text(encoding="utf-8")
    assert 'title: "Knee test"' in english and "translation_of" not in english
    result = run("check", "-q", "content/knee")
    # The placeholder title is example text; the fresh translation is up to date with its source.
    assert "content/knee/patient.es.md:3: warning: still has the example text from 'leafpress new': replace it" \
        in result.stdout.splitlines()
    assert "translated" not in result.stdout and "counterpart" not in result.stdout
    # Once the English is written, the Spanish is stale.
    edit(folder / "patient.en.md", "## What is it?", "## What is it, and why?")
    result = run("check", "-q", "content/knee")
    assert "content/knee/patient.es.md:38: warning: patient.en.md has changed since patient.es.md was " \
           "translated from it" in result.stdout

    assert run("new", "hip", "--title", "Hip test", "--title-es", "Prueba de cadera").exit_code == 0
    spanish = (project.root / "content" / "hip" / "patient.es.md").read_text(encoding="utf-8")
    assert 'title: "Prueba de cadera"' in spanish
    assert "still has the example text" not in run("check", "-q", "content/hip/patient.es.md").stdout.split(
        "patient.es.md:3:")[-1][:40]


def printable(text: str) -> str:
    """The text without its table and footnote, which a patient leaflet prints smaller than its minimum size."""
    return re.sub(r"^\|.*\n|^\[\^1\]:.*\n|\[\^1\]", "", text, flags=re.M)


def test_check_and_build_give_the_same_translation_warnings(project):
    source, _ = marked(project, en=printable(EN), es=printable(ES).replace("- tres\n", ""))
    edit(source, 'version: "1.0"', 'version: "1.2"')
    edit(source, "Plain words are here.", "Other plain words.")
    from_check = checked(project)
    assert len(from_check) == 2
    built = run("build", "-q", "--layout", "patient", "content/t")
    assert built.exit_code == 0, built.stderr  # warnings do not stop a build
    assert translation_lines(built.stderr) == from_check
    # The English is an input of the Spanish target: edited again, the Spanish is rebuilt, and warned about.
    edit(source, "Other plain words.", "Yet other plain words.")
    strict = run("build", "-q", "--strict", "--layout", "patient", "content/t")
    assert strict.exit_code == 1
    assert translation_lines(strict.stderr) == [from_check[0].replace(": warning: ", ": error: "), from_check[1]]
