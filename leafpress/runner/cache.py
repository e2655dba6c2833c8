"""Incremental builds: a fingerprint of everything a target depends on.

A target is rebuilt only when its fingerprint changes: its source, the
references and data files and images of its topic, the templates it renders
(with their includes), its stylesheets and the fonts, the project config,
the ICC profile for print, the leafpress version and the build options.
The manifest lives beside the outputs, so another --out is another cache.

A build fingerprints every target before it starts any, and most inputs
(the fonts, the config, the templates, a topic's references) are shared by
many targets, so a :class:`Fingerprinter` reads and hashes each file once
and parses each template once per build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote

import jinja2

from .. import __version__
from ..finish.files import write_atomic
from ..pipeline import Target
from ..project.config import Project
from ..project.theme import with_fallback
from ..render.jinja import make_environment
from ..source.safefile import FileRefused, list_files, read_bytes, read_resolved

MANIFEST_NAME = ".leafpress-manifest.json"
# What a stylesheet loads: @import "x.css", @import url(x.css), url(font.ttf).
_CSS_REFERENCE = re.compile(r"""@import\s+["']([^"']+)["']|url\(\s*["']?([^"')\s]+)""")
MAX_STYLESHEET_BYTES = 2 * 1024 * 1024
MAX_INPUT_BYTES = 20 * 1024 * 1024  # no file a build reads is larger (typeset.engine.MAX_RESOURCE_BYTES)
# Where a source or data file may name another file of its topic: a Markdown link's target, a quoted or
# <bracketed> text, a YAML value (the rest of its line), any word.
_NAME = re.compile(r"""\]\(\s*<?([^)>"\n]{1,1000})|"([^"\n]{1,1000})"|'([^'\n]{1,1000})'|<([^<>\n]{1,1000})>|"""
                   r""":[ \t]+([^\n#]{1,1000})|([^\s"'()<>\[\]{}|,;=*`]{1,1000})""")
# {% extends "base.html.j2" %}, {% include ["a.j2", "b.j2"] %}, {% from "m.j2" import x %}
_TEMPLATE_REFERENCE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+(\[[^\]]*\]|"[^"]*"|'[^']*')""")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # in the repr of a function or an object


def _templates_used(env: jinja2.Environment, name: str, seen: set[str],
                    parsed: dict[str, list[str]] | None = None) -> set[str]:
    """A template and every template it extends or includes, recursively.

    ``parsed`` keeps what each template references, so a partial that many
    templates include is parsed once.
    """
    parsed = {} if parsed is None else parsed
    if name in seen:
        return seen
    seen.add(name)
    if name not in parsed:
        try:
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        except jinja2.TemplateError:
            source = ""  # the build reports it; any edit changes the fingerprint anyway
        # The names a template extends, includes or imports, read from its tags: parsing every
        # template with Jinja cost a no-op build 30 ms. A name in a comment only adds a file to hash.
        parsed[name] = [child for tag in _TEMPLATE_REFERENCE.finditer(source)
                        for child in re.findall(r"""["']([^"']+)["']""", tag.group(1))]
    for child in parsed[name]:
        _templates_used(env, child, seen, parsed)
    return seen


