"""leafpress watch: rebuild what a save affects, and serve a live HTML preview.

The watcher plans the targets, builds them with :func:`run_batch` (so the
fingerprints skip whatever did not change), then waits for saves in
content/, templates/, styles/ and leafpress.yaml with ``watchfiles``. After
each rebuild it bumps a version number; every preview page listens for it
on ``/events`` (Server-Sent Events) and reloads itself.

The server is local and small: it binds 127.0.0.1 only, answers GET only,
refuses requests whose Host is not 127.0.0.1 or localhost (a web page
cannot reach it through DNS rebinding), and serves files by the rule WeasyPrint's ProjectFetcher
follows: regular files inside styles/, templates/ or a planned topic's
folder, after resolving '..' and symbolic links, and nothing else.

A slow or idle client cannot stall the others: one thread waits on every
connection at once (a selector) until its request has arrived, with a
deadline, and only a whole request goes to the bounded pool of threads
that answer; a client that does not read its answer is dropped after
SOCKET_TIMEOUT seconds.

A preview page is the HTML WeasyPrint receives for a target (pipeline.render_target,
as a build renders it, in a child under the build's time and memory limits), with the layout's
stylesheets linked, file: URLs turned into served paths, the problems of
its last build and of the render in a box at the top, and the reload script.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import io
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import unquote, urlsplit

import click

from ..errors import LeafpressError, Problem, display_path, echo, error, printable, quote, stopped_line
from ..pipeline import BuildResult, Session, Target, plan, plural, render_target, result_line, review_day, summary_line
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

RELOAD_SCRIPT_PATH = "/_leafpress/reload.js"
PROBLEMS_ID = "leafpress-problems"

# The reload script: the page knows the version it was made at; /events sends
# the current version when it connects and after each rebuild.
RELOAD_SCRIPT = """\
(function () {
  "use strict";
  var shown = document.currentScript && document.currentScript.dataset.version;
  var source = new EventSource("/events");
  source.addEventListener("version", function (event) {
    if (event.data !== shown) {
      source.close();
      window.location.reload();
    }
  });
})();
"""

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

def served_file(root: Path, relative: str) -> Path | None:
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
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
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


# --- the preview page ------------------------------------------------------------

RENDERING = "rendering this preview"


def preview_html(project: Project, target: Target,
                 options: BatchOptions | None = None) -> tuple[str | None, list[Problem]]:
    """The HTML WeasyPrint would receive for ``target``, or None, and the problems on the way.

    Rendered in a child under ``options``' time and memory limits (a build's
    by default): a page whose content takes too long is stopped and its problem returned.
    """
    options = options or BatchOptions(out_dir=project.output_dir)
    outcome = call_limited(_render_html, (project, target, options.today), options, doing=RENDERING)
    if isinstance(outcome, Stopped):
        return None, [error(target.source, None, outcome.message)]
    rendered: tuple[str | None, list[Problem]] = outcome[0] if outcome else (None, [])  # type: ignore[assignment]
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
    return _inject(page, head + _reload_tag(version, nonce), problems_box(problems))


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
            status = result.status + (f", {plural(errors, 'error')}" if errors else "") + \
                (f", {plural(warnings, 'warning')}" if warnings else "")
        href = "/preview/" + url_quote(target.name)
        rows.append(f'<li><a href="{html.escape(href)}">{html.escape(printable(target.name))}</a> '
                    f"<span>({html.escape(status)})</span></li>")
    listing = f"<ul>{''.join(rows)}</ul>" if rows else "<p>No targets.</p>"
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>leafpress preview</title>"
            f"{_reload_tag(version, nonce)}</head><body style=\"font-family:sans-serif;margin:2em;max-width:50em\">"
            f"{problems_box(snapshot.problems)}<h1>leafpress preview</h1>"
            "<p>Each page is the HTML WeasyPrint typesets, with the print stylesheets. It reloads after every "
            f"rebuild.</p>{listing}</body></html>")


# --- the server --------------------------------------------------------------------

_Request = socket.socket | tuple[bytes, socket.socket]  # socketserver's request


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
        with self._lock:
            if self._idle == 0 and self._workers < MAX_WORKERS:
                self._workers += 1
                threading.Thread(target=self._work, name="leafpress-preview-worker", daemon=True).start()
        self._jobs.put((sock, address, head))

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
            if job is None:
                return
            sock, address, head = job
            try:
                PreviewHandler(sock, address, self, head)
            except Exception:  # noqa: BLE001 - one bad connection must not stop a worker
                self.handle_error(sock, address)
            finally:
                self.shutdown_request(sock)

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
        path = unquote(urlsplit(self.path).path)
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
                self._preview(snapshot, path[len("/preview/"):])
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

    def _preview(self, snapshot: Snapshot, rest: str) -> None:
        target = snapshot.target(rest)
        if target is not None:
            preview = self.server.preview
            options = preview.options(snapshot.project) if snapshot.project else None
            with preview.renders:
                self._send_html(preview_page, snapshot, target, preview.version, options=options)
            return
        # Anything else under /preview/<topic>/ is a file of that topic, where
        # the page's relative URLs (images) point, as WeasyPrint's base URL does.
        topic, _, relative = rest.partition("/")
        folder = snapshot.topic_folder(topic)
        if folder is None:
            self._not_found()
            return
        self._send_file(folder, relative)

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
              policy: str = FILE_POLICY) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
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
    """Rebuild PDFs on every save and serve a live HTML preview.

    Builds the targets for PATHS (default: every topic) into output/, then
    watches content/, templates/, styles/ and leafpress.yaml. After each save
    it rebuilds what changed, prints a line per rebuilt target and every
    problem, and the preview pages reload themselves.

    The preview runs on http://127.0.0.1:PORT/ (this computer only): / lists
    the targets, /preview/<topic>/<layout> shows the HTML WeasyPrint receives,
    with the print stylesheets, and any errors in a box at the top. Each build
    and each page runs in its own process under --timeout and --memory, as in
    a build. Stop with Ctrl-C.

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
