"""After WeasyPrint: check what was made, then write it without ever leaving half a file."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf")


@lru_cache(maxsize=8)
def bundled_font_names(fonts_dir: Path) -> frozenset[str]:
    """PostScript names of the fonts shipped in ``styles/fonts``."""
    names = set()
    for path in sorted(fonts_dir.rglob("*")):
        if path.suffix in FONT_SUFFIXES:
            with TTFont(path, lazy=True) as font:
                names.add(str(font["name"].getDebugName(6)))
    return frozenset(names)


@dataclass(frozen=True)
class FontUse:
    name: str
    embedded: bool


def _fonts_in(resources: pikepdf.Object, seen: set[int]) -> list[FontUse]:
    found: list[FontUse] = []
    if not isinstance(resources, pikepdf.Dictionary):
        return found
    for font in (resources.get("/Font") or {}).values():
        for leaf in font.get("/DescendantFonts") or [font]:
            found.append(_font_use(font, leaf))
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        found += _fonts_in(xobject.get("/Resources"), seen)
    return found


def _font_use(font: pikepdf.Object, leaf: pikepdf.Object) -> FontUse:
    """Name a PDF font by the PostScript name inside its embedded program.

    WeasyPrint's /BaseFont is derived from the CSS family ("Source-Serif-4,"),
    so it cannot tell a bundled font from a system one of similar name; the
    embedded program's own name table can.
    """
    label = str(leaf.get("/BaseFont", font.get("/BaseFont", "?"))).lstrip("/").split("+", 1)[-1]
    descriptor = leaf.get("/FontDescriptor") or {}
    program = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor), None)
    if program is None:
        return FontUse(label, leaf.get("/Subtype") == "/Type3")
    try:
        with TTFont(io.BytesIO(program.read_bytes()), lazy=True) as embedded:
            return FontUse(str(embedded["name"].getDebugName(6) or label), True)
    except Exception:  # CFF or Type 1 programs: fontTools cannot name them this way
        return FontUse(label, True)


def fonts_used(pdf: pikepdf.Pdf) -> list[FontUse]:
    seen: set[int] = set()
    uses: list[FontUse] = []
    for page in pdf.pages:
        uses += _fonts_in(page.obj.get("/Resources"), seen)
    return list(dict.fromkeys(uses))


def verify_pdf(data: bytes, allowed_fonts: frozenset[str]) -> list[str]:
    """Problems with a finished PDF, as sentences; empty when it is fine."""
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for use in fonts_used(pdf):
            if not use.embedded:
                problems.append(f"font {use.name} is not embedded")
            elif use.name not in allowed_fonts:
                problems.append(f"font {use.name} is not one of the bundled fonts: some characters "
                                "are missing from them and fell back to a system font")
        if not str(pdf.docinfo.get("/Title", "")):
            problems.append("the PDF has no title")
    return problems


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def saddle_stitch_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers for each sheet side, 1-based; 0 is a blank.

    Pages are padded to a multiple of four. Sides alternate front, back, so a
    duplex printer (flip on the short edge) prints sheets that, stacked and
    folded once, read 1, 2, 3, ... in order.
    """
    total = -(-pages // 4) * 4

    def real(number: int) -> int:
        return number if number <= pages else 0

    sides = []
    for sheet in range(total // 4):
        sides.append((real(total - 2 * sheet), real(2 * sheet + 1)))
        sides.append((real(2 * sheet + 2), real(total - 2 * sheet - 1)))
    return sides


A4_LANDSCAPE = (841.89, 595.28)


class ImpositionError(ValueError):
    pass


def impose_booklet(data: bytes, sheet_size: tuple[float, float] = A4_LANDSCAPE) -> bytes:
    """Place pages 2-up on landscape sheets (A5 on A4 by default), by trim box.

    Each page is placed by its TrimBox, not its MediaBox, so any bleed stays
    outside the fold; the two pages of a side meet at the sheet's centre.
    """
    with pikepdf.open(io.BytesIO(data)) as source, pikepdf.new() as out:
        trims = []
        forms = []
        for page in source.pages:
            trim = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
            form = page.as_form_xobject()
            form.BBox = pikepdf.Array(trim)  # clip to the finished page
            forms.append(out.copy_foreign(form))
            trims.append(trim)
        width = max(t[2] - t[0] for t in trims)
        height = max(t[3] - t[1] for t in trims)
        if 2 * width > sheet_size[0] + 0.5 or height > sheet_size[1] + 0.5:
            raise ImpositionError(f"pages of {width:.0f} x {height:.0f} pt do not fit two to a "
                                  f"{sheet_size[0]:.0f} x {sheet_size[1]:.0f} pt sheet")
        fold = sheet_size[0] / 2
        sheet = (0, 0, *sheet_size)
        for left, right in saddle_stitch_order(len(forms)):
            resources = pikepdf.Dictionary()
            operations = []
            for slot, number in ((0, left), (1, right)):
                if not number:
                    continue
                x0, y0, x1, y1 = trims[number - 1]
                # Left page flush against the fold from the left, right page from the right.
                target_x = fold - (x1 - x0) if slot == 0 else fold
                name = f"/P{number}"
                resources[name] = forms[number - 1]
                operations.append(f"q 1 0 0 1 {target_x - x0:.4f} {(sheet_size[1] - (y1 - y0)) / 2 - y0:.4f} cm "
                                  f"{name} Do Q")
            page = pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=pikepdf.Array(sheet),
                Resources=pikepdf.Dictionary(XObject=resources),
                Contents=out.make_stream(" ".join(operations).encode("ascii")),
            )
            out.pages.append(pikepdf.Page(page))
        with out.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(source.docinfo)
        for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate", "/ModDate"):
            if key in source.docinfo:
                out.docinfo[key] = source.docinfo[key]
        if "/Lang" in source.Root:
            out.Root.Lang = source.Root.Lang
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
        return buffer.getvalue()