class Fingerprinter:
    """Fingerprints of many targets of one project, each file hashed once and each template parsed once.

    Make one for each build: it remembers files as they were when first read.
    """

    def __init__(self, project: Project):
        """Templates are parsed as a build parses them and looked up where it looks: the project's
        templates/, then the theme's, so the includes of a theme template count too."""
        self.project = project
        self.env = make_environment(project.template_dirs)
        self._files: dict[Path, bytes] = {}
        self._listings: dict[Path, list[Path]] = {}
        self._names: dict[Path, set[str]] = {}
        self._by_name: dict[Path, dict[str, Path]] = {}
        self._templates: dict[str, list[str]] = {}
        self._parsed: dict[str, list[str]] = {}
        self._sheets: dict[Path, list[Path]] = {}
        self._fallbacks = tuple((own.resolve(), theirs.resolve()) for own, theirs in project.theme_fallbacks)

    def _file(self, path: Path, folder: Path | None = None) -> bytes:
        """The digest of a file's name (relative to the project or the theme) and content; missing files count too.

        A theme file is named apart from a project's, so an override added or
        removed changes the fingerprint even when the two files are the same.
        A file of a topic (``folder``) may be a link to another of its files, not to one outside it.
        """
        if path not in self._files:
            root, theme = self.project.root, self.project.theme.root
            if path.is_relative_to(root):
                name = os.fsencode(path.relative_to(root))
            elif path.is_relative_to(theme):
                name = b"<theme>/" + os.fsencode(path.relative_to(theme))
            else:
                name = os.fsencode(path)
            try:
                # As the build reads it: a link out of its topic, a hard link, a pipe or a file too
                # large is not read, and counts as refused.
                content = hashlib.sha256(read_resolved(path, MAX_INPUT_BYTES, folder)[1]).digest()
            except FileRefused as exc:
                content = b"<refused>" + exc.reason.encode()
            except OSError:
                content = b"<missing>"
            self._files[path] = hashlib.sha256(name + b"\0" + content).digest()
        return self._files[path]

    def _files_under(self, folder: Path, links: bool = False) -> list[Path]:
        """The files in a folder and below, listed without following links (and bounded: see list_files)."""
        if folder not in self._listings:
            self._listings[folder] = sorted(list_files(folder, links=links))
        return self._listings[folder]

    def _topic_files(self, target: Target) -> list[Path]:
        """The files of a target's topic that it uses: its source, its data files, the references, and
        the files (images, attachments) these name.

        Nothing else in the topic is read: a file of gigabytes there that no
        document names costs nothing. A file counts as named when its path
        relative to the topic (or that path %-encoded) is written in one of them.
        """
        folder = target.source.parent
        used = [target.source, folder / "references.json", *(folder / name for name in target.layout.data_files)]
        if target.base is not None:
            used += [folder / name for name in target.base.layout.data_files]
        if folder not in self._by_name:  # a topic's files by their names in it, once for all its targets
            self._by_name[folder] = {path.relative_to(folder).as_posix(): path
                                     for path in self._files_under(folder, links=True)}
        listed = self._by_name[folder]
        named: list[Path] = []
        for path in dict.fromkeys(used):
            named += [listed[name] for name in self._names_in(path, folder) if name in listed]
        return list(dict.fromkeys(used + named))

    def _names_in(self, path: Path, folder: Path) -> set[str]:
        """Everything in a source or data file that could be a file's path relative to the topic."""
        if path not in self._names:
            try:
                text = read_resolved(path, MAX_INPUT_BYTES, folder)[1].decode("utf-8", errors="replace")
            except (OSError, FileRefused):
                text = ""
            found: set[str] = set()
            for match in _NAME.finditer(text):
                name = next(group for group in match.groups() if group is not None).strip()
                found.update((name, unquote(name), name.removeprefix("./"), unquote(name).removeprefix("./"),
                              name.rstrip(".,:;!?")))
            self._names[path] = found
        return self._names[path]

    def _stylesheet_files(self, sheet: Path) -> list[Path]:
        """A stylesheet and every file it loads (@import, url()), each where a build reads it, recursively."""
        if sheet not in self._sheets:
            self._sheets[sheet] = [sheet]  # a stylesheet that imports itself ends here
            try:
                text = read_bytes(sheet, MAX_STYLESHEET_BYTES).decode("utf-8", errors="replace")
            except (OSError, FileRefused):
                text = ""  # missing: the build reports it, and the fingerprint counts it as missing
            found: list[Path] = [sheet]
            for match in _CSS_REFERENCE.finditer(text):
                reference = unquote(match.group(1) or match.group(2))
                if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", reference) or reference.startswith("#"):
                    continue  # data: and web addresses are not files; the fetcher refuses the latter
                path = with_fallback((sheet.parent / reference).resolve(), self._fallbacks)
                found += self._stylesheet_files(path) if path.suffix == ".css" else [path]
            self._sheets[sheet] = found
        return self._sheets[sheet]

    def _templates_of(self, name: str) -> list[str]:
        if name not in self._templates:
            self._templates[name] = sorted(_templates_used(self.env, name, set(), self._parsed))
        return self._templates[name]

    def of(self, target: Target) -> str:
        """A hex digest that changes whenever anything the target's PDF depends on changes."""
        project = self.project
        digest = hashlib.sha256()
        # A layout holds functions (its data, its imposition): named, not at their address in this process,
        # or no build would ever find the last one's fingerprint.
        layout = _ADDRESS.sub("", repr(target.layout))
        settings = target.settings
        digest.update(json.dumps({"version": __version__, "layout": layout, "profile": settings.profile.name,
                                  "marks": settings.marks, "strict": settings.strict},
                                 sort_keys=True, default=str).encode())
        paths = [project.config_path]
        # The topic's files the target uses: its source, references, data, the images they name.
        for path in self._topic_files(target):
            digest.update(self._file(path, target.source.parent))
        # Each file where a build finds it: the project's override, else the theme's.
        paths += [project.template(name) for name in self._templates_of(target.layout.template)]
        for sheet in target.layout.stylesheets:
            paths += self._stylesheet_files(project.stylesheet(sheet))
        for fonts in project.font_dirs:
            paths += self._files_under(fonts)
        if settings.profile.cmyk_intent:
            paths.append(project.icc_profile)
        if project.logo_path:
            paths.append(project.logo_path)
        for path in paths:
            digest.update(self._file(path))
        return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    output: str  # relative to the output folder, with forward slashes
    output_digest: str
    pages: int
    seconds: float = 0.0  # how long the build took, to start the longest targets first next time


