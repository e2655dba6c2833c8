"""`leafpress import`: a Word document (.docx) as a topic's Markdown.

mammoth turns the .docx into plain HTML (headings, lists, tables, emphasis,
links, footnotes and images, through a style map; it never reads a linked
image from disk or the network here), markdownify turns that HTML into
Markdown, and a few steps around them fit the result to leafpress:

* the title (Word's Title style, else a heading that opens the document, else
  the file's properties) goes to the front matter `leafpress new` writes, and
  the headings move up so the first level is ``##``;
* footnotes become ``[^n]`` notes; pictures are written to ``images/`` and
  linked by relative path, with their description as alt text;
* lists are indented four spaces a level (what Python-Markdown nests);
* text that Markdown would read as markup (``<tag>``, ``[@``, ``#`` or
  ``1.`` at a paragraph's start, ``|`` in a table cell) is escaped, so the
  Markdown holds no raw HTML and prints what the document says.

What Markdown cannot hold, and what mammoth drops without a word, is found in
the document's XML and reported, each with the paragraph it is in: tracked
changes, comments, text boxes, typed numbering, citations typed as text,
equations and embedded objects.

The .docx is untrusted: it is read with a size limit, its zip's entries are
counted and their sizes checked before anything is unpacked (a zip bomb), an
XML part with a DOCTYPE is refused, and pictures are checked with Pillow.
"""

from __future__ import annotations

import datetime
import io
import re
import urllib.parse
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mammoth
from bs4 import BeautifulSoup
from mammoth.docx.files import InvalidFileReferenceError
from markdownify import MarkdownConverter

from ..errors import LeafpressError, Problem, error, quote, warning
from ..finish.files import write_atomic
from ..source.lists import normalise_list_indentation
from ..source.safefile import FileRefused, FileTooLarge, read_bytes, size_words
from .config import Project
from .scaffold import SLUG, TEXT, front_matter

MAX_DOCX_BYTES = 100 * 2**20
# A zip's directory says how large each entry unpacks; a bomb says "very". The limits are far above any
# clinic's document (a 300-page report with photographs unpacks to tens of MiB).
MAX_ENTRIES = 5_000
MAX_ENTRY_BYTES = 64 * 2**20
MAX_UNPACKED_BYTES = 256 * 2**20
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
WPS_TEXT_BOX = "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}txbx"
V_TEXT_BOX = "{urn:schemas-microsoft-com:vml}textbox"
O_OLE = "{urn:schemas-microsoft-com:office:office}OLEObject"
A_GRAPHIC_DATA = "{http://schemas.openxmlformats.org/drawingml/2006/main}graphicData"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
DC_LANGUAGE = "{http://purl.org/dc/elements/1.1/}language"

NOT_DOCX = "is not a Word document (.docx)"
SAVE_AS_DOCX = "open it in Word and save it as 'Word Document (.docx)'"

# Word's own Title and Subtitle styles (by name: the id is translated in some languages' Word).
STYLE_MAP = """
p[style-name='Title'] => h1.leafpress-title:fresh
p[style-name='Subtitle'] => p.leafpress-subtitle:fresh
""" + "".join(f"p[style-name='toc {level}'] => p.leafpress-toc:fresh\n" for level in range(1, 10))

# "1." "2)" "a)" "(b)" "iv." "•" typed at a paragraph's start instead of Word's list numbering.
TYPED_NUMBER = re.compile(r"\s*(\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)]|\([A-Z]\)|[A-Z]\)|[•·▪–])(?=\s)")
# "2.1 Dosing": a heading numbered by hand.
HEADING_NUMBER = re.compile(r"\s*(\d{1,2}(?:\.\d{1,2})*\.?)(?=\s)")
# Citations typed as text: "[1]", "[2, 5-7]", "(Smith 2019)", "(Smith and Jones, 2019; Lee et al. 2020a)".
TYPED_BRACKET = re.compile(r"\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]")
_AUTHOR_YEAR = r"[A-Z][\w'’-]+(?:\s+et\s+al\.?|\s+(?:and|&|y)\s+[A-Z][\w'’-]+)?,?\s+(?:19|20)\d\d[a-z]?"
TYPED_AUTHOR_YEAR = re.compile(rf"\((?:see\s+|e\.g\.,?\s+)?{_AUTHOR_YEAR}(?:;\s*{_AUTHOR_YEAR})*\)")
SUPERSCRIPT_NUMBERS = re.compile(r"\s*\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\s*")
# m², cm³: a unit's power, not a citation.
UNIT_BEFORE = re.compile(r"(?:\b(?:m|cm|mm|km|dm|ft|in)|/m)$")
# An '@' leafpress would read as a citation (see leafpress.source.citing): escaped as \\@.
CITATION_AT = re.compile(r"(?<![\w.+/@:=\\])@(?=[A-Za-z0-9_{])")


