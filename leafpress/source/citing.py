"""Pandoc's citation syntax, read for a numbered (Vancouver) style.

* ``[@key]``, ``[@a; @b]``: numbers, ``[1]``, ``[1, 2]``;
* ``[see @key, p. 33; @b, chap. 2 and elsewhere]``: a prefix, a locator and a
  suffix per source, ``[see 1, p. 33; 2, chap. 2 and elsewhere]``;
* ``[-@key]``: the author suppressed, which a numbered style never prints:
  ``[1]``;
* ``@key`` in the text, with an optional ``[p. 33]`` after it: the author's
  name and the number, ``Smith et al. [1, p. 33]``.

As in pandoc, a locator is a term of its list (``p.``, ``pp.``, ``chap.``,
``fig.``, ``sec.``, ``para.``...) and a value with a digit or a Roman numeral;
digits alone are pages; anything else after the key is a suffix, printed as
written. Every pattern here is linear: possessive quantifiers, character
classes that stop at the delimiters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Pandoc: a key starts with a letter, digit or _, and may contain internal
# punctuation; "@smith2020." ends a sentence, it is not the key "smith2020.".
_KEY_CHARS = r"[\w:.#$%&+?<>~/-]"
KEY = rf"[A-Za-z0-9_](?:\w|{_KEY_CHARS}(?=\w))*+|\{{[^{{}}\s\[\]]{{1,200}}+\}}"
# An '@' that starts a citation: not inside a word, an email address or an address.
_AT_BOUNDARY = r"(?<![\w.+/@:=\\])"
# One source in brackets: a prefix, maybe '-', '@key', a suffix (locator and text).
_ITEM = rf"[^\[\]@;]*+{_AT_BOUNDARY}-?@(?:{KEY})[^\[\]@;]*+"
BRACKETED = rf"\[(?P<items>{_ITEM}(?:;{_ITEM})*+)\](?![(\[])"
# In the text: '@key' and an optional locator and suffix in brackets after it.
IN_TEXT = rf"{_AT_BOUNDARY}@(?P<key>{KEY})(?:[ \t]?\[(?P<after>[^\[\]@\n]{{0,200}}+)\](?![(\[]))?"
# Anything else that opens like a citation: reported, never printed raw.
MALFORMED = r"\[-?@[^\]\n]{0,200}+\]?"
_ITEM_PARTS = re.compile(rf"(?P<prefix>[^@]*?)(?P<minus>-?)@(?P<key>{KEY})(?P<suffix>.*)", re.S)

# Pandoc's locator terms (CSL's), with English and Spanish forms; "table" is ours.
# Each term: (its singular forms, its plural forms) as authors write them.
_TERMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "book": (("book", "bk.", "libro", "lib."), ("books", "bks.", "libros")),
    "chapter": (("chapter", "chap.", "ch.", "capítulo", "cap."), ("chapters", "chaps.", "capítulos", "caps.")),
    "column": (("column", "col.", "columna"), ("columns", "cols.", "columnas")),
    "figure": (("figure", "fig.", "figura"), ("figures", "figs.", "figuras")),
    "folio": (("folio", "fol.", "f."), ("folios", "fols.", "ff.")),
    "number": (("number", "no.", "número", "n.º"), ("numbers", "nos.", "números")),
    "line": (("line", "l.", "línea"), ("lines", "ll.", "líneas")),
    "note": (("note", "n.", "nota"), ("notes", "nn.", "notas")),
    "opus": (("opus", "op."), ("opera", "opp.")),
    "page": (("page", "p.", "pg.", "página", "pág."), ("pages", "pp.", "páginas", "págs.")),
    "paragraph": (("paragraph", "para.", "¶", "párrafo", "párr."), ("paragraphs", "paras.", "¶¶", "párrafos")),
    "part": (("part", "pt.", "parte"), ("parts", "pts.", "partes")),
    "section": (("section", "sec.", "§", "sección", "secc."), ("sections", "secs.", "§§", "secciones")),
    "sub verbo": (("sub verbo", "s.v.", "sub voce"), ("sub verbis", "s.vv.")),
    "table": (("table", "tbl.", "tabla"), ("tables", "tablas")),
    "verse": (("verse", "v.", "verso"), ("verses", "vv.", "versos")),
    "volume": (("volume", "vol.", "volumen"), ("volumes", "vols.", "volúmenes")),
}
_PLURAL_FORMS = frozenset(form for _, plurals in _TERMS.values() for form in plurals)
# How each term prints: (singular, plural) per language.
_PRINTED: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"book": ("bk.", "bks."), "chapter": ("chap.", "chaps."), "column": ("col.", "cols."),
           "figure": ("fig.", "figs."), "folio": ("fol.", "fols."), "number": ("no.", "nos."),
           "line": ("l.", "ll."), "note": ("n.", "nn."), "opus": ("op.", "opp."), "page": ("p.", "pp."),
           "paragraph": ("para.", "paras."), "part": ("pt.", "pts."), "section": ("sec.", "secs."),
           "sub verbo": ("s.v.", "s.vv."), "table": ("table", "tables"), "verse": ("v.", "vv."),
           "volume": ("vol.", "vols.")},
    "es": {"book": ("lib.", "libs."), "chapter": ("cap.", "caps."), "column": ("col.", "cols."),
           "figure": ("fig.", "figs."), "folio": ("f.", "ff."), "number": ("n.º", "n.os"),
           "line": ("l.", "ll."), "note": ("n.", "nn."), "opus": ("op.", "opp."), "page": ("p.", "pp."),
           "paragraph": ("párr.", "párrs."), "part": ("pt.", "pts."), "section": ("secc.", "seccs."),
           "sub verbo": ("s.v.", "s.vv."), "table": ("tabla", "tablas"), "verse": ("v.", "vv."),
           "volume": ("vol.", "vols.")},
}
_TERM_OF = {form: term for term, (singulars, plurals) in _TERMS.items() for form in (*singulars, *plurals)}
_TERM = "|".join(re.escape(form) for form in sorted(_TERM_OF, key=len, reverse=True))
# A locator value: numbers or Roman numerals, with ranges and lists ("33-35, 40").
_VALUE_WORD = r"(?:\d[\dA-Za-z]{0,9}+|[ivxlcdmIVXLCDM]{1,12}+)(?![\w])"
_VALUE = rf"{_VALUE_WORD}(?:[ \t]*+(?:[-\u2013\u2014]|,|&)[ \t]*+{_VALUE_WORD})*+"
_LOCATOR = re.compile(rf"[ \t\n]*+,?[ \t\n]*+(?:(?P<term>{_TERM})(?![\w])[ \t\n]*+)?(?P<value>{_VALUE})", re.I)


@dataclass(frozen=True)
class Cite:
    """One source of a citation, as written."""

    key: str
    prefix: str = ""
    term: str | None = None  # a key of _TERMS
    value: str = ""
    plural: bool = False
    suffix: str = ""

    @property
    def plain(self) -> bool:
        """Nothing but the number: numbers of plain cites compress to ranges."""
        return not (self.prefix or self.value or self.suffix)

    def locator(self, language: str) -> str:
        if not self.value:
            return ""
        singular, plural = _PRINTED.get(language, _PRINTED["en"])[self.term or "page"]
        return f"{plural if self.plural else singular} {self.value}"


def _key(written: str) -> str:
    return written[1:-1] if written.startswith("{") else written


def cites_of(match: re.Match[str], in_text: bool) -> list[Cite]:
    """The sources of a match of :data:`IN_TEXT` (``in_text``) or of :data:`BRACKETED`."""
    if in_text:
        return [parse_after(_key(match.group("key")), match.group("after") or "")]
    return parse_bracketed(match.group("items"))


def parse_after(key: str, text: str, prefix: str = "") -> Cite:
    """A cite from what follows its key: a locator (pandoc's rules) and the rest as a suffix."""
    found = _LOCATOR.match(text)
    # Pandoc: a locator needs a term, or is digits alone (then it is a page).
    if found and (found.group("term") or found.group("value")[0].isdigit()):
        written = (found.group("term") or "").lower()
        value = found.group("value")
        ranged = bool(re.search(r"[-\u2013\u2014,&]", value))
        return Cite(key, prefix.strip(), _TERM_OF.get(written, "page"), value,
                    written in _PLURAL_FORMS or ranged, text[found.end():].rstrip())
    return Cite(key, prefix.strip(), suffix=text.rstrip())


def parse_bracketed(items: str) -> list[Cite]:
    """The sources of the inside of ``[see @a, p. 3; -@b]``."""
    cites = []
    for item in items.split(";"):
        parts = _ITEM_PARTS.fullmatch(item)
        if parts is None:  # the pattern that found it guarantees one '@key' per item
            continue
        cites.append(parse_after(_key(parts.group("key")), parts.group("suffix"), parts.group("prefix")))
    return cites


def suffix_text(suffix: str) -> str:
    """A suffix as printed after the number or locator: ", and elsewhere", " and elsewhere"."""
    if not suffix or suffix[0] in ",.;:":
        return suffix
    return " " + suffix.lstrip()


# --- the author's name for an in-text citation -------------------------------------

_AND = {"en": "and", "es": "y"}
ET_AL = "et al."


def _family(name: Any) -> str:
    if not isinstance(name, dict):
        return ""
    if name.get("literal"):
        return str(name["literal"]).strip()
    return " ".join(str(name[k]).strip() for k in ("non-dropping-particle", "family") if name.get(k))


def in_text_name(csl: Mapping[str, Any], language: str) -> str:
    """The name before an in-text number: "Smith", "Smith and Jones", "Smith et al.", a group author."""
    for role in ("author", "editor"):
        written = csl.get(role)
        names = [_family(n) for n in written] if isinstance(written, list) else []
        et_al = ET_AL in names
        names = [n for n in names if n and n != ET_AL]
        if names:
            if len(names) >= 3 or et_al:
                return f"{names[0]} {ET_AL}"
            if len(names) == 2:
                return f"{names[0]} {_AND.get(language, 'and')} {names[1]}"
            return names[0]
    return str(csl.get("title") or "").strip()
