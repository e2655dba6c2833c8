"""Nested lists as authors indent them, re-indented for Python-Markdown.

Python-Markdown nests a list only under four spaces of indentation; most
editors (and CommonMark) nest under two, or under the width of the parent's
marker ("1. " is three). Given two spaces, Python-Markdown silently flattens
the list and prints the markers as text. So before parsing, each list item
and each line that continues one is re-indented to four spaces per level of
nesting, where an item's level is decided as an author reads it: a line
indented further than an open item's marker is inside that item.

The text keeps its lines one for one, so every line number reported later
still points into the author's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ITEM = re.compile(r"(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap>[ \t]+|$)(?P<rest>.*)")
FENCE = re.compile(r"[ \t]*(```|~~~)")
LEVEL = "    "


@dataclass
class _OpenItem:
    marker_column: int  # where the author wrote the marker
    content_column: int  # where the author's text after the marker starts


def _columns(whitespace: str) -> int:
    return len(whitespace.expandtabs(4))


def normalise_list_indentation(text: str) -> str:
    """``text`` with nested list items and their continuation lines indented by four spaces per level."""
    lines = text.split("\n")
    open_items: list[_OpenItem] = []
    previous_blank = True
    in_fence = False
    for number, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence or line.lstrip(" \t").startswith(">"):
            open_items.clear()  # code and quotes are left as written
            previous_blank = not line.strip()
            continue
        if not line.strip():
            previous_blank = True
            continue
        indent_text = line[: len(line) - len(line.lstrip(" \t"))]
        indent = _columns(indent_text)
        item = ITEM.fullmatch(line)
        if item and (open_items or indent < 4):
            while open_items and indent <= open_items[-1].marker_column:
                open_items.pop()
            level = len(open_items)
            marker, gap = item.group("marker"), item.group("gap")
            open_items.append(_OpenItem(indent, indent + len(marker) + max(1, _columns(gap) if gap else 1)))
            lines[number] = f"{LEVEL * level}{marker} {item.group('rest')}".rstrip()
        elif open_items:
            if previous_blank:
                # A paragraph after a blank line belongs to the innermost item it is indented under.
                while open_items and indent <= open_items[-1].marker_column:
                    open_items.pop()
            if open_items:
                extra = max(0, indent - open_items[-1].content_column)
                lines[number] = LEVEL * len(open_items) + " " * extra + line.lstrip(" \t")
            elif indent:
                lines[number] = line.lstrip(" \t") if indent < 4 else line
        previous_blank = False
    return "\n".join(lines)
