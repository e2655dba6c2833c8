"""The Jinja2 environment every template is rendered in: autoescape on, undefined is an error.

Apart from :mod:`leafpress.render.html` so that fingerprinting (which reads the
templates to find their includes) does not load the whole rendering pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..source.safefile import FileRefused, FileTooLarge, read_resolved, size_words


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


def _folders(template_dirs: Path | Sequence[Path]) -> tuple[Path, ...]:
    return (template_dirs,) if isinstance(template_dirs, Path) else tuple(template_dirs)


MAX_TEMPLATE_BYTES = 2 * 1024 * 1024


class _FolderLoader(jinja2.BaseLoader):
    """Templates from one folder, read as every file is (:func:`leafpress.source.safefile.read_bytes`).

    A link inside the folder to another of its files is followed; one out of
    it, a hard link, a pipe or a file over 2 MiB is an error naming the template.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        path = self.folder.joinpath(*jinja2.loaders.split_template_path(template))
        try:
            info = path.stat()
        except (OSError, ValueError):
            raise jinja2.TemplateNotFound(template) from None
        try:
            real, data = read_resolved(path, MAX_TEMPLATE_BYTES, self.folder)
            source = data.decode("utf-8")
        except FileTooLarge:
            raise jinja2.TemplateError(f"template {template} is larger than {size_words(MAX_TEMPLATE_BYTES)}: "
                                       "split it up") from None
        except FileRefused as exc:
            raise jinja2.TemplateError(f"template {template} {exc.reason}") from None
        except UnicodeDecodeError as exc:
            raise jinja2.TemplateError(f"template {template} is not UTF-8 text (bad byte at offset {exc.start}): "
                                       "save it as UTF-8") from None
        except OSError as exc:
            raise jinja2.TemplateError(f"template {template} cannot be read: {exc.strerror or exc}") from None

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime_ns == info.st_mtime_ns
            except OSError:
                return False

        return source, str(real), uptodate


class _OverridableLoader(jinja2.ChoiceLoader):
    """Templates from the first of several folders that has them (a project's, then the theme's).

    Jinja2's ChoiceLoader, except that a template read from a later folder
    goes stale once an earlier one gains a file of that name: under
    `leafpress watch`, a new override is used at the next build.
    """

    def __init__(self, folders: tuple[Path, ...]):
        super().__init__([_FolderLoader(folder) for folder in folders])
        self.folders = folders

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        for index, loader in enumerate(self.loaders):
            try:
                source, filename, uptodate = loader.get_source(environment, template)
            except jinja2.TemplateNotFound:
                continue
            parts = jinja2.loaders.split_template_path(template)
            earlier = [folder.joinpath(*parts) for folder in self.folders[:index]]

            def still_current(uptodate: Any = uptodate, earlier: list[Path] = earlier) -> bool:
                return bool(uptodate()) and not any(path.is_file() for path in earlier)

            return source, filename, still_current
        raise jinja2.TemplateNotFound(template)


# A label ends a line with nothing after it ("doi:" and the DOI on the next line) because a line
# may break after a colon before digits (Unicode line breaking, LB31). A word joiner and a no-break
# space hold each label to its link; neither reaches the PDF's text.
_LABEL_BEFORE_LINK = re.compile(r"(\bdoi:|\bPMC?ID) ?(?=<a )")


def labels_kept_with_links(entry: Markup) -> Markup:
    """A bibliography entry with "doi:", "PMID" and "PMCID" kept on the line of the link they label."""
    return Markup(_LABEL_BEFORE_LINK.sub(
        lambda m: m.group(1) + ("\u2060" if m.group(1).endswith(":") else "\u00a0"), str(entry)))


def make_environment(template_dirs: Path | Sequence[Path]) -> jinja2.Environment:
    """The one Jinja2 environment: autoescape for every file, undefined is an error.

    Templates are looked for in ``template_dirs`` in order (a project's
    templates/ first, then the theme's: :attr:`leafpress.project.config.Project.template_dirs`),
    so a project's file replaces the theme's of the same name, includes too.
    """
    env = jinja2.Environment(
        loader=_OverridableLoader(_folders(template_dirs)),
        autoescape=True,  # whatever the template's file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    env.filters["labels_kept_with_links"] = labels_kept_with_links
    return env


_SHARED: dict[tuple[Path, ...], jinja2.Environment] = {}


def shared_environment(template_dirs: Path | Sequence[Path]) -> jinja2.Environment:
    """This process's environment for ``template_dirs``, so each template is compiled once.

    Jinja2 checks a template's file each time it is loaded (auto_reload) and
    compiles it again if it changed.
    """
    key = _folders(template_dirs)
    if key not in _SHARED:
        _SHARED[key] = make_environment(key)
    return _SHARED[key]
