"""Preflight: what a designer checks by eye on a finished PDF, read from the page content itself.

:func:`preflight` reads where every glyph and image sits on each page
(pypdfium2, the PDFium library's bindings: char boxes, font sizes, image
bounds, the trim box and which glyphs have no Unicode mapping) and reports:

- text smaller than the minimum (running headers and footers excepted: see
  :func:`_furniture`; so are superscripts and subscripts, which are meant to
  be small);
- a glyph outside the trim box, or an image that runs past the edge of the
  page (the bleed box, when there is a bleed): both are cut off;
- a heading, caption or table header stranded at the foot of a page, the
  last thing on it with its content on the next page (from the tags of a
  tagged PDF; else a heading is a line set bold, or larger than the body text);
- a page other than the last less than a third full;
- text that does not extract as Unicode (a glyph with no ToUnicode mapping,
  U+FFFD, a private-use character): copying, searching and screen readers get
  it wrong.

Every finding is a :class:`Finding`, a page and a sentence; what to do with
it (a warning, or an error with ``--strict``) is the caller's business.
"""

from __future__ import annotations

import ctypes
import io
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..errors import quote

# The smallest text anyone reads comfortably in print, for layouts that set no
# minimum of their own and for PDFs leafpress did not make (`check --pdf --min-text`).
DEFAULT_MIN_TEXT_PT = 6.0
# A page other than the last filled to less than this fraction of the text area.
MIN_FILL = 1 / 3
# Findings of one kind on one page: past this, one line says how many more.
MAX_EXAMPLES = 3

MM = 25.4 / 72  # points to millimetres
SLACK_PT = 0.5  # rounding in box arithmetic: less than this past an edge is on it


@dataclass(frozen=True)
class Rules:
    """What a PDF is checked against: its layout's smallest text, and whether its pages are one flow.

    ``flow`` is False for imposed sheets (the booklet), whose pages are two
    leaflet pages side by side: how full a sheet is, and what ends it, say
    nothing of the leaflet, which is checked on its own.
    """

    min_text_pt: float = DEFAULT_MIN_TEXT_PT
    flow: bool = True


@dataclass(frozen=True)
class Finding:
    """One thing a designer would mark on a page: its number (from 1) and a sentence."""

    page: int
    message: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.message}"


_FINDING = re.compile(r"^page (\d+): ")


def page_of(message: str) -> int | None:
    """The page a message made from a :class:`Finding` (``str(finding)``) is about, else None."""
    found = _FINDING.match(message)
    return int(found.group(1)) if found else None


Box = tuple[float, float, float, float]  # left, bottom, right, top, in points, PDF space (y up)


@dataclass
class _Run:
    """The glyphs of one text object on one line, in reading order."""

    first: int  # index of its first glyph on the text page
    text: str
    size: float  # points, with every transformation applied
    bold: bool
    box: Box
    baseline: float
    mcid: int  # marked-content id, -1 when the text is not tagged


@dataclass
class _Line:
    runs: list[_Run] = field(default_factory=list)
    box: Box = (math.inf, math.inf, -math.inf, -math.inf)

    def add(self, run: _Run) -> None:
        self.runs.append(run)
        self.box = _union(self.box, run.box)

    @property
    def text(self) -> str:
        return " ".join(" ".join(r.text for r in sorted(self.runs, key=lambda r: r.box[0])).split())

    @property
    def main(self) -> _Run:
        """The run that sets the line: the largest, as a superscript is smaller than its line."""
        return max(self.runs, key=lambda r: (r.size, len(r.text)))

    @property
    def size(self) -> float:
        return self.main.size

    @property
    def bold(self) -> bool:
        return all(r.bold for r in self.runs if r.text.strip())

    def raised_or_lowered(self, run: _Run) -> bool:
        """A superscript or subscript: smaller than its line and off its baseline."""
        main = self.main
        return run.size < main.size - 0.05 and abs(run.baseline - main.baseline) > 0.1 * main.size


