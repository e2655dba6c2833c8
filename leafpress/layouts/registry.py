"""The registry: the one place that knows which layouts exist.

Each built-in layout is declared in a module of :mod:`leafpress.layouts.builtin`
(its ``LAYOUTS``), found here by listing that package: adding a layout to the
package is a new module there, its template and its stylesheet, and nothing
else. A project adds its own in leafpress.yaml (:mod:`leafpress.layouts.declared`).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from . import builtin
from .base import Layout
from .declared import declared_layout

if TYPE_CHECKING:
    from ..project.config import Project


def _built_in() -> tuple[Layout, ...]:
    found: list[Layout] = []
    for module in pkgutil.iter_modules(builtin.__path__):
        found += importlib.import_module(f"{builtin.__name__}.{module.name}").LAYOUTS
    names = [layout.name for layout in found]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise RuntimeError(f"layouts declared twice in leafpress.layouts.builtin: {', '.join(duplicated)}")
    return tuple(sorted(found, key=lambda layout: (layout.order, layout.name)))


BUILT_IN: tuple[Layout, ...] = _built_in()

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in BUILT_IN}


def project_layouts(project: Project) -> dict[str, Layout]:
    """The built-in layouts and the project's own, by name (leafpress.yaml cannot redeclare a built-in)."""
    declared = {name: declared_layout(name, spec) for name, spec in project.config.layouts.items()}
    return {**LAYOUTS, **declared}


def batch_layouts(project: Project) -> dict[str, Layout]:
    """The layouts `leafpress build` makes for every topic that has their files."""
    return {name: layout for name, layout in project_layouts(project).items() if layout.batch}
