"""leafpress watch: rebuild what a save affects, and serve a live preview of the PDFs.

The watcher plans the targets, builds them with :func:`run_batch` (so the
fingerprints skip whatever did not change), then waits for saves in
content/, templates/, styles/ and leafpress.yaml with ``watchfiles``. After
each rebuild it bumps a version number; every preview page listens for it
on ``/events`` (Server-Sent Events) and reloads itself.

The server is local and small: it binds 127.0.0.1 only, answers GET only,
refuses requests whose Host is not 127.0.0.1 or localhost (a web page
cannot reach it through DNS rebinding), and serves files by the rule WeasyPrint's ProjectFetcher
follows: regular files inside styles/, templates/ or a planned topic's
folder, after resolving '..' and symbolic links, and nothing else. Besides
those it serves only what it made itself (page images, by a token it gave
them) and, under /output/, the PDF or draft of a planned target, by the same rule.

A slow or idle client cannot stall the others: one thread waits on every
connection at once (a selector) until its request has arrived, with a
deadline, and only a whole request goes to the bounded pool of threads
that answer; a client that does not read its answer is dropped after
SOCKET_TIMEOUT seconds.

A preview page (/preview/<target>) shows the target's PDF as its last build made it: each
page a PNG (pypdfium2, in a child under the build's time and memory limits,
once per version of the file), sized in millimetres from the page box, so
that at 100% zoom a page is as large on the screen as on paper (CSS's 96
pixels an inch), numbered "Page 3 of 8", with a link to the PDF. A summary
over its page limit shows the draft the build wrote instead, marked; the
preflight's findings are listed with their pages, which are marked. These
answer what the HTML cannot: where the pages break, how many there are,
whether the summary fits on its page, and how footnotes and figures print.

The HTML view (/preview/<target>?view=html) is kept for what the pages
cannot show: a document whose build failed before any PDF, and the markup
itself, to inspect in the browser. It is the HTML WeasyPrint receives for a
target (pipeline.render_target, as a build renders it, in a child under the
build's limits), with the layout's stylesheets linked, file: URLs turned
into served paths, the problems of its last build and of the render in a box
at the top. Every page has the reload script, which keeps the reader's place.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import html
import io
import math
import mimetypes
import os
import queue
import re
import secrets
import selectors
import signal
import socket
import stat
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from urllib.parse import quote as url_quote

import click

from ..errors import LeafpressError, Problem, display_path, echo, error, printable, quote, stopped_line
from ..pipeline import (
    BuildResult,
    Session,
    Target,
    draft_path,
    page_limit_exceeded,
    plan,
    plural,
    render_target,
    result_line,
    review_day,
    summary_line,
)
from ..project.config import CONFIG_NAME, Project, config_problems, find_root, load_project
from ..source.safefile import FileRefused, read_bytes
from .batch import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, BatchOptions, Stopped, call_limited, run_batch

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MAX_WORKERS = 32          # requests answered at once; whole requests beyond wait their turn
MAX_WAITING = 256         # connections still sending their request; past this the oldest is dropped
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers longer than this are answered as they are (400)
HEAD_SECONDS = 10         # seconds a client may take to send its request line and headers
MAX_EVENT_STREAMS = 16    # open /events streams (one per preview tab)
KEEPALIVE_SECONDS = 15    # a comment on idle event streams, so dead ones are noticed
SOCKET_TIMEOUT = 10       # seconds a client may take to read a reply
MAX_FILE_BYTES = 20 * 1024 * 1024  # as ProjectFetcher
DEBOUNCE_MS = 300         # saves within this time are one change

MAX_PDF_BYTES = 200 * 1024 * 1024  # a PDF served, or rendered into page images
PAGE_SCALE = 2            # page images at twice the pixels of their CSS size (96 dpi): sharp on a HiDPI screen
MAX_PAGE_PIXELS = 4_000_000  # ...but no more pixels than this in one image (A4 at 2x is 3.6 million)
MAX_SHOWN_PAGES = 200     # pages shown as images; the PDF link shows the rest
MAX_CACHED_BYTES = 256 * 1024 * 1024  # page images kept; the least recently shown PDFs' go first

RELOAD_SCRIPT_PATH = "/_leafpress/reload.js"
PAGES_PATH = "/_leafpress/pages/"  # /_leafpress/pages/<token>/<n>.png: images this server made
OUTPUT_PATH = "/output/"           # /output/<topic>/<layout>...pdf: the PDF (or draft) of a planned target
PROBLEMS_ID = "leafpress-problems"
PAGES_ID = "leafpress-pages"
LIMIT_ID = "leafpress-limit"
PREFLIGHT_ID = "leafpress-preflight"
CURRENT_ID = "leafpress-current"

# The reload script: the page knows the version it was made at; /events sends
# the current version when it connects and after each rebuild. It keeps the
# reader's place: the scroll position is kept in sessionStorage (per page and
# view) and restored when the page comes back, once on DOMContentLoaded (the
# page images have their size before they load) and again on load (the HTML
# view grows as fonts and images arrive) unless the reader has moved since.
# On the pages view it also shows which page is in view.
RELOAD_SCRIPT = """\
(function () {
  "use strict";
  var shown = document.currentScript && document.currentScript.dataset.version;
  var key = "leafpress-place:" + location.pathname + location.search;
  var restored = false, moved = false;
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  function save() {
    if (!restored) return;  // not before the saved place is back: a page still loading is shorter
    try { sessionStorage.setItem(key, JSON.stringify([window.scrollX, window.scrollY])); } catch (e) {}
  }
  function restore(last) {
    var place = null;
    try { place = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) {}
    if (place && !moved) window.scrollTo(place[0], place[1]);
    if (last) restored = true;
    current();
  }
  function current() {
    var label = document.getElementById("CURRENT_ID");
    if (!label) return;
    var pages = document.querySelectorAll("[data-page]"), seen = pages[0];
    for (var i = 0; i < pages.length; i++) {
      if (pages[i].getBoundingClientRect().top > window.innerHeight / 2) break;
      seen = pages[i];
    }
    if (seen) label.textContent = "Page " + seen.dataset.page + " of " + pages.length;
  }
  ["wheel", "keydown", "mousedown", "touchstart"].forEach(function (name) {
    window.addEventListener(name, function () { moved = true; }, {passive: true});
  });
  var queued = false;
  window.addEventListener("scroll", function () {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () { queued = false; save(); current(); });
  }, {passive: true});
  window.addEventListener("pagehide", save);
  document.addEventListener("DOMContentLoaded", function () { restore(false); });
  window.addEventListener("load", function () { restore(true); });
  var source = new EventSource("/events");
  source.addEventListener("version", function (event) {
    if (event.data !== shown) {
      source.close();
      save();
      window.location.reload();
    }
  });
})();
""".replace("CURRENT_ID", CURRENT_ID)

# Pages may run only the reload script, which carries this response's nonce
# (not scripts in Markdown, SVG or topic files), and load only what this
# server serves, plus data: URLs (QR codes, figures).
PAGE_POLICY = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'")
FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src 'self'; sandbox"

TYPES = {".css": "text/css", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".otf": "font/otf",
         ".svg": "image/svg+xml", ".md": "text/plain", ".yaml": "text/plain", ".yml": "text/plain",
         ".j2": "text/plain", ".json": "application/json", ".txt": "text/plain", ".csv": "text/plain"}
TEXT_TYPES = ("text/", "application/json", "image/svg+xml")


# --- files: the fetch rule ---------------------------------------------------------

def served_file(root: Path, relative: str, limit: int = MAX_FILE_BYTES) -> Path | None:
    """The regular file ``relative`` names inside ``root``, or None when it must not be served.

    As strict as ProjectFetcher: '..' and symbolic links are resolved first,
    and the result must still be inside ``root``. Hidden names (a segment
    starting with '.') are refused outright.
    """
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    if any(part.startswith(".") for part in relative.split("/") if part):
        return None
    try:
        base = root.resolve()
        path = (base / relative.lstrip("/")).resolve()
        if not path.is_relative_to(base):
            return None
        info = path.stat()
    except (OSError, RuntimeError, ValueError):  # missing, a symlink loop, a bad name
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        return None
    return path


FILE_URL = re.compile(r"""file://[^\s"'<>()]+""")


