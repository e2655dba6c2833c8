"""Markdown to HTML, with citations and page footnotes.

Python-Markdown does the parsing; three small processors adapt its output to
print:

* citations in pandoc's syntax (``[@key]``, ``[see @a, p. 3; -@b]``, in-text
  ``@key [p. 3]``; see citing.py) become placeholders, numbered in reading
  order once footnotes have moved into the text (Vancouver: order of first use);
* inline notes, ``^[text]``, become page footnotes where they are written;
* footnotes are moved from the end-of-document list to the place they are
  called, where CSS ``float: footnote`` sets them at the foot of the page;
* a paragraph "Table 1. ..." right before a table becomes that table's caption,
  so the two are never parted by a page break.

Content is untrusted, so around the parser:

* before it, :func:`markdown_limits` refuses what would make Python-Markdown
  crawl or recurse without end (it is quadratic in places: 50,000 '[' take
  minutes): more than 10,000 lines, lists or quotes nested deeper than 50
  levels, paragraphs whose markup characters would cost too much;
* after it, the HTML is checked for depth and cleaned by nh3 (the Rust
  ammonia sanitiser) to an allowlist of elements and attributes a leaflet
  needs. Links must be web addresses or #anchors; images may be files of the
  topic (the fetcher decides) or raster data: URLs. What is removed is
  recorded, to be reported to the author.
"""

from __future__ import annotations

import bisect
import copy
import re
import xml.etree.ElementTree as etree  # noqa: N813 - the usual name
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.footnotes import NBSP_PLACEHOLDER
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from ..cite.references import anchor_for, compress_numbers
from ..errors import MAX_DEPTH, quote, too_deep
from .captions import CROSS_REFERENCE_PREFIXES, FiguresAndTables, append_text, citation_span
from .citing import BRACKETED, IN_TEXT, MALFORMED, Cite, cites_of, in_text_name, suffix_text
from .lists import normalise_list_indentation
from .typography import Typography

CITATION_FORMS = "write [@key], [@key1; @key2], [see @key, p. 33] or [-@key]"
# An inline note, ^[text], with brackets nested one level inside ("^[see [@key]]").
INLINE_NOTE = r"\^\[(?P<note>(?:[^\[\]]|\[[^\[\]]*+\])*+)\]"


@dataclass(frozen=True)
class Notice:
    """Something rendering removed or refused, and how to find its line in the source.

    ``line`` counts from 1 in the Markdown text given; when it is not known,
    ``needle`` is a regular expression (case-insensitive) that finds it in the
    source.
    """

    message: str
    line: int | None = None
    needle: str | None = None


@dataclass
class CitationState:
    """What rendering learnt about one document: citations, and what was removed or refused."""

    known: frozenset[str]
    order: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    removed: list[Notice] = field(default_factory=list)  # warnings: the sanitiser took it out
    refused: list[Notice] = field(default_factory=list)  # errors: the text was not rendered
    language: str = "en"
    labels: dict[str, str] = field(default_factory=dict)  # figure and table ids -> "Figure 1"
    unresolved: list[str] = field(default_factory=list)  # [@fig:x] with no figure x
    bad_widths: list[str] = field(default_factory=list)  # width=... that is not a size
    # CSL items by key, for the author's name of an in-text citation ("Smith et al. [1]").
    library: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cites: list[list[Cite]] = field(default_factory=list)  # each citation's sources, by its data-cite

    @property
    def figure_word(self) -> str:
        from ..render.i18n import strings
        return strings(self.language)["figure_word"]

    @property
    def table_word(self) -> str:
        from ..render.i18n import strings
        return strings(self.language)["table_word"]


