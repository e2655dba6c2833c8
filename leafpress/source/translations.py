"""Translations kept in step with what they translate (issue 17).

A translated document (patient.es.md) names what it was translated from in
its front matter, as `leafpress translated` writes it::

    translation_of:
      source: patient.en.md
      version: "1.0"
      fingerprint: 3f2a9c01b7de
      outline: "h2:5d41ab h2:7e9c02"

``fingerprint`` is a short hash of the source's translatable text (its body
and the front-matter fields a translator translates), so an edit made
without a new version is noticed too; ``outline`` is a short hash of each of
its headings, so the headings added or removed since can be named.

:func:`translation_problems` is the one check: `leafpress check` and the
build (before typesetting) call it, so both say the same words. It reports
what changed in the source since (errors with the build's --strict: a stale
translation should not be published by a strict build), then where the two
documents differ in structure now (always warnings: a translation may
legitimately differ, and the structure is read line by line, not parsed).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LeafpressError, Problem, display_path, error, limit_problems, quote, warning
from ..paths import resolve
from .document import FrontMatter, load_source
from .frontmatter import split_front_matter
from .lists import FENCE, ITEM
from .safefile import FileRefused, read_bytes
from .yamlfile import MAX_SOURCE_BYTES, YamlData, load_yaml, read_text

# The front-matter fields a translator translates: a change to one of them is a change to the text.
TRANSLATED_FIELDS = ("title", "short_title", "subtitle", "audience_notice", "summary", "keywords")
FIELD = "translation_of"


def _hash(text: str, digits: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:digits]


def _normalised(body: str) -> str:
    """The body as a reader sees it: line endings and trailing spaces do not make it a new text."""
    return "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n")).strip()


def fingerprint(meta: FrontMatter, body: str) -> str:
    """12 hex digits of the SHA-256 of the translatable front-matter fields and the body."""
    fields = json.dumps([getattr(meta, name) for name in TRANSLATED_FIELDS], ensure_ascii=False)
    return _hash(fields + "\n" + _normalised(body), 12)


# --- the structure of a Markdown body, read line by line ---------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_ATTRIBUTES = re.compile(r"[ \t]*\{[^{}]*\}$")  # a heading's {#id .class}
_CALLOUT = re.compile(r"^[ \t]*!!![ \t]*\w")
_FOOTNOTE = re.compile(r"^[ \t]*\[\^[^\]]+\]:")
_INLINE_NOTE = re.compile(r"\^\[")
_IMAGE = re.compile(r"!\[|<img\b", re.I)
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


@dataclass
class Block:
    """A list (its items, nested ones too) or a table (its body rows and columns), from its first line."""

    line: int
    size: int
    columns: int = 0


@dataclass
class Section:
    """A heading and what follows it up to the next heading; level 0 is the text before the first heading."""

    level: int
    title: str
    line: int
    lists: list[Block] = field(default_factory=list)
    tables: list[Block] = field(default_factory=list)
    figures: list[int] = field(default_factory=list)
    callouts: list[int] = field(default_factory=list)
    footnotes: list[int] = field(default_factory=list)
    paragraphs: int = 0

    @property
    def name(self) -> str:
        return "the opening text" if self.level == 0 else f"the section {quote(self.title)}"

    def signature(self) -> tuple[object, ...]:
        """What two sections that translate each other share: how they are aligned."""
        return (self.level, tuple(b.size for b in self.lists), tuple((b.size, b.columns) for b in self.tables),
                len(self.figures), len(self.callouts), len(self.footnotes), self.paragraphs)


def heading_text(raw: str) -> str:
    return " ".join(_ATTRIBUTES.sub("", raw).split())


def sections(body: str, first_line: int) -> list[Section]:
    """The sections of a Markdown body, each with its lists, tables, figures, callouts and footnotes.

    Read line by line (fenced code skipped) so that every part has its line in the file.
    """
    lines = body.replace("\r\n", "\n").split("\n")
    found = [Section(0, "", first_line)]
    in_fence, in_list, previous_blank = False, False, True
    table: Block | None = None
    rule = -1  # the index of a table's rule line (|---|---|), not a row
    for index, line in enumerate(lines):
        number = first_line + index
        current = found[-1]
        if index == rule:
            continue
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        blank = not line.strip()
        if table is not None:
            if not blank and "|" in line:
                table.size += 1
                continue
            table = None
        heading = _HEADING.match(line)
        if heading:
            found.append(Section(len(heading.group(1)), heading_text(heading.group(2)), number))
            in_list, previous_blank = False, True
            continue
        if "|" in line and index + 1 < len(lines) and _TABLE_RULE.match(lines[index + 1]):
            rule = index + 1
            table = Block(number, 0, lines[rule].strip().strip("|").count("|") + 1)
            current.tables.append(table)
            in_list = False
            continue
        item = ITEM.fullmatch(line)
        if item:
            if in_list:
                current.lists[-1].size += 1
            else:
                current.lists.append(Block(number, 1))
                in_list = True
        elif in_list and not blank and not line[:1].isspace():
            in_list = False
        if _CALLOUT.match(line):
            current.callouts.append(number)
            in_list = False
        elif _FOOTNOTE.match(line):
            current.footnotes.append(number)
        elif not blank and previous_blank and not in_list:
            current.paragraphs += 1
        current.footnotes += [number] * len(_INLINE_NOTE.findall(line))
        current.figures += [number] * len(_IMAGE.findall(line))
        previous_blank = blank
    return found


def outline(found: list[Section]) -> str:
    """Each heading as h<level>:<6 hex digits of its text's hash>, space-separated."""
    return " ".join(f"h{s.level}:{_hash(s.title, 6)}" for s in found if s.level)