def documents(project: Project) -> dict[str, tuple[str, str | None]]:
    """What `--as` may name: each Markdown file a layout is built from (its name without '.md'), in every
    language leafpress writes front matter in, with the audience of the first layout built from it and
    the language its name gives."""
    from ..layouts.registry import batch_layouts

    found: dict[str, tuple[str, str | None]] = {}
    for layout in batch_layouts(project).values():
        if not layout.sources.endswith(".md"):
            continue
        pattern = layout.sources.removesuffix(".md")
        for stem in [pattern.replace("*", code) for code in TEXT] if "*" in pattern else [pattern]:
            found.setdefault(stem, (layout.audience, layout.language_of(Path(f"{stem}.md"))))
    return found


@dataclass(frozen=True)
class Imported:
    """What `leafpress import` wrote: the Markdown file, every file in order, and what it could not carry over."""

    markdown: Path
    files: tuple[Path, ...]
    problems: tuple[Problem, ...]


def topic_name(source: Path) -> str:
    """A topic name made from a file's name: 'Ketamine Infusion v3.docx' -> 'ketamine-infusion-v3'."""
    return "-".join(re.findall(r"[a-z0-9]+", source.stem.lower())) or "imported"


def import_docx(project: Project, source: Path, topic: str | None = None, target: str = "article",
                force: bool = False, today: datetime.date | None = None) -> Imported:
    """Convert ``source`` into content/<topic>/<target>.md; raise LeafpressError on what stops it."""
    topic = topic or topic_name(source)
    problems: list[Problem] = []
    if not SLUG.fullmatch(topic):
        problems.append(error(None, None, f"topic name {quote(topic)} must be lower-case letters, digits and "
                              "hyphens, such as 'ketamine-neuropathic-pain': give one with --topic"))
    targets = documents(project)
    audience, language = targets.get(target, ("", None))
    if target not in targets:
        problems.append(error(None, None, f"--as {quote(target)} must be one of {', '.join(targets)}"))
    elif language is not None and language not in project.config.languages:
        problems.append(error(None, None, f"--as {target}: {quote(language)} is not in 'languages' "
                              "in leafpress.yaml, so the leaflet would not be built: add it there first"))
    if problems:
        raise LeafpressError(problems)
    folder = project.content_dir / topic
    markdown_path = folder / f"{target}.md"
    data = _read(source)
    package = _Package.open(source, data)
    facts = _inspect(source, package)
    converted = _convert(source, data, facts, image_stem=target.replace(".", "-"))

    document_language = facts.language.split("-")[0].lower() if facts.language else None
    notes = list(facts.problems) + list(converted.problems)
    if language is None:
        if document_language in TEXT:
            language = document_language
        else:
            language = project.config.default_language
            if facts.language:
                notes.append(warning(source, None, f"the document's language {quote(facts.language)} is not one "
                                     f"leafpress writes ({', '.join(TEXT)}): the article is marked "
                                     f"{quote(language)}; set 'language' in the front matter"))
    elif document_language and document_language != language:
        notes.append(warning(source, None, f"the document's language is {quote(facts.language)} but it was "
                             f"imported as {target}: check that this is the right text"))
    title = converted.title or facts.core_title
    if not title:
        title = source.stem
        notes.append(warning(source, None, f"the document has no title (no Title style, no heading before the "
                             f"text, no title in its properties): it is called {quote(title)}; set 'title' in "
                             "the front matter"))

    existing = [path for path in (markdown_path, *(folder / name for name in converted.images)) if path.exists()]
    if existing and not force:
        raise LeafpressError([error(path, None, "already exists: give --force to replace it") for path in existing])

    text = front_matter(project, audience, title, language,
                        today or datetime.date.today(),  # importing only: builds never read the clock
                        subtitle=converted.subtitle or None)
    text += converted.markdown
    written: list[Path] = []
    references = folder / "references.json"
    # The Markdown last: it never names a picture not yet written.
    files = [*((folder / name, image) for name, image in converted.images.items()),
             *([(references, b"[]\n")] if not references.exists() else []),
             (markdown_path, text.encode("utf-8"))]
    for path, data in files:
        try:
            write_atomic(path, data)
        except OSError as exc:
            raise LeafpressError([error(path, None, f"cannot be written ({exc.strerror or exc})")]) from None
        written.append(path)
    return Imported(markdown_path, tuple(written), tuple(notes))


