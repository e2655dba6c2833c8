"""Prepare what a layout shows beyond the article: data files, figures, citations.

Each layout is its own document for citation numbering (Vancouver: numbered
by first use in *that* document), so fragments are rendered here in the
order the layout prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from markupsafe import Markup

from ..cite.references import BibliographyEntry, bibliography
from ..source.document import Document
from ..errors import Problem, error, quote
from .figures import forest_plot, qr_code_data_uri
from ..render.i18n import long_date
from .registry import Layout
from ..source.markup import CitationState, render_markdown
from ..source.data import (CPD, CPD_FILE, EVIDENCE_FILE, SUMMARY_FILE, DataFile, Evidence, Summary, check_cpd,
                        check_keys, load_data_file)
from ..source.yamlfile import Location

DATA_MODELS = {EVIDENCE_FILE: Evidence, SUMMARY_FILE: Summary, CPD_FILE: CPD}


@dataclass(frozen=True)
class LayoutData:
    """What a template gets besides the article, and the numbered bibliography."""

    context: dict[str, Any] = field(hash=False)
    bibliography: tuple[BibliographyEntry, ...]
    problems: tuple[Problem, ...]


class _Fragments:
    """Renders inline Markdown fragments in reading order with one citation state."""

    def __init__(self, document: Document):
        self.state = CitationState(known=frozenset(document.references.references))
        self.problems: list[Problem] = []

    def text(self, data: DataFile, location: Location, text: str) -> Markup:
        unknown_before = len(self.state.unknown)
        malformed_before = len(self.state.malformed)
        html = render_markdown(text, self.state).strip()
        for key in self.state.unknown[unknown_before:]:
            self.problems.append(error(data.path, data.line_of(location),
                                       f"unknown reference key {quote(key)}: add it to the references file "
                                       "or fix the spelling"))
        for raw in self.state.malformed[malformed_before:]:
            self.problems.append(error(data.path, data.line_of(location),
                                       f"malformed citation {quote(raw)}: write [@key] or [@key1; @key2]"))
        # One paragraph of inline text: drop the <p> wrapper Markdown adds.
        html = re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.S)
        return Markup(html)

    def number(self, key: str) -> int | None:
        """The citation number of ``key``, assigning the next one at first use."""
        if key not in self.state.known:
            return None
        if key not in self.state.order:
            self.state.order.append(key)
        return self.state.order.index(key) + 1


def load_layout_files(layout: Layout, folder: Path,
                      cache: dict[Path, tuple[DataFile | None, list[Problem]]]) -> tuple[dict[str, DataFile], list[Problem]]:
    """The data files a layout needs, loaded once per topic."""
    files: dict[str, DataFile] = {}
    problems: list[Problem] = []
    for name in layout.data_files:
        path = folder / name
        if path not in cache:
            if not path.is_file():
                cache[path] = (None, [error(path, None, f"the {layout.name} layout needs {name} in the topic "
                                            "folder: create it (see the sample topic for its fields)")])
            else:
                cache[path] = load_data_file(path, DATA_MODELS[name])
        data, found = cache[path]
        problems += found
        if data is not None:
            files[name] = data
    return files, problems


def _studies(fragments: _Fragments, evidence: DataFile) -> list[dict[str, Any]]:
    rows = []
    for index, study in enumerate(evidence.model.studies):
        where = ("studies", index)
        rows.append({
            "study": fragments.text(evidence, where + ("study",), study.study),
            "design": fragments.text(evidence, where + ("design",), study.design),
            "participants": fragments.text(evidence, where + ("participants",), study.participants),
            "population": fragments.text(evidence, where + ("population",), study.population),
            "intervention": fragments.text(evidence, where + ("intervention",), study.intervention),
            "result": fragments.text(evidence, where + ("result",), study.result),
            "number": fragments.number(study.cite),
        })
    return rows


def _figure(fragments: _Fragments, evidence: DataFile, locale: str, t: dict[str, str],
            colour: str) -> dict[str, Any] | None:
    plot = evidence.model.forest_plot
    if plot is None:
        return None
    drawing = forest_plot(plot, locale, t["to"], colour)
    return {
        "src": drawing.src,
        "alt": drawing.alt,
        "width_pt": drawing.width_pt,
        "caption": fragments.text(evidence, ("forest_plot", "caption"), plot.caption),
        "number": fragments.number(plot.cite),
    }


def _key_checks(evidence: DataFile, known: frozenset[str]) -> list[Problem]:
    cites: list[tuple[Location, str]] = [(("studies", i, "cite"), s.cite) for i, s in enumerate(evidence.model.studies)]
    if evidence.model.forest_plot:
        cites.append((("forest_plot", "cite"), evidence.model.forest_plot.cite))
    return check_keys(evidence, cites, known)


def prepare(layout: Layout, document: Document, locale: str, t: dict[str, str],
            cache: dict[Path, tuple[DataFile | None, list[Problem]]], colour: str = "#1a1a1a") -> LayoutData:
    """Everything ``layout`` needs from the topic, with problems to report."""
    if not layout.data_files:
        return LayoutData({}, document.bibliography, ())
    files, problems = load_layout_files(layout, document.folder, cache)
    if len(files) < len(layout.data_files):
        return LayoutData({}, (), tuple(problems))
    known = frozenset(document.references.references)
    fragments = _Fragments(document)
    evidence = files[EVIDENCE_FILE]
    problems += _key_checks(evidence, known)
    context: dict[str, Any] = {}
    if layout.name == "summary":
        summary = files[SUMMARY_FILE]
        context["key_points"] = [fragments.text(summary, ("key_points", i), p)
                                 for i, p in enumerate(summary.model.key_points)]
        context["safety"] = [fragments.text(summary, ("safety", i), p) for i, p in enumerate(summary.model.safety)]
        context["safety_title"] = summary.model.safety_title
        context["studies"] = _studies(fragments, evidence)
        context["figure"] = _figure(fragments, evidence, locale, t, colour)
        context["max_pages"] = summary.model.max_pages
        if document.meta.url:
            context["qr"] = {"src": qr_code_data_uri(document.meta.url), "url": document.meta.url}
        else:
            problems.append(error(document.source, 1, "the summary layout needs 'url' in the front matter: "
                                  "the web address of the full article, for its QR code"))
    elif layout.name == "cpd":
        cpd, summary = files[CPD_FILE], files[SUMMARY_FILE]
        problems += check_cpd(cpd, known)
        model: CPD = cpd.model
        context["cpd"] = model
        context["session_dates"] = ", ".join(long_date(d, locale) for d in model.session.dates)
        context["credits_text"] = (format_decimal(model.accreditation.credits, locale=locale)
                                   if model.accreditation.credits is not None else "")
        context["objectives"] = [fragments.text(cpd, ("objectives", i), o) for i, o in enumerate(model.objectives)]
        context["key_points"] = [fragments.text(summary, ("key_points", i), p)
                                 for i, p in enumerate(summary.model.key_points)]
        context["studies"] = _studies(fragments, evidence)
        context["reflection"] = [fragments.text(cpd, ("reflection", i), r) for i, r in enumerate(model.reflection)]
        context["questions"] = [
            {"text": fragments.text(cpd, ("questions", i, "question"), q.question),
             "options": [fragments.text(cpd, ("questions", i, "options", j), o) for j, o in enumerate(q.options)],
             "answer_index": q.options.index(q.answer) if q.answer in q.options else 0}
            for i, q in enumerate(model.questions)]
        context["answers"] = [
            {"explanation": fragments.text(cpd, ("questions", i, "explanation"), q.explanation),
             "number": fragments.number(q.cite)}
            for i, q in enumerate(model.questions)]
    problems += fragments.problems
    entries = bibliography(document.references, fragments.state.order)
    return LayoutData(context, entries, tuple(problems))
