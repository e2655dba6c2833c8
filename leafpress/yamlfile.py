"""Safe YAML loading that remembers where every key was written.

PyYAML's ``SafeLoader`` never builds arbitrary Python objects; on top of it
this module

* records the line of every mapping key, so validation errors can point at it;
* reports duplicate keys, which YAML would silently resolve to the last value;
* leaves dates as text, so an impossible date such as 2026-02-30 is reported by
  the schema with its line instead of crashing the loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, error, quote

Location = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# An alias-heavy document ("billion laughs") expands exponentially when
# constructed; real front matter and config files never need aliases.
_MAX_ALIASES = 0


@dataclass(frozen=True)
class YamlData:
    """Loaded YAML: the plain value plus the line of each key path."""

    value: Any
    lines: dict[Location, int] = field(default_factory=dict)
    first_line: int = 1
    # Scalars as written ("no", "1.10"), to quote them back in error messages.
    raw: dict[Location, str] = field(default_factory=dict)

    def line_of(self, location: Location) -> int:
        """Line of the key at ``location`` or of its nearest written parent."""
        while location:
            if location in self.lines:
                return self.lines[location]
            location = location[:-1]
        return self.first_line


def _walk(node: yaml.Node, location: Location, lines: dict[Location, int], raw: dict[Location, str],
          path: Path, offset: int, problems: list[Problem]) -> None:
    if isinstance(node, yaml.ScalarNode):
        raw[location] = node.value
    elif isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1 + offset
            if key in seen:
                problems.append(error(
                    path, line,
                    f"duplicate key {quote(key)} (first written on line {seen[key]}): "
                    "keep one of them"))
                continue
            seen[key] = line
            lines[location + (key,)] = line
            _walk(value_node, location + (key,), lines, raw, path, offset, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[location + (index,)] = item.start_mark.line + 1 + offset
            _walk(item, location + (index,), lines, raw, path, offset, problems)


def _count_aliases(text: str) -> int:
    return sum(1 for event in yaml.parse(text, Loader=_Loader) if isinstance(event, yaml.AliasEvent))


def load_yaml(text: str, path: Path, line_offset: int = 0) -> tuple[YamlData | None, list[Problem]]:
    """Parse ``text`` safely; return the data (or None) and the problems found.

    ``line_offset`` is the number of lines before ``text`` in its file, so
    lines reported are lines of the file, not of the YAML block.
    """
    problems: list[Problem] = []
    try:
        if "*" in text and _count_aliases(text) > _MAX_ALIASES:
            return None, [error(path, None, "YAML aliases (*name) are not allowed here: "
                                "write the value out in full")]
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return YamlData({}, {}, line_offset + 1), []
            lines: dict[Location, int] = {}
            raw: dict[Location, str] = {}
            _walk(node, (), lines, raw, path, line_offset, problems)
            value = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in reason:
            tag = re.search(r"'([^']*)'", reason)
            reason = (f"the YAML tag {quote(tag.group(1) if tag else '?')} is not allowed: "
                      "remove it and write a plain value")
        else:
            reason = f"invalid YAML: {reason}; check indentation, colons and quotes"
        return None, [error(path, line, reason)]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly all errors
        return None, [error(path, None, f"invalid YAML: {exc}")]
    return YamlData(value, lines, line_offset + 1, raw), problems
