"""What became of each target: the one record every stage and report agrees on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, display_path, has_errors
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


def plural(n: int, word: str) -> str:
    """'1 warning', '3 warnings'."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def result_line(result: BuildResult) -> str:
    """One line per target, as `leafpress build` and `leafpress watch` print them."""
    if result.up_to_date:
        return f"fresh  {result.name} -> {display_path(result.output)} (up to date)"
    if result.ok:
        return (f"built  {result.name} -> {display_path(result.output)} "
                f"({plural(result.pages, 'page')}, {result.seconds:.1f} s)")
    return f"FAILED {result.name}"


def summary_line(results: list[BuildResult], warnings: int) -> str:
    """'2 built, 1 up to date, 0 failed, 3 warnings.' (the up-to-date count only when there are some)."""
    failed = sum(not r.ok for r in results)
    fresh = sum(r.up_to_date for r in results)
    built = len(results) - failed - fresh
    return (f"{built} built, " + (f"{fresh} up to date, " if fresh else "") +
            f"{failed} failed, {plural(warnings, 'warning')}.")