def rewrite_file_urls(page: str, mounts: list[tuple[Path, str]], logo: Path | None) -> str:
    """Point file: URLs at the paths this server serves them under (others lead nowhere)."""
    def served(match: re.Match[str]) -> str:
        parts = urlsplit(html.unescape(match.group(0)))
        if parts.netloc.lower() not in ("", "localhost"):
            return "#not-served"
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, RuntimeError, ValueError):
            return "#not-served"
        for root, prefix in mounts:
            root = root.resolve()
            if path.is_relative_to(root) and served_file(root, path.relative_to(root).as_posix()):
                return prefix + url_quote(path.relative_to(root).as_posix())
        if logo is not None and path == logo:
            return "/logo"
        return "#not-served"

    return FILE_URL.sub(served, page)


# --- what the watcher knows ------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """The planned targets and their last results; replaced whole after each rebuild."""

    project: Project | None
    targets: tuple[Target, ...] = ()
    results: dict[str, BuildResult] = field(default_factory=dict, hash=False)
    # Problems of the whole request: leafpress.yaml, or the paths asked for; any stops every build.
    problems: tuple[Problem, ...] = ()
    # leafpress.yaml's problems for the planned layouts (pipeline.config_problems), as a build prints them.
    project_problems: tuple[Problem, ...] = ()

    def target(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)

    def topic_folder(self, topic: str) -> Path | None:
        return next((t.source.parent for t in self.targets if t.topic == topic), None)


