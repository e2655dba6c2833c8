"""Jinja2: a layout's template plus a document and the project -> one HTML string."""

from __future__ import annotations

import traceback
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..errors import Problem, display_path, error, printable, quote
from ..layouts.base import Layout, LayoutData
from ..project.config import Project
from ..source.document import Document
from .i18n import long_date, strings


def render_html(env: jinja2.Environment, layout: Layout, document: Document, project: Project,
                data: LayoutData | None = None) -> str:
    """The HTML WeasyPrint receives; ``data`` is what the layout prepared from the data files (if any)."""
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


def template_problem(project: Project, template: str, exc: Exception) -> Problem:
    """A template that is missing or wrong, located in the template file where Jinja knows the line.

    An error raised while a template runs (``{{ title / 2 }}``, say) is located
    by the last frame of its traceback that is a template: Jinja maps those
    frames to the template's file and line.
    """
    if not isinstance(exc, jinja2.TemplateError):
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
                  if frame.filename.endswith(".j2") or any(
                      Path(frame.filename).is_relative_to(folder) for folder in project.template_dirs)]
        where = frames[-1] if frames else None
        path = Path(where.filename) if where else project.template(template)
        return error(path, where.lineno if where else None,
                     f"template error: {type(exc).__name__}: {printable(str(exc))[:200]}")
    if isinstance(exc, jinja2.TemplateNotFound):
        folders = " or ".join(display_path(folder) for folder in project.template_dirs)
        return error(project.template(template), None, f"template {quote(exc.name)} not found in {folders}")
    filename = getattr(exc, "filename", None)  # syntax errors know their file
    path = Path(filename) if filename else project.template(template)
    return error(path, getattr(exc, "lineno", None), f"template error: {exc.message or exc}")
