"""Markdown to HTML, with citations and page footnotes.

Python-Markdown does the parsing; three small processors adapt its output to
print:

* ``[@key]`` and ``[@a; @b]`` become citation placeholders, numbered in reading
  order once footnotes have moved into the text (Vancouver: order of first use);
* footnotes are moved from the end-of-document list to the place they are
  called, where CSS ``float: footnote`` sets them at the foot of the page;
* a paragraph "Table 1. ..." right before a table becomes that table's caption,
  so the two are never parted by a page break.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

import markdown
from markdown.extensions import Extension
from markdown.extensions.footnotes import NBSP_PLACEHOLDER
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from .citations import anchor_for, compress_numbers

KEY = r"[A-Za-z0-9_][\w:.#$%&+?<>~/-]*"
CITATION = rf"\[(@{KEY}(?:\s*;\s*@{KEY})*)\]"
# Anything else that opens like a citation: reported, never printed raw.
MALFORMED_CITATION = r"\[@[^\]\n]{0,200}\]?"
CAPTION = re.compile(r"^(Table|Tabla)\s+\d+[.:]\s")


@dataclass
class CitationState:
    """What the citation processors learnt about one document."""

    known: frozenset[str]
    order: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


class _CitationPattern(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 - Markdown's API
        keys = [k.strip().lstrip("@") for k in m.group(1).split(";")]
        span = etree.Element("span", {"class": "citation", "data-keys": " ".join(keys)})
        return span, m.start(0), m.end(0)


class _MalformedCitationPattern(InlineProcessor):
    def __init__(self, pattern: str, state: CitationState):
        super().__init__(pattern)
        self.state = state

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802
        self.state.malformed.append(m.group(0))
        return m.group(0), m.start(0), m.end(0)


def _parents(root: etree.Element) -> dict[etree.Element, etree.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _replace(parent: etree.Element, old: etree.Element, new: etree.Element) -> None:
    new.tail = old.tail
    index = list(parent).index(old)
    parent.remove(old)
    parent.insert(index, new)


class _PageFootnotes(Treeprocessor):
    """Move each footnote's text to its call, for CSS ``float: footnote``."""

    def run(self, root: etree.Element) -> None:
        notes_div = next((d for d in root.iter("div") if d.get("class") == "footnote"), None)
        if notes_div is None:
            return
        notes = {li.get("id"): li for li in notes_div.iter("li")}
        parents = _parents(root)
        for sup in [s for s in root.iter("sup") if s.find("a[@class='footnote-ref']") is not None]:
            link = sup.find("a[@class='footnote-ref']")
            note = notes.get((link.get("href") or "").lstrip("#"))
            if note is None or sup not in parents:
                continue
            _replace(parents[sup], sup, self._footnote(note))
        parent = _parents(root).get(notes_div)
        if parent is not None:
            parent.remove(notes_div)

    @staticmethod
    def _footnote(note: etree.Element) -> etree.Element:
        span = etree.Element("span", {"class": "footnote"})
        paragraphs = [copy.deepcopy(p) for p in note] or [etree.Element("p")]
        for p in paragraphs:
            for backref in [a for a in p.iter("a") if a.get("class") == "footnote-backref"]:
                _parents(p)[backref].remove(backref)
            para = etree.SubElement(span, "span", {"class": "footnote-para"})
            para.text = (p.text or "").lstrip() if p.tag == "p" else None
            if p.tag != "p":
                para.append(p)
            else:
                para.extend(list(p))
            if len(para):
                para[-1].tail = _trim(para[-1].tail)
            elif para.text:
                para.text = _trim(para.text)
        return span


def _trim(text: str | None) -> str:
    """Strip trailing space and the no-break space Markdown puts before a back-reference."""
    text = text or ""
    while True:
        trimmed = text.rstrip().removesuffix(NBSP_PLACEHOLDER)
        if trimmed == text:
            return text
        text = trimmed


class _NumberCitations(Treeprocessor):
    """Number citations in reading order and link each number."""

    def __init__(self, md: markdown.Markdown, state: CitationState):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        state = self.state
        for span in [s for s in root.iter("span") if s.get("class") == "citation"]:
            numbers = []
            for key in span.attrib.pop("data-keys").split():
                if key not in state.known:
                    state.unknown.append(key)
                    continue
                if key not in state.order:
                    state.order.append(key)
                numbers.append(state.order.index(key) + 1)
            span.text = "["
            last: etree.Element | None = None
            for first, end in compress_numbers(numbers) or [(0, 0)]:
                if first == 0:  # every key unknown: an error is reported
                    span.text += "?"
                    continue
                if last is not None:
                    last.tail = ", "
                last = etree.SubElement(span, "a", {"href": f"#{anchor_for(first)}"})
                last.text = str(first)
                if end != first:
                    last.tail = "\u2013" if end > first + 1 else ", "
                    last = etree.SubElement(span, "a", {"href": f"#{anchor_for(end)}"})
                    last.text = str(end)
            if last is not None:
                last.tail = "]"
            else:
                span.text += "]"


class _TableCaptions(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            children = list(parent)
            for before, table in zip(children, children[1:]):
                if before.tag == "p" and table.tag == "table" and CAPTION.match(before.text or ""):
                    caption = etree.Element("caption")
                    caption.text, caption[:] = before.text, list(before)
                    parent.remove(before)
                    table.insert(0, caption)


class LeafpressExtension(Extension):
    def __init__(self, state: CitationState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        # Above 'link' (160) so "[@key]" is never read as a reference link.
        md.inlinePatterns.register(_CitationPattern(CITATION, md), "citation", 176)
        md.inlinePatterns.register(_MalformedCitationPattern(MALFORMED_CITATION, self.state),
                                   "citation-malformed", 175.5)
        # After 'inline' (20) and the footnote processors (50, 15).
        md.treeprocessors.register(_PageFootnotes(md), "page-footnotes", 12)
        md.treeprocessors.register(_TableCaptions(md), "table-captions", 11)
        md.treeprocessors.register(_NumberCitations(md, self.state), "number-citations", 9)


def render_markdown(text: str, state: CitationState) -> str:
    """Convert Markdown to an HTML fragment; citation results land in ``state``."""
    # 'toc' gives headings their ids, so text can link to a section.
    md = markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "def_list", "sane_lists", "smarty", "toc",
                    LeafpressExtension(state)],
        extension_configs={
            "toc": {"slugify": slugify_unicode, "permalink": False},
            "footnotes": {"UNIQUE_IDS": True},
        },
        output_format="html",
    )
    return md.convert(text)
