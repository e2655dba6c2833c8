"""Problems found in a run, and the one exception that carries them.

Every stage collects :class:`Problem` objects instead of raising on the first
one, so a user sees everything that is wrong in one run (the MkDocs habit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"


# Error messages quote user data; this keeps a hostile or runaway value from
# flooding the terminal.
MAX_QUOTED = 60


def quote(value: object, limit: int = MAX_QUOTED) -> str:
    """Return ``value`` as a short quoted string for an error message."""
    text = str(value).replace("\n", "\\n")
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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    path: Path | None
    line: int | None
    level: Level
    message: str

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def __str__(self) -> str:
        where = display_path(self.path)
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.level.value}: {self.message}"


def error(path: Path | None, line: int | None, message: str) -> Problem:
    return Problem(path, line, Level.ERROR, message)


def warning(path: Path | None, line: int | None, message: str) -> Problem:
    return Problem(path, line, Level.WARNING, message)


def has_errors(problems: list[Problem] | tuple[Problem, ...]) -> bool:
    return any(p.is_error for p in problems)


class LeafpressError(Exception):
    """Raised once a stage has collected problems it cannot go on with."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