# --- what a translation records ------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """What `leafpress translated` writes in 'translation_of': the source as it is now."""

    source: str
    version: str
    fingerprint: str
    outline: str

    @property
    def headings(self) -> int:
        return len(self.outline.split())

    def yaml_lines(self, newline: str) -> list[str]:
        # JSON strings are YAML strings: quoted, so a version "1.10" or a fingerprint of digits stays text.
        return [f"{FIELD}:{newline}",
                *(f"  {name}: {json.dumps(value, ensure_ascii=False)}{newline}" for name, value in
                  (("source", self.source), ("version", self.version), ("fingerprint", self.fingerprint),
                   ("outline", self.outline)))]


def record_of(source: Path) -> Record:
    """The record of ``source`` as it is now, or raise with its problems."""
    loaded, problems = load_source(source)
    if loaded is None:
        raise LeafpressError(problems)
    return Record(source.name, loaded.meta.version, fingerprint(loaded.meta, loaded.body),
                  outline(sections(loaded.body, loaded.body_first_line)))


# --- the check -------------------------------------------------------------------------------

def translation_problems(path: Path, meta: FrontMatter, front_matter: YamlData, body: str, body_line: int,
                         strict: bool = False) -> list[Problem]:
    """A translation whose source changed since it was translated, or that differs from it in structure.

    Nothing for a document that records no 'translation_of': leafpress cannot tell a translation from a
    document written in two languages side by side.
    """
    record = meta.translation_of
    if record is None:
        return []
    name, here = record.source, path.name
    folder = path.parent
    source = folder / record.source
    stale = error if strict else warning
    real = _file_beside(source, path)
    if real is None or real == resolve(path):
        return [stale(path, front_matter.line_of((FIELD, "source")),
                      f"'{FIELD}' names {quote(name)}, which is not another file in this topic folder: correct "
                      f"'source', or remove '{FIELD}' if {here} is no longer a translation")]
    loaded, _ = load_source(source)
    if loaded is None:  # its own problems are reported when it is checked
        return []
    source_sections = sections(loaded.body, loaded.body_first_line)
    own_sections = sections(body, body_line)
    command = f"leafpress translated {display_path(path)}"
    problems: list[Problem] = []
    now_version, now_text = loaded.meta.version, fingerprint(loaded.meta, loaded.body)
    changed = now_text != record.fingerprint
    if now_version != record.version:
        problems.append(stale(path, front_matter.line_of((FIELD, "version")),
                              f"{name} is at version {now_version}; {here} was translated from {record.version}"
                              + (f": update the translation, then run '{command}' to record it" if changed else
                                 f", but its text is the same: run '{command}' to record the new version")))
    elif changed:
        problems.append(stale(path, front_matter.line_of((FIELD, "fingerprint")),
                              f"{name} has changed since {here} was translated from it, without a new version "
                              f"(still {now_version}): update the translation, then run '{command}' to record it"))
    added: set[int] = set()
    removed: set[int] = set()
    if changed and record.outline and max(len(source_sections), record.outline.count(" ") + 1) <= MAX_ALIGNED:
        problems += _outline_changes(path, front_matter, name, record.outline, source_sections, own_sections,
                                     stale, added, removed)
    problems += _structure_problems(path, name, own_sections, source_sections, added, removed)
    return limit_problems(problems)  # a screenful: two texts that differ everywhere say so in the first lines