class Preview:
    """Plans and builds the watched targets; pages wait on its version."""

    def __init__(self, root: Path, paths: Iterable[Path] = (), layouts: Iterable[str] = (),
                 jobs: int | None = None, echo: Callable[..., None] = echo,
                 timeout: float = DEFAULT_TIMEOUT, memory_mb: int | None = DEFAULT_MEMORY_MB):
        self.root = root.resolve()
        self.paths = [Path(p) for p in paths]
        self.layouts = list(layouts)
        self.jobs = jobs
        self.timeout = timeout
        self.memory_mb = memory_mb
        # Pages rendered at once, each in its own process; more requests wait their turn.
        self.renders = threading.BoundedSemaphore(jobs or os.cpu_count() or 1)
        self.echo = echo
        self.snapshot = Snapshot(None)
        self.session = secrets.token_hex(4)  # a restarted watcher never repeats a version
        self.count = 0
        self.stopping = False
        self._changed = threading.Condition()
        self._config_printed: set[Problem] = set()
        # Page images by token, the least recently shown first; a lock per token being rendered.
        self._images: OrderedDict[str, PageImages] = OrderedDict()
        self._images_lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}

    # versions: pages reload when theirs is not the current one

    @property
    def version(self) -> str:
        return f"{self.session}-{self.count}"

    def bump(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for_change(self, seen: str | None, timeout: float) -> str:
        """The version once it differs from ``seen`` (or after ``timeout`` seconds)."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen or self.stopping, timeout)
            return self.version

    def stop(self) -> None:
        with self._changed:
            self.stopping = True
            self._changed.notify_all()

    def options(self, project: Project) -> BatchOptions:
        """The limits of every build and page render: a build's, or what watch was given."""
        options = BatchOptions(out_dir=project.output_dir, timeout=self.timeout, memory_mb=self.memory_mb)
        return replace(options, jobs=self.jobs) if self.jobs else options

    # the pages of the PDFs, as images

    def page_images(self, path: Path, options: BatchOptions) -> PageImages | str:
        """The pages of the PDF at ``path``, rendered once per version of the file (in a child, under
        ``options``' limits, at most ``jobs`` at once), or why they cannot be shown."""
        try:
            info = path.stat()
        except OSError as exc:
            return f"cannot be read: {exc.strerror or exc}"
        # A new file (written whole, then renamed into place) has a new inode or time: a new token.
        seed = f"{self.session}\0{path}\0{info.st_ino}\0{info.st_size}\0{info.st_mtime_ns}"
        token = hashlib.sha256(seed.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        with self._images_lock:
            lock = self._rendering.setdefault(token, threading.Lock())
        with lock:  # one render per version, however many pages ask for it at once
            with self._images_lock:
                found = self._images.get(token)
                if found is not None:
                    self._images.move_to_end(token)
                    return found
            with self.renders:
                sent, stopped = call_limited(_render_pages, (path,), options, doing=SHOWING_PAGES)
            images = _page_images(token, path, stopped or sent)
            with self._images_lock:
                self._rendering.pop(token, None)
                if isinstance(images, PageImages):
                    for stale in [t for t, kept in self._images.items() if kept.path == path]:
                        del self._images[stale]  # an earlier version of this file
                    self._images[token] = images
                    while len(self._images) > 1 and sum(i.size for i in self._images.values()) > MAX_CACHED_BYTES:
                        self._images.popitem(last=False)
            return images

    def page_image(self, token: str, number: int) -> bytes | None:
        """Page ``number`` (from 1) of the images made under ``token``, if this server made it and still has it."""
        with self._images_lock:
            images = self._images.get(token)
        if images is None or not 1 <= number <= len(images.pages):
            return None
        return images.pages[number - 1].png

    # planning and building

    def replan(self) -> Snapshot:
        """Load leafpress.yaml and plan the targets again; problems go into the snapshot."""
        old = self.snapshot
        try:
            project = load_project(self.root)
        except LeafpressError as exc:
            self.snapshot = Snapshot(None, old.targets, old.results, exc.problems)
            return self.snapshot
        try:
            targets = plan(project, self.paths, self.layouts or None)
        except LeafpressError as exc:
            self.snapshot = Snapshot(project, old.targets, old.results, exc.problems)
            return self.snapshot
        # Colours too faint for every leaflet: nothing is built until they are fixed.
        found = tuple(config_problems(project, [t.layout for t in targets]))
        errors = tuple(p for p in found if p.is_error)
        self.snapshot = Snapshot(project, tuple(targets), old.results, errors, found)
        return self.snapshot

    def rebuild(self, first: bool = False) -> list[BuildResult]:
        """Replan and build what changed; print a line per rebuilt target and every problem.

        ``first`` prints targets that were already up to date too, as a build does.
        Never raises for problems in the content: they are printed and kept for
        the preview pages. The pages are told to reload at the end.
        """
        try:
            return self._rebuild(first)
        except Exception as exc:  # noqa: BLE001 - e.g. a file removed mid-build: keep watching
            self.echo(str(error(None, None, f"the rebuild stopped: {type(exc).__name__}: {exc}; "
                                "waiting for the next save")), err=True)
            return []
        finally:
            self.bump()

    def _rebuild(self, first: bool) -> list[BuildResult]:
        echo = self.echo
        snapshot = self.replan()
        printed: set[Problem] = set()
        if snapshot.problems:
            for problem in snapshot.problems:
                echo(str(problem), err=True)
            echo(f"Not built: {plural(sum(p.is_error for p in snapshot.problems), 'error')}; "
                 "waiting for the next save.")
            return []
        project = snapshot.project
        assert project is not None
        for problem in snapshot.project_problems:
            if problem not in self._config_printed:
                echo(str(problem), err=True)
                self._config_printed.add(problem)
        printed.update(self._config_printed)

        def report(result: BuildResult) -> None:
            new = [p for p in result.problems if p not in printed]
            printed.update(result.problems)
            for problem in new:
                echo(str(problem), err=True)
            if first or not result.up_to_date:
                echo(result_line(result))

        results = run_batch(project, list(snapshot.targets), self.options(project), progress=report)
        old = snapshot.results
        kept: dict[str, BuildResult] = {}
        for result in results:
            previous = old.get(result.name)
            if result.up_to_date and previous is not None and previous.ok:
                # Nothing changed since that build: its warnings still hold.
                result = replace(result, problems=previous.problems)
            kept[result.name] = result
        self.snapshot = replace(snapshot, results=kept)
        echo(summary_line(results, sum(not p.is_error for p in printed)))
        return results

    # watching

    def watch_paths(self) -> list[Path]:
        """content/, templates/, styles/, leafpress.yaml, and topic folders given outside content/."""
        candidates = [self.root / "content", self.root / "templates", self.root / "styles", self.root / CONFIG_NAME]
        for given in self.paths:
            path = given.resolve()
            folder = path.parent if path.is_file() else path
            if not any(folder.is_relative_to(c) for c in candidates[:3]):
                candidates.append(folder)
        return [p for p in dict.fromkeys(candidates) if p.exists()]

    def on_changes(self, changes: Iterable[tuple[object, str]]) -> bool:
        """Rebuild after files changed; True when leafpress.yaml was among them."""
        changes = list(changes)
        # An editor's temporary file, made and removed within one save, is not news.
        added = {path for kind, path in changes if getattr(kind, "name", "") == "added"}
        names = sorted({display_path(path) for kind, path in changes
                        if Path(path).exists() or path not in added}) or ["(temporary files only)"]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.echo(f"changed {shown}")
        self.rebuild()
        config = self.root / CONFIG_NAME
        return any(Path(path) == config for _, path in changes)

    def unwatchable(self, exc: OSError) -> Problem:
        """Why the project cannot be watched: at the link that led the watcher out of it, when there is one."""
        found = re.search(r'about \["(.*?)"', str(exc))
        reason = exc.strerror or re.sub(r"\s*\(os error \d+\).*", "", str(exc), flags=re.S) or type(exc).__name__
        where = Path(found.group(1)) if found else None
        link = next((folder for folder in reversed([where, *where.parents]) if folder.is_relative_to(self.root)
                     and folder != self.root and folder.is_symlink()), None) if where else None
        if link is None:
            return error(where, None, f"cannot be watched for changes: {reason}")
        return error(link, None, f"is a link to {quote(os.readlink(link), 80)}, and watching what it leads to "
                                 f"failed ({reason}): link only to files or folders of the topic, or copy them "
                                 "into it")

    def watch_forever(self, stop_event: threading.Event | None = None) -> None:
        """Rebuild on every save until ``stop_event`` is set (or Ctrl-C)."""
        import watchfiles

        default = watchfiles.DefaultFilter()
        watched = [self.root / "content", self.root / "templates", self.root / "styles"]

        def relevant(change: watchfiles.Change, path: str) -> bool:
            # The project folder is watched whole, so that a templates/ or styles/ created while watching
            # (a first override in a project made by 'leafpress init') is seen; output/ and the rest are not news.
            changed = Path(path)
            return default(change, path) and (changed == self.root / CONFIG_NAME or any(
                changed.is_relative_to(folder) for folder in [*watched, *self.watch_paths()] if folder.is_dir()))

        while not (stop_event and stop_event.is_set()):
            restart = False
            outside = [path for path in self.watch_paths() if not path.is_relative_to(self.root)]
            try:
                for changes in watchfiles.watch(self.root, *outside, debounce=DEBOUNCE_MS, stop_event=stop_event,
                                                raise_interrupt=True, watch_filter=relevant):
                    if self.on_changes(changes):
                        # Editors save by replacing the file: watch the new one.
                        restart = True
                        break
            except OSError as exc:  # the watcher follows links: one to '/' takes it over the whole disk
                raise LeafpressError([self.unwatchable(exc)]) from None
            if not restart:
                return


# --- the pages: the PDF as built, as images -------------------------------------------

SHOWING_PAGES = "showing the pages of this PDF"
PT_TO_MM = 25.4 / 72
PT_TO_CSS_PX = 96 / 72


@dataclass(frozen=True)
class PageImage:
    """One page of a PDF: the size of its page box in points, and a PNG of it."""

    width_pt: float
    height_pt: float
    png: bytes


@dataclass(frozen=True)
class PageImages:
    """The pages of one version of a PDF as images; ``token`` names them in this server's URLs."""

    token: str
    path: Path
    pages: tuple[PageImage, ...]
    total: int  # pages in the PDF: more than shown past MAX_SHOWN_PAGES

    @property
    def size(self) -> int:
        return sum(len(page.png) for page in self.pages)


def _render_pages(path: Path) -> Iterator[object]:
    """In a child: the PDF's page count, then each page as (width pt, height pt, PNG); or why it cannot be read."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(read_bytes(path, MAX_PDF_BYTES))
    except (OSError, FileRefused, pdfium.PdfiumError) as exc:  # replaced since, or not a PDF
        yield f"cannot be read: {getattr(exc, 'strerror', None) or exc}"
        return
    try:
        pdf.init_forms()  # form fields drawn as they print (before any page is loaded)
        yield len(pdf)
        for index in range(min(len(pdf), MAX_SHOWN_PAGES)):
            page = pdf[index]
            width, height = page.get_size()  # the page box WeasyPrint sets: the sheet as printed
            scale = min(PAGE_SCALE * PT_TO_CSS_PX, math.sqrt(MAX_PAGE_PIXELS / max(width * height, 1.0)))
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
            page.close()
            buffer = io.BytesIO()
            image.save(buffer, "PNG", compress_level=1)  # fast; the images only go to this computer
            yield width, height, buffer.getvalue()
    finally:
        pdf.close()


def _page_images(token: str, path: Path, outcome: list[object] | Stopped) -> PageImages | str:
    """What :func:`_render_pages` sent, as page images, or why there are none."""
    if isinstance(outcome, Stopped):
        return outcome.message
    if not outcome or isinstance(outcome[0], str):
        return str(outcome[0]) if outcome else f"{SHOWING_PAGES} gave no pages"
    pages = []
    for item in outcome[1:]:
        assert isinstance(item, tuple)
        width, height, png = item
        pages.append(PageImage(float(width), float(height), bytes(png)))
    total = outcome[0]
    return PageImages(token, path, tuple(pages), total if isinstance(total, int) else len(pages))


@dataclass(frozen=True)
class Shown:
    """The PDF a target's pages view shows, and what it is."""

    # BUILT: the last build's PDF; DRAFT: the pages over their limit, not a PDF made;
    # STALE: an earlier PDF, as the last build failed; NONE: no PDF (the build failed); WAITING: not built yet.
    kind: str
    path: Path | None = None
    over_limit: tuple[str, int, int] | None = None  # (layout, pages, limit)


BUILT, DRAFT, STALE, NONE, WAITING = "built", "draft", "stale", "none", "waiting"


def shown_pdf(snapshot: Snapshot, target: Target) -> Shown:
    """Which PDF the pages view of ``target`` shows after its last build."""
    project = snapshot.project
    result = snapshot.results.get(target.name)
    if project is None or result is None:
        return Shown(WAITING)
    if result.ok and result.output is not None:
        return Shown(BUILT, result.output)
    output = project.output_dir / target.output
    # The draft is shown only when this build wrote it: an earlier overflow's may still be there.
    over = next((found for found in map(page_limit_exceeded, result.problems) if found), None)
    if over is not None and draft_path(output).is_file():
        return Shown(DRAFT, draft_path(output), over)
    if output.is_file():
        return Shown(STALE, output)
    return Shown(NONE)


def output_relative(project: Project, path: Path) -> str | None:
    """``path`` relative to the output folder, if it is in it."""
    try:
        return path.resolve().relative_to(project.output_dir.resolve()).as_posix()
    except (OSError, RuntimeError, ValueError):
        return None


def output_url(project: Project, path: Path) -> str | None:
    """Where this server serves the PDF at ``path`` (in the output folder), if it is there."""
    relative = output_relative(project, path)
    return None if relative is None else OUTPUT_PATH + url_quote(relative)


def planned_pdf(snapshot: Snapshot, relative: str) -> Path | None:
    """The file ``relative`` names in the output folder, if it is a planned target's PDF or draft."""
    project = snapshot.project
    if project is None:
        return None
    planned = {name for target in snapshot.targets
               for name in (target.output.as_posix(), draft_path(target.output).as_posix())}
    if relative not in planned:
        return None
    return served_file(project.output_dir, relative, MAX_PDF_BYTES)


PAGES_STYLE = """\
body{margin:0;background:#5f6368;color:#111;font:15px/1.45 system-ui,sans-serif}
#leafpress-bar{position:sticky;top:0;z-index:10;display:flex;flex-wrap:wrap;gap:0.4em 1.2em;align-items:center;
  padding:0.5em 1em;background:#202124;color:#fff}
#leafpress-bar a{color:#8ab4f8}
#leafpress-current{font-weight:bold}
.lp-boxes{max-width:60em;margin:1em auto;padding:0 1em}
.lp-box{margin:0 0 1em;padding:0.75em 1em;border:3px solid;background:#fff}
.lp-box ul{margin:0.4em 0 0;padding-left:1.2em}
#leafpress-limit{border-color:#a40000;background:#fff0f0}
#leafpress-limit strong{color:#a40000;font-size:1.25em}
#leafpress-preflight,.lp-stale{border-color:#7a5b00;background:#fff8e0}
#leafpress-pages{display:flex;flex-direction:column;align-items:center;gap:1.5em;padding:1em 1em 3em}
.lp-page{margin:0}
.lp-page figcaption{color:#fff;font-size:13px;margin:0 0 0.3em}
.lp-page img{display:block;background:#fff;box-shadow:0 2px 8px rgba(0,0,0,0.5)}
.lp-page ul{margin:0 0 0.4em;padding:0.4em 0.6em 0.4em 1.6em;max-width:60em;background:#fff8e0;font-size:13px}
.lp-flagged img{outline:4px solid #f2b600;outline-offset:2px}
.lp-over img{outline:6px solid #d93025;outline-offset:2px}
.lp-over figcaption{color:#ffb4ab;font-weight:bold}
"""


def pages_page(snapshot: Snapshot, target: Target, version: str, nonce: str,
               images: Callable[[Path], PageImages | str]) -> str:
    """The pages view: the target's PDF as built, page by page at its printed size, with its problems.

    ``images`` makes (or finds) the images of a PDF's pages. Preflight findings
    of the PDF are listed with their pages, and those pages marked; a draft over
    its page limit says so, and marks the pages past the limit.
    """
    from ..finish.preflight import page_of  # here: the preflight's libraries are loaded only to show pages

    project = snapshot.project
    shown = shown_pdf(snapshot, target)
    result = snapshot.results.get(target.name)
    problems = [*snapshot.problems, *(result.problems if result else ())]
    # The preflight's findings on the PDF shown (a warning each, at the PDF): listed and marked on their
    # pages, each as (page, its text after "page N: ", escaped); the other problems stay in the box.
    findings: list[tuple[int, str]] = []
    if shown.kind == BUILT:
        others: list[Problem] = []
        for problem in problems:
            page = page_of(problem.message) if problem.path is not None and problem.path.suffix == ".pdf" else None
            if page is None:
                others.append(problem)
            else:
                findings.append((page, html.escape(printable(problem.message.split(": ", 1)[1]))))
        problems = others
    pictures: PageImages | None = None
    if shown.path is not None and project is not None:
        made = images(shown.path)
        if isinstance(made, str):
            problems.append(error(shown.path, None, f"its pages cannot be shown: {made}"))
        else:
            pictures = made
    name = html.escape(printable(target.name))
    link = output_url(project, shown.path) if project and shown.path else None
    total = pictures.total if pictures else 0

    bar = ['<a href="/">leafpress preview</a>', f"<strong>{name}</strong>"]
    if pictures:
        bar.append(f'<span id="{CURRENT_ID}">Page 1 of {total}</span>')
    if link and shown.path:
        what = "draft PDF" if shown.kind == DRAFT else "PDF"
        bar.append(f'<a href="{html.escape(link)}" target="_blank" rel="noopener">{what}: '
                   f"{html.escape(printable(shown.path.name))}</a>")
    bar.append(f'<a href="/preview/{html.escape(url_quote(target.name))}?view=html">HTML view</a>')

    boxes = [problems_box(problems)]
    limit = 0
    if shown.kind == DRAFT and shown.over_limit:  # the question its author asks first: above the problems
        layout, pages, limit = shown.over_limit
        boxes.insert(0, f'<section id="{LIMIT_ID}" class="lp-box" role="alert"><strong>Over its page limit: '
                     f"{plural(pages, 'page')}, the {html.escape(layout)} must fit on {limit}</strong>"
                     f"<p>These are the pages of the draft, {html.escape(printable(display_path(shown.path)))}: "
                     f"no PDF was made. The pages past the limit are marked in red.</p></section>")
    elif shown.kind == STALE:
        boxes.append('<section class="lp-box lp-stale"><strong>Not rebuilt: the errors above stopped the '
                     "build.</strong><p>These are the pages of the PDF an earlier build made, "
                     f"{html.escape(printable(display_path(shown.path)))}; they do not show your latest changes."
                     "</p></section>")
    elif shown.kind == NONE:
        boxes.append('<section class="lp-box lp-stale"><strong>No PDF: the errors above stopped the build.'
                     "</strong><p>The HTML view shows the document as far as it could be made.</p></section>")
    elif shown.kind == WAITING:
        boxes.append('<section class="lp-box"><strong>Not built yet.</strong> The pages show here once it is '
                     "built; this page reloads by itself.</section>")
    if findings:
        pages_named = sorted({page for page, _ in findings})
        where = ", ".join(f'<a href="#page-{page}">{page}</a>' for page in pages_named)
        items = "".join(f'<li><a href="#page-{page}">Page {page}</a>: {note}</li>' for page, note in findings)
        boxes.append(f'<section id="{PREFLIGHT_ID}" class="lp-box"><strong>Preflight: '
                     f"{plural(len(findings), 'finding')}, on {'page' if len(pages_named) == 1 else 'pages'} "
                     f"{where}</strong> (marked in yellow)<ul>{items}</ul></section>")

    figures = []
    for number, picture in enumerate(pictures.pages if pictures else (), start=1):
        notes = [note for at, note in findings if at == number]
        classes = ["lp-page"] + (["lp-flagged"] if notes else []) + (["lp-over"] if limit and number > limit else [])
        caption = f"Page {number} of {total}"
        if limit and number > limit:
            caption += f": past the limit of {plural(limit, 'page')}"
        listing = f"<ul>{''.join(f'<li>{note}</li>' for note in notes)}</ul>" if notes else ""
        width, height = picture.width_pt * PT_TO_MM, picture.height_pt * PT_TO_MM
        src = f"{PAGES_PATH}{pictures.token}/{number}.png" if pictures else ""
        figures.append(
            f'<figure class="{" ".join(classes)}" id="page-{number}" data-page="{number}">'
            f"<figcaption>{caption}</figcaption>{listing}"
            f'<img src="{src}" alt="Page {number} of {total}" '
            f'width="{round(picture.width_pt * PT_TO_CSS_PX)}" height="{round(picture.height_pt * PT_TO_CSS_PX)}" '
            f'style="width:{width:.1f}mm;height:{height:.1f}mm"></figure>')
    if pictures and total > len(pictures.pages):
        figures.append(f'<p style="color:#fff">Pages {len(pictures.pages) + 1} to {total} are not shown here: '
                       "open the PDF.</p>")
    main = f'<main id="{PAGES_ID}">{"".join(figures)}</main>' if figures else ""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}: pages</title>"
            f"<style>{PAGES_STYLE}</style>{_reload_tag(version, nonce)}</head><body>"
            f'<nav id="leafpress-bar">{" ".join(bar)}</nav><div class="lp-boxes">{"".join(boxes)}</div>'
            f"{main}</body></html>")


