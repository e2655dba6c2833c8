"""Readability of patient text, offline, by the published formulas.

English: Flesch Reading Ease (Flesch 1948) and Flesch-Kincaid grade (Kincaid
et al. 1975). Spanish: Fernández-Huerta (1959, in its usual corrected form)
and Szigriszt-Pazos (1993) with the INFLESZ bands (Barrio-Cantalejo et al.
2008).

The formulas are simple; what decides the score is counting syllables,
words and sentences, so that is done here and tested on hand-counted text.
We do not use textstat: its English counts need NLTK data downloaded at run
time (which fails offline), and its Spanish counts are hyphenation points
rather than syllables. The CMU dictionary package is GPL-licensed, so English
syllables use the usual vowel-group rules with the common exceptions.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown

# --- text units -------------------------------------------------------------------

# Abbreviations whose full stop does not end a sentence.
# ("No." is not among them: in Spanish it is mostly the word no ending a sentence.)
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|Dr|Dra|Sr|Sra|p\. ej|approx|aprox|núm)\.", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+(?=[\"'“«(¿¡]?[A-ZÁÉÍÓÚÑÜ0-9])")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.UNICODE)


def sentences(text: str) -> list[str]:
    """Split a block of text into sentences; a block never runs into the next."""
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\x00"), text.strip())
    parts = [p.replace("\x00", ".").strip() for p in _SENTENCE_END.split(protected)]
    return [p for p in parts if WORD.search(p)]


def words(sentence: str) -> list[str]:
    return WORD.findall(sentence)


class TextBlocks(HTMLParser):
    """Text of paragraphs, list items and table cells; headings are left out."""

    BLOCKS = frozenset({"p", "li", "td", "th", "dd", "dt", "blockquote"})
    SKIP = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "sup"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            self._current = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip -= 1
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._current is not None and not self._skip:
            self._current.append(data)

    def _flush(self) -> None:
        if self._current:
            text = " ".join("".join(self._current).split())
            if text:
                self.blocks.append(text)
        self._current = None


def prose_blocks(markdown_text: str) -> list[str]:
    """The running text of a Markdown document: paragraphs and list items, no headings."""
    parser = TextBlocks()
    parser.feed(markdown.markdown(markdown_text, extensions=["tables", "def_list", "footnotes"]))
    parser.close()
    # Citations are not read aloud.
    return [re.sub(r"\s*\[@[^\]]*\]", "", html.unescape(b)) for b in parser.blocks]


# --- syllables ----------------------------------------------------------------------

def _number_syllables(token: str) -> int:
    # Spoken numbers vary by language; one syllable per digit group is the
    # convention here (documented in docs/writing.md), and patient text should
    # rarely lean on numbers anyway.
    return max(1, len(re.findall(r"\d+", token)))


_EN_EXCEPTIONS = {
    "the": 1, "every": 2, "evening": 2, "business": 2, "different": 3, "interest": 3, "interesting": 4,
    "several": 3, "family": 3, "people": 2, "area": 3, "idea": 3, "being": 2, "doing": 2, "going": 2,
    "science": 2, "quiet": 2, "create": 2, "created": 3, "doctor": 2, "doctors": 2, "infusion": 3,
    "infusions": 3, "ketamine": 3, "nausea": 3, "medicine": 3, "medicines": 3, "vomiting": 3,
    "naturally": 4, "actually": 4, "usually": 4, "really": 2, "unusual": 4, "hour": 1, "hours": 1,
    "our": 1, "fire": 1, "whole": 1, "where": 1, "there": 1, "here": 1, "were": 1, "are": 1,
}


def english_syllables(word: str) -> int:
    """Syllables of an English word by vowel groups, with the common silent-e rules."""
    if word[0].isdigit():
        return _number_syllables(word)
    if "-" in word:
        return sum(english_syllables(part) for part in word.split("-") if part)
    if "'" in word or "’" in word:
        # Contractions: don't, it's, we'll - the clipped part adds no syllable.
        head, *tails = re.split(r"['’]", word)
        return english_syllables(head) + sum(english_syllables(t) for t in tails if re.search("[aeiouy]", t))
    w = word.lower()
    if w in _EN_EXCEPTIONS:
        return _EN_EXCEPTIONS[w]
    if len(w) <= 3:
        return 1
    count = len(re.findall(r"[aeiouy]+", w))
    # Silent final e (make, before), but not "-le" after a consonant (table, simple).
    silent_e = w.endswith("e") and not w.endswith(("le", "ee", "ye"))
    vowel_le = w.endswith("le") and len(w) > 2 and w[-3] in "aeiouy"
    if (silent_e or vowel_le) and count > 1:
        count -= 1
    # Silent -es/-ed endings (makes, named), except after sounds that need them (buses, wanted).
    if re.search(r"[^aeiouy]e[sd]$", w) and not re.search(r"([sxzgc]|[cs]h)es$|[td]ed$", w) and count > 1:
        count -= 1
    # Vowel pairs that are usually two syllables: -ia-, -io- (except -tion/-sion), -eo-, -ua-, -uo-.
    count += len(re.findall(r"(?<![ts])i[ao]|eo|ua|uo|ie(?=r)", w))
    return max(1, count)


_ES_STRONG = set("aeoáéóíú")  # accented i and u are strong: they break a diphthong
_ES_VOWELS = set("aeiouáéíóúü")


def spanish_syllables(word: str) -> int:
    """Syllables of a Spanish word by vowel nuclei, with diphthongs, triphthongs and hiatus.

    Two vowels form one syllable unless both are strong (a, e, o, or an
    accented í/ú): 'bueno' 2, 'ciudad' 2, 'leer' 2, 'día' 2. In que/qui and
    gue/gui the u is silent; a final y after a vowel is a vowel (hoy, muy).
    """
    if word[0].isdigit():
        return _number_syllables(word)
    w = word.lower()
    w = re.sub(r"(?<=[qg])u(?=[eiéí])", "", w)  # silent u; ü is kept
    w = re.sub(r"(?<=[aeiouáéíóú])y$", "i", w)
    count = 0
    previous: str | None = None
    for char in w:
        if char not in _ES_VOWELS:
            previous = None
            continue
        if previous is None:
            count += 1
        elif previous in _ES_STRONG and char in _ES_STRONG:
            count += 1  # hiatus: two strong vowels
        previous = char
    return max(1, count)


SYLLABLES = {"en": english_syllables, "es": spanish_syllables}


# --- scores --------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    sentences: int
    words: int
    syllables: int


@dataclass(frozen=True)
class Sentence:
    text: str
    words: int
    syllables: int

    @property
    def difficulty(self) -> float:
        """How much this sentence weighs on the Flesch penalty terms.

        Length counts once per word it adds (1.015 x words, for each word) and
        syllables once each (84.6 per syllable), so a long sentence of long
        words ranks first and a two-word list item with one long word does not.
        """
        return 1.015 * self.words * self.words + 84.6 * self.syllables


def count(blocks: list[str], language: str) -> tuple[Counts, list[Sentence]]:
    syllables_of = SYLLABLES[language]
    found = []
    for block in blocks:
        for sentence in sentences(block):
            tokens = words(sentence)
            found.append(Sentence(sentence, len(tokens), sum(syllables_of(t) for t in tokens)))
    return Counts(len(found), sum(s.words for s in found), sum(s.syllables for s in found)), found


def flesch_reading_ease(c: Counts) -> float:
    return 206.835 - 1.015 * (c.words / c.sentences) - 84.6 * (c.syllables / c.words)


def flesch_kincaid_grade(c: Counts) -> float:
    return 0.39 * (c.words / c.sentences) + 11.8 * (c.syllables / c.words) - 15.59


def fernandez_huerta(c: Counts) -> float:
    """206.84 - 0.60 P - 1.02 F; P syllables and F sentences per 100 words."""
    return 206.84 - 0.60 * (100 * c.syllables / c.words) - 1.02 * (100 * c.sentences / c.words)


def szigriszt_pazos(c: Counts) -> float:
    return 206.835 - 62.3 * (c.syllables / c.words) - (c.words / c.sentences)


INFLESZ_BANDS = ((40, "muy difícil"), (55, "algo difícil"), (65, "normal"), (80, "bastante fácil"),
                 (float("inf"), "muy fácil"))


def inflesz_band(score: float) -> str:
    """The INFLESZ band of a Szigriszt-Pazos score."""
    return next(name for limit, name in INFLESZ_BANDS if score < limit)


@dataclass(frozen=True)
class Score:
    name: str
    value: float
    target: float | None  # minimum; None when the score is shown for information

    @property
    def passed(self) -> bool:
        return self.target is None or self.value >= self.target


@dataclass(frozen=True)
class Report:
    language: str
    counts: Counts
    scores: tuple[Score, ...]
    hardest: tuple[Sentence, ...]
    band: str | None = None

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.scores)


# Defaults from published guidance (content brief): English FRE >= 60;
# Spanish INFLESZ (Szigriszt-Pazos) >= 55 and Fernández-Huerta >= 60.
DEFAULT_TARGETS = {
    "en": {"flesch_reading_ease": 60.0},
    "es": {"szigriszt_pazos": 55.0, "fernandez_huerta": 60.0},
}


def score(blocks: list[str], language: str, targets: dict[str, float] | None = None) -> Report | None:
    """Score running text; None when there is no sentence to score."""
    counts, found = count(blocks, language)
    if not counts.sentences or not counts.words:
        return None
    goals = {**DEFAULT_TARGETS[language], **(targets or {})}
    if language == "en":
        values = {"flesch_reading_ease": flesch_reading_ease(counts),
                  "flesch_kincaid_grade": flesch_kincaid_grade(counts)}
        names = {"flesch_reading_ease": "Flesch Reading Ease", "flesch_kincaid_grade": "Flesch-Kincaid grade"}
        band = None
    else:
        values = {"szigriszt_pazos": szigriszt_pazos(counts), "fernandez_huerta": fernandez_huerta(counts)}
        names = {"szigriszt_pazos": "Szigriszt-Pazos (INFLESZ)", "fernandez_huerta": "Fernández-Huerta"}
        band = inflesz_band(values["szigriszt_pazos"])
    scores = tuple(Score(names[key], value, goals.get(key)) for key, value in values.items())
    hardest = tuple(sorted(found, key=lambda s: s.difficulty, reverse=True)[:5])
    return Report(language, counts, scores, hardest, band)
