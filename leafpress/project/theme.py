"""The default theme: the templates, stylesheets, fonts and ICC profile leafpress ships.

An installed wheel carries it as ``leafpress/theme/`` (pyproject.toml maps
this repository's top-level ``templates/`` and ``styles/`` there). A checkout
installed in editable mode has no such folder: the theme is the checkout's
top level, two levels above this file. A project overrides it file by file
(see :class:`leafpress.project.config.Project`), never by copying it whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import LeafpressError, error
from ..paths import resolve

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../leafpress
PACKAGED_THEME = PACKAGE_DIR / "theme"  # in an installed wheel
CHECKOUT_THEME = PACKAGE_DIR.parent  # an editable install: the repository's top level


@dataclass(frozen=True)
class Theme:
    """A theme folder holding ``templates/`` and ``styles/``."""

    root: Path

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    @property
    def fonts_dir(self) -> Path:
        return self.styles_dir / "fonts"


# (project folder, theme folder) pairs: a file missing from the first is read from the second.
Fallbacks = tuple[tuple[Path, Path], ...]


def with_fallback(path: Path, fallbacks: Fallbacks) -> Path:
    """``path``, or the theme's file in its place when the project has none there.

    ``path`` and the folders are resolved; the theme's file must stay inside the theme's folder.
    """
    if path.exists():
        return path
    for own, theirs in fallbacks:
        if path.is_relative_to(own):
            candidate = resolve(theirs / path.relative_to(own))  # never raises on a link loop
            if candidate.is_relative_to(theirs) and candidate.exists():
                return candidate
    return path


def _is_theme(folder: Path) -> bool:
    return (folder / "templates").is_dir() and (folder / "styles").is_dir()


def theme_candidates() -> tuple[Path, ...]:
    """Where the theme is looked for, in order: the packaged copy, then the checkout's top level."""
    return (PACKAGED_THEME, CHECKOUT_THEME)


@lru_cache(maxsize=1)
def find_theme() -> Theme:
    """The default theme, or a :class:`LeafpressError` saying where it was looked for."""
    for folder in theme_candidates():
        if _is_theme(folder):
            return Theme(folder.resolve())
    raise LeafpressError([error(None, None, "leafpress's default theme is missing: neither "
                                f"{PACKAGED_THEME} nor {CHECKOUT_THEME} holds templates/ and styles/; "
                                "reinstall leafpress (pip install --force-reinstall leafpress-clinic)")])
