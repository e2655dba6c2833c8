"""The pipeline, top to bottom: plan targets, load content, render, typeset, check, write.

One broken document never stops the others: every target ends in a
:class:`BuildResult`, and the caller decides the exit code from them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .source.checks import readability_problems
from .source.document import Document, load_document
from .errors import Problem, error, has_errors, quote
from .finish.files import write_atomic
from .render.jinja import shared_environment
from .layouts.registry import Layout
from .planning import Target, plan
from .finish.pdf import (add_crop_marks, bundled_font_names, impose_booklet, saddle_stitch_order,
                          stable_document_id, verify_pdf)
from .finish.profiles import MARK_LENGTH_MM, MARK_OFFSET_MM, PROFILES, SLUG_MM, Profile
from .project.config import Project, config_warnings
from .render.html import render_document
from .results import BuildResult
from .source.data import DataFile
from .typeset.engine import Typeset, typeset


def output_path(out_dir: Path, document: Document, layout: Layout, suffix: str = "") -> Path:
    """<out>/<topic>/<layout>.<lang>[.<profile>].pdf; the project's default profile has no suffix."""
    return out_dir / document.topic / f"{layout.name}.{document.meta.language}{suffix}.pdf"


def page_limit_message(target: Target, limit: int, result: Typeset) -> str:
    pages = "page" if limit == 1 else "pages"
    return (f"the {target.layout.name} of {quote(target.topic)} takes {result.pages} pages, over its limit of "
            f"{limit} {pages} by {result.overflow_beyond(limit):.0f} mm of content: shorten the text or the table "
            "(nothing was cut)")


def _line_naming(source: Path, reason: str) -> int | None:
    """The first line of ``source`` that names the file a refusal is about (the last part of its URL)."""
    name = unquote(reason.split(" ", 1)[0].rsplit("/", 1)[-1])
    if not name or "…" in name:
        return None
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((number for number, line in enumerate(lines, start=1) if name in line), None)


class Builder:
    """Builds targets of one project; keeps the template environment between them."""

    def __init__(self, project: Project, out_dir: Path | None = None, strict: bool = False,
                 profile: str | None = None, marks: bool | None = None):
        self.project = project
        self.strict = strict
        self.profile = PROFILES[profile or project.config.profile]
        self.marks = project.config.print_settings.marks if marks is None else marks
        self.out_dir = (out_dir or project.output_dir).resolve()
        self.env = shared_environment(project.templates_dir)
        self.fonts = bundled_font_names(project.styles_dir / "fonts")
        # Stylesheets load from styles/ and templates/ only, never a topic's folder,
        # so every document of a layout can share them once parsed.
        self.style_roots = (project.styles_dir, project.templates_dir)
        self.data_cache: dict[Path, tuple[DataFile | None, list[Problem]]] = {}

    def build(self, targets: list[Target]) -> list[BuildResult]:
        documents: dict[Path, Document | list[Problem]] = {}
        results = []
        for target in targets:
            if target.source not in documents:
                documents[target.source] = load_document(target.source, target.topic)
            results.append(self.build_one(target, documents[target.source]))
        return results

    def build_one(self, target: Target, loaded: Document | list[Problem]) -> BuildResult:
        started = time.perf_counter()

        def failed(problems: list[Problem] | tuple[Problem, ...]) -> BuildResult:
            return BuildResult(target, None, 0, time.perf_counter() - started, tuple(problems))

        if not isinstance(loaded, Document):
            return failed(loaded)
        document, layout = loaded, target.layout
        checked = readability_problems(document, self.strict) if layout.readability else []
        rendered = render_document(self.env, self.project, layout, document, self.data_cache, checked)
        problems, data = list(rendered.problems), rendered.data
        if rendered.html is None:
            return failed(problems)
        html = rendered.html
        logo = self.project.logo_path
        roots = (document.folder, self.project.styles_dir, self.project.templates_dir) + ((logo,) if logo else ())
        sheets = tuple(self.project.styles_dir / name for name in layout.stylesheets)
        result = typeset(html, document.folder, sheets, roots, forms=layout.pdf_forms, profile=self.profile,
                         icc_profile=self.project.icc_profile, style_roots=self.style_roots)
        pdf, pages = stable_document_id(result.pdf), result.pages
        if self.profile.bleed_mm and self.marks and not layout.impose:
            pdf = add_crop_marks(pdf, MARK_OFFSET_MM, MARK_LENGTH_MM, SLUG_MM)
        # An imposed booklet is a new, untagged file for an office printer:
        # it is checked for fonts, title, language and syntax, not the profile.
        checked_as: Profile | None = self.profile
        if layout.impose == "booklet":
            pdf = impose_booklet(pdf)
            pages = len(saddle_stitch_order(result.pages))
            checked_as = None
        problems += [error(document.source, _line_naming(document.source, reason), f"refused to load {reason}")
                     for reason in result.refused]
        problems += [error(document.source, None, f"WeasyPrint: {message}") for message in result.warnings]
        problems += [error(document.source, None, message) for message in verify_pdf(pdf, self.fonts, checked_as)]
        limit = data.context.get("max_pages", layout.max_pages)
        if limit and result.pages > limit:
            problems.append(error(document.source, None, page_limit_message(target, limit, result)))
        if has_errors(problems):
            return failed(problems)
        path = output_path(self.out_dir, document, layout, self.profile.suffix(self.project.config.profile))
        write_atomic(path, pdf)
        return BuildResult(target, path, pages, time.perf_counter() - started, tuple(problems))


def build(project: Project, paths: list[Path] | None = None, layouts: list[str] | None = None,
          out_dir: Path | None = None, strict: bool = False, profile: str | None = None,
          marks: bool | None = None) -> tuple[list[BuildResult], list[Problem]]:
    """Build every target for ``paths``; return the results and project-wide problems.

    ``strict`` refuses patient leaflets that miss their readability targets;
    ``profile`` (screen, print, archive) defaults to the project's; ``marks``
    adds crop marks under the print profile.
    """
    targets = plan(project, paths or [], layouts)
    return Builder(project, out_dir, strict, profile, marks).build(targets), config_warnings(project)
