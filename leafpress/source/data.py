"""Structured data beside a topic's Markdown: YAML files validated like front matter.

Numbers are written once: the evidence table, the forest plot and the CPD
questions live in YAML files in the topic folder and cite the same reference
keys as the article. Which files there are, and their schemas, is each
layout's business (see the ``data`` of a layout); this module loads any of
them, with the line of every value, and checks the Markdown in their texts.

Text fields are Markdown (inline) and may cite with ``[@key]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field

from ..errors import Problem, error, has_errors, limit_problems, quote, warning
from .validation import Schema, validate
from .yamlfile import Location, YamlData, load_yaml, read_text

Text = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Field(strict=False)]  # YAML 2 and 2.0 are both fine here
Key = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][\w:.#$%&+?<>~/-]*$")]


class DataSchema(Schema):
    """A data file's schema: it says where its Markdown texts and its citations are."""

    def markdown_fields(self) -> list[tuple[Location, str]]:
        """Where each text that a layout renders as Markdown is, and the text."""
        return []

    def citations(self) -> list[tuple[Location, str]]:
        """Where each ``cite`` field is, and the reference key it names."""
        return []

    def cross_checks(self, data: DataFile, known_keys: frozenset[str]) -> list[Problem]:
        """Checks across fields (an answer among its options, say), beyond what the schema can say."""
        return []


M = TypeVar("M", bound=DataSchema)


@dataclass(frozen=True)
class DataFile:
    """A validated data file and where each of its values was written."""

    path: Path
    model: Any
    yaml: YamlData

    def line_of(self, location: Location) -> int:
        return self.yaml.line_of(location)


def load_data_file(path: Path, model: type[M]) -> tuple[DataFile | None, list[Problem]]:
    """Load and validate one YAML data file; None and the problems if it is wrong."""
    text = read_text(path, folder=path.parent)
    if isinstance(text, Problem):
        return None, [text]
    data, problems = load_yaml(text, path)
    if data is None:
        return None, problems
    value, more = validate(model, data, path)
    problems += more
    if value is None or problems:
        return None, problems
    problems += markdown_problems(path, data, value.markdown_fields())
    if has_errors(problems):  # text the renderer would refuse never reaches it
        return None, limit_problems(problems)
    return DataFile(path, value, data), limit_problems(problems)


def markdown_problems(path: Path, data: YamlData, fields: list[tuple[Location, str]]) -> list[Problem]:
    """What rendering these texts would refuse (errors) or remove (warnings), at their lines.

    The layouts render them later with their own citation numbering; this
    renders each once now, so the author hears about it when the file is read.
    """
    from .markup import CitationState, render_markdown  # Markdown loads only when a data file is read

    problems: list[Problem] = []
    for location, text in fields:
        state = CitationState(known=frozenset())
        render_markdown(text, state)
        line = data.line_of(location)
        problems += [error(path, line, notice.message) for notice in state.refused]
        problems += [warning(path, line, notice.message) for notice in state.removed]
    return problems


def check_keys(data: DataFile, locations: list[tuple[Location, str]], known_keys: frozenset[str]) -> list[Problem]:
    """Errors for ``cite`` fields naming references that do not exist."""
    return [error(data.path, data.line_of(location),
                  f"unknown reference key {quote(key)}: add it to the references file or fix the spelling")
            for location, key in locations if key not in known_keys]


def data_problems(data: DataFile, known_keys: frozenset[str]) -> list[Problem]:
    """Everything wrong with a loaded data file that needs the topic's references to tell."""
    model: DataSchema = data.model
    return check_keys(data, model.citations(), known_keys) + model.cross_checks(data, known_keys)
