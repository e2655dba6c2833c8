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