# --- the HTML view ------------------------------------------------------------------

RENDERING = "rendering this preview"


def preview_html(project: Project, target: Target,
                 options: BatchOptions | None = None) -> tuple[str | None, list[Problem]]:
    """The HTML WeasyPrint would receive for ``target``, or None, and the problems on the way.

    Rendered in a child under ``options``' time and memory limits (a build's
    by default): a page whose content takes too long is stopped and its problem returned.
    """
    options = options or BatchOptions(out_dir=project.output_dir)
    sent, stopped = call_limited(_render_html, (project, target, options.today), options, doing=RENDERING)
    if stopped is not None:
        return None, [error(target.source, None, stopped.message)]
    rendered: tuple[str | None, list[Problem]] = sent[0] if sent else (None, [])  # type: ignore[assignment]
    return rendered


def _render_html(project: Project, target: Target,
                 today: datetime.date | None = None) -> Iterator[tuple[str | None, list[Problem]]]:
    """In a child: the target rendered as a build renders it, stopping before typesetting."""
    rendered = render_target(Session(project, project.output_dir, today=today or review_day()), target)
    yield rendered.html, list(rendered.problems)


def problems_box(problems: Iterable[Problem]) -> str:
    """Every problem as `file:line: level: message`, in a box that no print style hides.

    Errors are listed open; warnings alone are folded under a summary line.
    """
    problems = list(dict.fromkeys(problems))
    if not problems:
        return ""
    errors = [p for p in problems if p.is_error]
    colour, background = ("#a40000", "#fff0f0") if errors else ("#7a5b00", "#fff8e0")
    heading = (f"{plural(len(errors), 'error')}, {plural(len(problems) - len(errors), 'warning')}"
               + (": the PDF was not made" if errors else ""))
    lines = "".join(f'<li style="margin:0.2em 0">{html.escape(str(p))}</li>' for p in problems)
    box = ("all:initial;display:block;box-sizing:border-box;margin:0 0 1em;padding:0.75em 1em;"
           f"border:3px solid {colour};background:{background};color:#111;font:14px/1.4 monospace;"
           "white-space:pre-wrap;position:relative;z-index:2147483647")
    title = f'<strong style="font:bold 15px sans-serif;color:{colour}">leafpress: {html.escape(heading)}</strong>'
    listing = f'<ul style="margin:0.4em 0 0;padding-left:1.2em">{lines}</ul>'
    if errors:
        return f'<section id="{PROBLEMS_ID}" role="alert" style="{box}">{title}{listing}</section>'
    return (f'<details id="{PROBLEMS_ID}" style="{box}"><summary style="cursor:pointer">{title}</summary>'
            f"{listing}</details>")


