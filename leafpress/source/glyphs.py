"""Characters the bundled fonts cannot show, found before typesetting, with the file and line they came from.

A character that no font of a layout has falls back to a system font
(DejaVu on most Linux machines), which the verify stage refuses after the
whole document has been typeset, naming only that font. This module finds
such characters in the text WeasyPrint would receive, from the fonts a
layout's stylesheets declare in ``@font-face`` rules: each file's cmap,
cut to its ``unicode-range`` when it has one (WeasyPrint hands the range to
fontconfig as the font's character set). The coverage is read once per
process and again only when a stylesheet or font file changes, as
:func:`leafpress.finish.verify.bundled_font_names` does.

Spaces, control and format characters (soft hyphen, zero-width joiners)
are never looked up: text shaping draws them without a glyph of their own.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from fontTools.ttLib import TTFont

from ..errors import Problem, error
from ..layouts.base import Layout
from ..project.config import Project
from ..project.theme import Fallbacks, with_fallback
from .safefile import FileRefused, read_bytes
from .yamlfile import read_text

FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf")
# Drawn without a glyph of their own: spaces (shaping falls back to the space's width),
# line and paragraph separators, control and format characters.
UNDRAWN_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
MAX_CHARACTERS_REPORTED = 20
MAX_STYLESHEET_BYTES = 2 * 1024 * 1024
MAX_FONT_BYTES = 20 * 1024 * 1024  # as any file the build loads

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)""")
_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.I)
_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)""")
_RANGE = re.compile(r"unicode-range\s*:\s*([^;]+)", re.I)
_RANGE_PART = re.compile(r"U\+([0-9A-Fa-f?]{1,6})(?:-([0-9A-Fa-f]{1,6}))?", re.I)


def describe(char: str) -> str:
    """'"ψ" (U+03C8 GREEK SMALL LETTER PSI)': the character, its code point and its Unicode name."""
    name = unicodedata.name(char, "")
    shown = f'"{char}" ' if unicodedata.category(char)[0] not in "CZ" else ""
    return f"{shown}(U+{ord(char):04X}{' ' + name if name else ''})"


# --- what the fonts of a layout cover --------------------------------------------------

def _ranges(value: str) -> frozenset[int]:
    """The code points of a CSS unicode-range value: U+26, U+0-7F, U+4??."""
    points: set[int] = set()
    for start, end in _RANGE_PART.findall(value):
        if "?" in start:
            low, high = int(start.replace("?", "0"), 16), int(start.replace("?", "F"), 16)
        else:
            low = int(start, 16)
            high = int(end, 16) if end else low
        points.update(range(low, min(high, 0x10FFFF) + 1))
    return frozenset(points)


def _faces(sheet: Path, fallbacks: Fallbacks, seen: set[Path]) -> list[tuple[Path, frozenset[int] | None]]:
    """(font file, unicode-range or None) of each @font-face of a stylesheet and of the ones it imports."""
    if sheet in seen:
        return []
    seen.add(sheet)
    try:
        text = read_bytes(sheet, MAX_STYLESHEET_BYTES).decode("utf-8", errors="replace")
    except (OSError, FileRefused):
        return []  # a missing stylesheet is reported by the build
    text = _COMMENT.sub("", text)
    faces: list[tuple[Path, frozenset[int] | None]] = []
    for reference in _IMPORT.findall(text):
        if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", reference):
            faces += _faces(with_fallback((sheet.parent / unquote(reference)).resolve(), fallbacks), fallbacks, seen)
    for rule in _FONT_FACE.findall(text):
        ranges = _RANGE.search(rule)
        for reference in _URL.findall(rule):
            path = with_fallback((sheet.parent / unquote(reference)).resolve(), fallbacks)
            if path.suffix in FONT_SUFFIXES and path.is_file():
                faces.append((path, _ranges(ranges.group(1)) if ranges else None))
    return faces


def _state(path: Path) -> tuple[Path, int, int]:
    try:
        info = path.stat()
    except OSError:
        return path, 0, -1
    return path, info.st_mtime_ns, info.st_size


@lru_cache(maxsize=16)
def _declared(sheets: tuple[tuple[Path, int, int], ...],
              fallbacks: Fallbacks) -> tuple[tuple[Path, frozenset[int] | None], ...]:
    seen: set[Path] = set()
    return tuple(face for path, _, _ in sheets for face in _faces(path, fallbacks, seen))


@lru_cache(maxsize=256)
def _cmap(path: Path, mtime_ns: int, size: int) -> frozenset[int]:
    try:
        with TTFont(io.BytesIO(read_bytes(path, MAX_FONT_BYTES)), lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # noqa: BLE001 - a broken font file covers nothing; WeasyPrint reports it when loading
        return frozenset()


def coverage(project: Project, layout: Layout) -> frozenset[int]:
    """Every code point some font of the layout can show."""
    sheets = tuple(_state(project.stylesheet(name)) for name in layout.stylesheets)
    faces = _declared(sheets, project.theme_fallbacks)
    return _union(tuple((_state(path), ranges) for path, ranges in faces))


@lru_cache(maxsize=16)
def _union(faces: tuple[tuple[tuple[Path, int, int], frozenset[int] | None], ...]) -> frozenset[int]:
    covered: set[int] = set()
    for state, ranges in faces:
        cmap = _cmap(*state)
        covered |= cmap & ranges if ranges is not None else cmap
    return frozenset(covered)


def missing(text: str, covered: frozenset[int]) -> list[str]:
    """The characters of ``text`` (in order of first use, each once) that ``covered`` lacks."""
    return [char for char in dict.fromkeys(text)
            if ord(char) not in covered and unicodedata.category(char) not in UNDRAWN_CATEGORIES]


# --- the text a document typesets ------------------------------------------------------

_CSS_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'')


def _css_strings(css: str) -> list[str]:
    """The quoted strings of some CSS: the words a stylesheet puts on the page (content, custom properties)."""
    return [a or b for a, b in _CSS_STRING.findall(_COMMENT.sub("", css))]


class _TypesetText(HTMLParser):
    """Text WeasyPrint draws from an HTML page: the body's text, and the strings in <style> elements and
    style attributes (the running header's words are custom properties set there). Not the title or
    other metadata, nor scripts."""

    UNSHOWN = frozenset({"title", "script", "template", "textarea"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.UNSHOWN or tag == "style":
            self.open.append(tag)
        self.parts += [text for name, value in attrs if name == "style" and value for text in _css_strings(value)]

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if not self.open:
            self.parts.append(data)
        elif self.open[-1] == "style":
            self.parts += _css_strings(data)


def typeset_text(html: str) -> str:
    parser = _TypesetText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


# --- problems ------------------------------------------------------------------------------

def _found_in(char: str, texts: Iterable[tuple[Path, str]]) -> tuple[Path, int, int] | None:
    """The first file and line ``char`` is written on, and how many lines of that file have it."""
    for path, text in texts:
        if char not in text:
            continue
        lines = [number for number, line in enumerate(text.splitlines(), start=1) if char in line]
        return path, lines[0], len(lines)
    return None


def missing_message(chars: list[str], layout: Layout, fonts_css: str = "styles/fonts/") -> str:
    """'the character "ψ" (U+03C8 GREEK SMALL LETTER PSI) is in none of the bundled fonts of the article layout: ...'"""
    if len(chars) == 1:
        what, verb, it = f"the character {describe(chars[0])}", "is", "it"
    else:
        what, verb, it = f"the characters {', '.join(describe(c) for c in chars)}", "are", "them"
    return (f"{what} {verb} in none of the bundled fonts of the {layout.name} layout: remove {it}, "
            f"or add a font that has {it} to {fonts_css}")


def glyph_problems(project: Project, layout: Layout, html: str, sources: list[Path],
                   fallback: Path) -> list[Problem]:
    """An error for each character of ``html``'s text that no font of the layout has.

    Each names the first of ``sources`` (the document, its data files, its
    references, leafpress.yaml) and line the character is written on; one
    that none of them has came from the layout's template or its language
    strings, and is reported against ``fallback`` (the template).
    """
    chars = missing(typeset_text(html), coverage(project, layout))
    problems: list[Problem] = []
    if not chars:
        return problems
    # Each source read once, however many characters are looked for in it.
    texts = [(path, text) for path in sources if not isinstance(text := read_text(path, folder=None), Problem)]
    for char in chars[:MAX_CHARACTERS_REPORTED]:
        message = missing_message([char], layout)
        where = _found_in(char, texts)
        if where is None:
            problems.append(error(fallback, None, message.replace(": remove it", ", and comes from the layout's "
                                                                   "template or its language strings: remove it", 1)))
            continue
        path, line, count = where
        also = f" (it is on {count - 1} more line{'s' if count > 2 else ''} of this file too)" if count > 1 else ""
        problems.append(error(path, line, message + also))
    unreported = len(chars) - MAX_CHARACTERS_REPORTED
    if unreported > 0:
        what, it = ("1 more character is", "it") if unreported == 1 else (f"{unreported} more characters are", "them")
        problems.append(error(sources[0] if sources else fallback, None,
                              f"{what} in none of the bundled fonts of the {layout.name} layout: remove {it}, "
                              f"or add a font that has {it} to styles/fonts/"))
    return problems
