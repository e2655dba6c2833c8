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


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="article",
            description="full referenced article for clinicians (A4)",
            template="article.html.j2",
            stylesheets=("fonts/fonts.css", "base.css", "article.css"),
            required_fields=("audience_notice", "summary"),
            numbered_headings=True,
        ),
    )
}

