"""Jinja2: a layout's template plus a document and the project -> one HTML string."""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup

from .content import Document
from .i18n import long_date, strings
from .layoutdata import LayoutData
from .layouts import Layout
from .project import Project


def render_html(env: jinja2.Environment, layout: Layout, document: Document, project: Project,
                data: LayoutData | None = None) -> str:
    """The HTML WeasyPrint receives; ``data`` comes from layoutdata.prepare (the article needs none)."""
    data = data or LayoutData({}, document.bibliography, ())
    meta = document.meta
    locale = project.locale_for(meta.language)
    numbered = meta.numbered_headings if meta.numbered_headings is not None else layout.numbered_headings
    authors = [p.name for p in meta.authors]
    context = {
        "doc": document,
        "meta": meta,
        "layout": layout,
        "clinic": project.config.clinic,
        "colours": project.config.colours,
        "t": strings(meta.language),
        "body": Markup(document.body_html),  # built by Markdown from validated content
        "numbered_headings": numbered,
        "pdf_author": ", ".join(authors) if authors else meta.publisher,
        "published_long": long_date(meta.published, locale),
        "review_long": long_date(meta.review_date, locale),
        "logo_url": project.logo_path.as_uri() if project.logo_path else None,
        "bibliography": data.bibliography,
        **data.context,
    }
    return env.get_template(layout.template).render(context)
