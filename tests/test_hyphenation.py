"""Hyphenation follows the document's language (html lang -> WeasyPrint's Pyphen)."""

from __future__ import annotations

import itertools
import re

import pyphen
import pytest
from click.testing import CliRunner

from conftest import pdf_text
from leafpress.commands.cli import main

TEXT = {
    "en": "Neuropathic pain responds poorly to conventional analgesics, and administration of "
          "ketamine requires monitoring of haemodynamic, hepatic and neuropsychiatric parameters. ",
    "es": "El dolor neuropático responde mal a los analgésicos convencionales, y la administración "
          "de ketamina exige vigilancia hemodinámica, hepática y neuropsiquiátrica continuada. ",
}
DICTIONARY = {"en": "en_GB", "es": "es"}


@pytest.mark.parametrize("language", ["en", "es"])
def test_words_break_only_where_the_language_allows(project, language):
    project.topic("t", language=language, body=TEXT[language] * 40 + "[@smith2020]\n")
    assert CliRunner().invoke(main, ["build"]).exit_code == 0
    text = pdf_text(project.root / "output" / "t" / f"article.{language}.pdf", layout=True)
    lines = text.splitlines()
    breaks = [(a.split()[-1][:-1], b.split()[0]) for a, b in itertools.pairwise(lines)
              if a.endswith("-") and a.split() and b.split() and re.fullmatch(r"\w+-", a.split()[-1])]
    assert len(breaks) >= 3, "justified narrow text should hyphenate some words"
    dictionary = pyphen.Pyphen(lang=DICTIONARY[language])
    for head, tail in breaks:
        word = re.match(r"\w+", head + tail).group(0)
        assert len(head) in dictionary.positions(word), f"{head}-{tail} is not a {language} hyphenation point"
