"""The article: the full referenced text for clinicians, A4, with numbered sections and a bibliography."""

from __future__ import annotations

from ..base import Layout

LAYOUT = Layout(
    name="article",
    description="full referenced article for clinicians (A4)",
    template="article.html.j2",
    stylesheets=("fonts/fonts.css", "base.css", "clinician.css", "article.css"),
    required_fields=("audience_notice", "summary"),
    numbered_headings=True,
    order=10,
)

LAYOUTS = (LAYOUT,)
