"""A Markdown file's front matter: the YAML between the first two '---' lines.

Light on purpose: planning reads a source's language from here without
loading the Markdown pipeline.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ..errors import Problem, error, quote
from ..render.i18n import LANGUAGES
from .validation import Schema
from .yamlfile import load_yaml, read_text


def _written_by_leafpress(pattern: str) -> BeforeValidator:
    """A field 'leafpress translated' writes: anything else is refused with how to write it again."""
    def check(value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            raise ValueError(f"is not as 'leafpress translated' writes it ({quote(value)}): run "
                             "'leafpress translated' on this file again to record it")
        return value
    return BeforeValidator(check)


class TranslationOf(Schema):
    """What a translated document was translated from: 'translation_of' in its front matter.

    Written by `leafpress translated` (leafpress.source.translations), not by hand: the source file (in the same
    topic folder), its version, a short hash of its text and the outline of its headings, all as they were when
    the translation was last brought up to date.
    """

    source: Annotated[str, Field(min_length=1)]
    version: Annotated[str, Field(min_length=1)]
    # The first 12 hex digits of the SHA-256 of the source's translatable text.
    fingerprint: Annotated[str, _written_by_leafpress(r"[0-9a-f]{12}")]
    # Each heading of the source as h<level>:<6 hex digits of its text's hash>, space-separated.
    outline: Annotated[str, _written_by_leafpress(r"(h[1-6]:[0-9a-f]{6}( h[1-6]:[0-9a-f]{6})*)?")] = ""


def split_front_matter(text: str, path: Path) -> tuple[str, str, int] | Problem:
    """Return (yaml, markdown, first markdown line) or the problem."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return error(path, 1, "no front matter: start the file with a '---' line, the YAML fields, "
                     "then another '---' line")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return error(path, 1, "the front matter is not closed: add a '---' line after the last field")


def declared_language(path: Path) -> str | None:
    """The 'language' a Markdown file's front matter names, read without validating the rest; None if none.

    Planning needs it to name the PDF of a file whose name does not carry its language (article.md).
    """
    text = read_text(path, folder=path.parent)
    if isinstance(text, Problem):
        return None
    parts = split_front_matter(text, path)
    if isinstance(parts, Problem):
        return None
    # A top-level 'language: xx' line is all there is to read in block-style YAML (a line at column 0
    # cannot be inside a block scalar); anything else is parsed properly.
    found = _LANGUAGE_LINE.search(parts[0])
    if found is not None:
        value: object = found.group(2)
    else:
        data, _ = load_yaml(parts[0], path, line_offset=1)
        value = data.value.get("language") if data is not None and isinstance(data.value, dict) else None
    return value if isinstance(value, str) and value in LANGUAGES else None


_LANGUAGE_LINE = re.compile(r"""^language:[ \t]*(["']?)([a-z]{2})\1[ \t]*(?:#.*)?$""", re.M)


def language_mismatch(path: Path, named: str | None, declared: str, line: int, pattern: str) -> list[Problem]:
    """A per-language file (patient.es.md) whose front matter names another language: it would overwrite that
    language's PDF, so it is an error at the line of 'language'."""
    if named is None or named == declared:
        return []
    return [error(path, line, f"the file name says the language is {quote(named)} but the front matter says "
                  f"'language: {declared}': rename the file to {quote(pattern.replace('*', declared))} "
                  "or correct 'language'")]