@dataclass
class _Page:
    number: int
    trim: Box
    edge: Box  # where the page is cut: the bleed box if larger than the trim box, else the trim box
    lines: list[_Line]
    images: list[Box]
    unmapped: list[str]  # a few words around each glyph that does not extract as Unicode
    roles: _Roles = field(default_factory=lambda: _Roles())  # marked-content id -> what the tags say it is
    furniture: set[int] = field(default_factory=set)  # indexes of lines that are running headers or footers

    def body(self) -> list[_Line]:
        return [line for i, line in enumerate(self.lines) if i not in self.furniture]


@dataclass(frozen=True)
class _Role:
    """What the structure tree says a marked-content sequence is part of."""

    block: str  # the nearest block-level tag ("P", "H2", "Caption", "TH", "LI"...), "" if none (footnotes)
    owner: tuple[int, int] | None  # the Table or figure a caption or table header belongs to (its object id)


NO_ROLE = _Role("", None)


# --- reading the pages ---------------------------------------------------------------------


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _address(pointer: Any) -> int:
    return ctypes.cast(pointer, ctypes.c_void_p).value or 0


# The text object a glyph belongs to, as a plain address: comparing ctypes pointers glyph by glyph is slow.
_text_object_of = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    _address(pdfium_c.FPDFText_GetTextObject))
_has_map_error = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int)(
    _address(pdfium_c.FPDFText_HasUnicodeMapError))
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demibold|extrabold", re.IGNORECASE)
_PRIVATE_OR_REPLACEMENT = re.compile("[\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff]")


def _font_is_bold(textpage: Any, index: int, weight: int) -> bool:
    if weight >= 600:
        return True
    flags = ctypes.c_int()
    buffer = ctypes.create_string_buffer(128)
    length = pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, len(buffer), ctypes.byref(flags))
    name = buffer.raw[: max(length - 1, 0)].decode("latin-1")
    return bool(_BOLD_NAME.search(name.split("+", 1)[-1])) or bool(flags.value & (1 << 18))  # ForceBold


def _runs(textpage: Any, count: int, text: str, bold: bool, tags: bool) -> Iterator[_Run]:
    """Each text object's glyphs on the text page, as runs (a generated space or line end has no object).

    Whether a run is bold, and its marked-content id, are read only when asked for (``bold``, ``tags``).
    """
    handle = _address(textpage)
    objects = [_text_object_of(handle, i) for i in range(count)]
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    x, y = ctypes.c_double(), ctypes.c_double()
    matrix = pdfium_c.FS_MATRIX()
    start = 0
    while start < count:
        obj = objects[start]
        end = start + 1
        while end < count and objects[end] == obj:
            end += 1
        if obj:
            box: Box = (math.inf, math.inf, -math.inf, -math.inf)
            for r in range(pdfium_c.FPDFText_CountRects(textpage, start, end - start)):
                pdfium_c.FPDFText_GetRect(textpage, r, left, top, right, bottom)
                box = _union(box, (left.value, bottom.value, right.value, top.value))
            pdfium_c.FPDFText_GetMatrix(textpage, start, matrix)
            scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
            size = pdfium_c.FPDFText_GetFontSize(textpage, start) * scale
            pdfium_c.FPDFText_GetCharOrigin(textpage, start, x, y)
            if box[0] <= box[2]:
                heavy = bold and _font_is_bold(textpage, start, pdfium_c.FPDFText_GetFontWeight(textpage, start))
                pointer = ctypes.cast(obj, pdfium_c.FPDF_PAGEOBJECT)
                mcid = pdfium_c.FPDFPageObj_GetMarkedContentID(pointer) if tags else -1
                yield _Run(start, text[start:end], size, heavy, box, y.value, mcid)
        start = end


def _lines(runs: list[_Run]) -> list[_Line]:
    """Runs grouped into lines: a run joins a line its box overlaps by half its height or more, top down."""
    lines: list[_Line] = []
    for run in sorted(runs, key=lambda r: (-r.box[3], r.box[0])):
        height = run.box[3] - run.box[1]
        for line in reversed(lines[-8:]):  # the lines just above: runs come top down
            overlap = min(line.box[3], run.box[3]) - max(line.box[1], run.box[1])
            if overlap >= 0.5 * min(height, line.box[3] - line.box[1]):
                line.add(run)
                break
        else:
            line = _Line()
            line.add(run)
            lines.append(line)
    return [line for line in lines if line.text]