Maker = Callable[[Path | None, int | None, str], Problem]  # error or warning


def _outline_changes(path: Path, front_matter: YamlData, name: str, recorded: str, source: list[Section],
                     own: list[Section], make: Maker, added: set[int], removed: set[int]) -> list[Problem]:
    """The headings added to, removed from or reworded in the source since the translation was recorded."""
    here = path.name
    then = recorded.split()
    headings = [s for s in source if s.level]
    now = outline(source).split()  # one entry for each of ``headings``
    # The translation's heading that translated the i-th heading then: by position, while it has as many.
    own_headings = [s for s in own if s.level]
    counterpart = own_headings if len(own_headings) == len(then) else None
    line = front_matter.line_of((FIELD, "outline"))
    problems: list[Problem] = []

    def gone(index: int) -> None:
        if counterpart is not None:
            was = counterpart[index]
            removed.add(was.line)
            problems.append(make(path, was.line, f"a heading was removed from {name} since {here} was translated: "
                                                 f"the one translated as {quote(was.title)}: remove that section "
                                                 "too, or check the source"))
        else:
            problems.append(make(path, line, f"a heading was removed from {name} since {here} was translated "
                                             f"(heading {index + 1} of {len(then)}): remove its translation too"))

    def new(heading: Section) -> None:
        added.add(heading.line)
        problems.append(make(path, line, f"a heading was added to {name} since {here} was translated: "
                                         f"{quote(heading.title)} ({name}:{heading.line}): translate that section"))

    matcher = difflib.SequenceMatcher(None, then, now, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            heading = headings[j1 + offset]
            if then[i1 + offset][:2] == now[j1 + offset][:2]:  # the same level: reworded
                was = counterpart[i1 + offset] if counterpart is not None else None
                problems.append(make(path, was.line if was else line,
                                     f"a heading of {name} was reworded since {here} was translated: it is now "
                                     f"{quote(heading.title)} ({name}:{heading.line}): "
                                     + ("check the translation of this heading and its section" if was else
                                        f"check the translation of heading {i1 + offset + 1} and its section")))
            else:
                gone(i1 + offset)
                new(heading)
        for index in range(i1 + paired, i2):
            gone(index)
        for index in range(j1 + paired, j2):
            new(headings[index])
    return problems


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _structure_problems(path: Path, name: str, own: list[Section], source: list[Section],
                        added: set[int], removed: set[int]) -> list[Problem]:
    """Where the translation and its source differ now in sections, lists, tables, figures, callouts, footnotes.

    Sections are aligned by what they hold (difflib), so a missing section is found where it is missing;
    a heading already reported as added to or removed from the source is not reported again.
    """
    problems: list[Problem] = []
    here = path.name
    pairs, extra, missing = _align(list(range(len(own))), list(range(len(source))), own, source, _KEYS)
    for i, j in pairs:
        problems += _compare(path, name, own[i], source[j])
    for i in extra:
        if own[i].line not in removed:
            problems.append(warning(path, own[i].line, f"{own[i].name} has no counterpart in {name}: remove it, "
                                                       f"or add it to {name} too"))
    for j in missing:
        if source[j].line not in added:
            # Where it would go: after the translation of the section before it.
            before = max((i for i, k in pairs if k < j), default=0)
            problems.append(warning(path, own[before].line, f"{source[j].name} of {name} ({name}:{source[j].line}) "
                                                            f"has no counterpart in {here}: translate it (it comes "
                                                            f"after {own[before].name})"))
    return problems


# How sections are matched, most telling first: all they hold; how many lists, tables... they hold; their level.
_KEYS: tuple[Callable[[Section], object], ...] = (
    Section.signature,
    lambda s: (s.level, len(s.lists), len(s.tables), len(s.figures), len(s.callouts), len(s.footnotes)),
    lambda s: s.level,
)


# Past this many sections, they are paired by position: difflib's matching is quadratic in the worst case.
MAX_ALIGNED = 300


def _align(own_indexes: list[int], source_indexes: list[int], own: list[Section], source: list[Section],
           keys: tuple[Callable[[Section], object], ...]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs of sections (own, source) that translate each other, and those of each with no counterpart.

    Matched on the first key; what differs is matched again on the next; what is left, by position.
    """
    if not keys or max(len(own_indexes), len(source_indexes)) > MAX_ALIGNED:
        paired = min(len(own_indexes), len(source_indexes))
        return (list(zip(own_indexes[:paired], source_indexes[:paired], strict=True)), own_indexes[paired:],
                source_indexes[paired:])
    key = keys[0]
    matcher = difflib.SequenceMatcher(None, [key(own[i]) for i in own_indexes],
                                      [key(source[j]) for j in source_indexes], autojunk=False)
    pairs: list[tuple[int, int]] = []
    extra: list[int] = []
    missing: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(own_indexes[i1:i2], source_indexes[j1:j2], strict=True)
            continue
        more = _align(own_indexes[i1:i2], source_indexes[j1:j2], own, source, keys[1:])
        pairs += more[0]
        extra += more[1]
        missing += more[2]
    return sorted(pairs), extra, missing


def _compare(path: Path, name: str, own: Section, source: Section) -> list[Problem]:
    """Two sections that translate each other: their headings' levels and what they hold."""
    problems = []
    at = f"{name}:{source.line}"
    if own.level != source.level and own.level and source.level:
        problems.append(warning(path, own.line, f"this heading is level {own.level} and its counterpart "
                                                f"{quote(source.title)} ({at}) is level {source.level}: use the "
                                                "same level"))
    for word, mine, theirs in (("list", own.lists, source.lists), ("table", own.tables, source.tables)):
        if len(mine) != len(theirs):
            problems.append(warning(path, own.line, f"{own.name} has {_plural(len(mine), word)} and its "
                                                    f"counterpart in {name} ({at}) has {len(theirs)}: a "
                                                    f"translation keeps every {word}"))
            continue
        for block, other in zip(mine, theirs, strict=True):
            unit = "item" if word == "list" else "row"
            if block.size != other.size:
                problems.append(warning(path, block.line, f"this {word} has {_plural(block.size, unit)} and its "
                                                          f"counterpart in {name} ({name}:{other.line}) has "
                                                          f"{other.size}: a translation keeps every {unit}"))
            if block.columns != other.columns:
                problems.append(warning(path, block.line, f"this table has {_plural(block.columns, 'column')} "
                                                          f"and its counterpart in {name} ({name}:{other.line}) "
                                                          f"has {other.columns}: a translation keeps every column"))
    for word, mine_lines, their_lines in (("figure", own.figures, source.figures),
                                          ("callout", own.callouts, source.callouts),
                                          ("footnote", own.footnotes, source.footnotes)):
        if len(mine_lines) != len(their_lines):
            problems.append(warning(path, own.line, f"{own.name} has {_plural(len(mine_lines), word)} and its "
                                                    f"counterpart in {name} ({at}) has {len(their_lines)}: a "
                                                    f"translation keeps every {word}"))
    return problems


# --- recording a translation (leafpress translated) --------------------------------------

@dataclass(frozen=True)
class Marked:
    """What `leafpress translated` recorded, and where."""

    path: Path
    line: int
    record: Record


def _file_beside(other: Path, path: Path) -> Path | None:
    """``other`` with its links followed, if that is a file in ``path``'s folder; else None (never raises:
    a link loop is no file, and neither is a name with a NUL byte)."""
    try:
        real = resolve(other)
    except ValueError:  # a NUL byte in the name
        return None
    return real if real.parent == resolve(path.parent) and other.is_file() else None


def _source_named(path: Path, given: Path | None, written: object, default_language: str) -> Path:
    """The file ``path`` translates: --from, else what it records, else its sibling in the default language."""
    folder = path.parent
    if given is not None:
        chosen = given
    elif isinstance(written, dict) and isinstance(written.get("source"), str):
        chosen = folder / written["source"]
    else:
        parts = path.name.split(".")
        sibling = folder / ".".join([*parts[:-2], default_language, parts[-1]]) if len(parts) >= 3 else None
        if sibling is None or sibling == path or not sibling.is_file():
            raise LeafpressError([error(path, None, "cannot tell which file this translates: name it with "
                                                    "--from, such as --from patient.en.md")])
        chosen = sibling
    real = _file_beside(chosen, path)
    if real is None:
        raise LeafpressError([error(path, None, f"{display_path(chosen)} is not a file in {display_path(folder)}: "
                                                "a translation and its source are in the same topic folder")])
    if real == resolve(path):
        raise LeafpressError([error(path, None, "a file cannot be a translation of itself: name the file it "
                                                "translates with --from")])
    return folder / chosen.name


def mark_translated(path: Path, given: Path | None, default_language: str) -> Marked:
    """Write ``path``'s 'translation_of' as its source is now; the rest of the file is kept byte for byte."""
    from ..finish.files import write_atomic

    checked = read_text(path, folder=path.parent)  # what a build would refuse to read, in its words
    if isinstance(checked, Problem):
        raise LeafpressError([checked])
    try:  # the bytes as they are (read_text composes the text): only they are written back unchanged
        text = read_bytes(path, MAX_SOURCE_BYTES).decode("utf-8")
    except FileRefused as exc:  # a link: written in place, the file would no longer be one
        raise LeafpressError([error(path, None, f"{exc.reason}: run this on the file it points to")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LeafpressError([error(path, None, f"cannot be read: {exc}")]) from None
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom):]
    parts = split_front_matter(text, path)
    if isinstance(parts, Problem):
        raise LeafpressError([parts])
    data, problems = load_yaml(parts[0], path, line_offset=1)
    if data is None:
        raise LeafpressError(problems)
    fields = data.value if isinstance(data.value, dict) else {}
    source = _source_named(path, given, fields.get(FIELD), default_language)
    record = record_of(source)
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    close = parts[2] - 2  # the index of the closing '---' line
    start = next((i for i in range(1, close) if re.match(rf"{FIELD}[ \t]*:", lines[i])), None)
    if start is None:
        start = end = close
    else:
        end = start + 1
        while end < close and (not lines[end].strip() or lines[end][:1] in " \t"):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():  # blank lines before the next field stay
            end -= 1
    lines[start:end] = record.yaml_lines(newline)
    write_atomic(path, (bom + "".join(lines)).encode("utf-8"))
    return Marked(path, start + 1, record)
