"""Safe YAML loading that remembers where every key was written.

PyYAML's ``SafeLoader`` never builds arbitrary Python objects; on top of it
this module

* records the line of every mapping key, so validation errors can point at it;
* reports duplicate keys, which YAML would silently resolve to the last value;
* leaves dates as text, so an impossible date such as 2026-02-30 is reported by
  the schema with its line instead of crashing the loader;
* refuses what would make PyYAML slow or crash before it builds anything:
  aliases, nesting deeper than 50 levels (its parser slows down with the
  square of the depth and its composer recurses), numbers of thousands of
  digits and texts over 256 KiB.

``read_text`` is the one way leafpress reads a source file: a regular file,
UTF-8, not too large and, when a folder is given, inside it after links are
resolved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import MAX_DEPTH, Problem, error, limit_problems, printable, quote, too_deep
from .safefile import NOT_REGULAR, FileRefused, FileTooLarge, read_resolved, size_words

Location = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

MAX_YAML_CHARS = 256 * 1024
# Python refuses to turn more than 4300 digits into an int; no real value needs 100.
MAX_NUMBER_CHARS = 100
MAX_SOURCE_BYTES = 2 * 1024 * 1024


def read_text(path: Path, folder: Path | None = None, limit: int = MAX_SOURCE_BYTES,
              missing: str = "file not found", utf8_fix: str = "save it as UTF-8") -> str | Problem:
    """The text of a source file, or the problem with it.

    A byte order mark is dropped and the text is composed (NFC). It is read
    as :func:`leafpress.source.safefile.read_bytes` reads every file: devices,
    pipes, folders and hard links are refused before anything is read, and so
    is a file that is a symbolic link out of ``folder``.
    """
    try:
        data = read_resolved(path, limit, folder)[1]
        # Composed (NFC), so a letter typed as a base and a combining accent ("e\u0301") is the one
        # character "é" that the fonts have, and is drawn as one glyph rather than two.
        return unicodedata.normalize("NFC", data.decode("utf-8").removeprefix("\ufeff"))
    except FileTooLarge:
        return error(path, None, f"is larger than {size_words(limit)}: split it up")
    except FileRefused as exc:
        fix = ": replace it with a text file" if exc.reason == NOT_REGULAR else ""
        return error(path, None, exc.reason + fix)
    except FileNotFoundError:
        return error(path, None, missing)
    except UnicodeDecodeError as exc:
        return error(path, None, f"is not UTF-8 text (bad byte at offset {exc.start}): {utf8_fix}")
    except OSError as exc:
        return error(path, None, f"cannot be read: {exc.strerror or type(exc).__name__}")


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
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            problems.append(error(path, node.start_mark.line + 1 + offset,
                                  f"a number of {len(node.value)} characters is too long: "
                                  "put it in quotes if it is text"))
    elif isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: building the document refuses it (unhashable key)
            key: str = key_node.value
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


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _structure_problem(text: str, path: Path, offset: int) -> Problem | None:
    """Aliases and nesting depth, from the parser's events: nothing is built, and it stops at the first."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = (event.start_mark.line + 1 if event.start_mark else 1) + offset
        if isinstance(event, yaml.AliasEvent):
            return error(path, line, "YAML aliases (*name) are not allowed here: write the value out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return error(path, line, f"{too_deep(depth)}: write the data with fewer levels of lists "
                             "and mappings")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _reader_problem(exc: yaml.reader.ReaderError, text: str, path: Path, offset: int) -> Problem:
    """A character YAML does not accept (a NUL byte, a lone surrogate...), on one line."""
    position = exc.position if isinstance(exc.position, int) else 0
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    line = text.count("\n", 0, position) + 1 + offset
    return error(path, line, f"invalid YAML: the character U+{character:04X} is not allowed in YAML text; "
                 "remove it")


def load_yaml(text: str, path: Path, line_offset: int = 0) -> tuple[YamlData | None, list[Problem]]:
    """Parse ``text`` safely; return the data (or None) and the problems found.

    ``line_offset`` is the number of lines before ``text`` in its file, so
    lines reported are lines of the file, not of the YAML block.
    """
    problems: list[Problem] = []
    if len(text) > MAX_YAML_CHARS:
        return None, [error(path, line_offset + 1, f"the YAML is too long ({len(text) // 1024} KiB; at most "
                            f"{MAX_YAML_CHARS // 1024} KiB): shorten it")]
    try:
        found = _structure_problem(text, path, line_offset)
        if found is not None:
            return None, [found]
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return YamlData({}, {}, line_offset + 1), []
            lines: dict[Location, int] = {}
            raw: dict[Location, str] = {}
            _walk(node, (), lines, raw, path, line_offset, problems)
            too_long = [p for p in problems if p.message.startswith("a number of ")]
            if too_long:  # Python would refuse to build it
                return None, too_long[:1]
            value = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, path, line_offset)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in reason:
            tag = re.search(r"'([^']*)'", reason)
            reason = (f"the YAML tag {quote(tag.group(1) if tag else '?')} is not allowed: "
                      "remove it and write a plain value")
        else:
            reason = f"invalid YAML: {_bounded(reason)}; check indentation, colons and quotes"
        return None, [error(path, line, reason)]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly all errors
        return None, [error(path, None, f"invalid YAML: {_bounded(str(exc))}")]
    return YamlData(value, lines, line_offset + 1, raw), limit_problems(problems)


def _bounded(text: str, limit: int = 200) -> str:
    """PyYAML's own wording, on one line and cut short: it can quote the document."""
    text = printable(" ".join(text[: limit * 4].split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
