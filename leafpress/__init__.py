"""leafpress: Markdown topics to print-ready PDF leaflets for clinics and educators.

The library API, which the command line wraps::

    from leafpress import load_project, build
    results, problems = build(load_project())

Names are imported on first use, so that commands which never typeset (a
no-op rebuild, check, list) do not pay for importing WeasyPrint.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "BuildResult": "pipeline", "Session": "pipeline", "build": "pipeline", "build_target": "pipeline",
    "render_target": "pipeline", "Target": "pipeline", "Settings": "pipeline", "plan": "pipeline",
    "Document": "source.document", "load_document": "source.document",
    "LeafpressError": "errors", "Problem": "errors",
    "LAYOUTS": "layouts.registry", "Layout": "layouts.registry",
    "Project": "project.config", "load_project": "project.config",
    "BatchOptions": "runner.batch", "run_batch": "runner.batch",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'leafpress' has no attribute {name!r}")
