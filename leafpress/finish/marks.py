"""Crop marks for a print shop, outside the bleed."""

from __future__ import annotations

import io

import pikepdf


def add_crop_marks(data: bytes, offset_mm: float, length_mm: float, slug_mm: float) -> bytes:
    """Widen each page by a slug around its bleed and draw crop marks there.

    WeasyPrint draws marks inside the bleed, where a print shop does not
    want them; here they sit outside the BleedBox, aligned with the TrimBox,
    and the page's own content is clipped to the bleed so nothing else
    reaches the slug.
    """
    mm = 72 / 25.4
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            tx0, ty0, tx1, ty1 = (float(v) for v in page.obj.get("/TrimBox", page.mediabox))
            bx0, by0, bx1, by1 = (float(v) for v in page.obj.get("/BleedBox", page.mediabox))
            slug, gap, length = slug_mm * mm, offset_mm * mm, length_mm * mm
            media = [bx0 - slug, by0 - slug, bx1 + slug, by1 + slug]
            lines = []
            for x in (tx0, tx1):  # vertical marks above and below each trim edge
                lines.append((x, by1 + gap, x, by1 + gap + length))
                lines.append((x, by0 - gap, x, by0 - gap - length))
            for y in (ty0, ty1):  # horizontal marks left and right of each trim edge
                lines.append((bx0 - gap, y, bx0 - gap - length, y))
                lines.append((bx1 + gap, y, bx1 + gap + length, y))
            marks = " ".join(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l S" for x0, y0, x1, y1 in lines)
            page.contents_add(pdf.make_stream(f"q {bx0:.3f} {by0:.3f} {bx1 - bx0:.3f} {by1 - by0:.3f} re W n\n"
                                              .encode("ascii")), prepend=True)
            # Registration colour (all four inks) so the marks print on every plate.
            page.contents_add(pdf.make_stream(f"\nQ q 0.25 w 1 1 1 1 K {marks} Q\n".encode("ascii")))
            page.obj.MediaBox = pikepdf.Array(media)
            page.obj.CropBox = pikepdf.Array(media)
            if "/ArtBox" in page.obj:
                del page.obj["/ArtBox"]
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()
