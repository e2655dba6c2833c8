"""What layouts share when they prepare a template's context from a topic's data files.

Each layout is its own document for citation numbering (Vancouver: numbered
by first use in *that* document), so a layout renders its data files' texts
with one :class:`Fragments` in the order it prints them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..errors import Problem, error, quote
from ..source.data import DataFile
from ..source.document import Document
from ..source.markup import CITATION_FORMS, CitationState, render_markdown
from ..source.yamlfile import Location
from .builtin.summary import STUDY_FIELDS

if TYPE_CHECKING:
    from ..cite.references import BibliographyEntry


class Fragments:
    """Renders inline Markdown fragments in reading order with one citation state."""

    def __init__(self, document: Document):
        self.document = document
        self.state = CitationState(known=frozenset(document.references.references),
                                   language=document.meta.language,
                                   library={key: ref.csl for key, ref in document.references.references.items()})
        self.problems: list[Problem] = []

    def text(self, data: DataFile, location: Location, text: str) -> Markup:
        unknown_before = len(self.state.unknown)
        malformed_before = len(self.state.malformed)
        html = render_markdown(text, self.state).strip()
        for key in self.state.unknown[unknown_before:]:
            self.problems.append(error(data.path, data.line_of(location),
                                       f"unknown reference key {quote(key)}: add it to the references file "
                                       "or fix the spelling"))
        for key in self.state.unresolved:
            self.problems.append(error(data.path, data.line_of(location),
                                       f"cross-reference {quote('@' + key)} points at nothing this layout "
                                       "shows: figures and tables of the article are not part of this text"))
        self.state.unresolved.clear()
        for raw in self.state.malformed[malformed_before:]:
            self.problems.append(error(data.path, data.line_of(location),
                                       f"malformed citation {quote(raw)}: {CITATION_FORMS}"))
        # One paragraph of inline text: drop the <p> wrapper Markdown adds.
        html = re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.S)
        return Markup(html)

    def texts(self, data: DataFile, field: str, texts: list[str]) -> list[Markup]:
        return [self.text(data, (field, index), text) for index, text in enumerate(texts)]

    def bibliography(self) -> tuple[BibliographyEntry, ...]:
        """The entries of the keys cited so far, in the document's style; none, and a problem, if it fails."""
        from ..cite.references import StyleFailed, bibliography

        document = self.document
        try:
            return bibliography(document.references, self.state.order, document.meta.language, document.style,
                                document.listed_authors)
        except StyleFailed as exc:
            self.problems.append(exc.problem)
            return ()

    def number(self, key: str) -> int | None:
        """The citation number of ``key``, assigning the next one at first use."""
        if key not in self.state.known:
            return None
        if key not in self.state.order:
            self.state.order.append(key)
        return self.state.order.index(key) + 1


def studies(fragments: Fragments, evidence: DataFile, only: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """The rows of the evidence table (all studies, or those at the indices ``only``), rendered and numbered."""
    rows = []
    for index in range(len(evidence.model.studies)) if only is None else only:
        study = evidence.model.studies[index]
        row: dict[str, Any] = {name: fragments.text(evidence, ("studies", index, name), getattr(study, name))
                               for name in STUDY_FIELDS}
        row["number"] = fragments.number(study.cite)
        rows.append(row)
    return rows