def _inject(page: str, head: str, body_start: str) -> str:
    """Put ``head`` at the end of <head> and ``body_start`` just inside <body>."""
    match = re.search(r"</head\s*>", page, re.I)
    page = page[:match.start()] + head + page[match.start():] if match else head + page
    match = re.search(r"<body\b[^>]*>", page, re.I)
    return page[:match.end()] + body_start + page[match.end():] if match else body_start + page


def _skeleton(title: str) -> str:
    title = html.escape(printable(title))
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
            "<body style=\"font-family:sans-serif;margin:1em\"></body></html>")


def _reload_tag(version: str, nonce: str) -> str:
    return (f'<script src="{RELOAD_SCRIPT_PATH}" nonce="{html.escape(nonce)}" '
            f'data-version="{html.escape(version)}"></script>\n')


def preview_page(snapshot: Snapshot, target: Target, version: str, nonce: str,
                 options: BatchOptions | None = None) -> str:
    """The preview of one target: its HTML with stylesheets, problems and the reload script."""
    project = snapshot.project
    problems = list(snapshot.project_problems or snapshot.problems)
    page = None
    if project is not None:
        page, rendered = preview_html(project, target, options)
        last = snapshot.results.get(target.name)
        problems += list(last.problems) if last else []
        problems += rendered
    if page is None or project is None:  # no page without a project
        page = _skeleton(f"{target.name}: not rendered")
        head = ""
    else:
        # /styles/ and /templates/ serve the project's file, else the theme's (as a build reads them).
        mounts = [(target.source.parent, f"/preview/{url_quote(target.topic)}/"),
                  (project.styles_dir, "/styles/"), (project.templates_dir, "/templates/"),
                  (project.theme.styles_dir, "/styles/"), (project.theme.templates_dir, "/templates/")]
        page = rewrite_file_urls(page, mounts, project.logo_path)
        head = "".join(f'<link rel="stylesheet" href="/styles/{url_quote(name)}">\n'
                       for name in target.layout.stylesheets)
        # A declared layout's page size (validated in leafpress.yaml: no markup can get in).
        if page_css := target.layout.page_css():
            head += f"<style>{page_css}</style>\n"
    return _inject(page, head + _reload_tag(version, nonce), html_view_bar(target) + problems_box(problems))


