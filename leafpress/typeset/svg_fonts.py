"""SVG text in the bundled fonts, whatever family the drawing tool wrote.

Charts and diagrams exported from drawing and plotting tools ask for the
fonts of the machine that made them (``font-family="Arial, Helvetica,
sans-serif"``, ``style="font-family:Calibri"``), or for none. A leaflet may only
use its bundled fonts, so every family list in an SVG is replaced, as the file
is loaded, by the bundled sans-serif families, or the serif ones when the list
asks for a serif face (Times, Georgia, serif...). Text without a family gets
the sans-serif ones from the root element.

The text is edited, not parsed and written again, so the drawing is otherwise
exactly as the tool wrote it.
"""

from __future__ import annotations

import re

SANS = ("Source Sans 3", "Source Sans 3 Latin Ext", "Source Sans 3 Greek", "Source Sans 3 Cyrillic",
        "Source Sans 3 Cyrillic Ext", "Source Sans 3 Vietnamese")
SERIF = ("Source Serif 4", "Source Serif 4 Latin Ext", "Source Serif 4 Greek", "Source Serif 4 Cyrillic",
         "Source Serif 4 Cyrillic Ext", "Source Serif 4 Vietnamese")
_SERIF_NAMES = re.compile(r"(?<!sans-)\bserif\b|times|georgia|garamond|cambria|palatino|book antiqua|"
                          r"baskerville|didot|minion|source serif|liberation serif|dejavu serif|noto serif", re.I)

_ATTRIBUTE = re.compile(r"""(\bfont-family\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_STYLE_ATTRIBUTE = re.compile(r"""(\bstyle\s*=\s*)(?:"([^"]*)"|'([^']*)')""")
_STYLE_ELEMENT = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.S | re.I)
_PROPERTY = re.compile(r"(font-family\s*:\s*)((?:&quot;|&apos;|[^;}&])*)", re.I)
_FONT_SHORTHAND = re.compile(r"(\bfont\s*:\s*)([^;}]*)", re.I)
_SIZE_THEN_FAMILY = re.compile(
    r"(?P<before>.*?(?:\d+(?:\.\d+)?(?:px|pt|pc|em|rem|ex|%|mm|cm|in)?|(?:xx?-)?(?:small|large)|medium|smaller"
    r"|larger)(?:\s*/\s*\S+)?\s+)(?P<family>\S.*)", re.S)
_ROOT = re.compile(r"<svg\b[^>]*>", re.I)


def is_svg(data: bytes, path: str) -> bool:
    return path.lower().endswith((".svg", ".svgz")) or b"<svg" in data[:4096]


def _stack(asked: str, quote: str) -> str:
    families = SERIF if _SERIF_NAMES.search(asked) else SANS
    return ", ".join(f"{quote}{family}{quote}" for family in families)


def _in_css(css: str, quote: str) -> str:
    css = _PROPERTY.sub(lambda m: m.group(1) + _stack(m.group(2), quote), css)
    # "font: bold 12px/1.2 Arial": the family is what follows the size.
    def shorthand(match: re.Match[str]) -> str:
        sized = _SIZE_THEN_FAMILY.match(match.group(2))
        if not sized:
            return match.group(0)
        return match.group(1) + sized.group("before") + _stack(sized.group("family"), quote)

    return _FONT_SHORTHAND.sub(shorthand, css)


_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def bundled_fonts_in_svg_file(data: bytes) -> bytes:
    """An SVG file's bytes with the bundled fonts, in the encoding it declares."""
    declared = _ENCODING.match(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return data  # not text we can edit safely: WeasyPrint will report what it cannot read
    return bundled_fonts_in_svg(text).encode(encoding, errors="xmlcharrefreplace")


def bundled_fonts_in_svg(svg: str) -> str:
    """``svg`` with every font family it names replaced by the bundled ones."""
    svg = _ATTRIBUTE.sub(lambda m: (f'{m.group(1)}"{_stack(m.group(2), chr(39))}"' if m.group(2) is not None
                                    else f"{m.group(1)}'{_stack(m.group(3), chr(34))}'"), svg)
    svg = _STYLE_ATTRIBUTE.sub(lambda m: (f'{m.group(1)}"{_in_css(m.group(2), chr(39))}"' if m.group(2) is not None
                                          else f"{m.group(1)}'{_in_css(m.group(3), chr(34))}'"), svg)
    svg = _STYLE_ELEMENT.sub(lambda m: m.group(1) + _in_css(m.group(2), '"') + m.group(3), svg)
    root = _ROOT.search(svg)
    if root and "font-family" not in root.group(0):
        tag = root.group(0)
        end = len(tag) - (2 if tag.endswith("/>") else 1)
        svg = svg[:root.start()] + tag[:end] + f' font-family="{_stack("", chr(39))}"' + tag[end:] + \
            svg[root.end():]
    return svg
