"""leafpress: Markdown topics to print-ready PDF leaflets for clinics and educators.

The library API, which the command line wraps::

    from leafpress import load_project, build
    results, problems = build(load_project())
"""

__version__ = "0.1.0"

from .builder import BuildResult, Builder, build  # noqa: E402
from .planning import Target, plan  # noqa: E402
from .content import Document, load_document  # noqa: E402
from .errors import LeafpressError, Problem  # noqa: E402
from .layouts import LAYOUTS, Layout  # noqa: E402
from .project import Project, load_project  # noqa: E402

__all__ = ["BuildResult", "Builder", "Document", "LAYOUTS", "Layout", "LeafpressError", "Problem",
           "Project", "Target", "build", "load_document", "load_project", "plan", "__version__"]