# --- reading the package -----------------------------------------------------------------


def _refuse(source: Path, reason: str) -> LeafpressError:
    return LeafpressError([error(source, None, reason)])


def _read(source: Path) -> bytes:
    try:
        data = read_bytes(source, MAX_DOCX_BYTES)
    except FileTooLarge as exc:
        raise _refuse(source, f"is larger than {size_words(exc.limit)}, more than a Word document for "
                              "leafpress should be: make its pictures smaller in Word") from None
    except FileRefused as exc:
        raise _refuse(source, exc.reason) from None
    except FileNotFoundError:
        raise _refuse(source, "does not exist") from None
    except OSError as exc:
        raise _refuse(source, f"cannot be read ({exc.strerror or exc})") from None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(source, f"is an older Word document (.doc), not a .docx: {SAVE_AS_DOCX}")
    return data


@dataclass
class _Package:
    source: Path
    archive: zipfile.ZipFile

    @classmethod
    def open(cls, source: Path, data: bytes) -> _Package:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            entries = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError) as exc:
            raise _refuse(source, f"{NOT_DOCX}: it is not a zip archive ({exc}); {SAVE_AS_DOCX}") from None
        # The directory's sizes are what zipfile holds each entry to when it unpacks it, so checking them
        # here bounds everything unpacked later, by mammoth too.
        if len(entries) > MAX_ENTRIES:
            raise _refuse(source, f"{NOT_DOCX}: it holds {len(entries)} files, more than {MAX_ENTRIES}")
        too_large = next((entry for entry in entries if entry.file_size > MAX_ENTRY_BYTES), None)
        if too_large:
            raise _refuse(source, f"{NOT_DOCX}: its part {quote(too_large.filename)} unpacks to more than "
                                  f"{size_words(MAX_ENTRY_BYTES)}")
        if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
            raise _refuse(source, f"{NOT_DOCX}: it unpacks to more than {size_words(MAX_UNPACKED_BYTES)}")
        if any(entry.flag_bits & 0x1 for entry in entries):
            raise _refuse(source, f"{NOT_DOCX}: it is encrypted; remove its password in Word first")
        if "word/document.xml" not in archive.namelist():
            raise _refuse(source, f"{NOT_DOCX}: it is a zip archive without word/document.xml; {SAVE_AS_DOCX}")
        for entry in entries:
            if entry.filename.lower().endswith((".xml", ".rels")):
                # Word writes its XML in UTF-8, without a DOCTYPE; one could declare entities (mammoth's parser
                # would expand them), and UTF-16 would hide it from this byte search.
                xml = cls._bytes(source, archive, entry.filename)
                if xml.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\0" in xml[:100]:
                    raise _refuse(source, f"{NOT_DOCX}: its part {quote(entry.filename)} is not UTF-8, "
                                          "as Word writes it")
                if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
                    raise _refuse(source, f"{NOT_DOCX}: its part {quote(entry.filename)} declares a DOCTYPE, "
                                          "which Word never writes")
        return cls(source, archive)

    @staticmethod
    def _bytes(source: Path, archive: zipfile.ZipFile, name: str) -> bytes:
        try:
            return archive.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError) as exc:  # RuntimeError: an encrypted entry
            raise _refuse(source, f"{NOT_DOCX}: its part {quote(name)} cannot be unpacked ({exc})") from None

    def xml(self, name: str) -> Any | None:  # an lxml element, or None when the part is missing
        from lxml import etree

        if name not in self.archive.namelist():
            return None
        data = self._bytes(self.source, self.archive, name)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            return etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise _refuse(self.source, f"{NOT_DOCX}: its part {quote(name)} is not well-formed XML "
                                       f"({quote(exc, 80)})") from None


# --- what mammoth drops, found in the XML ---------------------------------------------------


@dataclass
class _Facts:
    problems: list[Problem] = field(default_factory=list)
    language: str | None = None
    core_title: str | None = None
    text_boxes: list[tuple[str, str]] = field(default_factory=list)  # (where, text)


