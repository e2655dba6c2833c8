"""Imposition: the pages of a leaflet placed on the sheets a printer prints and a person folds."""

from __future__ import annotations

import io

import pikepdf

# The document information an imposed booklet keeps from its leaflet.
DOCINFO_KEPT = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate", "/ModDate")


def saddle_stitch_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers for each sheet side, 1-based; 0 is a blank.

    Pages are padded to a multiple of four with blanks before the last page, so
    the last page (the clinic's contact details) is the back cover. Sides
    alternate front, back, so a duplex printer (flip on the short edge) prints
    sheets that, stacked and folded once, read 1, 2, 3, ... in order.
    """
    total = -(-pages // 4) * 4

    def real(number: int) -> int:
        if pages == 1:
            return number if number == 1 else 0
        if number == total:
            return pages
        return number if number < pages else 0

    sides = []
    for sheet in range(total // 4):
        sides.append((real(total - 2 * sheet), real(2 * sheet + 1)))
        sides.append((real(2 * sheet + 2), real(total - 2 * sheet - 1)))
    return sides


A4_LANDSCAPE = (841.89, 595.28)


class ImpositionError(ValueError):
    pass


def impose_booklet(data: bytes, sheet_size: tuple[float, float] = A4_LANDSCAPE) -> tuple[bytes, int]:
    """Place pages 2-up on landscape sheets (A5 on A4 by default), by trim box; the PDF and its sheet sides.

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
            side = pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=pikepdf.Array(sheet),
                Resources=pikepdf.Dictionary(XObject=resources),
                Contents=out.make_stream(" ".join(operations).encode("ascii")),
            )
            out.pages.append(pikepdf.Page(side))
        # What the booklet keeps of the leaflet's document information, in it and in its XMP. Not /Trapped,
        # which the print profile sets (PDF/X asks for it) and XMP has no field for: pikepdf would warn.
        kept = {key: source.docinfo[key] for key in DOCINFO_KEPT if key in source.docinfo}
        with out.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(kept)
        for key, value in kept.items():
            out.docinfo[key] = value
        if "/Lang" in source.Root:
            out.Root.Lang = source.Root.Lang
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
        return buffer.getvalue(), len(out.pages)
