"""Jinja2: a layout's template plus a document and the project -> one HTML string."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..source.document import Document
from ..errors import Problem, display_path, error, has_errors, quote
from .i18n import long_date, strings
from ..layouts.context import LayoutData, prepare
from ..layouts.registry import Layout
from ..project.config import Project
from ..source.data import DataFile


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


def template_problem(project: Project, template: str, exc: jinja2.TemplateError) -> Problem:
    """A template that is missing or wrong, located in the template file where Jinja knows the line."""
    if isinstance(exc, jinja2.TemplateNotFound):
        return error(project.templates_dir / template, None,
                     f"template {quote(exc.name)} not found in {display_path(project.templates_dir)}")
    path = Path(exc.filename) if getattr(exc, "filename", None) else project.templates_dir / template
    return error(path, getattr(exc, "lineno", None), f"template error: {exc.message or exc}")


@dataclass(frozen=True)
class Rendered:
    """A document in a layout as HTML (None when errors stopped it), with every problem on the way."""

    html: str | None
    problems: tuple[Problem, ...]
    data: LayoutData


def render_document(env: jinja2.Environment, project: Project, layout: Layout, document: Document,
                    data_cache: dict[Path, tuple[DataFile | None, list[Problem]]],
                    more_problems: list[Problem] | tuple[Problem, ...] = ()) -> Rendered:
    """The layout's fields and data checked, then its template rendered: what a build and the preview share.

    ``more_problems`` (a build's readability verdicts, say) join the document's own before the data's.
    """
    problems = list(document.problems)
    for field_name in layout.required_fields:
        if not getattr(document.meta, field_name):
            problems.append(error(document.source, 1,
                                  f"the {layout.name} layout needs {quote(field_name)} in the front matter"))
    problems += more_problems
    language = document.meta.language
    data = prepare(layout, document, project.locale_for(language), strings(language), data_cache,
                   colour=project.config.colours.primary)
    problems += data.problems
    if has_errors(problems):
        return Rendered(None, tuple(problems), data)
    try:
        html = render_html(env, layout, document, project, data)
    except jinja2.TemplateError as exc:
        return Rendered(None, tuple(problems + [template_problem(project, layout.template, exc)]), data)
    return Rendered(html, tuple(problems), data)