def _unmapped(textpage: Any, count: int, text: str) -> list[str]:
    """A few words around each glyph with no Unicode mapping, or one that extracts as U+FFFD or private use."""
    handle = _address(textpage)
    bad = [i for i in range(count) if _has_map_error(handle, i)]
    bad += [m.start() for m in _PRIVATE_OR_REPLACEMENT.finditer(text)]
    found = []
    for i in sorted(set(bad)):
        before = text[:i].split()[-1:] if text[:i].rstrip() == text[:i] else []
        after = text[i + 1:].split()[:1] if text[i + 1: i + 2].strip() else []
        found.append("".join(before) + "\ufffd" + "".join(after))
    return found


def _image_boxes(page: Any) -> list[Box]:
    """Where each image is drawn on the page, inside forms too: the unit square through its matrices."""
    boxes = []
    matrix = pdfium_c.FS_MATRIX()
    stack: list[tuple[Any, tuple[float, ...]]] = [(page, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))]
    while stack:
        parent, outer = stack.pop()
        is_page = parent is page
        count = pdfium_c.FPDFPage_CountObjects(parent.raw) if is_page else pdfium_c.FPDFFormObj_CountObjects(parent)
        for i in range(count):
            obj = pdfium_c.FPDFPage_GetObject(parent.raw, i) if is_page else pdfium_c.FPDFFormObj_GetObject(parent, i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM):
                continue
            pdfium_c.FPDFPageObj_GetMatrix(obj, matrix)
            inner = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
            combined = _multiply(inner, outer)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                stack.append((obj, combined))
                continue
            a, b, c, d, e, f = combined
            xs = [e, a + e, c + e, a + c + e]
            ys = [f, b + f, d + f, b + d + f]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return boxes


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    """The PDF matrix m then n (as the content stream's 'cm' composes them)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _read_pages(document: pdfium.PdfDocument, bold: bool, tags: bool) -> list[_Page]:
    pages = []
    for number in range(1, len(document) + 1):
        page = document[number - 1]
        try:
            trim: Box = tuple(page.get_trimbox())
            bleed: Box = tuple(page.get_bleedbox())
            edge = bleed if bleed != trim and _union(bleed, trim) == bleed else trim
            textpage = page.get_textpage()
            try:
                count = textpage.count_chars()
                text = textpage.get_text_range(0, count) if count else ""
                text = text.ljust(count)[:count]  # one character per glyph (a glyph beyond U+FFFF is two)
                lines = _lines(list(_runs(textpage.raw, count, text, bold, tags)))
                unmapped = _unmapped(textpage.raw, count, text)
            finally:
                textpage.close()
            pages.append(_Page(number, trim, edge, lines, _image_boxes(page), unmapped))
        finally:
            page.close()
    return pages


class _Roles:
    """What the structure tree says each marked-content id on one page is part of, looked up when asked."""

    def __init__(self, elements: pikepdf.Array | None = None,
                 cache: dict[tuple[int, int], _Role] | None = None) -> None:
        self.elements = elements
        self.cache = cache if cache is not None else {}

    def __bool__(self) -> bool:
        return self.elements is not None

    def get(self, mcid: int) -> _Role:
        if self.elements is None or not 0 <= mcid < len(self.elements):
            return NO_ROLE
        element = self.elements[mcid]
        return _role(element, self.cache) if isinstance(element, pikepdf.Dictionary) else NO_ROLE


def _read_roles(pdf: pikepdf.Pdf, pages: list[_Page]) -> None:
    """For a tagged PDF, give each page the structure elements its marked content belongs to."""
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, pikepdf.Dictionary) or "/ParentTree" not in root:
        return
    try:
        parents = pikepdf.NumberTree(root.ParentTree)
    except (pikepdf.PdfError, TypeError, ValueError):
        return
    cache: dict[tuple[int, int], _Role] = {}
    for page, pdf_page in zip(pages, pdf.pages, strict=False):
        try:
            key = int(pdf_page.obj.get("/StructParents", -1))
        except (TypeError, ValueError):
            continue
        elements = parents.get(key, None)
        if isinstance(elements, pikepdf.Array):
            page.roles = _Roles(elements, cache)


INLINE = {"/Span", "/Link", "/Lbl", "/Reference", "/Quote", "/Code", "/Note", "/BibEntry", "/Annot", "/Ruby",
          "/Em", "/Strong", "/Sub"}
GROUPING = {"/Document", "/Part", "/Art", "/Sect", "/Div", "/NonStruct", "/Private", "/DocumentFragment",
            "/Aside", "/BlockQuote"}
HEADINGS = {"/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/Title"}
OWNERS = {"/Table", "/Figure", "/Formula", "/L"}


def _role(element: pikepdf.Dictionary, cache: dict[tuple[int, int], _Role]) -> _Role:
    """The nearest block-level tag above a marked-content sequence, and for a caption or TH what it belongs to."""
    chain = []
    node: Any = element
    role: _Role | None = None
    for _ in range(64):  # a hostile tree can loop
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            break
        if node.is_indirect and node.objgen in cache:
            role = cache[node.objgen]
            break
        chain.append(node)
        node = node.get("/P")
    if role is None:
        role = NO_ROLE
    # Walk back down: each element's role is its own tag if block-level, else its parent's.
    for node in reversed(chain):
        tag = str(node.get("/S"))
        if tag in INLINE:
            pass
        elif tag in GROUPING:
            role = NO_ROLE
        else:
            owner = role.owner
            if tag in OWNERS and node.is_indirect:
                owner = node.objgen
            if tag == "/Caption":
                parent = node.get("/P")
                owner = parent.objgen if isinstance(parent, pikepdf.Dictionary) and parent.is_indirect else owner
            role = _Role(tag[1:], owner)
        if node.is_indirect:
            cache[node.objgen] = role
    return role


# --- running headers and footers -----------------------------------------------------------


def _furniture(pages: list[_Page]) -> None:
    """Mark the running headers and footers: text in the page margins, not the flow.

    A PDF does not say where its text area is, so a line is taken for a
    running header (footer) when it is the topmost (bottommost) on its page,
    in the outer fifth of the page, set no larger than the body text, set off
    from the line below (above) it by more than its own height, and found at
    the same height on at least two pages (page numbers change, their place
    does not). A one-page document has nothing to compare with: there the
    outer tenth of the page counts instead. The first line of the body
    starts at the same height on every page too, but is set off from the
    next by no more than the leading.
    """
    body = _body_size(pages)
    candidates: list[tuple[_Page, int, str, float]] = []  # page, line index, which end, its outer edge
    for page in pages:
        order = sorted(range(len(page.lines)), key=lambda i: -page.lines[i].box[3])
        if not order:
            continue
        band = (0.1 if len(pages) == 1 else 0.2) * (page.trim[3] - page.trim[1])
        # A page with one line of text (the rest a picture, or blank) has no neighbour to measure from.
        alone: Box = (0.0, math.inf, 0.0, -math.inf)
        for end, outer, inner in (("top", order[0], order[1:2]), ("bottom", order[-1], order[-2:-1])):
            line = page.lines[outer]
            neighbour = page.lines[inner[0]] if inner else _Line(box=alone)
            height = line.box[3] - line.box[1]
            gap = line.box[1] - neighbour.box[3] if end == "top" else neighbour.box[1] - line.box[3]
            edge = line.box[3] if end == "top" else line.box[1]
            in_band = edge >= page.trim[3] - band if end == "top" else edge <= page.trim[1] + band
            if in_band and gap > height and line.size <= body + 0.1:
                candidates.append((page, outer, end, edge))
    for page, index, end, edge in candidates:
        again = sum(1 for other, _, other_end, y in candidates if other_end == end and abs(y - edge) <= 1)
        if len(pages) == 1 or again >= 2:
            page.furniture.add(index)


# --- the checks ----------------------------------------------------------------------------


def _examples(found: list[str], what: str) -> str:
    shown = ", ".join(found[:MAX_EXAMPLES])
    more = len(found) - MAX_EXAMPLES
    return shown + (f" and {more} more {what}" if more > 0 else "")


def _small_text(page: _Page, minimum: float) -> Finding | None:
    small: dict[str, float] = {}
    smallest = math.inf
    for line in page.body():
        for run in line.runs:
            if run.text.strip() and run.size < minimum - 0.05 and not line.raised_or_lowered(run):
                words = quote(line.text, 40)
                small.setdefault(words, run.size)
                smallest = min(smallest, run.size)
    if not small:
        return None
    lines = _examples([f"{words} at {size:.1f} pt" for words, size in small.items()], "lines")
    return Finding(page.number, f"text smaller than the minimum of {minimum:g} pt: {lines}")


def _edge_name(box: Box, edge: Box) -> tuple[str, float]:
    """Which edge of ``edge`` the box crosses most, and by how many points."""
    overs = {"left": edge[0] - box[0], "bottom": edge[1] - box[1], "right": box[2] - edge[2], "top": box[3] - edge[3]}
    name = max(overs, key=lambda k: overs[k])
    return name, overs[name]


def _outside(page: _Page) -> list[Finding]:
    findings = []
    text: list[str] = []
    for line in page.lines:
        for run in line.runs:
            if not run.text.strip():
                continue
            name, by = _edge_name(run.box, page.trim)
            if by > SLACK_PT and not _beyond(run.box, page.edge, page.trim):
                text.append(f"{quote(run.text.strip(), 40)} by {by * MM:.1f} mm at the {name}")
    if text:
        findings.append(Finding(page.number, "text outside the trim box, where the page is cut: "
                                f"{_examples(text, 'runs of text')}"))
    for box in page.images:
        name, by = _edge_name(box, page.edge)
        if by > SLACK_PT:
            width, height = (box[2] - box[0]) * MM, (box[3] - box[1]) * MM
            findings.append(Finding(page.number, f"an image ({width:.0f} x {height:.0f} mm) runs {by * MM:.1f} mm "
                                    f"past the {name} edge of the page: that part is cut off"))
    return findings


def _beyond(box: Box, edge: Box, trim: Box) -> bool:
    """Wholly outside the bleed of a print file: a slug line for the printer, not part of the page."""
    if edge == trim:
        return False
    return box[2] <= edge[0] or box[0] >= edge[2] or box[3] <= edge[1] or box[1] >= edge[3]


def _body_size(pages: list[_Page]) -> float:
    """The size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.body():
            for run in line.runs:
                sizes[round(run.size, 1)] += len(run.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _text_area(pages: list[_Page]) -> tuple[float, float]:
    """The top and bottom of the text area, as far as the pages show it: the extremes of their flow."""
    tops = [max(_flow_boxes(page), key=lambda b: b[3])[3] for page in pages if _flow_boxes(page)]
    bottoms = [min(_flow_boxes(page), key=lambda b: b[1])[1] for page in pages if _flow_boxes(page)]
    return (max(tops), min(bottoms)) if tops else (0.0, 0.0)


def _flow_boxes(page: _Page) -> list[Box]:
    return [line.box for line in page.body()] + [
        b for b in page.images if b[1] >= page.trim[1] - 1 and b[3] <= page.trim[3] + 1]


def _underfilled(pages: list[_Page]) -> list[Finding]:
    top, bottom = _text_area(pages)
    if top - bottom <= 0:
        return []
    findings = []
    for page in pages[:-1]:
        boxes = _flow_boxes(page)
        low = min((b[1] for b in boxes), default=top)
        fill = max(0.0, min(1.0, (top - low) / (top - bottom)))
        if fill < MIN_FILL:
            findings.append(Finding(page.number, f"the page is only {fill:.0%} full, and a page other than the "
                                    "last should be at least a third full: look for a forced page break, or "
                                    "something too tall to fit after it"))
    return findings


def _stranded(pages: list[_Page], tagged: bool) -> list[Finding]:
    body = _body_size(pages)
    findings = []
    for page, following in itertools.pairwise(pages):
        last = next(_flow_lines(page, tagged, body, from_bottom=True), None)
        if last is None or any(image[3] <= last.box[1] + 1 and image[1] >= page.trim[1] for image in page.images):
            continue  # nothing in the flow, or an image below the last line
        what = _stranded_kind(last, page, following, tagged, body)
        if what:
            findings.append(Finding(page.number, f"the {what} {quote(last.text, 50)} is the last thing on the page "
                                    f"and its content starts on page {following.number}: keep them together "
                                    "(break-after: avoid) or move the break"))
    return findings


def _flow_lines(page: _Page, tagged: bool, body: float, from_bottom: bool = False) -> Iterator[_Line]:
    """Lines of the flow, top down (or bottom up): not running headers or footers, nor footnotes.

    Tagged: lines inside a block-level tag (a footnote is outside every one).
    Untagged: small print at the foot of the page, set apart from the text
    above it by more than two and a half times the body size, is taken for
    footnotes and left out (a list of sources in small print right under its
    heading is not).
    """
    lines = sorted(page.body(), key=lambda line: (-line.box[1], line.box[0]))
    if not tagged:
        small = len(lines)
        while small > 0 and lines[small - 1].size < 0.9 * body:
            small -= 1
        if 0 < small < len(lines) and lines[small - 1].box[1] - lines[small].box[3] > 2.5 * body:
            del lines[small:]
    for line in reversed(lines) if from_bottom else lines:
        if not tagged or any(page.roles.get(r.mcid).block for r in line.runs):
            yield line


def _stranded_kind(line: _Line, page: _Page, following: _Page, tagged: bool, body: float) -> str | None:
    """'heading', 'caption' or 'table header' if ``line`` is one whose content starts on the ``following`` page."""
    if not tagged:
        looks_like = line.bold or line.size >= 1.15 * body
        return "heading" if looks_like and next(_flow_lines(following, tagged, body), None) else None
    role = next((page.roles.get(r.mcid) for r in line.runs if page.roles.get(r.mcid).block), NO_ROLE)
    if role.block in {h[1:] for h in HEADINGS}:
        return "heading" if next(_flow_lines(following, tagged, body), None) else None
    if role.block in ("Caption", "TH") and role.owner is not None:
        # Its table or figure goes on over the page (a caption under its figure ends it, and is fine).
        for other in _flow_lines(following, tagged, body):
            if any(following.roles.get(r.mcid).owner == role.owner for r in other.runs):
                return "caption" if role.block == "Caption" else "table header"
            break  # only the top of the next page: what starts it
    return None


def preflight(data: bytes, rules: Rules = Rules()) -> list[Finding]:
    """What a designer would mark on the pages of a PDF, page by page; empty when there is nothing.

    A PDF that cannot be read has no findings here: :func:`leafpress.finish.verify.verify_pdf`
    reports it.
    """
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return []
    try:
        # Tags say what a line is; without them, a heading is told by its weight or size.
        tagged = rules.flow and bool(pdfium_c.FPDFCatalog_IsTagged(document.raw))
        pages = _read_pages(document, bold=rules.flow and not tagged, tags=tagged)
    finally:
        document.close()
    _furniture(pages)
    findings: list[Finding] = []
    for page in pages:
        small = _small_text(page, rules.min_text_pt)
        findings += [small] if small else []
        findings += _outside(page)
        if page.unmapped:
            findings.append(Finding(page.number, "text that does not read back as Unicode (a glyph with no "
                                    "Unicode mapping, shown here as \ufffd): copying, searching and screen "
                                    f"readers get {_examples([quote(w, 30) for w in page.unmapped], 'places')} "
                                    "wrong: the font or the PDF writer loses the mapping"))
    if rules.flow and len(pages) > 1:
        findings += _underfilled(pages)
        if not tagged:
            findings += _stranded(pages, tagged=False)
        else:
            try:
                with pikepdf.open(io.BytesIO(data)) as pdf:
                    _read_roles(pdf, pages)
                    findings += _stranded(pages, tagged=True)
            except pikepdf.PdfError:
                findings += _stranded(pages, tagged=False)
    return sorted(findings, key=lambda f: f.page)
