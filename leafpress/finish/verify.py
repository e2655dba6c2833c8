"""After WeasyPrint: check a finished PDF, its fonts, its profile and that nothing in it can act or leak."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

from ..errors import printable, quote
from ..source.safefile import FileRefused, list_files, read_bytes
from .profiles import Profile

FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf")
MAX_FONT_BYTES = 20 * 1024 * 1024  # as any file the build loads


def bundled_font_names(fonts_dirs: Path | Iterable[Path]) -> frozenset[str]:
    """PostScript names of the fonts in a folder, or in every folder given.

    A project's fonts are in :attr:`leafpress.project.config.Project.font_dirs`:
    its own styles/fonts/, if it has one, and the theme's. A missing folder has none.
    """
    folders = [fonts_dirs] if isinstance(fonts_dirs, Path) else list(fonts_dirs)
    files = sorted({path for folder in folders for path in list_files(folder) if path.suffix in FONT_SUFFIXES})
    # Read again only when a font file is added, removed or changed (`leafpress watch` runs for hours).
    return _font_names(tuple(state for state in map(_state, files) if state is not None))


def _state(path: Path) -> tuple[Path, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return path, info.st_mtime_ns, info.st_size


@lru_cache(maxsize=8)
def _font_names(files: tuple[tuple[Path, int, int], ...]) -> frozenset[str]:
    names = set()
    for path, _, _ in files:
        try:
            data = read_bytes(path, MAX_FONT_BYTES)  # a regular file, not a hard link, not too large
        except (OSError, FileRefused):
            continue  # not a font the build could load either
        with TTFont(io.BytesIO(data), lazy=True) as font:
            names.add(str(font["name"].getDebugName(6)))
    return frozenset(names)


@dataclass(frozen=True)
class FontUse:
    name: str
    embedded: bool


def _fonts_in(resources: pikepdf.Object | None, seen: set[tuple[int, int]]) -> list[tuple[FontUse, pikepdf.Object]]:
    """Each font of some resources (and of the forms they use), with its PDF font dictionary."""
    found: list[tuple[FontUse, pikepdf.Object]] = []
    if not isinstance(resources, pikepdf.Dictionary):
        return found
    for font in (resources.get("/Font") or {}).values():
        for leaf in font.get("/DescendantFonts") or [font]:
            found.append((_font_use(font, leaf), font))
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        found += _fonts_in(xobject.get("/Resources"), seen)
    return found


def _text_of(font: pikepdf.Object) -> str:
    """The characters a PDF font draws, from its ToUnicode map (bfchar and bfrange entries)."""
    stream = font.get("/ToUnicode")
    if not isinstance(stream, pikepdf.Stream):
        return ""
    try:
        cmap = stream.read_bytes()[:1_000_000].decode("latin-1")
    except pikepdf.PdfError:
        return ""
    found: list[str] = []
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        found += [_utf16(target) for _, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block)]
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            first = _utf16(target)
            if len(first) == 1:
                found += [chr(ord(first) + i) for i in range(min(int(high, 16) - int(low, 16), 255) + 1)]
    return "".join(dict.fromkeys(char for text in found for char in text if not char.isspace()))


def _utf16(hex_text: str) -> str:
    try:
        return bytes.fromhex(hex_text).decode("utf-16-be")
    except ValueError:
        return ""


def _font_use(font: pikepdf.Object, leaf: pikepdf.Object) -> FontUse:
    """Name a PDF font by the PostScript name inside its embedded program.

    WeasyPrint's /BaseFont is derived from the CSS family ("Source-Serif-4,"),
    so it cannot tell a bundled font from a system one of similar name; the
    embedded program's own name table can.
    """
    label = str(leaf.get("/BaseFont", font.get("/BaseFont", "?"))).lstrip("/").split("+", 1)[-1]
    descriptor = leaf.get("/FontDescriptor") or pikepdf.Dictionary()
    program = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor), None)
    if program is None:
        return FontUse(label, leaf.get("/Subtype") == "/Type3")
    try:
        with TTFont(io.BytesIO(program.read_bytes()), lazy=True) as embedded:
            return FontUse(str(embedded["name"].getDebugName(6) or label), True)
    except Exception:  # noqa: BLE001 - CFF or Type 1 programs: fontTools cannot name them this way
        return FontUse(label, True)


def fonts_used(pdf: pikepdf.Pdf) -> list[FontUse]:
    return list(_fonts_drawing(pdf))


def _fonts_drawing(pdf: pikepdf.Pdf) -> dict[FontUse, str]:
    """Each font of a PDF, with the characters it draws (as its ToUnicode map says)."""
    seen: set[tuple[int, int]] = set()
    uses: dict[FontUse, str] = {}
    for page in pdf.pages:
        for use, font in _fonts_in(page.obj.get("/Resources"), seen):
            uses[use] = uses.get(use, "") + _text_of(font)
    return {use: "".join(dict.fromkeys(text)) for use, text in uses.items()}


def verify_pdf(data: bytes, allowed_fonts: frozenset[str] | None, profile: Profile | None = None) -> list[str]:
    """Problems with a finished PDF, as sentences; empty when it is fine.

    Fonts must be embedded (and bundled, unless ``allowed_fonts`` is None);
    title and language set; nothing that :func:`audit_pdf` refuses; and
    whatever ``profile`` promises: a structure tree, an output intent, page
    boxes with or without bleed. The syntax check is qpdf's own (pikepdf is
    built on it), as in ``qpdf --check``.
    """
    problems = []
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [f"is not a readable PDF: {_bounded(str(exc))}"]
    with pdf:
        problems += _at_most([f"PDF syntax: {_bounded(str(issue))}" for issue in pdf.check_pdf_syntax()],
                             "syntax problems")
        problems += audit(pdf)
        for use, text in _fonts_drawing(pdf).items():
            name = _bounded(use.name, 80)
            if not use.embedded:
                problems.append(f"font {name} is not embedded")
            elif allowed_fonts is not None and use.name not in allowed_fonts:
                problems.append(_fallback_message(name, text))
        if not _title(pdf):
            problems.append("the PDF has no title")
        if not str(pdf.Root.get("/Lang", "")):
            problems.append("the PDF has no language (/Lang)")
        if profile is not None:
            problems += _profile_problems(pdf, profile)
    return problems


def _fallback_message(name: str, text: str) -> str:
    """What a font that is not bundled drew, and what to do about it."""
    if not text:
        return (f"font {name} is not one of the bundled fonts: some characters are missing from them "
                "and fell back to this system font; remove them, or add a font that has them to styles/fonts/")
    from ..source.glyphs import describe

    shown = ", ".join(describe(char) for char in text[:10]) + (f" and {len(text) - 10} more" if len(text) > 10 else "")
    what, it = (f"the character {shown} is", "it") if len(text) == 1 else (f"the characters {shown} are", "them")
    return (f"font {name} is not one of the bundled fonts: {printable(what)} in none of the fonts of "
            f"the text around {it} and fell back to this system font: remove {it}, or add a font that has "
            f"{it} to styles/fonts/")


def _bounded(text: str, limit: int = 200) -> str:
    """A message from a file or a library, on one line and cut short: a hostile PDF can say anything."""
    text = printable(" ".join(text[: limit * 4].split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


MAX_LISTED = 20


def _at_most(problems: list[str], what: str) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    return problems[:MAX_LISTED] + [f"{len(problems) - MAX_LISTED} more {what} not shown"]


# --- audit: nothing in the file may run, attach, launch or point at a local file -----------

WEB_SCHEMES = ("http", "https", "mailto", "tel")
# Actions that open other files or programs, or send data somewhere.
FORBIDDEN_ACTIONS = ("/Launch", "/ImportData", "/SubmitForm", "/GoToR", "/GoToE")


def audit_pdf(data: bytes) -> list[str]:
    """What in a PDF could leak a file or act on the reader's machine, as sentences; empty when clean.

    Fails on any embedded file (the /EmbeddedFiles name tree, /EF file
    specifications, file attachment annotations, embedded file streams), any
    JavaScript (/JS, JavaScript actions, the /JavaScript name tree), any
    additional actions (/AA), XFA forms, Launch, ImportData, SubmitForm, GoToR
    and GoToE actions, and any URI that is not a web address (file:, no scheme,
    a relative path). Every object in the file is walked, referenced or not,
    with the dictionaries and arrays inside it, so nothing hides in an
    unusual place.
    """
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [f"is not a readable PDF: {_bounded(str(exc))}"]
    with pdf:
        return audit(pdf)


def audit(pdf: pikepdf.Pdf) -> list[str]:
    found: dict[str, None] = {}
    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            for what, why in _object_problems(obj):
                found[f"the PDF contains {what} (object {obj.objgen[0]}): {why}"] = None
    return _at_most(list(found), "problems of this kind")


ATTACHED = "a leaflet must not carry attached files"
ACTS = "a leaflet must not run scripts, open other files or programs, or send data"


def _name(value: object) -> str:
    return str(value) if isinstance(value, pikepdf.Name) else ""


def _object_problems(obj: pikepdf.Object) -> list[tuple[str, str]]:
    """(what, why) for one indirect object and the direct objects inside it (a stack, no recursion)."""
    problems = []
    stack = [obj]
    while stack:
        item = stack.pop()
        values = list(item) if isinstance(item, pikepdf.Array) else list(item.values())
        stack += [v for v in values if isinstance(v, (pikepdf.Dictionary, pikepdf.Array)) and not v.is_indirect]
        if isinstance(item, pikepdf.Array):
            continue
        keys = set(item.keys())
        kind, subtype, action = _name(item.get("/Type")), _name(item.get("/Subtype")), _name(item.get("/S"))
        if "/EmbeddedFiles" in keys or "/EF" in keys or kind == "/EmbeddedFile":
            problems.append(("an embedded file", ATTACHED))
        if subtype == "/FileAttachment":
            problems.append(("a file attachment annotation", ATTACHED))
        if "/JS" in keys or "/JavaScript" in keys or action == "/JavaScript":
            problems.append(("JavaScript", ACTS))
        if "/AA" in keys:
            problems.append(("additional actions (/AA)", ACTS))
        if "/XFA" in keys:
            problems.append(("an XFA form", ACTS))
        if action in FORBIDDEN_ACTIONS:
            problems.append((f"a {action[1:]} action", ACTS))
        if action == "/URI":
            uri = item.get("/URI")
            text = bytes(uri).decode("latin-1") if isinstance(uri, pikepdf.String) else str(uri)
            if not _is_web_address(text):
                problems.append((f"a link to {quote(text)}", "links must be web addresses (https://, "
                                 "http://, mailto: or tel:), never files or relative paths"))
    return problems


def _is_web_address(uri: str) -> bool:
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", uri)
    return match is not None and match.group(1).lower() in WEB_SCHEMES


def _title(pdf: pikepdf.Pdf) -> str:
    title = str(pdf.docinfo.get("/Title", ""))
    if not title:  # PDF/A-4 and PDF 2.0 keep it only in the XMP metadata
        with pdf.open_metadata() as meta:
            title = str(meta.get("dc:title", ""))
    return title


def _box(page: pikepdf.Page, name: str) -> list[float]:
    return [float(v) for v in page.obj.get(name, page.mediabox)]


def _profile_problems(pdf: pikepdf.Pdf, profile: Profile) -> list[str]:
    problems = []
    root = pdf.Root
    if profile.needs_structure:
        if "/StructTreeRoot" not in root:
            problems.append(f"the {profile.name} profile needs a tagged PDF, but it has no structure tree")
        if not bool((root.get("/MarkInfo") or pikepdf.Dictionary()).get("/Marked", False)):
            problems.append("the PDF is not marked as tagged (/MarkInfo /Marked)")
        if not bool((root.get("/ViewerPreferences") or pikepdf.Dictionary()).get("/DisplayDocTitle", False)):
            problems.append("viewers are not told to show the title (/DisplayDocTitle)")
    intents = list(root.get("/OutputIntents") or [])
    if profile.needs_output_intent:
        wanted = "/GTS_PDFX" if profile.cmyk_intent else "/GTS_PDFA1"
        found = [i for i in intents if str(i.get("/S")) == wanted]
        if not found:
            problems.append(f"the {profile.name} profile needs a {wanted[1:]} output intent, and there is none")
        elif profile.cmyk_intent and int(found[0].DestOutputProfile.get("/N", 0)) != 4:
            problems.append("the PDF/X output intent is not a CMYK profile")
    bleed = profile.bleed_mm * 72 / 25.4
    for number, page in enumerate(pdf.pages, start=1):
        trim, bleed_box, media = _box(page, "/TrimBox"), _box(page, "/BleedBox"), _box(page, "/MediaBox")
        expected = [trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed]
        if any(abs(a - b) > 0.5 for a, b in zip(bleed_box, expected, strict=False)):
            problems.append(f"page {number}: BleedBox {_fmt(bleed_box)} should be the TrimBox {_fmt(trim)} "
                            f"plus {profile.bleed_mm:g} mm on each side")
            break
        if not (media[0] <= bleed_box[0] + 0.5 and media[1] <= bleed_box[1] + 0.5
                and media[2] >= bleed_box[2] - 0.5 and media[3] >= bleed_box[3] - 0.5):
            problems.append(f"page {number}: the MediaBox does not contain the BleedBox")
            break
    return problems


def _fmt(box: list[float]) -> str:
    return "[" + " ".join(f"{v:.1f}" for v in box) + "]"


def detect_profile(data: bytes) -> Profile | None:
    """The profile a PDF claims to meet, from its output intent or tags; None if it claims none."""
    from .profiles import PROFILES

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            kinds = {str(i.get("/S")) for i in (pdf.Root.get("/OutputIntents") or [])}
            if "/GTS_PDFX" in kinds:
                return PROFILES["print"]
            if "/GTS_PDFA1" in kinds:
                return PROFILES["archive"]
            if "/StructTreeRoot" in pdf.Root:
                return PROFILES["screen"]
    except pikepdf.PdfError:
        return None
    return None
