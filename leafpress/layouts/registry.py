"""The layouts a topic can be built in, and what each needs.

A layout is data, not code: a template, stylesheets on top of the shared
base, and the front-matter fields it cannot do without.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    template: str
    stylesheets: tuple[str, ...]
    # Front-matter fields that may be optional in general but not here.
    required_fields: tuple[str, ...] = ()
    numbered_headings: bool = False
    # Data files in the topic folder the layout is drawn from; a topic
    # without them simply has no such document (unless asked for by name).
    data_files: tuple[str, ...] = ()
    # The most pages the layout may take; more is a build error, never a cut.
    max_pages: int | None = None
    # Fillable PDF form fields for <textarea> and <input> elements.
    pdf_forms: bool = False
    # Which files of a topic folder this layout is built from.
    source: str = "article.md"
    # Post-processing of the typeset pages: "booklet" imposes them 2-up.
    impose: str | None = None
    # Patient text: scored for readability (a miss fails the target with --strict).
    readability: bool = False


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="article",
            description="full referenced article for clinicians (A4)",
            template="article.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "clinician.css", "article.css"),
            required_fields=("audience_notice", "summary"),
            numbered_headings=True,
        ),
        Layout(
            name="summary",
            description="one-page clinician summary: key points, evidence at a glance, figure, QR code (A4)",
            template="summary.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "summary.css"),
            data_files=("evidence.yaml", "summary.yaml"),
            max_pages=2,  # summary.yaml may lower it to 1 (the default)
        ),
        Layout(
            name="cpd",
            description="CPD handout for educators: objectives, evidence, reflection, self-assessment (A4)",
            template="cpd.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "clinician.css", "cpd.css"),
            data_files=("evidence.yaml", "summary.yaml", "cpd.yaml"),
            pdf_forms=True,
        ),
        Layout(
            name="patient",
            description="patient information leaflet, A5, one per language (patient.<lang>.md)",
            template="patient.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "patient.css"),
            source="patient.*.md",
            readability=True,
        ),
        Layout(
            name="patient-large-print",
            description="the patient leaflet in large print: A4, body text 16 pt",
            template="patient.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "patient.css", "patient-large-print.css"),
            source="patient.*.md",
            readability=True,
        ),
        Layout(
            name="patient-booklet",
            description="the A5 patient leaflet imposed 2-up on A4 landscape for duplex saddle-stitch printing",
            template="patient.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "patient.css"),
            source="patient.*.md",
            readability=True,
            impose="booklet",
        ),
    )
}

