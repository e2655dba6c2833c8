"""Layouts a project declares in leafpress.yaml, with no Python: a template, stylesheets and page rules.

    layouts:
      poster:
        description: A3 waiting-room poster
        source: poster.md          # or poster.*.md, one per language
        template: poster.html.j2   # in the project's templates/
        stylesheets: [fonts/fonts.css, base.css, poster.css]
        page_size: A3
        audience: patients
        max_pages: 1
        min_text_pt: 14
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ..source.validation import Schema
from .base import Layout, PageRules

Text = Annotated[str, Field(min_length=1)]
NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
PAGE_SIZE = re.compile(r"(A[3-6]|B[4-5]|letter|legal)( (portrait|landscape))?|\d+(\.\d+)?mm \d+(\.\d+)?mm")


class DeclaredLayout(Schema):
    description: Text
    template: Text
    source: Text = "article.md"
    stylesheets: Annotated[list[Text], Field(min_length=1)] = ["fonts/fonts.css", "base.css"]
    page_size: str | None = None
    audience: Literal["professionals", "patients", "educators"] = "professionals"
    max_pages: Annotated[int, Field(ge=1, le=500)] | None = None
    min_text_pt: Annotated[float, Field(gt=0, le=72, strict=False)] | None = None
    numbered_headings: bool = False

    @field_validator("source")
    @classmethod
    def _one_markdown_file(cls, value: str) -> str:
        if any(char in value for char in "/\\?[]") or not value.endswith(".md") or value.count("*") > 1:
            raise ValueError(f"must be the name of a Markdown file in the topic folder, such as poster.md or "
                             f"poster.*.md (one per language), not {value!r}")
        return value

    @field_validator("template", "stylesheets")
    @classmethod
    def _inside_theme(cls, value: str | list[str]) -> str | list[str]:
        for name in [value] if isinstance(value, str) else value:
            if name.startswith(("/", "\\")) or ".." in Path(name).parts:
                raise ValueError(f"must be a file name inside templates/ or styles/, not {name!r}")
        return value

    @field_validator("page_size")
    @classmethod
    def _page_size(cls, value: str | None) -> str | None:
        if value is not None and not PAGE_SIZE.fullmatch(value):
            raise ValueError(f"must be a page size such as A4, A5 landscape or 100mm 150mm, not {value!r}")
        return value


def declared_layout(name: str, declared: DeclaredLayout) -> Layout:
    return Layout(
        name=name,
        description=declared.description,
        template=declared.template,
        stylesheets=tuple(declared.stylesheets),
        sources=declared.source,
        audience=declared.audience,
        page=PageRules(size=declared.page_size, max_pages=declared.max_pages, min_text_pt=declared.min_text_pt),
        numbered_headings=declared.numbered_headings,
        readability=declared.audience == "patients",
    )
