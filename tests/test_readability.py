"""Readability scores agree with the published formulas on hand-counted text."""

from __future__ import annotations

import pytest

from leafpress.source.readability import (
    Counts,
    count,
    english_syllables,
    fernandez_huerta,
    flesch_kincaid_grade,
    flesch_reading_ease,
    inflesz_band,
    score,
    sentences,
    spanish_syllables,
    szigriszt_pazos,
    words,
)


@pytest.mark.parametrize("word, syllables", [
    ("cat", 1), ("the", 1), ("pain", 1), ("treat", 1), ("nerve", 1), ("make", 1), ("named", 1), ("makes", 1),
    ("table", 2), ("simple", 2), ("wanted", 2), ("buses", 2), ("doctor", 2), ("explain", 2), ("happy", 2),
    ("very", 2), ("nation", 2), ("radio", 3), ("ketamine", 3), ("long-term", 2), ("don't", 1),
])
def test_english_syllables(word, syllables):
    assert english_syllables(word) == syllables


@pytest.mark.parametrize("word, syllables", [
    ("el", 1), ("y", 1), ("hoy", 1), ("muy", 1), ("dolor", 2), ("nervios", 2), ("ciudad", 2), ("bueno", 2),
    ("leer", 2), ("día", 2), ("país", 2), ("guerra", 2), ("que", 1), ("pingüino", 3), ("ahora", 3),
    ("Uruguay", 3), ("difícil", 3), ("médico", 3), ("riesgos", 2), ("explicará", 4), ("averiguáis", 4),
])
def test_spanish_syllables(word, syllables):
    assert spanish_syllables(word) == syllables


def test_sentences_and_words():
    assert sentences("It helps. Dr. Gil said so, e.g. in May! Does it? Yes.") == [
        "It helps.", "Dr. Gil said so, e.g. in May!", "Does it?", "Yes."]
    assert sentences("¿Duele? No. «Poco», dijo.") == ["¿Duele?", "No.", "«Poco», dijo."]
    assert words("A long-term drip, 4.2 days, isn't short.") == ["A", "long-term", "drip", "4.2", "days",
                                                                  "isn't", "short"]


# Worked example 1 (English), counted by hand:
#   "The cat sat on the mat."      6 words, 6 syllables
#   "It was a very happy cat."     6 words, 8 syllables (ve-ry, hap-py)
# FRE  = 206.835 - 1.015 x (12/2) - 84.6 x (14/12) = 102.045
# FKGL = 0.39 x (12/2) + 11.8 x (14/12) - 15.59   = 0.5167
def test_flesch_worked_example():
    counts, _ = count(["The cat sat on the mat. It was a very happy cat."], "en")
    assert counts == Counts(sentences=2, words=12, syllables=14)
    assert flesch_reading_ease(counts) == pytest.approx(102.045, abs=0.001)
    assert flesch_kincaid_grade(counts) == pytest.approx(0.5167, abs=0.001)


# Worked example 2 (English):
#   "Nerve pain can be hard to treat."          7 words, 7 syllables
#   "Your doctor will explain the risks."        6 words, 8 syllables (doc-tor, ex-plain)
# FRE  = 206.835 - 1.015 x 6.5 - 84.6 x 15/13 = 102.6222
# FKGL = 0.39 x 6.5 + 11.8 x 15/13 - 15.59    = 0.5604
def test_flesch_second_worked_example():
    counts, _ = count(["Nerve pain can be hard to treat.", "Your doctor will explain the risks."], "en")
    assert counts == Counts(2, 13, 15)
    assert flesch_reading_ease(counts) == pytest.approx(102.6222, abs=0.001)
    assert flesch_kincaid_grade(counts) == pytest.approx(0.5604, abs=0.001)


# Worked example 3 (Spanish):
#   "El dolor de los nervios es difícil de tratar."   9 words, 14 syllables
#       El(1) do-lor(2) de(1) los(1) ner-vios(2) es(1) di-fí-cil(3) de(1) tra-tar(2)
#   "Su médico le explicará los riesgos."             6 words, 12 syllables
#       Su(1) mé-di-co(3) le(1) ex-pli-ca-rá(4) los(1) ries-gos(2)
# Szigriszt-Pazos = 206.835 - 62.3 x 26/15 - 15/2         = 91.3483  (INFLESZ: muy fácil)
# Fernández-Huerta = 206.84 - 0.60 x (100 x 26/15) - 1.02 x (100 x 2/15) = 89.24
def test_spanish_worked_example():
    counts, _ = count(["El dolor de los nervios es difícil de tratar. Su médico le explicará los riesgos."], "es")
    assert counts == Counts(2, 15, 26)
    assert szigriszt_pazos(counts) == pytest.approx(91.3483, abs=0.001)
    assert fernandez_huerta(counts) == pytest.approx(89.24, abs=0.001)
    assert inflesz_band(szigriszt_pazos(counts)) == "muy fácil"


@pytest.mark.parametrize("value, band", [(39.9, "muy difícil"), (40, "algo difícil"), (54.9, "algo difícil"),
                                         (55, "normal"), (65, "bastante fácil"), (80, "muy fácil")])
def test_inflesz_bands(value, band):
    assert inflesz_band(value) == band


HARD_EN = ("Pharmacological antagonism of N-methyl-D-aspartate receptors constitutes the predominant "
           "mechanistic hypothesis underpinning ketamine's antihyperalgesic properties in neuropathic conditions, "
           "notwithstanding considerable methodological heterogeneity across randomised investigations.")


def test_report_targets_and_hardest_sentences():
    easy = "The cat sat on the mat. It was a very happy cat."
    report = score([easy, HARD_EN], "en")
    assert not report.passed
    assert report.hardest[0].text == HARD_EN
    assert [s.name for s in report.scores] == ["Flesch Reading Ease", "Flesch-Kincaid grade"]
    assert score([easy], "en").passed
    # A document may set its own, stricter target.
    assert not score([easy], "en", {"flesch_reading_ease": 110}).passed
    assert score([], "en") is None
