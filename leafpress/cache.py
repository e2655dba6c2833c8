"""Incremental builds: a fingerprint of everything a target depends on.

A target is rebuilt only when its fingerprint changes: its source, the
references and data files and images of its topic, the templates it renders
(with their includes), its stylesheets and the fonts, the project config,
the ICC profile for print, the leafpress version and the build options.
The manifest lives beside the outputs, so another --out is another cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.meta

from . import __version__
from .planning import Target
from .postprocess import write_atomic
from .project import Project

MANIFEST_NAME = ".leafpress-manifest.json"


def _digest_file(digest: "hashlib._Hash", path: Path, root: Path) -> None:
    digest.update(os.fsencode(path.relative_to(root) if path.is_relative_to(root) else path))
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(b"<missing>")


def _templates_used(env: jinja2.Environment, name: str, seen: set[str]) -> set[str]:
    """A template and every template it extends or includes, recursively."""
    if name in seen:
        return seen
    seen.add(name)
    try:
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        referenced = jinja2.meta.find_referenced_templates(env.parse(source))
    except jinja2.TemplateError:
        return seen  # the build reports it; any edit changes the fingerprint anyway
    for child in referenced:
        if child:
            _templates_used(env, child, seen)
    return seen


def fingerprint(project: Project, target: Target, env: jinja2.Environment, options: dict[str, object]) -> str:
    """A hex digest that changes whenever anything the target's PDF depends on changes."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"version": __version__, "layout": repr(target.layout), **options},
                             sort_keys=True, default=str).encode())
    root = project.root
    _digest_file(digest, project.config_path, root)
    folder = target.source.parent
    # The topic's own files, except other documents: references, data, images.
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (path == target.source or path.suffix != ".md"):
            _digest_file(digest, path, root)
    for name in sorted(_templates_used(env, target.layout.template, set())):
        _digest_file(digest, project.templates_dir / name, root)
    for sheet in target.layout.stylesheets:
        _digest_file(digest, project.styles_dir / sheet, root)
    for path in sorted((project.styles_dir / "fonts").rglob("*")):
        if path.is_file():
            _digest_file(digest, path, root)
    if options.get("profile") == "print":
        _digest_file(digest, project.icc_profile, root)
    if project.logo_path:
        _digest_file(digest, project.logo_path, root)
    return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    output: str
    output_digest: str
    pages: int


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


class Manifest:
    """What was built last time, keyed by target name; saved atomically."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / MANIFEST_NAME
        self.entries: dict[str, Entry] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries = {k: Entry(**v) for k, v in raw.get("targets", {}).items()}
        except (OSError, ValueError, TypeError):
            self.entries = {}  # no manifest or a damaged one: everything is rebuilt

    def up_to_date(self, key: str, fingerprint: str) -> Entry | None:
        """The previous build of ``key`` if it is still valid and its PDF is untouched."""
        entry = self.entries.get(key)
        if entry is None or entry.fingerprint != fingerprint:
            return None
        if _file_digest(Path(entry.output)) != entry.output_digest:
            return None  # deleted or edited by hand
        return entry

    def record(self, key: str, fingerprint: str, output: Path, pages: int) -> None:
        self.entries[key] = Entry(fingerprint, str(output), _file_digest(output), pages)

    def forget(self, key: str) -> None:
        self.entries.pop(key, None)

    def save(self) -> None:
        data = {"leafpress": __version__, "targets": {k: vars(v) for k, v in sorted(self.entries.items())}}
        write_atomic(self.path, json.dumps(data, indent=1).encode("utf-8"))


def remove_stale_temporaries(out_dir: Path) -> int:
    """Delete half-written files an interrupted build left behind."""
    removed = 0
    if out_dir.is_dir():
        for path in out_dir.rglob(".*.part"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
