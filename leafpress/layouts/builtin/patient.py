"""The patient information leaflet, one per language (patient.<lang>.md): A5, large print, and a booklet."""

from __future__ import annotations

from dataclasses import replace

from ..base import Finishing, Layout, PageRules


def impose_booklet(pdf: bytes) -> tuple[bytes, int]:
    """The A5 pages 2-up on A4 landscape sheets, in saddle-stitch order; the sheet sides counted."""
    from ...finish.impose import impose_booklet as impose

    return impose(pdf)


LEAFLET = Layout(
    name="patient",
    description="patient information leaflet, A5, one per language (patient.<lang>.md)",
    template="patient.html.j2",
    stylesheets=("fonts/fonts.css", "base.css", "patient.css"),
    sources="patient.*.md",
    audience="patients",
    page=PageRules(min_text_pt=12),
    readability=True,
    order=40,
)

# The large print and the booklet are the leaflet with what differs replaced.
LARGE_PRINT = replace(
    LEAFLET,
    name="patient-large-print",
    description="the patient leaflet in large print: A4, body text 16 pt",
    stylesheets=(*LEAFLET.stylesheets, "patient-large-print.css"),
    page=PageRules(min_text_pt=16),
    order=41,
)

BOOKLET = replace(
    LEAFLET,
    name="patient-booklet",
    description="the A5 patient leaflet imposed 2-up on A4 landscape for duplex saddle-stitch printing",
    finishes=LEAFLET.name,
    # An imposed booklet is a new, untagged file for an office printer: the sheets have no bleed to mark.
    finishing=Finishing(impose=impose_booklet, crop_marks=False),
    order=42,
)

LAYOUTS = (LEAFLET, LARGE_PRINT, BOOKLET)