class _CitationPattern(InlineProcessor):
    """``[see @key, p. 3; -@b]``: a placeholder for the number, its sources kept in the state."""

    def __init__(self, pattern: str, state: CitationState, in_text: bool = False):
        super().__init__(pattern)
        self.state = state
        self.in_text = in_text

    # InlineProcessor changes the signature of Pattern.handleMatch; Markdown's stubs ignore that too.
    def handleMatch(  # type: ignore[override]  # noqa: N802 - Markdown's API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        span = citation_span(self.state, cites_of(m, self.in_text), self.in_text)
        span.text = AtomicString(m.group(0))  # what an image's alt text (a figure caption) reads back
        return span, m.start(0), m.end(0)


class _InlineNotePattern(InlineProcessor):
    """``^[text]``: a footnote at its call, as :class:`_PageFootnotes` makes of ``[^1]``."""

    def handleMatch(  # type: ignore[override]  # noqa: N802 - Markdown's API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        span = etree.Element("span", {"class": "footnote"})
        para = etree.SubElement(span, "span", {"class": "footnote-para"})
        para.text = m.group("note").strip()  # not atomic: citations and emphasis inside are read next
        return span, m.start(0), m.end(0)


class _MalformedCitationPattern(InlineProcessor):
    def __init__(self, pattern: str, state: CitationState):
        super().__init__(pattern)
        self.state = state

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # type: ignore[override]  # noqa: N802
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
        for sup in list(root.iter("sup")):
            link = sup.find("a[@class='footnote-ref']")
            if link is None:
                continue
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


# Emphasis in a citation's prefix or suffix ("[*e.g.* @key]"), which Markdown did not read.
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)([^*_\n]{1,200}+)(?<=\S)\1|([*_])(?=\S)([^*_\n]{1,200}+)(?<=\S)\3")


def _with_emphasis(parent: etree.Element, text: str) -> None:
    """Append ``text`` to ``parent``, its *emphasis* and **strong** text as elements."""
    position = 0
    for match in _EMPHASIS.finditer(text):
        append_text(parent, text[position:match.start()])
        element = etree.SubElement(parent, "strong" if match.group(1) else "em")
        element.text = match.group(2) or match.group(4)
        position = match.end()
    append_text(parent, text[position:])


def _inside_link(element: etree.Element, parents: dict[etree.Element, etree.Element]) -> bool:
    while element in parents:
        element = parents[element]
        if element.tag == "a":
            return True
    return False


class _NumberCitations(Treeprocessor):
    """Number citations in reading order and link each number."""

    def __init__(self, md: markdown.Markdown, state: CitationState):
        super().__init__(md)
        self.state = state
        self.in_link = False

    def run(self, root: etree.Element) -> None:
        parents = _parents(root)
        for span in [s for s in root.iter("span") if s.get("class") == "citation"]:
            self.in_link = _inside_link(span, parents)
            index = span.attrib.pop("data-cite", None)
            if index is None or not index.isdigit() or int(index) >= len(self.state.cites):
                continue
            cites = self.state.cites[int(index)]
            in_text = span.attrib.pop("data-in-text", None) is not None
            references = [c for c in cites if not c.key.startswith(CROSS_REFERENCE_PREFIXES)]
            cross_references = [c.key for c in cites if c.key.startswith(CROSS_REFERENCE_PREFIXES)]
            group = self._cross_references(cross_references) if cross_references else None
            span.text, span[:] = None, []
            if group is not None and not references:  # only "Figure 1": no brackets
                span.set("class", "cross-reference")
                span.extend(list(group))
                continue
            numbers = self._numbers(references)
            if all(c.plain for c in references):
                self._compressed(span, [n for n in numbers if n])
            else:
                self._with_locators(span, references, numbers)
            if in_text and references:  # "Smith et al. [1]"
                csl = self.state.library.get(references[0].key)
                name = in_text_name(csl, self.state.language) if csl is not None else ""
                if name:
                    span.text = f"{name} {span.text or ''}"
            if group is not None:  # "Figure 1 [3]"
                group.tail, span.text = " " + (span.text or ""), None
                span.insert(0, group)

    def _numbers(self, cites: list[Cite]) -> list[int]:
        """Each source's number (0 for an unknown key, which is reported), assigned at first use."""
        numbers = []
        for cite in cites:
            if cite.key not in self.state.known:
                self.state.unknown.append(cite.key)
                numbers.append(0)
                continue
            if cite.key not in self.state.order:
                self.state.order.append(cite.key)
            numbers.append(self.state.order.index(cite.key) + 1)
        return numbers

    def _link(self, span: etree.Element, number: int) -> etree.Element:
        # A link's text cannot hold another link: there the number is plain text.
        link = etree.SubElement(span, "span") if self.in_link else \
            etree.SubElement(span, "a", {"href": f"#{anchor_for(number)}"})
        link.text = str(number)
        return link

    def _compressed(self, span: etree.Element, numbers: list[int]) -> None:
        """[1-3, 5]."""
        span.text = "["
        last: etree.Element | None = None
        for first, end in compress_numbers(numbers) or [(0, 0)]:
            if first == 0:  # every key unknown: an error is reported
                span.text += "?"
                continue
            if last is not None:
                last.tail = ", "
            last = self._link(span, first)
            if end != first:
                last.tail = "\u2013" if end > first + 1 else ", "
                last = self._link(span, end)
        if last is not None:
            last.tail = "]"
        else:
            span.text += "]"

    def _with_locators(self, span: etree.Element, cites: list[Cite], numbers: list[int]) -> None:
        """[see 1, p. 33; 2, pp. 4-5]: each source in the order written, none compressed."""
        span.text = "["
        for index, (cite, number) in enumerate(zip(cites, numbers, strict=True)):
            if index:
                append_text(span, "; ")
            if cite.prefix:
                _with_emphasis(span, cite.prefix + " ")
            if number:
                self._link(span, number)
            else:
                append_text(span, "?")
            locator = cite.locator(self.state.language)
            append_text(span, f", {locator}" if locator else "")
            _with_emphasis(span, suffix_text(cite.suffix))
        append_text(span, "]")

    def _cross_references(self, keys: list[str]) -> etree.Element:
        """"Figure 1, Table 2" as links to what they name."""
        group = etree.Element("span", {"class": "cross-reference"})
        last: etree.Element | None = None
        for key in keys:
            label = self.state.labels.get(key)
            if label is None:
                self.state.unresolved.append(key)
                label = "?"
            if last is not None:
                last.tail = ", "
            # No link to what is not there: the error names it once.
            last = etree.SubElement(group, "a", {"href": f"#{key}"}) if label != "?" else \
                etree.SubElement(group, "span")
            last.text = label
        return group


class LeafpressExtension(Extension):
    def __init__(self, state: CitationState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        # Above 'link' (160) so "[@key]" is never read as a reference link.
        # A backslash keeps '@' as text: \\@name is not a citation.
        if "@" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("@")
        # Below 'backtick' (190), so code is never a note; above 'escape' (180), which then works inside.
        md.inlinePatterns.register(_InlineNotePattern(INLINE_NOTE, md), "inline-note", 185)
        md.inlinePatterns.register(_CitationPattern(BRACKETED, self.state), "citation", 176)
        md.inlinePatterns.register(_MalformedCitationPattern(MALFORMED, self.state),
                                   "citation-malformed", 175.5)
        # After 'inline' (20) and the footnote processors (50, 15).
        # After links and images (down to 'automail', 110): an address or a link's target is never a citation.
        md.inlinePatterns.register(_CitationPattern(IN_TEXT, self.state, in_text=True), "citation-in-text", 105)
        md.treeprocessors.register(_PageFootnotes(md), "page-footnotes", 12)
        # After 'attr_list' (8), which gives images their width and id.
        md.treeprocessors.register(FiguresAndTables(md, self.state), "figures-and-tables", 7.8)
        md.treeprocessors.register(Typography(md), "typography", 7.6)
        md.treeprocessors.register(_NumberCitations(md, self.state), "number-citations", 7.4)


def render_markdown(text: str, state: CitationState) -> str:
    """Convert Markdown to a clean HTML fragment; citations, removals and refusals land in ``state``.

    Text over the limits is not parsed at all: the result is empty and
    ``state.refused`` says why.
    """
    text = normalise_list_indentation(text)
    refused = markdown_limits(text)
    if not refused:
        try:
            html = _markdown(state).convert(text)
        except RecursionError:
            refused = [Notice(f"{too_deep(f'over {MAX_DEPTH}')}: {FEWER_LEVELS}")]
        except Exception as exc:  # noqa: BLE001 - a parser bug must not become a traceback for the author
            refused = [Notice(f"the Markdown could not be converted ({type(exc).__name__}: "
                              f"{quote(exc, 100)}): simplify the text around the problem")]
    if refused:
        state.refused.extend(refused)
        return ""
    return sanitise(html, state)


def _markdown(state: CitationState) -> markdown.Markdown:
    # 'toc' gives headings their ids, so text can link to a section.
    return markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "def_list", "sane_lists", "smarty", "toc", "admonition",
                    LeafpressExtension(state)],
        extension_configs={
            "toc": {"slugify": slugify_unicode, "permalink": False},
            "footnotes": {"UNIQUE_IDS": True},
        },
        output_format="html",
    )


