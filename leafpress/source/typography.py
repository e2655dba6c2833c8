"""Typesetting habits applied to the text after parsing, so authors need not type them.

* A number is never parted from its unit or sign at a line end: the space in
  "5.45 ± 1.2", "P < 0.05", "n = 42", "20 mg" or "50 %" becomes a no-break space.
* A word already hyphenated ("therapy-resistant", "Jean-Paul") is wrapped in
  ``<span class="hyphenated">``, which the stylesheets keep from being
  hyphenated again ("therapy-res-istant"); it may still break at its own hyphen.

Code and preformatted text are left alone.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree  # noqa: N813 - the usual name

from markdown.treeprocessors import Treeprocessor

NBSP = "\u00a0"
UNITS = ("%", "‰", "°C", "°", "mg", "g", "kg", "µg", "μg", "mcg", "ng", "mL", "ml", "L", "dL", "mmol", "µmol",
         "mol", "mEq", "IU", "UI", "U", "h", "min", "s", "ms", "d", "mmHg", "cm", "mm", "m", "km", "kcal",
         "Hz", "mg/kg", "mg/kg/h", "µg/kg", "mg/día", "mg/day", "años", "years", "días", "days", "weeks",
         "semanas", "months", "meses", "hours", "horas", "minutes", "minutos", "patients", "pacientes")
SIGNS = "±<>=≤≥×≈~"
_UNIT_AFTER_NUMBER = re.compile(r"(?<=\d) (?=(?:" + "|".join(
    re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")(?![\w/]))")
_SIGN_BEFORE_NUMBER = re.compile(rf"(?<=[{SIGNS}]) (?=[−\-+.]?\d)")
_SPACE_BEFORE_SIGN = re.compile(rf"(?<=[\w)]) (?=[{SIGNS}] ?[−\-+.]?\d)")
_HYPHENATED_WORD = re.compile(r"(?<!\w)\w++(?:[-\u2010]\w++)+")  # possessive, from word starts: linear
_LEFT_ALONE = frozenset({"code", "pre", "kbd", "samp", "script", "style"})


def keep_together(text: str) -> str:
    """``text`` with no-break spaces between numbers and their units and signs."""
    text = _UNIT_AFTER_NUMBER.sub(NBSP, text)
    text = _SPACE_BEFORE_SIGN.sub(NBSP, text)
    return _SIGN_BEFORE_NUMBER.sub(NBSP, text)


def _hyphenated_spans(text: str) -> tuple[str, list[etree.Element]]:
    """``text`` cut into what comes before the first hyphenated word, and a span per such word."""
    matches = list(_HYPHENATED_WORD.finditer(text))
    if not matches:
        return text, []
    spans = []
    for index, match in enumerate(matches):
        span = etree.Element("span", {"class": "hyphenated"})
        span.text = match.group(0)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        span.tail = text[match.end():end]
        spans.append(span)
    return text[: matches[0].start()], spans


class Typography(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self._element(root)

    def _element(self, element: etree.Element) -> None:
        if element.tag in _LEFT_ALONE:
            return
        # The children rebuilt in one pass: inserting each span at its index was quadratic in the children.
        children: list[etree.Element] = []
        if element.text:
            element.text, spans = _hyphenated_spans(keep_together(element.text))
            children += spans
        for child in list(element):
            self._element(child)
            children.append(child)
            if child.tail:
                child.tail, spans = _hyphenated_spans(keep_together(child.tail))
                children += spans
        element[:] = children
