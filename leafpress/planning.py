"""Which PDFs to make: topics found on disk, crossed with the layouts that apply."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import LeafpressError, Problem, error, quote
from .layouts.registry import LAYOUTS, Layout
from .project.config import Project

ARTICLE_NAME = "article.md"  # the file that makes a folder a topic


@dataclass(frozen=True)
class Target:
    """One PDF to make: a topic's article in one layout."""

    topic: str
    source: Path
    layout: Layout

    @property
    def name(self) -> str:
        """topic/layout, with the language for per-language sources: topic/patient.es"""
        parts = self.source.name.split(".")
        suffix = f".{parts[1]}" if len(parts) == 3 else ""
        return f"{self.topic}/{self.layout.name}{suffix}"


def _is_topic(folder: Path) -> bool:
    return (folder / ARTICLE_NAME).is_file() or any(folder.glob("patient.*.md"))


def find_topics(project: Project, paths: list[Path]) -> tuple[list[tuple[Path, Path | None]], list[Problem]]:
    """Topic folders for the given paths, each with the one file asked for, if any.

    A path may be a topic folder, one of its Markdown files, or a folder of
    topics (the default is content/).
    """
    problems: list[Problem] = []
    found: list[tuple[Path, Path | None]] = []
    for given in paths or [project.content_dir]:
        path = given.resolve()
        if path.is_file() and path.suffix == ".md":
            found.append((path.parent, path))
        elif path.is_dir() and _is_topic(path):
            found.append((path, None))
        elif path.is_dir():
            topics = [(p, None) for p in sorted(path.iterdir()) if p.is_dir() and _is_topic(p)]
            if not topics:
                problems.append(error(given, None, f"no topic here: a topic is a folder with an {ARTICLE_NAME} "
                                      "or patient.<language>.md"))
            found += topics
        else:
            problems.append(error(given, None, "no such file or folder"))
    return list(dict.fromkeys(found)), problems


def plan(project: Project, paths: list[Path], layout_names: list[str] | None = None) -> list[Target]:
    """Every target for ``paths``, or raise with every problem in the request."""
    topics, problems = find_topics(project, paths)
    layouts = []
    for name in layout_names or list(LAYOUTS):
        if name in LAYOUTS:
            layouts.append(LAYOUTS[name])
        else:
            problems.append(error(None, None, f"unknown layout {quote(name)}: choose from {', '.join(LAYOUTS)}"))
    if problems:
        raise LeafpressError(problems)
    targets = []
    for folder, only in topics:
        for layout in layouts:
            # A topic without a layout's data files has no such document, unless
            # the layout was asked for by name: then the missing file is reported.
            if not layout_names and not all((folder / name).is_file() for name in layout.data_files):
                continue
            for source in sorted(folder.glob(layout.source)):
                if only is None or source == only:
                    targets.append(Target(folder.name, source, layout))
    return targets
