"""Figures and tables: captions, numbers and cross-references, as pandoc users write them.

* An image alone in its paragraph becomes a figure, its alt text the caption
  (pandoc's "implicit figures"): ``![Pain scores by week [@key]](chart.png){#fig:pain width=60%}``.
  Citations in the caption are numbered with the text's; ``width`` may be a
  percentage of the text block or a length (mm, cm, in, pt); without one the
  stylesheet scales the image to fit.
* A table's caption is a paragraph right before or after it that starts with
  ``Table:`` (pandoc) or "Table 1." / "Tabla 1." (the number is recomputed).
  ``{#tbl:doses}`` at its end names it. A paragraph right after a table that
  starts "Note:", "Notes:", "Nota:", "Abbreviations:" or "Source:" is the
  table's note, set small under it. Table, caption and note are wrapped in a
  ``div.table-block`` (a layout may give tables more width than the text). A
  table of ten rows or fewer is marked to be kept on one page.
* Figures and tables with a caption are numbered in reading order, and
  ``[@fig:pain]`` or ``[@tbl:doses]`` in the text print "Figure 1" / "Table 1"
  (in the document's language) as a link. A reference to a figure or table the
  document does not have is reported.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree  # noqa: N813 - the usual name
from typing import TYPE_CHECKING

from markdown.treeprocessors import Treeprocessor

from .citing import BRACKETED, IN_TEXT, MALFORMED, Cite, cites_of

if TYPE_CHECKING:
    from .markup import CitationState

CROSS_REFERENCE_PREFIXES = ("fig:", "tbl:")
SHORT_TABLE_ROWS = 10
_NUMBERED_CAPTION = re.compile(r"^(?:Table|Tabla|Tab\.)\s+\d+[.:]\s*", re.I)
_PANDOC_CAPTION = re.compile(r"^(?:Table|Tabla)?:\s+", re.I)
_NOTE = re.compile(r"^(?:Notes?|Notas?|Abbreviations|Abreviaturas|Source|Sources|Fuente|Fuentes)\s*[:.]", re.I)
_TRAILING_ID = re.compile(r"\s*\{#((?:tbl|fig):[\w:.-]+)\}\s*$")
_WIDTH = re.compile(r"\s*(\d{1,3}(?:\.\d+)?)\s*(%|mm|cm|in|pt)\s*")
# What the image's alt text goes without: bracketed citations as the caption reads them, and malformed ones.
_CITATION_IN_TEXT = re.compile(rf"{BRACKETED}|{MALFORMED}")
# Citations in a caption, read from the image's alt text where Markdown left them as written.
_CITATIONS = re.compile(rf"(?P<bracketed>{BRACKETED})|(?P<in_text>{IN_TEXT})|(?P<malformed>{MALFORMED})")


def _only_image(paragraph: etree.Element) -> etree.Element | None:
    if paragraph.tag != "p" or (paragraph.text or "").strip() or len(paragraph) != 1:
        return None
    image = paragraph[0]
    return image if image.tag == "img" and not (image.tail or "").strip() else None


def citation_span(state: CitationState, cites: list[Cite], in_text: bool) -> etree.Element:
    """A placeholder for a citation's number, its sources kept in ``state`` (numbered in markup.py)."""
    state.cites.append(cites)
    span = etree.Element("span", {"class": "citation", "data-cite": str(len(state.cites) - 1)})
    if in_text:
        span.set("data-in-text", "")
    return span


