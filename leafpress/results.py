"""What became of each target: the one record every stage and report agrees on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, has_errors
from .planning import Target


@dataclass(frozen=True)
class BuildResult:
    target: Target
    output: Path | None
    pages: int
    seconds: float
    problems: tuple[Problem, ...]
    # Nothing it depends on changed since the last build: not rebuilt.
    up_to_date: bool = False

    @property
    def status(self) -> str:
        return "up to date" if self.up_to_date else ("built" if self.ok else "FAILED")

    @property
    def ok(self) -> bool:
        return self.output is not None and not has_errors(self.problems)

    @property
    def name(self) -> str:
        return self.target.name