# --- limits before parsing -----------------------------------------------------------

MAX_LINES = 10_000
# Work is an estimate of Python-Markdown's steps: for each '[', '<tag' or '](',
# how far it must look for its ']', '>' or ')' (to the end of the paragraph if
# there is none);
# plus the markup characters times the paragraph's length, because its inline
# processor rescans the text after each match; plus definition lines times the
# length, which its definition-list processor re-reads. Measured: 50,000 '[' in
# one paragraph take minutes; these limits keep any text under a few seconds,
# far above real leaflets (a long paragraph full of citations uses a few
# thousand).
# Backslash escapes, smart quotes and dashes (smarty) and character entities
# are cheap to find but each one rewrites the paragraph's text: counted as
# markup too (measured: 40,000 '\.' in one paragraph take 5 s, 80,000 about
# 20 s; one at the limit below takes a tenth of a second).
MAX_PARAGRAPH_WORK = 3_000_000
MAX_WORK = 10_000_000
FEWER_LEVELS = "use fewer levels of lists, block quotes or HTML elements"

_QUOTE_AND_INDENT = re.compile(r"[ \t>]*")
# '@' starts an in-text citation, each one a match that rewrites the paragraph, as '[' does.
_MARK = re.compile(r"[\[*_`|@]|<[A-Za-z/!?]")
# What Python-Markdown replaces one by one: escapes, smarty's quotes, dashes and ellipses, entities.
_PUNCTUATION = re.compile(r"\\.|['\"]|--|\.\.\.|&[#A-Za-z0-9]", re.S)
_ITEM_START = re.compile(r"[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_DEFINITION = re.compile(r"^[ \t]{0,3}:", re.M)


def _nesting(line: str) -> int:
    """Levels of block quote ('>') and indentation (four columns each) that open a line."""
    match = _QUOTE_AND_INDENT.match(line)
    prefix = match.group(0) if match else ""  # it always matches, if only ""
    quotes = prefix.count(">")
    if len(prefix) == len(line):  # nothing after: indentation alone opens no level
        return quotes
    return quotes + len(prefix.rsplit(">", 1)[-1].expandtabs(4)) // 4


def _next(positions: list[int], after: int, end: int) -> int:
    index = bisect.bisect_right(positions, after)
    return positions[index] if index < len(positions) else end


def _segment_work(segment: str) -> tuple[int, int, int]:
    """(work, markup characters, punctuation) for text Python-Markdown processes inline as one piece."""
    closing = {"[": [m.start() for m in re.finditer(r"\]", segment)],
               "<": [m.start() for m in re.finditer(r">", segment)]}
    marks = work = 0
    for match in _MARK.finditer(segment):
        marks += 1
        opener = segment[match.start()]
        if opener in closing:
            work += _next(closing[opener], match.start(), len(segment)) - match.start()
    # A link's "(" is read up to its ")", through any nested brackets.
    parentheses = [m.start() for m in re.finditer(r"\)", segment)]
    for match in re.finditer(r"\]\(", segment):
        work += _next(parentheses, match.start(), len(segment)) - match.start()
    punctuation = len(_PUNCTUATION.findall(segment))
    return work + (marks + punctuation) * len(segment) // 16, marks, punctuation


def _segments(lines: list[str]) -> list[str]:
    """A block cut where Python-Markdown cuts it for inline work: list items, table rows."""
    if len(lines) > 1 and "|" in lines[0] and _TABLE_RULE.fullmatch(lines[1]):
        return lines
    segments: list[list[str]] = []
    for line in lines:
        if not segments or _ITEM_START.match(line):
            segments.append([])
        segments[-1].append(line)
    return ["\n".join(s) for s in segments]


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(first line, lines) of each run of non-blank lines."""
    blocks: list[tuple[int, list[str]]] = []
    previous_blank = True
    for number, line in enumerate(lines, start=1):
        blank = not line.strip()
        if not blank:
            if previous_blank:
                blocks.append((number, []))
            blocks[-1][1].append(line)
        previous_blank = blank
    return blocks


def markdown_limits(text: str) -> list[Notice]:
    """Why ``text`` must not be given to Python-Markdown, if it must not; in linear time."""
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        return [Notice(f"too many lines ({len(lines)}; at most {MAX_LINES}): split the text into several "
                       "documents")]
    for number, line in enumerate(lines, start=1):
        levels = _nesting(line)
        if levels > MAX_DEPTH:
            return [Notice(f"{too_deep(levels)}: {FEWER_LEVELS}", line=number)]
    total = 0
    for first, block in _blocks(lines):
        parts = [_segment_work(segment) for segment in _segments(block)]
        work, marks, punctuation = (sum(part[i] for part in parts) for i in range(3))
        length = sum(len(line) + 1 for line in block)
        work += len(_DEFINITION.findall("\n".join(block))) * length // 4
        if work > MAX_PARAGRAPH_WORK and punctuation > marks:
            return [Notice(f"this paragraph is too long to convert with so much punctuation ({length} characters, "
                           f"{punctuation} backslash escapes, quotes, dashes, '...' or &entities;): split it into "
                           "shorter paragraphs", line=first)]
        if work > MAX_PARAGRAPH_WORK:
            return [Notice(f"this paragraph is too long and complex to convert ({length} characters, {marks} "
                           "of them markup such as [ * _ ` | <): split it up, or escape stray characters "
                           "with a backslash, as in \\[", line=first)]
        total += work
        if total > MAX_WORK:
            return [Notice("the text is too long and complex to convert (too many paragraphs full of markup "
                           "such as [ * _ ` | <): split it into several documents", line=first)]
    return []


# --- sanitising after parsing ----------------------------------------------------------

# What leaflets need: text structure, tables, figures, links and images. No
# scripts, frames, forms, embedded objects, <link>, <style>, <meta> or <base>
# (they would run, fetch or attach things, or change how URLs resolve), no
# style attributes (url() fetches, fixed positioning over the clinic's text)
# and no rel (rel="attachment" makes WeasyPrint embed the target in the PDF).
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr",
})
# Removed with everything inside them: their content is code, or a control's
# text that means nothing on paper.
REMOVED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "applet", "noscript", "template", "svg", "math",
    "textarea", "select", "option", "datalist", "button", "title", "xmp", "noembed", "noframes",
    "frameset", "frame", "audio", "video", "canvas", "head",
})
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "style"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "col": {"span"},
    "colgroup": {"span"},
}
WEB_SCHEMES = ("http", "https", "mailto", "tel")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_RASTER_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp)[;,]", re.I)
# Python-Markdown's tables write column alignment as a style; nothing else may be one.
_ALIGN = re.compile(r"text-align:\s*(?:left|center|right);?")
# ...and a figure's width, from ![caption](file){width=60%}.
_IMAGE_WIDTH = re.compile(r"width:\s*\d{1,3}(?:\.\d+)?(?:%|mm|cm|in|pt);?")
_NUMBER_LIMITS = {"colspan": 100, "rowspan": 1000, "span": 100, "start": 10**6, "value": 10**6,
                  "width": 10_000, "height": 10_000}
_VALUES = {"dir": re.compile(r"ltr|rtl|auto"), "type": re.compile(r"[1aAiI]"),
           "scope": re.compile(r"(?:row|col)(?:group)?"), "reversed": re.compile(r"|reversed"),
           "lang": re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")}
RELATIVE_LINK_FIX = "link to https://... instead"
IMAGE_FIX = "put the image file in the topic folder"


_C0_AND_SPACE = "".join(map(chr, range(0x21)))


# mailto: with one plain address: no '?' (headers such as ?attach= or ?body=), no second address.
_MAILTO = re.compile(r"mailto:[A-Za-z0-9!#$&'*+/=^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}", re.I)


def _url(value: str) -> tuple[str, str | None]:
    """The URL as a browser reads it (tabs and newlines dropped, ends trimmed) and its scheme."""
    url = re.sub(r"[\t\n\r]", "", value).strip(_C0_AND_SPACE)
    match = _SCHEME.match(url)
    return url, match.group(1).lower() if match else None


def attribute_verdict(tag: str, name: str, value: str) -> str | None:
    """Why an allowed attribute's value must go, or None to keep it."""
    if tag == "a" and name == "href":
        url, scheme = _url(value)
        if scheme == "mailto" and not _MAILTO.fullmatch(url):
            return (f"link {quote(value)} must be an email address alone, such as mailto:info@example.org: "
                    "it was removed; write one address and nothing after it")
        if url.startswith("#") or scheme in WEB_SCHEMES:
            return None
        kind = "relative link" if scheme is None else "link"
        return f"{kind} {quote(value)} is not a web address: it was removed; {RELATIVE_LINK_FIX}"
    if tag == "img" and name == "src":
        url, scheme = _url(value)
        if scheme in (None, "http", "https", "file"):  # the fetcher decides, and reports what it refuses
            return None
        if scheme == "data":
            if _RASTER_DATA.match(url):
                return None
            return f"image {quote(value)} is not a PNG, JPEG, GIF or WebP image: it was removed; {IMAGE_FIX}"
        return f"image {quote(value)} is not a file of the topic: it was removed; {IMAGE_FIX}"
    if name == "style":
        if _ALIGN.fullmatch(value.strip()) or (tag == "img" and _IMAGE_WIDTH.fullmatch(value.strip())):
            return None
        return "HTML attribute 'style' is not allowed in a leaflet: it was removed"
    if name in _NUMBER_LIMITS:
        if value.strip().isdigit() and int(value) <= _NUMBER_LIMITS[name]:
            return None
        return f"HTML attribute {name}={quote(value)} is not a number up to {_NUMBER_LIMITS[name]}: it was removed"
    if name in _VALUES and not _VALUES[name].fullmatch(value.strip()):
        return f"HTML attribute {name}={quote(value)} is not allowed: it was removed"
    return None


def _keep(tag: str, name: str, value: str) -> str | None:
    return None if attribute_verdict(tag, name, value) else value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes=ATTRIBUTES,
    attribute_filter=_keep,
    strip_comments=True,
    link_rel=None,
    url_schemes={"http", "https", "mailto", "tel", "file", "data"},
)

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "keygen", "frame"})
# Closed by the next one of their kind (<p>, <li> without an end tag)...
_SELF_CLOSING = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option"})
# ...and parts of the level their container opened.
_NOT_A_LEVEL = frozenset({"li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup"})