def append_text(parent: etree.Element, text: str) -> None:
    """Append ``text`` to ``parent``: after its last child, or as its text when it has none."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _with_citations(parent: etree.Element, text: str, state: CitationState) -> None:
    """Append ``text`` to ``parent``, each citation in it as one for numbering (see markup.py)."""
    position = 0
    for match in _CITATIONS.finditer(text):
        if match.group("malformed"):
            state.malformed.append(match.group(0))
            continue
        append_text(parent, text[position:match.start()])
        in_text = bool(match.group("in_text"))
        parent.append(citation_span(state, cites_of(match, in_text), in_text))
        position = match.end()
    append_text(parent, text[position:])


class FiguresAndTables(Treeprocessor):
    """Make figures and table captions, number both, and record their ids for cross-references."""

    def __init__(self, md: object, state: CitationState):
        super().__init__(md)  # type: ignore[arg-type]
        self.state = state

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                image = _only_image(child)
                if image is not None:
                    self._figure(parent, child, image)
            self._tables(parent)
        self._number(root)

    def _figure(self, parent: etree.Element, paragraph: etree.Element, image: etree.Element) -> None:
        width = image.attrib.pop("width", None)
        if width is not None:
            match = _WIDTH.fullmatch(width)
            if match:
                image.set("style", f"width: {match.group(1)}{match.group(2)}")
            elif width.strip().isdigit():
                image.set("width", width.strip())
            else:
                self.state.bad_widths.append(width)
        caption = (image.get("alt") or "").strip()
        if not caption:  # no caption, no figure: the image keeps its paragraph
            return
        figure = etree.Element("figure", {"class": "figure"})
        identifier = image.attrib.pop("id", None) or paragraph.get("id")
        if identifier:
            figure.set("id", identifier)
        image.set("alt", _CITATION_IN_TEXT.sub("", caption).strip())
        image.tail = None
        figure.append(image)
        figcaption = etree.SubElement(figure, "figcaption")
        _with_citations(figcaption, caption, self.state)
        figure.tail = paragraph.tail
        index = list(parent).index(paragraph)
        parent.remove(paragraph)
        parent.insert(index, figure)

    def _tables(self, parent: etree.Element) -> None:
        children = list(parent)
        for index, table in enumerate(children):
            if table.tag != "table":
                continue
            before = children[index - 1] if index else None
            after = children[index + 1] if index + 1 < len(children) else None
            caption_paragraph = None
            for candidate in (before, after):
                if candidate is None or candidate.tag != "p" or table.find("caption") is not None:
                    continue
                text = candidate.text or ""
                if _NUMBERED_CAPTION.match(text) or _PANDOC_CAPTION.match(text):
                    caption_paragraph = candidate
                    break
            if caption_paragraph is not None:
                caption = etree.Element("caption")
                text = caption_paragraph.text or ""
                text = _NUMBERED_CAPTION.sub("", text, count=1) if _NUMBERED_CAPTION.match(text) \
                    else _PANDOC_CAPTION.sub("", text, count=1)
                caption.text = text
                caption[:] = list(caption_paragraph)
                self._take_trailing_id(caption, table)
                if caption_paragraph.get("id"):
                    table.set("id", caption_paragraph.get("id") or "")
                parent.remove(caption_paragraph)
                table.insert(0, caption)
                if caption_paragraph is after:
                    after = None
            wrapper = etree.Element("div", {"class": "table-block"})
            wrapper.tail, table.tail = table.tail, None
            parent.insert(list(parent).index(table), wrapper)
            parent.remove(table)
            wrapper.append(table)
            if after is not None and after.tag == "p" and _NOTE.match(after.text or ""):
                after.set("class", "table-note")
                parent.remove(after)
                wrapper.append(after)
            rows = len(table.findall("./tbody/tr")) + len(table.findall("./tr"))
            if rows <= SHORT_TABLE_ROWS:
                table.set("class", "short-table")

    @staticmethod
    def _take_trailing_id(caption: etree.Element, table: etree.Element) -> None:
        last = caption[-1] if len(caption) else None
        text = (last.tail if last is not None else caption.text) or ""
        match = _TRAILING_ID.search(text)
        if match:
            table.set("id", match.group(1))
            if last is not None:
                last.tail = text[: match.start()]
            else:
                caption.text = text[: match.start()]

    def _number(self, root: etree.Element) -> None:
        counts = {"figure": 0, "table": 0}
        words = {"figure": self.state.figure_word, "table": self.state.table_word}
        for element in root.iter():
            if element.tag == "figure" and element.find("figcaption") is not None:
                kind, caption = "figure", element.find("figcaption")
            elif element.tag == "table" and element.find("caption") is not None:
                kind, caption = "table", element.find("caption")
            else:
                continue
            assert caption is not None  # found just above
            counts[kind] += 1
            label = f"{words[kind]}\u00a0{counts[kind]}"
            identifier = element.get("id")
            if identifier:
                self.state.labels[identifier] = label
            strong = etree.Element("span", {"class": "caption-label"})
            strong.text = f"{label}."
            strong.tail = " " + (caption.text or "").lstrip()
            caption.text = None
            caption.insert(0, strong)