MAX_OUTPUT_BYTES = 512 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(read_bytes(path, MAX_OUTPUT_BYTES)).hexdigest()
    except (OSError, FileRefused):
        return ""  # not a PDF this build wrote


class Manifest:
    """What was built last time, keyed by target name; saved atomically.

    Outputs are recorded relative to the output folder, so a project moved or
    copied elsewhere finds its own PDFs. An entry whose output is absolute
    (manifests before this rule) or outside the folder is never up to date:
    it could name a PDF in the folder the project was copied from.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / MANIFEST_NAME
        self.entries: dict[str, Entry] = {}
        self._saved: bytes | None = None  # the file as read, so an unchanged manifest is not rewritten
        try:
            self._saved = read_bytes(self.path, MAX_MANIFEST_BYTES)
            raw = json.loads(self._saved.decode("utf-8"))
            self.entries = {k: Entry(**v) for k, v in raw.get("targets", {}).items()}
        except (OSError, FileRefused, ValueError, TypeError, AttributeError):
            self.entries = {}  # no manifest or a damaged one: everything is rebuilt

    def output_of(self, entry: Entry) -> Path | None:
        """Where ``entry``'s PDF is, inside the output folder; None if it names a place outside it."""
        relative = PurePosixPath(entry.output)
        if (not entry.output or relative.is_absolute() or PureWindowsPath(entry.output).anchor
                or "\\" in entry.output or any(part in ("..", ".") for part in relative.parts)):
            return None
        return self.out_dir.joinpath(*relative.parts)

    def up_to_date(self, key: str, fingerprint: str) -> Entry | None:
        """The previous build of ``key`` if it is still valid and its PDF, in this folder, is untouched."""
        entry = self.entries.get(key)
        if entry is None or entry.fingerprint != fingerprint:
            return None
        output = self.output_of(entry)
        if output is None or _file_digest(output) != entry.output_digest:
            return None  # deleted or edited by hand, or recorded elsewhere
        return entry

    def record(self, key: str, fingerprint: str, output: Path, pages: int, seconds: float = 0.0) -> None:
        try:
            relative = Path(os.path.abspath(output)).relative_to(os.path.abspath(self.out_dir)).as_posix()
        except ValueError:
            self.forget(key)  # written outside the output folder: nothing this manifest can vouch for
            return
        self.entries[key] = Entry(fingerprint, relative, _file_digest(output), pages, round(seconds, 2))

    def last_seconds(self, key: str) -> float | None:
        """How long the last successful build of ``key`` took, if there was one."""
        entry = self.entries.get(key)
        return entry.seconds if entry is not None and entry.seconds > 0 else None

    def forget(self, key: str) -> None:
        self.entries.pop(key, None)

    def save(self) -> None:
        data = {"leafpress": __version__, "targets": {k: vars(v) for k, v in sorted(self.entries.items())}}
        encoded = json.dumps(data, indent=1).encode("utf-8")
        if encoded != self._saved:
            write_atomic(self.path, encoded)
            self._saved = encoded