def _text(element: Any, deleted: bool = False) -> str:
    """A part of the document as text: w:t (w:delText for ``deleted``), tabs as spaces."""
    parts = []
    for node in element.iter(W + "t", W + "delText", W + "tab", W + "br"):
        if (node.tag == W + "t" and not deleted) or (node.tag == W + "delText" and deleted):
            parts.append(node.text or "")
        elif node.tag in (W + "tab", W + "br") and not deleted:
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _own_text(paragraph: Any) -> str:
    """A paragraph's text as it reads with its changes accepted, without a text box's text inside it."""
    parts = []
    for node in paragraph.iter(W + "t", W + "tab"):
        if _inside(node, paragraph, (W + "txbxContent", W + "del", W + "moveFrom")):
            continue
        parts.append(node.text or "" if node.tag == W + "t" else " ")
    return "".join(parts)


def _inside(node: Any, stop: Any, tags: tuple[str, ...]) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _val(element: Any | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    return None if found is None else found.get(W + "val")


def _styles(package: _Package) -> tuple[dict[str, str], set[str], str | None]:
    """Style ids -> names, the ids of paragraph styles that number their paragraphs, and the default language."""
    root = package.xml("word/styles.xml")
    if root is None:
        return {}, set(), None
    names: dict[str, str] = {}
    based: dict[str, str] = {}
    numbered: set[str] = set()
    language = _val(root, f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    for style in root.iter(W + "style"):
        style_id = style.get(W + "styleId") or ""
        names[style_id] = (_val(style, W + "name") or style_id).lower()
        parent = _val(style, W + "basedOn")
        if parent:
            based[style_id] = parent
        if style.find(f"{W}pPr/{W}numPr/{W}numId") is not None:
            numbered.add(style_id)
        if style.get(W + "default") == "1" and style.get(W + "type") == "paragraph":
            language = _val(style, f"{W}rPr/{W}lang") or language
    for style_id in list(names):  # a style based on a numbered one numbers too
        seen, current = set(), style_id
        while current in based and current not in seen:
            seen.add(current)
            current = based[current]
            if current in numbered:
                numbered.add(style_id)
    return names, numbered, language


def _heading_level(style_name: str) -> int | None:
    if style_name == "title":
        return 0
    match = re.fullmatch(r"heading (\d)", style_name)
    return int(match.group(1)) if match else None


def _inspect(source: Path, package: _Package) -> _Facts:
    facts = _Facts()
    core = package.xml("docProps/core.xml")
    if core is not None:
        title = core.find(DC_TITLE)
        facts.core_title = (title.text or "").strip() or None if title is not None else None
        language = core.find(DC_LANGUAGE)
        facts.language = (language.text or "").strip() or None if language is not None else None
    names, numbered_styles, default_language = _styles(package)
    facts.language = facts.language or default_language
    comments: dict[str, tuple[str, str]] = {}
    comments_root = package.xml("word/comments.xml")
    if comments_root is not None:
        for comment in comments_root.iter(W + "comment"):
            comments[comment.get(W + "id") or ""] = (comment.get(W + "author") or "", _text(comment))
    document = package.xml("word/document.xml")
    body = document.find(W + "body") if document is not None else None
    if body is None:
        raise _refuse(source, f"{NOT_DOCX}: its word/document.xml has no body; {SAVE_AS_DOCX}")

    heading: str | None = None
    reported_comments: set[str] = set()
    number = 0
    for paragraph in body.iter(W + "p"):
        if _inside(paragraph, body, (W + "txbxContent",)):
            continue  # a text box's paragraphs are reported with the text box
        number += 1
        where = f"paragraph {number}, " + (f"under {quote(heading, 40)}" if heading else "before the first heading")

        def note(message: str, where: str = where) -> None:
            facts.problems.append(warning(source, None, f"{where}: {message}"))

        style = _val(paragraph, f"{W}pPr/{W}pStyle") or ""
        own_text = _own_text(paragraph)
        # Tracked changes: mammoth reads the document as it would be with every change accepted.
        inserted = [_text(node) for node in paragraph.iter(W + "ins", W + "moveTo")
                    if not _inside(node, paragraph, (W + "txbxContent",))]
        deleted = [_text(node, deleted=True) for node in paragraph.iter(W + "del", W + "moveFrom")
                   if not _inside(node, paragraph, (W + "txbxContent",))]
        inserted, deleted = [text for text in inserted if text], [text for text in deleted if text]
        if inserted or deleted:
            what = []
            if inserted:
                what.append(f"the inserted text {quote('… '.join(inserted))} was kept")
            if deleted:
                what.append(f"the deleted text {quote('… '.join(deleted))} was left out")
            note(f"tracked changes: {' and '.join(what)} (the changes accepted); check the wording, and accept "
                 "or reject the changes in Word before importing again")
        for reference in paragraph.iter(W + "commentRangeStart", W + "commentReference"):
            comment_id = reference.get(W + "id") or ""
            if comment_id in reported_comments:
                continue
            reported_comments.add(comment_id)
            author, text = comments.get(comment_id, ("", ""))
            by = f" by {quote(author, 40)}" if author else ""
            note(f"comment{by} {quote(text)} was not imported: act on it in the Markdown")
        for box in paragraph.iter(WPS_TEXT_BOX, V_TEXT_BOX):
            if _inside(box, paragraph, (MC_FALLBACK,)):
                continue  # the same text box again, for older Word versions
            facts.text_boxes.append((where, _text(box)))
        for math in paragraph.iter(M + "oMathPara", M + "oMath"):
            if math.tag == M + "oMath" and _inside(math, paragraph, (M + "oMathPara",)):
                continue
            note(f"an equation ({quote(_math_text(math), 40)}) was not imported: write it as text, or insert "
                 "it as a picture")
        for kind in _embedded(paragraph):
            note(f"an embedded {kind} was not imported: insert it in Word as a picture (PNG or JPEG) and import "
                 "again, or add the picture to the Markdown")
        style_name = names.get(style, style.lower())
        level = _heading_level(style_name)
        numbered = (paragraph.find(f"{W}pPr/{W}numPr/{W}numId") is not None or style in numbered_styles
                    or style_name.startswith("toc "))  # a table of contents' "1. Introduction" is left out
        heading_number = HEADING_NUMBER.match(own_text) if level else None
        if heading_number and not numbered:
            note(f"the heading's typed number {quote(heading_number.group(1))} was kept: layouts that number "
                 "headings (the article) would print it twice; remove it in the Markdown")
        if level is None and not numbered:
            typed = TYPED_NUMBER.match(own_text)
            if typed:
                note(f"typed numbering {quote(typed.group(1))} is not a Word list: it was kept as text; make "
                     "these paragraphs a Markdown list (\"1. \" or \"- \" at the start of each line)")
        for cited in _typed_citations(paragraph, own_text):
            note(f"{quote(cited)} looks like a citation typed as text: cite the reference as [@key], with its key "
                 "in references.json")
        if level is not None and own_text.strip():
            heading = own_text.strip()
    return facts


def _math_text(math: Any) -> str:
    return re.sub(r"\s+", " ", "".join(node.text or "" for node in math.iter(M + "t"))).strip() or "…"


def _embedded(paragraph: Any) -> list[str]:
    kinds = []
    for ole in paragraph.iter(O_OLE):
        program = ole.get("ProgID") or ""
        kinds.append(f"object ({quote(program, 40)})" if program else "object")
    for data in paragraph.iter(A_GRAPHIC_DATA):
        uri = data.get("uri") or ""
        if _inside(data, paragraph, (MC_FALLBACK,)):
            continue
        if uri.endswith("/chart"):
            kinds.append("chart")
        elif uri.endswith("/diagram"):
            kinds.append("SmartArt diagram")
    return kinds


def _typed_citations(paragraph: Any, text: str) -> list[str]:
    found = [match.group(0) for match in TYPED_BRACKET.finditer(text)]
    found += [match.group(0) for match in TYPED_AUTHOR_YEAR.finditer(text)]
    # Superscript numbers: runs in a row with vertAlign superscript, not a footnote's number.
    before, raised = "", ""
    runs = [run for run in paragraph.iter(W + "r")
            if not _inside(run, paragraph, (W + "txbxContent", W + "del", W + "moveFrom"))]
    for run in runs + [None]:
        up = run is not None and _val(run, f"{W}rPr/{W}vertAlign") == "superscript" \
            and run.find(W + "footnoteReference") is None and run.find(W + "endnoteReference") is None
        run_text = "" if run is None else "".join(node.text or "" for node in run.iter(W + "t"))
        if up:
            raised += run_text
            continue
        if raised and SUPERSCRIPT_NUMBERS.fullmatch(raised) and not UNIT_BEFORE.search(before):
            found.append(f"superscript {raised.strip()}")
        if raised:
            before += raised
            raised = ""
        before += run_text
    return found


# --- converting: mammoth, then markdownify ---------------------------------------------------


@dataclass
class _Converted:
    markdown: str
    title: str | None
    subtitle: str | None
    images: dict[str, bytes]  # file name in the topic (images/...) -> its bytes
    problems: list[Problem]


def _convert(source: Path, data: bytes, facts: _Facts, image_stem: str) -> _Converted:
    images: dict[str, bytes] = {}
    refused: dict[str, str] = {}  # placeholder src -> why

    names: dict[bytes, str] = {}  # a picture used twice (a logo on every page) is written once
    pictures = 0

    def convert_image(image: Any) -> dict[str, str]:
        nonlocal pictures
        pictures += 1
        reason, data = _image(image)
        if reason:
            src = f"refused:{pictures}"
            refused[src] = reason
            return {"src": src}
        name = names.get(data) or f"images/{image_stem}-{len(images) + 1}.{IMAGE_TYPES[image.content_type]}"
        names[data] = name
        images[name] = data
        alt = re.sub(r"\s+", " ", image.alt_text or "").strip()
        return {"src": name, "alt": alt} if alt else {"src": name}

    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=STYLE_MAP, external_file_access=False,
                                         convert_image=mammoth.images.img_element(convert_image))
    except LeafpressError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken document is one error line, not a traceback
        raise _refuse(source, f"{NOT_DOCX}: it could not be converted ({type(exc).__name__}: "
                              f"{quote(exc, 100)}); {SAVE_AS_DOCX}") from None
    problems: list[Problem] = []

    def note(message: str) -> None:
        problems.append(warning(source, None, message))

    soup = BeautifulSoup(result.value, "html.parser")
    plain = re.sub(r"\s+", " ", soup.get_text(" "))
    for where, text in facts.text_boxes:
        shown = quote(text) if text else "(no text)"
        if text and text[:40] in plain:
            note(f"{where}: a text box {shown} was imported as ordinary paragraphs after this one: move its "
                 "text where it belongs, or make it an admonition (!!! note)")
        else:
            note(f"{where}: a text box {shown} was not imported: copy its text into the Markdown")

    title, subtitle = _take_title(soup)
    _move_headings(soup)
    undescribed: set[str] = set()
    for image in soup.find_all("img"):
        src = str(image.get("src", ""))
        if src in refused:
            note(f"picture {src.split(':')[1]}, {_under(image)}: {refused[src]}")
            image.decompose()
        elif not image.get("alt") and src not in undescribed:
            undescribed.add(src)
            note(f"picture {quote(src)}, {_under(image)}: it has no description (alt text): write one between "
                 "the brackets of ![...], for readers who cannot see it (it is printed as its caption)")
    for number, table in enumerate(soup.find_all("table"), 1):
        if table.find(["td", "th"], attrs={"rowspan": True}) or table.find(["td", "th"], attrs={"colspan": True}):
            _unmerge(table)
            note(f"table {number}, {_under(table)}: it has merged cells, which Markdown tables cannot have: each "
                 "was split into cells of its own; check the table")
        if table.find(["table", "ul", "ol"]):
            note(f"table {number}, {_under(table)}: a list or table inside a cell was flattened to text; "
                 "check the table")
    notes = _take_notes(soup)
    contents = soup.find_all("p", class_="leafpress-toc")
    if contents:
        note(f"the table of contents ({len(contents)} lines) was left out: leafpress prints none in a leaflet")
        for line in contents:
            line.decompose()
    cross_references = []
    for link in soup.find_all("a"):
        href = str(link.get("href", ""))
        if re.match(r"(?:https?|mailto|tel):", href, re.I):
            # Spaces, brackets and quotes would end a Markdown link early.
            link["href"] = urllib.parse.quote(href, safe=":/?#@!$&'*+,;=%~[]")
            continue
        if href.startswith("#"):
            cross_references.append(link.get_text(" ", strip=True))
        else:
            note(f"link {quote(link.get_text(' ', strip=True), 40)}, {_under(link)}: a link to {quote(href)} "
                 "is not a web address: it was imported as plain text")
        link.unwrap()
    if cross_references:
        shown = ", ".join(quote(text, 30) for text in cross_references[:5])
        more = f" and {len(cross_references) - 5} more" if len(cross_references) > 5 else ""
        note(f"links to places in the Word document ({shown}{more}) were imported as plain text: link to a "
             "heading as [text](#heading-id) in the Markdown if they are needed")

    converter = _Converter()
    try:
        body = converter.convert_soup(soup)
        definitions = []
        for label, note_soup in notes:
            text = re.sub(r"\n(?=.)", "\n    ", _tidy(converter.convert_soup(note_soup)))  # its later lines indented
            definitions.append(f"[^{label}]: {text}")
    except RecursionError:  # tables in tables in tables...: markdownify recurses
        raise _refuse(source, f"{NOT_DOCX}: its content is nested too deeply to convert") from None
    markdown_text = normalise_list_indentation(_tidy(body))
    if definitions:
        markdown_text += "\n\n" + "\n\n".join(definitions)
    markdown_text = re.sub(r"\ue000(\w+)\ue001", r"[^\1]", markdown_text).strip() + "\n"

    styles: list[str] = []
    for message in result.messages:
        text = str(message.message)
        style = re.fullmatch(r"Unrecognised paragraph style: (.*) \(Style ID: .*\)", text)
        if style:
            styles.append(style.group(1))
        elif not re.match(r"Unrecognised run style|(?:Run|Paragraph|Table) style .* referenced but not defined"
                          r"|An unrecognised element was ignored: (?:\{[^}]*\}|\w+:)"
                          r"(?:oMath|oMathPara|OLEObject|txbxContent)$", text):
            # A run style is a character format (Hyperlink, Strong): the text is kept, and bold and italic
            # written as such are read; equations and text boxes are reported above, with where they are.
            note(f"the Word converter: {text}")
    if styles:
        note(f"paragraphs in the Word style{'s' if len(styles) > 1 else ''} "
             f"{', '.join(quote(style, 40) for style in styles)} were imported as plain paragraphs: make them "
             "headings, lists or a box (!!! note) in the Markdown if they were one")
    return _Converted(markdown_text, title, subtitle, images, problems)


def _image(image: Any) -> tuple[str, bytes]:
    """Why a picture cannot be imported ('' if it can), and its bytes."""
    from PIL import Image

    if image.content_type not in IMAGE_TYPES:
        return (f"its format {quote(image.content_type or 'unknown')} cannot be printed: it was left out; save the "
                "picture as PNG or JPEG and insert it again", b"")
    try:
        with image.open() as stream:
            data: bytes = stream.read(MAX_ENTRY_BYTES + 1)
    except InvalidFileReferenceError:  # mammoth, reading no file outside the document
        return ("it is linked to a file outside the document, which leafpress does not fetch: it was left out; "
                "insert the picture itself in Word (not as a link) and import again", b"")
    except Exception as exc:  # noqa: BLE001 - a broken picture is reported, not a traceback
        return f"it cannot be read ({quote(exc, 80)}): it was left out", b""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                picture.verify()
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on a broken file
        return f"it is not a readable picture ({type(exc).__name__}): it was left out", b""
    if width * height > MAX_IMAGE_PIXELS:
        return f"it has {width}×{height} pixels, more than a leaflet needs: it was left out", b""
    return "", data


def _under(element: Any) -> str:
    heading = element.find_previous(re.compile(r"^h[1-6]$"))
    return f"under {quote(heading.get_text(' ', strip=True), 40)}" if heading else "before the first heading"


def _take_title(soup: Any) -> tuple[str | None, str | None]:
    """Remove the title (Title style, else a heading before any text) and subtitle; return their text."""
    title = soup.find("h1", class_="leafpress-title")
    if title is None:
        # A picture before it (the clinic's logo) does not stop a heading from being the title.
        first = next((element for element in soup.find_all(True, recursive=False)
                      if element.get_text(strip=True)), None)
        if first is not None and re.fullmatch(r"h[1-6]", first.name):
            title = first
    subtitle = soup.find("p", class_="leafpress-subtitle")
    texts = []
    for element in (title, subtitle):
        texts.append(re.sub(r"\s+", " ", element.get_text(" ")).strip() or None if element is not None else None)
        if element is not None:
            element.decompose()
    for other in soup.find_all(class_="leafpress-title"):  # a second Title paragraph: a heading
        other.name, other["class"] = "h1", []
    return texts[0], texts[1]


def _move_headings(soup: Any) -> None:
    """The shallowest heading level becomes ## (the title is the page's only #); none deeper than ######."""
    headings = soup.find_all(re.compile(r"^h[1-6]$"))
    if not headings:
        return
    shift = 2 - min(int(heading.name[1]) for heading in headings)
    for heading in headings:
        heading.name = f"h{min(6, int(heading.name[1]) + shift)}"


def _unmerge(table: Any) -> None:
    """Give every row its full count of cells: a merged cell's place in the rows it spans is an empty cell."""
    pending: dict[int, int] = {}  # column -> rows it is still covered for
    for row in table.find_all("tr"):
        cells = row.find_all(["td", "th"], recursive=False)
        column, index = 0, 0
        result = []
        while index < len(cells) or any(col >= column and left > 0 for col, left in pending.items()):
            if pending.get(column, 0) > 0:
                pending[column] -= 1
                empty = table.new_tag("td")
                result.append(empty)
                column += 1
                continue
            if index >= len(cells):
                break
            cell = cells[index]
            index += 1
            span = int(cell.get("colspan", "1")) if str(cell.get("colspan", "1")).isdigit() else 1
            rows = int(cell.get("rowspan", "1")) if str(cell.get("rowspan", "1")).isdigit() else 1
            del cell["colspan"], cell["rowspan"]
            result.append(cell)
            for extra in range(min(span, 100)):
                if rows > 1:
                    pending[column + extra] = min(rows, 1000) - 1
                if extra:
                    result.append(table.new_tag("td"))
            column += min(span, 100)
        for cell in cells:
            cell.extract()
        for cell in result:
            row.append(cell)


def _take_notes(soup: Any) -> list[tuple[str, Any]]:
    """Footnotes and endnotes out of the text: each call becomes a marker, each note a fragment to convert."""
    bodies = {item["id"]: item for item in soup.find_all("li", id=re.compile(r"^(?:foot|end)note-\d+$"))}
    for item in bodies.values():
        for back in item.find_all("a", href=re.compile(r"^#(?:foot|end)note-ref-")):
            back.decompose()
    for holder in {item.parent for item in bodies.values()}:
        holder.extract()
    notes: list[tuple[str, Any]] = []
    for call in soup.find_all("a", href=re.compile(r"^#(?:foot|end)note-\d+$")):
        item = bodies.get(call["href"][1:])
        label = str(len(notes) + 1)
        marker = soup.new_string(f"\ue000{label}\ue001")
        (call.parent if call.parent.name == "sup" else call).replace_with(marker)
        fragment = BeautifulSoup("", "html.parser")
        if item is not None:
            for child in list(item.children):
                fragment.append(child.extract())
        notes.append((label, fragment))
    return notes


def _tidy(markdown_text: str) -> str:
    text = re.sub(r"[ \t]+\n", lambda m: "  \n" if m.group(0).startswith("  ") else "\n", markdown_text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _Converter(MarkdownConverter):
    """markdownify with Python-Markdown's escapes, ATX headings, '-' bullets and a header row for each table."""

    def __init__(self) -> None:
        super().__init__(heading_style="ATX", bullets="-", strong_em_symbol="*", table_infer_header=True,
                         escape_misc=False, keep_inline_images_in=["td", "th"])

    def escape(self, text: str, parent_tags: set[str]) -> str:
        text = super().escape(text, parent_tags).replace("`", "\\`")  # type: ignore[misc]  # not in its stub
        text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)  # no raw HTML: "<b>" typed in Word prints as typed
        text = re.sub(r"(?<!\^)\[(?=\^)", r"\\[", text).replace("^[", "^\\[")  # not a footnote
        text = re.sub(CITATION_AT, r"\\@", text)  # "@name" typed in Word is not a citation
        if parent_tags & {"td", "th"}:
            text = text.replace("|", "\\|")
        return str(text)

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        # The description is text too (leafpress prints it as the caption): escaped like any other.
        el["alt"] = re.sub(r"([\[\]])", r"\\\1", self.escape(str(el.get("alt") or ""), set()))
        return str(super().convert_img(el, text, parent_tags))  # type: ignore[misc]

    def convert_p(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return str(super().convert_p(el, _escape_start(text), parent_tags))  # type: ignore[misc]


def _escape_start(text: str) -> str:
    """Text that starts a paragraph as typed, not as a heading, list, quote or rule."""
    stripped = text.lstrip()
    lead = text[: len(text) - len(stripped)]
    for pattern, replacement in ((r"(\d{1,9})\.(\s|$)", r"\1\\.\2"), (r"([#>])", r"\\\1"),
                                 (r"([-+])(\s|$)", r"\\\1\2")):
        escaped, count = re.subn("^" + pattern, replacement, stripped)
        if count:
            return lead + escaped
    return text