def html_view_bar(target: Target) -> str:
    """The HTML view's line at the top: what it is, and the way back to the pages (no print style hides it)."""
    bar = ("all:initial;display:block;box-sizing:border-box;margin:0 0 1em;padding:0.4em 1em;background:#202124;"
           "color:#fff;font:14px/1.4 sans-serif;position:relative;z-index:2147483647")
    link = "all:initial;color:#8ab4f8;text-decoration:underline;cursor:pointer;font:inherit"
    href = html.escape("/preview/" + url_quote(target.name))
    return (f'<nav id="leafpress-html-bar" style="{bar}">HTML view of {html.escape(printable(target.name))}: '
            "the HTML WeasyPrint receives, with the print stylesheets, not its pages. "
            f'<a style="{link}" href="{href}">Pages</a></nav>')


def error_page(problems: Iterable[Problem], title: str, version: str, nonce: str) -> str:
    """A page that could not be made: the problems box and the reload script, as on every page."""
    return _inject(_skeleton(title), _reload_tag(version, nonce), problems_box(problems))


def index_page(snapshot: Snapshot, version: str, nonce: str) -> str:
    rows = []
    for target in snapshot.targets:
        result = snapshot.results.get(target.name)
        if result is None:
            status = "not built yet"
        else:
            errors = sum(p.is_error for p in result.problems)
            warnings = len(result.problems) - errors
            status = result.status + (f", {plural(result.pages, 'page')}" if result.ok else "") + \
                (f", {plural(errors, 'error')}" if errors else "") + \
                (f", {plural(warnings, 'warning')}" if warnings else "")
        href = "/preview/" + url_quote(target.name)
        shown = shown_pdf(snapshot, target)
        pdf = output_url(snapshot.project, shown.path) if snapshot.project and shown.path else None
        over = f"; over its page limit: {plural(shown.over_limit[1], 'page')}" if shown.over_limit else ""
        links = [f'<a href="{html.escape(href)}?view=html">HTML view</a>']
        if pdf:
            links.append(f'<a href="{html.escape(pdf)}">{"draft PDF" if shown.kind == DRAFT else "PDF"}</a>')
        rows.append(f'<li><a href="{html.escape(href)}">{html.escape(printable(target.name))}</a> '
                    f"<span>({html.escape(status + over)})</span> · {' · '.join(links)}</li>")
    listing = f"<ul>{''.join(rows)}</ul>" if rows else "<p>No targets.</p>"
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>leafpress preview</title>"
            f"{_reload_tag(version, nonce)}</head><body style=\"font-family:sans-serif;margin:2em;max-width:50em\">"
            f"{problems_box(snapshot.problems)}<h1>leafpress preview</h1>"
            "<p>Each target's page shows its PDF as built, page by page at its printed size (at 100% zoom), "
            "with the problems of its last build; its HTML view shows the HTML WeasyPrint typesets. Pages reload "
            f"after every rebuild.</p>{listing}</body></html>")


# --- the server --------------------------------------------------------------------


_HEAD_END = re.compile(rb"\n\r?\n")


@dataclass
class _Waiting:
    """A connection whose request has not all arrived yet."""

    address: Any
    deadline: float
    head: bytearray = field(default_factory=bytearray)


