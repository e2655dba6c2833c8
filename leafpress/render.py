"""Jinja2: a layout's template plus a document and the project -> one HTML string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .content import Document
from .i18n import long_date, strings
from .layoutdata import LayoutData
from .layouts import Layout
from .project import Project


def css_string(value: Any) -> Markup:
    """Quote ``value`` as a CSS string that is safe inside a <style> element.

    Autoescaping is for HTML; a <style> element is raw text, so quotes,
    backslashes and '<' (which could close the element) become CSS escapes.
    """
    out = []
    for char in str(value):
        if char in '"\\<>&\n\r' or ord(char) < 0x20:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return Markup('"' + "".join(out) + '"')


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """The one Jinja2 environment: autoescape for every file, undefined is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,  # whatever the template's file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    return env


_SHARED: dict[Path, jinja2.Environment] = {}


def shared_environment(templates_dir: Path) -> jinja2.Environment:
    """This process's environment for ``templates_dir``, so each template is compiled once.

    Jinja2 checks a template's file each time it is loaded (auto_reload) and
    compiles it again if it changed.
    """
    if templates_dir not in _SHARED:
        _SHARED[templates_dir] = make_environment(templates_dir)
    return _SHARED[templates_dir]


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