# Where an attribute can be written: inside an HTML tag, or in an attr_list's {: ...}.
_IN_A_TAG = r"(?:<[A-Za-z][^<>]*|\{[^{}\n]*)"


class _TooDeep(Exception):
    pass


class _Inspector(HTMLParser):
    """Walk HTML as a stack (no recursion): its depth, and what the sanitiser will remove."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.depth = 0
        self.removing = 0  # inside an element removed with its content
        self.notices: dict[str, Notice] = {}

    def _note(self, message: str, needle: str) -> None:
        self.notices.setdefault(message, Notice(message, needle=needle))

    def _inspect(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.removing:
            return
        if tag not in ALLOWED_TAGS:
            what = (" with its content" if tag in REMOVED_WITH_CONTENT else "" if tag in _VOID
                    else " (its text is kept)")
            self._note(f"HTML element <{quote(tag, 20)[1:-1]}> is not allowed in a leaflet: it was removed{what}",
                       rf"<{re.escape(tag)}\b")
            return
        allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self._note(f"HTML attribute {quote(name, 30)} is not allowed in a leaflet: it was removed",
                           _IN_A_TAG + rf"\b{re.escape(name)}\s*=")
                continue
            reason = attribute_verdict(tag, name, value or "")
            if reason:
                self._note(reason, _IN_A_TAG + rf"\b{re.escape(name)}\s*=\s*[\"']?{re.escape(value or '')}"
                           if (tag != "a" and tag != "img") or not value else
                           rf"(?:\b(?:href|src)\s*=\s*[\"']?|\]\(\s*<?){re.escape(value)}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._inspect(tag, attrs)
        if tag in _VOID:
            return
        if tag in _SELF_CLOSING and self.stack and self.stack[-1] == tag:
            self._pop()
        self.stack.append(tag)
        if tag in REMOVED_WITH_CONTENT:
            self.removing += 1
        if tag not in _NOT_A_LEVEL:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooDeep

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._inspect(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self._pop() != tag:
                pass

    def _pop(self) -> str:
        tag = self.stack.pop()
        if tag in REMOVED_WITH_CONTENT:
            self.removing -= 1
        if tag not in _NOT_A_LEVEL:
            self.depth -= 1
        return tag


# A declaration, marked section or processing instruction: where HTML's own parser gives up.
_DECLARATION = re.compile(r"<[!?][^<>\n]{0,40}>?")


def _unreadable(html: str, inspector: _Inspector) -> Notice:
    """Why the HTML in the text could not be read: the markup where the parser stopped, to find its line."""
    line, column = inspector.getpos()
    lines = html.split("\n")
    start = sum(len(text) + 1 for text in lines[:line - 1]) + column
    # The parser reports a position inside the markup it gave up on: the last '<!' or '<?' up to there.
    begin = max(html.rfind("<!", 0, start + 1), html.rfind("<?", 0, start + 1))
    found = _DECLARATION.match(html, begin) if begin >= 0 else _DECLARATION.search(html)
    if found is None:
        return Notice("the HTML in the text could not be read: check its tags, or write a literal < as \\<")
    markup = found.group(0)
    return Notice(f"the HTML markup {quote(markup, 40)} could not be read: remove it (a comment is written "
                  "<!-- like this -->), or write a literal < as \\<", needle=re.escape(markup))


def sanitise(html: str, state: CitationState) -> str:
    """``html`` cut down to the leaflet allowlist; what mattered is noted in ``state``."""
    inspector = _Inspector()
    try:
        inspector.feed(html)
        inspector.close()
    except _TooDeep:
        state.refused.append(Notice(f"{too_deep(f'over {MAX_DEPTH}')}: {FEWER_LEVELS}"))
        return ""
    except Exception:  # noqa: BLE001 - html.parser asserts on some declarations (<![ ]>): the author's to fix
        state.refused.append(_unreadable(html, inspector))
        return ""
    state.removed.extend(inspector.notices.values())
    return _CLEANER.clean(html)
