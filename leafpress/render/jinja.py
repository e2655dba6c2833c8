"""The Jinja2 environment every template is rendered in: autoescape on, undefined is an error.

Apart from :mod:`leafpress.render` so that fingerprinting (which reads the
templates to find their includes) does not load the whole rendering pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup


def css_string(value: Any) -> Markup:
    """Quote ``value`` as a CSS string that is safe inside a <style> element.

    Autoescaping is for HTML; a <style> element is raw text, so quotes,
    backslashes and '<' (which could close the element) become CSS escapes.
    """
    out = []
    for char in str(value):
        if char in '"\\<>&\n\r' or ord(char) < 0x20:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return Markup('"' + "".join(out) + '"')


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """The one Jinja2 environment: autoescape for every file, undefined is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,  # whatever the template's file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    return env


_SHARED: dict[Path, jinja2.Environment] = {}


def shared_environment(templates_dir: Path) -> jinja2.Environment:
    """This process's environment for ``templates_dir``, so each template is compiled once.

    Jinja2 checks a template's file each time it is loaded (auto_reload) and
    compiles it again if it changed.
    """
    if templates_dir not in _SHARED:
        _SHARED[templates_dir] = make_environment(templates_dir)
    return _SHARED[templates_dir]
