"""The registry: the one place that knows which layouts exist.

Each built-in layout is declared in its own module; a project adds its own in
leafpress.yaml (:mod:`leafpress.layouts.declared`). Adding a layout to the
package is a new module here, its template and its stylesheet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import article, certificate, cpd, patient, summary
from .base import Layout
from .declared import declared_layout

if TYPE_CHECKING:
    from ..project.config import Project

BUILT_IN: tuple[Layout, ...] = (article.LAYOUT, summary.LAYOUT, cpd.LAYOUT, *patient.LAYOUTS, certificate.LAYOUT)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in BUILT_IN}


def project_layouts(project: Project) -> dict[str, Layout]:
    """The built-in layouts and the project's own, by name (leafpress.yaml cannot redeclare a built-in)."""
    declared = {name: declared_layout(name, spec, project.config_path)
                for name, spec in project.config.layouts.items()}
    return {**LAYOUTS, **declared}


def batch_layouts(project: Project) -> dict[str, Layout]:
    """The layouts `leafpress build` makes for every topic that has their files."""
    return {name: layout for name, layout in project_layouts(project).items() if layout.batch}


def base_of(layout: Layout, layouts: dict[str, Layout]) -> Layout | None:
    """The layout whose typeset pages ``layout`` finishes, if it finishes another's."""
    return layouts[layout.finishes] if layout.finishes else None
