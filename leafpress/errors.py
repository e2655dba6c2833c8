"""Problems found in a run, and the one exception that carries them.

Every stage collects :class:`Problem` objects instead of raising on the first
one, so a user sees everything that is wrong in one run (the MkDocs habit).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # how an input was read, when that is worth knowing: neither error nor warning


# Error messages quote user data; this keeps a hostile or runaway value from
# flooding the terminal.
MAX_QUOTED = 60


# Control characters could move a terminal's cursor or recolour it, and
# direction overrides could make a message read backwards.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters written as escapes: \\n, \\t, \\x1b..."""
    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char) or repr(char)[1:-1]
    return _UNPRINTABLE.sub(escape, text)


# How each kind of text looks on a terminal: the usual conventions (red errors, yellow warnings).
Colour = Literal["error", "warning", "note", "built", "failed"]
STYLES: dict[str, dict[str, Any]] = {
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow", "bold": True},
    "note": {"fg": "cyan"},
    "built": {"fg": "green"},
    "failed": {"fg": "red", "bold": True},
}


class Line(str):
    """A line of output whose parts may be coloured on a terminal.

    It is a ``str`` holding the plain text, every part passed through
    :func:`printable`, so it compares, joins and prints without colour as
    before; only :func:`echo` shows the colours, and only where colour is wanted.
    """

    parts: tuple[tuple[str, Colour | None], ...]

    def __new__(cls, *parts: str | tuple[str, Colour | None]) -> Line:
        pieces = tuple((printable(part), None) if isinstance(part, str) else (printable(part[0]), part[1])
                       for part in parts)
        line = super().__new__(cls, "".join(text for text, _ in pieces))
        line.parts = pieces
        return line

    def styled(self) -> str:
        """The text with ANSI colour codes around its coloured parts (none can come from the input)."""
        import click

        return "".join(click.style(text, **STYLES[colour]) if colour else text for text, colour in self.parts)


def count(number: int, text: str, colour: Colour) -> tuple[str, Colour | None]:
    """'2 failed' in ``colour``; '0 failed' plain, since nothing needs attention."""
    return text, colour if number else None


def colour_wanted() -> bool | None:
    """True or False when colour is forced on or off; None: on when the stream is a terminal.

    --no-color (the click context's ``color``) and NO_COLOR (any non-empty
    value, no-color.org) turn it off; FORCE_COLOR (any non-empty value,
    force-color.org) turns it on, even into a pipe. Off wins (Python 3.13 decides
    its own colours in this order). Otherwise click colours a terminal and
    strips the codes from any other stream.
    """
    import click

    context = click.get_current_context(silent=True)
    if (context is not None and context.color is False) or os.environ.get("NO_COLOR"):
        return False
    if (context is not None and context.color) or os.environ.get("FORCE_COLOR"):
        return True
    return None


def echo(text: str = "", err: bool = False) -> None:
    """Print one line: the one way leafpress writes to the terminal.

    Every line passes :func:`printable` whole, so nothing that came from the
    input (a folder or file name, a value, a library's message) can move the
    cursor, set the window's title, overwrite a line with a carriage return or
    start a line of its own. Several lines are several calls. A :class:`Line`
    is coloured where :func:`colour_wanted` says so; the text is the same.
    """
    import click

    click.echo(text.styled() if isinstance(text, Line) else printable(text), err=err, color=colour_wanted())


def hide_python_warnings() -> None:
    """Python warnings (a library's notes to its programmers, such as pikepdf's "has no XMP
    equivalent") are never shown: they carry a path inside the library and say nothing a user can act on.

    Only their display is replaced: a filter that turns a warning into an
    error (as the tests' do for leafpress's own deprecations) still raises.
    The command line calls this, and so does every child a build, a check or
    a preview starts, since each has its own standard error.
    """
    import warnings

    def drop(*args: object, **kwargs: object) -> None:
        pass

    warnings.showwarning = drop


def printable_data(value: object) -> object:
    """``value`` (JSON-like data) with :func:`printable` applied to every string in it, keys too."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(key): printable_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_data(item) for item in value]
    return value


def quote(value: object, limit: int = MAX_QUOTED) -> str:
    """Return ``value`` as a short quoted string for an error message."""
    text = printable(str(value)[: limit * 4])
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


def display_path(path: Path | str | None) -> str:
    """Show a path relative to the working directory when it is inside it."""
    if path is None:
        return "leafpress"
    path = Path(path)
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


MAX_PATH_SHOWN = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    path: Path | None
    line: int | None
    level: Level
    message: str
    # On the line limit_problems writes for the problems it left out: how many.
    left_out: int = 0

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def __str__(self) -> Line:
        """'file:line: level: message', the level coloured when echo prints it (a Line is a str)."""
        # A path can come from the user (a 'references' value): printable, and not endless.
        where = printable(display_path(self.path))
        if len(where) > MAX_PATH_SHOWN:
            where = "…" + where[-(MAX_PATH_SHOWN - 1):]
        if self.line is not None:
            where = f"{where}:{self.line}"
        # The message quotes values with quote(); a library's own words may still hold anything.
        return Line(f"{where}: ", (f"{self.level.value}:", self.level.value), f" {self.message}")


def error(path: Path | None, line: int | None, message: str) -> Problem:
    return Problem(path, line, Level.ERROR, message)


def warning(path: Path | None, line: int | None, message: str) -> Problem:
    return Problem(path, line, Level.WARNING, message)


def has_errors(problems: list[Problem] | tuple[Problem, ...]) -> bool:
    return any(p.is_error for p in problems)


def stopped_line(problems: Iterable[Problem]) -> Line:
    """'Stopped: 2 errors.', the count in red on a terminal: the last line of a command that built nothing."""
    errors = sum(p.is_error for p in problems)
    return Line("Stopped: ", (f"{errors} error{'' if errors == 1 else 's'}", "error"), ".")


# Lists, block quotes, HTML elements, YAML collections: deeper than this is
# never needed, and the parsers behind them recurse or slow down with depth.
MAX_DEPTH = 50


def too_deep(levels: int | str) -> str:
    return f"too deeply nested ({levels} levels; at most {MAX_DEPTH})"


# A hostile file can hold thousands of mistakes; past this many, a user learns
# nothing more from each file's list, and a terminal drowns.
MAX_PROBLEMS_PER_FILE = 50


def limit_problems(problems: list[Problem], limit: int = MAX_PROBLEMS_PER_FILE) -> list[Problem]:
    """At most ``limit`` problems for each file, then one line saying how many were left out.

    A list cut before (a loader's, with more problems added since) is cut
    again correctly: the earlier line's count joins the new one.
    """
    shown: list[Problem] = []
    left_out: dict[Path | None, int] = {}
    any_error: dict[Path | None, bool] = {}
    counts: dict[Path | None, int] = {}
    for problem in problems:
        path = problem.path
        if problem.left_out:
            number = problem.left_out
        else:
            counts[path] = counts.get(path, 0) + 1
            if counts[path] <= limit:
                shown.append(problem)
                continue
            number = 1
        left_out[path] = left_out.get(path, 0) + number
        any_error[path] = any_error.get(path, False) or problem.is_error
    for path, number in left_out.items():
        level = Level.ERROR if any_error[path] else Level.WARNING
        shown.append(Problem(path, None, level, f"{number} more problems in this file are not shown: "
                                                "fix the ones above and run again", left_out=number))
    return shown


class LeafpressError(Exception):
    """Raised once a stage has collected problems it cannot go on with."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