class PreviewServer(HTTPServer):
    """An HTTP server on 127.0.0.1 that no slow or idle client can stall.

    Accepted connections wait in one selector until their request line and
    headers have arrived (HEAD_SECONDS at most; MAX_WAITING at once, the
    oldest dropped first), costing no thread. A whole request goes to a pool
    of at most MAX_WORKERS threads, which answer it and close the connection.
    """

    def __init__(self, preview: Preview, port: int = DEFAULT_PORT):
        self.preview = preview
        self.streams = threading.BoundedSemaphore(MAX_EVENT_STREAMS)
        self._incoming: queue.SimpleQueue[tuple[socket.socket, Any]] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[socket.socket, Any, bytes] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = self._idle = 0
        self._closed = threading.Event()
        self._wake_in, self._wake_out = socket.socketpair()
        for end in (self._wake_in, self._wake_out):
            end.setblocking(False)
        self._reader = threading.Thread(target=self._read_requests, name="leafpress-preview-requests", daemon=True)
        super().__init__((HOST, port), PreviewHandler)  # closes everything itself if the port is taken
        self._reader.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand a new connection to the thread that waits for requests."""
        request.setblocking(False)
        self._incoming.put((request, client_address))
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (it is already awake) or closed
            self._wake_in.send(b"x")

    def _read_requests(self) -> None:
        """Wait on every connection at once until its request has arrived, then queue it for a worker."""
        selector = selectors.DefaultSelector()
        selector.register(self._wake_out, selectors.EVENT_READ)
        waiting: dict[socket.socket, _Waiting] = {}  # oldest first

        def forget(sock: socket.socket) -> _Waiting:
            selector.unregister(sock)
            return waiting.pop(sock)

        try:
            while not self._closed.is_set():
                now = time.monotonic()
                soonest = min((entry.deadline for entry in waiting.values()), default=now + 1)
                for key, _ in selector.select(max(0.0, soonest - now)):
                    if key.fileobj is self._wake_out:
                        self._drain_wake()
                        while True:
                            try:
                                sock, address = self._incoming.get_nowait()
                            except queue.Empty:
                                break
                            if len(waiting) >= MAX_WAITING:
                                oldest = next(iter(waiting))
                                forget(oldest)
                                self.shutdown_request(oldest)
                            waiting[sock] = _Waiting(address, time.monotonic() + HEAD_SECONDS)
                            selector.register(sock, selectors.EVENT_READ)
                        continue
                    sock = key.fileobj  # type: ignore[assignment]
                    entry = waiting.get(sock)
                    if entry is None:
                        continue
                    try:
                        data = sock.recv(MAX_HEAD_BYTES - len(entry.head))
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:  # the client went away before asking anything
                        forget(sock)
                        self.shutdown_request(sock)
                        continue
                    entry.head += data
                    if _HEAD_END.search(entry.head) or len(entry.head) >= MAX_HEAD_BYTES:
                        forget(sock)
                        self._dispatch(sock, entry.address, bytes(entry.head))
                now = time.monotonic()
                for sock in [sock for sock, entry in waiting.items() if entry.deadline <= now]:
                    forget(sock)
                    self.shutdown_request(sock)  # too slow to ask: dropped
        finally:
            for sock in list(waiting):
                self.shutdown_request(sock)
            selector.close()

    def _drain_wake(self) -> None:
        try:
            while self._wake_out.recv(4096):
                pass
        except OSError:
            pass

    def _dispatch(self, sock: socket.socket, address: Any, head: bytes) -> None:
        sock.setblocking(True)
        # Each request is promised a worker as it is queued: an idle one, claimed now, or a new one.
        # Counting a worker idle until it had taken a job let two requests queued at once share one
        # idle worker while the others held event streams: the second waited up to half a minute.
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
            elif self._workers < MAX_WORKERS:
                self._workers += 1
                threading.Thread(target=self._work, name="leafpress-preview-worker", daemon=True).start()
        self._jobs.put((sock, address, head))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            sock, address, head = job
            try:
                PreviewHandler(sock, address, self, head)
            except Exception:  # noqa: BLE001 - one bad connection must not stop a worker
                self.handle_error(sock, address)
            finally:
                self.shutdown_request(sock)
                with self._lock:
                    self._idle += 1

    def server_close(self) -> None:
        self._closed.set()
        self._wake()
        super().server_close()
        if self._reader.ident is not None:
            self._reader.join(timeout=2)
        with self._lock:
            workers = self._workers
        for _ in range(workers):
            self._jobs.put(None)
        self._wake_in.close()
        self._wake_out.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away is not worth a traceback


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "leafpress-preview"
    sys_version = ""
    timeout = SOCKET_TIMEOUT

    def __init__(self, request: socket.socket, client_address: Any, server: PreviewServer, head: bytes = b""):
        self.head = head  # the request line and headers, already read by the server
        super().__init__(request, client_address, server)

    def setup(self) -> None:
        super().setup()
        self.rfile = io.BytesIO(self.head)  # one request per connection (HTTP/1.0): no more to read

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal is for builds and problems

    # only GET

    def _refuse_method(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"only GET\n", "text/plain; charset=utf-8", {"Allow": "GET"})

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse_method

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, b"wrong Host: use 127.0.0.1\n", "text/plain; charset=utf-8")
            return
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        preview = self.server.preview
        snapshot = preview.snapshot
        try:
            if path == "/":
                self._send_html(index_page, snapshot, preview.version)
            elif path == "/events":
                self._events()
            elif path == RELOAD_SCRIPT_PATH:
                self._send(HTTPStatus.OK, RELOAD_SCRIPT.encode(), "text/javascript; charset=utf-8")
            elif path.startswith("/preview/"):
                self._preview(snapshot, path[len("/preview/"):], parse_qs(parts.query).get("view") == ["html"])
            elif path.startswith(PAGES_PATH):
                self._page_image(path[len(PAGES_PATH):])
            elif path.startswith(OUTPUT_PATH):
                self._pdf(snapshot, path[len(OUTPUT_PATH):])
            elif path.startswith("/styles/") and snapshot.project:
                project = snapshot.project
                self._send_file((project.styles_dir, project.theme.styles_dir), path[len("/styles/"):])
            elif path.startswith("/templates/") and snapshot.project:
                project = snapshot.project
                self._send_file((project.templates_dir, project.theme.templates_dir), path[len("/templates/"):])
            elif path == "/logo" and snapshot.project and snapshot.project.logo_path:
                logo = snapshot.project.logo_path
                self._send_file(logo.parent, logo.name)
            else:
                self._not_found()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the server
            # A page like any other: the problem in the box, and the reload script, so the page
            # comes back by itself once a save fixes it.
            problem = error(None, None, f"this page could not be made: {type(exc).__name__}: {exc}; "
                                        "it reloads after the next save")
            self._send_html(error_page, [*snapshot.problems, problem], f"{path}: not rendered", preview.version,
                            status=HTTPStatus.INTERNAL_SERVER_ERROR)

    def _host_allowed(self) -> bool:
        host = self.headers.get("Host")
        if host is None:
            return True  # not a browser: no DNS rebinding
        port = self.server.port
        allowed = {f"{HOST}:{port}", f"localhost:{port}"} | ({HOST, "localhost"} if port == 80 else set())
        return host.lower() in allowed

    def _preview(self, snapshot: Snapshot, rest: str, html_view: bool = False) -> None:
        target = snapshot.target(rest)
        if target is not None:
            preview = self.server.preview
            project = snapshot.project
            options = preview.options(project) if project else None
            if html_view:
                def rendered_page(*args: Any, **keywords: Any) -> str:
                    # A render slot while rendering only, not while a slow client reads the answer.
                    with preview.renders:
                        return preview_page(*args, **keywords)

                self._send_html(rendered_page, snapshot, target, preview.version, options=options)
            else:
                def images(path: Path) -> PageImages | str:
                    # Drawn only when it could be served: a planned target's PDF or draft, by the fetch rule.
                    relative = output_relative(project, path) if project else None
                    checked = planned_pdf(snapshot, relative) if relative is not None else None
                    if checked is None or options is None:
                        return "it is not a regular file in the output folder"
                    return preview.page_images(checked, options)

                self._send_html(pages_page, snapshot, target, preview.version, images=images)
            return
        # Anything else under /preview/<topic>/ is a file of that topic, where
        # the page's relative URLs (images) point, as WeasyPrint's base URL does.
        topic, _, relative = rest.partition("/")
        folder = snapshot.topic_folder(topic)
        if folder is None:
            self._not_found()
            return
        self._send_file(folder, relative)

    def _page_image(self, rest: str) -> None:
        """A page image this server made: /_leafpress/pages/<token>/<n>.png, nothing else."""
        found = re.fullmatch(r"([0-9a-f]{24})/([1-9][0-9]{0,5})\.png", rest)
        png = self.server.preview.page_image(found.group(1), int(found.group(2))) if found else None
        if png is None:
            self._not_found()
            return
        # A token names one version of one PDF: its images never change, so the browser may keep them.
        self._send(HTTPStatus.OK, png, "image/png", cache="private, max-age=86400, immutable")

    def _pdf(self, snapshot: Snapshot, relative: str) -> None:
        """The PDF, or draft, of a planned target in the output folder; nothing else there."""
        path = planned_pdf(snapshot, relative)
        try:
            data = read_bytes(path, MAX_PDF_BYTES) if path else None
        except (OSError, FileRefused):  # too large, a link, or gone since
            data = None
        if data is None or path is None:
            self._not_found()
            return
        # No Content-Security-Policy: a sandboxed PDF is not shown by Chromium's viewer. The PDF is one leafpress made.
        disposition = f"inline; filename*=UTF-8''{url_quote(path.name)}"
        self._send(HTTPStatus.OK, data, "application/pdf", {"Content-Disposition": disposition}, policy=None)

    def _events(self) -> None:
        preview = self.server.preview
        if not self.server.streams.acquire(blocking=False):
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"too many preview pages open\n", "text/plain")
            return
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            seen: str | None = None
            while True:  # wait_for_change returns at once when the preview is stopping
                version = preview.wait_for_change(seen, KEEPALIVE_SECONDS)
                if preview.stopping:
                    break
                if version != seen:
                    self.wfile.write(f"event: version\ndata: {version}\n\n".encode())
                    seen = version
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the page went away
        finally:
            self.server.streams.release()

    def _send_file(self, root: Path | tuple[Path, ...], relative: str) -> None:
        """The file ``relative`` names in ``root``, or in the first of several roots that has it."""
        roots = root if isinstance(root, tuple) else (root,)
        path = next((found for found in (served_file(folder, relative) for folder in roots) if found), None)
        if path is None:
            self._not_found()
            return
        try:
            data = read_bytes(path, MAX_FILE_BYTES)  # as every file is read: no pipe, no hard link
        except (OSError, FileRefused):
            self._not_found()
            return
        kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith(TEXT_TYPES) and "charset" not in kind:
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, data, kind, policy=FILE_POLICY)

    def _send_html(self, make_page: Callable[..., str], *args: object, status: HTTPStatus = HTTPStatus.OK,
                   **keywords: object) -> None:
        """A page made with a fresh nonce, which only its reload script carries."""
        nonce = secrets.token_urlsafe(16)
        page = make_page(*args, nonce=nonce, **keywords)
        self._send(status, page.encode("utf-8"), "text/html; charset=utf-8", policy=PAGE_POLICY.format(nonce=nonce))

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, kind: str, headers: dict[str, str] | None = None,
              policy: str | None = FILE_POLICY, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        if policy is not None:
            self.send_header("Content-Security-Policy", policy)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# --- the command -------------------------------------------------------------------

def _fail(problems: Iterable[Problem]) -> None:
    problems = list(problems)
    for problem in problems:
        echo(str(problem), err=True)
    echo(stopped_line(problems), err=True)
    sys.exit(1)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the preview on 127.0.0.1; 0 picks a free one.")
@click.option("--layout", "layouts", multiple=True, metavar="NAME",
              help="Watch only this layout (repeat for several). Default: all.")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds one target's build, or one preview page, may take before it is stopped and reported.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=256), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Megabytes of memory one target's build, or one preview page, may use.")
def watch(paths: tuple[Path, ...], port: int, layouts: tuple[str, ...], timeout: float, memory_mb: int) -> None:
    """Rebuild PDFs on every save and serve a live preview of their pages.

    Builds the targets for PATHS (default: every topic) into output/, then
    watches content/, templates/, styles/ and leafpress.yaml. After each save
    it rebuilds what changed, prints a line per rebuilt target and every
    problem, and the preview pages reload themselves where the reader was.

    The preview runs on http://127.0.0.1:PORT/ (this computer only): / lists
    the targets, /preview/<topic>/<layout> shows the PDF's pages at their
    printed size (at 100% zoom) with any errors in a box at the top, a summary
    over its page limit marked, and a link to the PDF; its HTML view shows the
    HTML WeasyPrint receives. Each build, and each page's rendering, runs in
    its own process under --timeout and --memory, as in a build. Stop with Ctrl-C.

    Example: leafpress watch content/ketamine-neuropathic-pain --port 8001
    """
    root = find_root(Path.cwd())
    if root is None:
        try:
            load_project()
        except LeafpressError as exc:
            _fail(exc.problems)
        return
    preview = Preview(root, paths, layouts, timeout=timeout, memory_mb=memory_mb)
    snapshot = preview.replan()
    if snapshot.problems:  # a wrong path or layout, or a broken leafpress.yaml: nothing to watch yet
        _fail(snapshot.problems)
    try:
        server = PreviewServer(preview, port)
    except OSError as exc:
        hint = "; choose another with --port, or --port 0 for any free one" if port else ""
        _fail([error(None, None, f"cannot serve the preview on {HOST}:{port}: {exc.strerror or exc}{hint}")])
        return
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="leafpress-preview", daemon=True)
    thread.start()
    previous_term = None
    if threading.current_thread() is threading.main_thread():
        previous_term = signal.signal(signal.SIGTERM, _interrupt)
    try:
        echo(f"Preview: {server.url} (this computer only; Ctrl-C to stop)")
        preview.rebuild(first=True)
        watched = ", ".join(display_path(p) + ("/" if p.is_dir() else "") for p in preview.watch_paths())
        echo(f"Watching {watched} for changes.")
        preview.watch_forever()
    except KeyboardInterrupt:
        pass
    except LeafpressError as exc:  # the project cannot be watched; the server stops below
        _fail(exc.problems)
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
    echo("Stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
