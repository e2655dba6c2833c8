"""Batch builds: every target in its own short-lived process, many at once.

Children are forked from a multiprocessing forkserver that has imported
WeasyPrint and leafpress once (about 60% of a one-document process), so a
child starts rendering at once. One process per target is what isolates
failures: a child that crashes, runs past its time limit or exhausts its
memory limit fails that target alone, where one dead worker of a
ProcessPoolExecutor breaks every job still queued on it.

Where there is no forkserver (Windows), or forking is unsafe (macOS, whose
system frameworks break in a forked child; spawn is Python's default there),
each child is a fresh interpreter (multiprocessing's spawn), with the same
one process per target, time limit and messages: only slower to start, as
each child imports WeasyPrint itself. :func:`start_method` picks the way;
``LEAFPRESS_START_METHOD=spawn`` (or ``BatchOptions.start_method``) forces
spawn where the forkserver exists, to test it. The memory limit needs the
``resource`` module: without it (Windows) targets run with no limit.

When a batch has more targets than jobs, the forkserver first loads what
every child would otherwise load for itself (:mod:`leafpress.runner.warm`): a first
document's lazy imports, each layout's parsed stylesheets with their fonts and
its compiled template. Children inherit all of it when they are forked.

The parent never imports WeasyPrint: it plans, checks fingerprints, starts
children, collects results and keeps the manifest, so a build with nothing
to do stays fast.

:func:`run_limited` is the mechanism underneath: any work (a function and its
arguments) in a child under the same time and memory limits. ``build`` gives
it targets to build; ``check`` the topics to check, and ``watch`` each
preview page to render (:func:`call_limited`), so whatever no estimate
foresaw in the content is stopped there too.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import importlib
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from ..errors import Problem, error, hide_python_warnings
from ..failures import peak_memory, unexpected_problem, within_reach
from ..finish.files import remove_stale_temporaries
from ..pipeline import BuildResult, Target
from ..project.config import Project
from .cache import Fingerprinter, Manifest
from .warm import warm_up, warm_up_spec

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext, SpawnContext

DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 3072  # address space per target; WeasyPrint and its libraries take ~1 GB of it


@dataclass(frozen=True)
class BatchOptions:
    out_dir: Path
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int | None = DEFAULT_MEMORY_MB
    force: bool = False
    # "forkserver" or "spawn"; None: $LEAFPRESS_START_METHOD, else the platform's best (:func:`start_method`).
    start_method: str | None = None
    # The day review dates are checked against; None: pipeline.review_day().
    today: datetime.date | None = None


START_METHODS = ("forkserver", "spawn")
# Set to "spawn" to force the spawn path where the forkserver exists (to test it), or "forkserver".
START_METHOD_VARIABLE = "LEAFPRESS_START_METHOD"


def start_method(requested: str | None = None) -> str:
    """How a batch starts its children: ``requested``, else $LEAFPRESS_START_METHOD, else the platform's best.

    The forkserver where the platform has one, except on macOS; spawn
    elsewhere, or when the forkserver is asked for where there is none. An
    unknown value in the variable is ignored; an unknown ``requested`` is an error.
    """
    if requested is not None and requested not in START_METHODS:
        raise ValueError(f"start_method must be one of {', '.join(START_METHODS)}, not {requested!r}")
    chosen = requested or os.environ.get(START_METHOD_VARIABLE, "").strip().lower()
    if chosen == "spawn":
        return "spawn"
    if "forkserver" in multiprocessing.get_all_start_methods() and (chosen == "forkserver"
                                                                     or sys.platform != "darwin"):
        return "forkserver"
    return "spawn"


def memory_limit(options: BatchOptions) -> int | None:
    """The memory limit per target in MB, or None where this platform cannot set one (no ``resource``)."""
    if not options.memory_mb:
        return None
    try:
        import resource
    except ImportError:
        return None
    return options.memory_mb if hasattr(resource, "RLIMIT_AS") else None


def _limit_memory(megabytes: int) -> bool:
    """In a child: limit its address space; False, and no limit, where the platform refuses."""
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, AttributeError, ValueError, OSError):
        return False
    return True


# What every child imports before it builds: the forkserver, once, for the children it forks; a spawned
# child for itself. The pipeline imports its stages when first used, so they are named here. This module
# comes last: importing it in the forkserver runs the warm-up, which needs the rest.
PRELOAD = ("leafpress.pipeline", "leafpress.source.document", "leafpress.source.data", "leafpress.source.checks",
           "leafpress.render.html", "leafpress.typeset.engine", "leafpress.finish.verify",
           "leafpress.finish.marks", "leafpress.finish.impose", "leafpress.finish.reproducible",
           "leafpress.runner.batch")

# How the parent tells the forkserver what to warm up: set only while it starts.
_WARM_UP_VARIABLE = "LEAFPRESS_FORKSERVER_WARM_UP"
# The warm-up gives up after this long: the server must not keep every target waiting.
WARM_UP_SECONDS = 20


def _warm_up_forkserver() -> None:
    """In the forkserver, importing this module: warm up if the parent asked; never fail, never hang."""
    raw = os.environ.pop(_WARM_UP_VARIABLE, None)
    if not raw or not hasattr(signal, "SIGALRM"):
        return  # without SIGALRM, no time limit for the warm-up: better no warm-up than a server that hangs
    hide_python_warnings()  # the forkserver writes to the terminal too

    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(WARM_UP_SECONDS)
    try:
        warm_up(raw)
    except BaseException:  # noqa: BLE001 - only a warm-up: each target reports its own problems
        pass
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        gc.collect()  # the children need none of the throw-away document
        # Children's collections then skip what they inherit, which keeps those pages shared.
        gc.freeze()


def _context(method: str, spec: str | None = None) -> SpawnContext | ForkServerContext:
    """The context for ``method``; for the forkserver, the warm-up ``spec`` is used if this call starts it.

    Ctrl-C reaches the whole process group. The server must not die of it (it
    would print a traceback): it starts with SIGINT ignored, which a process
    inherits, and the parent alone decides what stops. SIGINT is blocked in
    the parent meanwhile, so a Ctrl-C then reaches it once the server is started.
    """
    if os.name == "posix":
        # Started later, multiprocessing's resource tracker would unblock SIGINT in the middle of the
        # blocking below and in _start; started now, it leaves SIGINT as it is.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()  # a no-op if it is already running
    if method == "spawn":
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver  # not on Windows

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    main_thread = threading.current_thread() is threading.main_thread()
    # Blocked meanwhile, a Ctrl-C waits for the parent instead of being ignored and lost.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    if spec:
        os.environ[_WARM_UP_VARIABLE] = spec
    try:
        forkserver.ensure_running()  # a no-op if it is already running
    except OSError:
        # The server listens on a Unix socket in $TMPDIR, whose path may be at most 107 bytes: under a
        # long TMPDIR it cannot start ("AF_UNIX path too long"). Spawned children work anywhere.
        return multiprocessing.get_context("spawn")
    finally:
        os.environ.pop(_WARM_UP_VARIABLE, None)
        if main_thread:
            signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return context


def _start(process: multiprocessing.process.BaseProcess) -> None:
    """Start a child; a Ctrl-C waits until the request to the server is whole.

    Interrupted halfway, the request leaves the server reading a message that
    never comes, and it stops with a traceback. A spawned child inherits the
    blocked SIGINT through exec, so a Ctrl-C while it starts up, before it
    ignores SIGINT, cannot stop it with a traceback either. Windows has no
    signal mask: there the child is made to ignore Ctrl-C from its start.
    """
    if hasattr(signal, "pthread_sigmask"):
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    elif sys.platform == "win32":
        _start_ignoring_ctrl_c(process)
    else:
        process.start()


def _start_ignoring_ctrl_c(process: multiprocessing.process.BaseProcess) -> None:
    """Windows: a process that ignores Ctrl-C passes that on to the processes it creates.

    The parent ignores it only while it starts the child (a Ctrl-C in that
    moment is lost; the next one is not). Not tested here: there is no Windows CI.
    """
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    ignoring = kernel32.SetConsoleCtrlHandler(None, True)
    try:
        process.start()
    finally:
        if ignoring:
            kernel32.SetConsoleCtrlHandler(None, False)


def _child(connection: multiprocessing.connection.Connection, function: Callable[..., Iterable[object]],
           args: tuple[object, ...], options: BatchOptions) -> None:
    """Run ``function(*args)`` and send back each thing it yields (or why it could not go on)."""
    if hasattr(signal, "SIGTERM"):  # Windows stops a child with TerminateProcess: no handler runs
        signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C reaches the whole process group: the parent decides what stops, and stops us with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    hide_python_warnings()  # this process writes to the terminal directly: no library's warning reaches it
    if options.memory_mb:
        _limit_memory(options.memory_mb)
    try:
        if options.start_method == "spawn":
            # A fresh interpreter: first load what a forked child inherits, then start the clock.
            _preload()
            _send(connection, ("ready", None))
        for item in function(*args):
            _send(connection, ("result", item))
        message: tuple[str, object] = ("done", None)
    except MemoryError:
        message = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 - reported as this target's failure, naming its file
        # No path: the parent knows which file was being worked on.
        message = ("crash", unexpected_problem(Path(), exc))
    try:
        _send(connection, message)
    finally:
        connection.close()
        _clean_up()


def _build_job(project: Project, job: tuple[Target, ...], out_dir: Path,
               today: datetime.date | None = None) -> Iterator[BuildResult]:
    """In a child: build a job's targets in order, each one's BuildResult as it is done."""
    from ..pipeline import Session, build_target, review_day

    session = Session(project, out_dir, today=today or review_day())
    session.expect(list(job))
    for target in job:
        yield build_target(session, target)


def _send(connection: multiprocessing.connection.Connection, message: tuple[str, object]) -> None:
    try:
        connection.send(message)
    except OSError:
        pass  # the parent stopped listening (it was interrupted): there is no one to tell
    except Exception as exc:  # noqa: BLE001 - a result that cannot be pickled is still this target's failure
        with contextlib.suppress(OSError):
            connection.send(("crash", unexpected_problem(Path(), exc)))


def _preload() -> None:
    """Import what a child needs before it builds: what the forkserver preloads for the children it forks."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # as the forkserver does: the build reports what is missing
            importlib.import_module(name)


def _clean_up() -> None:
    """Remove a child's temporary files: it ends with os._exit, so no atexit handler runs."""
    if "leafpress.typeset.engine" in sys.modules:
        sys.modules["leafpress.typeset.engine"].forget_parsed_styles()


def _stop(signum: int, frame: object) -> None:
    """SIGTERM in a child (its time is up): clean up and end at once, without a traceback."""
    _clean_up()
    os._exit(128 + signum)


# A spawned child's time limit counts once it has started up (imported WeasyPrint and the pipeline,
# as a forked child inherits them); it may take this much longer to get there, on a slow or busy machine.
SPAWN_START_SECONDS = 60.0

# A child asked to stop gets this long to remove its temporary files before it is killed.
STOP_GRACE_SECONDS = 2.0


def _stop_child(process: multiprocessing.process.BaseProcess) -> None:
    process.terminate()
    process.join(timeout=STOP_GRACE_SECONDS)
    if process.is_alive():  # stuck in C code, or the signal came before its handler was set
        process.kill()
        process.join(timeout=5)


K = TypeVar("K")


@dataclass(frozen=True)
class Work(Generic[K]):
    """What one child does: ``function(*args)``, which yields its results; ``key`` names it to the caller.

    ``function`` must be importable by name (a module's function), and its
    arguments and results picklable: they cross to the child and back.
    """

    key: K
    function: Callable[..., Iterable[object]]
    args: tuple[object, ...]


@dataclass(frozen=True)
class Stopped:
    """Why a child gave no further result: out of time or memory, crashed or failed."""

    seconds: float
    message: str  # to follow "<file>: error: "
    # What the child raised, as a problem (its path empty unless it knows the file), if that was why.
    problem: Problem | None = None


@dataclass
class _Running(Generic[K]):
    work: Work[K]
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    started: float
    # A spawned child is ready once it has started up; its time limit counts from then.
    ready: bool = True
    # The most address space the process was seen using (bytes), to tell whether it died of its memory limit.
    peak: int | None = None


# A worker that dies without the memory limit being the cause: not the author's to fix.
CRASH_ADVICE = "this is a bug in leafpress or a library it uses; please report it with the file"


def _phrase(doing: str, text: str) -> str:
    """``text`` as build words it, or after what was being done: "checking this document took longer..."."""
    if not doing:
        return text
    return f"{doing} {text}" if text.startswith(("took ", "ran ")) else f"{doing} failed: {text}"


def run_limited(works: Sequence[Work[K]], options: BatchOptions, on_result: Callable[[K, object], None],
                on_stopped: Callable[[K, Stopped], None], doing: str = "", warm_up: str | None = None) -> None:
    """Run each work in its own child, ``options.jobs`` at once, under the time and memory limits.

    ``on_result`` gets each thing a work yields, as it comes; each starts the
    clock again, so every step (a job's target, a topic's document) has the
    whole time limit. ``on_stopped`` gets why a work ended before it was
    done. ``doing`` opens its messages ("checking this document"); build's
    have none. ``warm_up`` is what the forkserver loads if this call starts it.
    Ctrl-C or an error here stops every child.
    """
    method = start_method(options.start_method)
    options = replace(options, memory_mb=memory_limit(options), start_method=method)
    pending = list(works)
    running: list[_Running[K]] = []
    limit_bytes = options.memory_mb * 1024 * 1024 if options.memory_mb else None
    out_of_memory = f"ran out of memory (limit {options.memory_mb} MB per target; raise it with --memory)"
    context = _context(method, warm_up) if pending else None
    try:
        while pending or running:
            while pending and len(running) < max(1, options.jobs):
                assert context is not None  # made above, as there was something pending
                work = pending.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(sender, work.function, work.args, options),
                                          daemon=True)
                _start(process)
                sender.close()
                running.append(_Running(work, process, receiver, time.monotonic(), ready=method != "spawn"))
            waitables = [r.connection for r in running] + [r.process.sentinel for r in running]
            multiprocessing.connection.wait(waitables, timeout=0.2)
            now = time.monotonic()
            for job in list(running):
                seconds = now - job.started
                message = None
                raised: Problem | None = None
                if job.process.pid:  # None for a process gone, whose last reading counts
                    job.peak = peak_memory(job.process.pid) or job.peak
                # Killed by a signal within reach of its limit: an allocation was refused where no MemoryError
                # could be raised (in C code). Far from it: a crash, which the memory limit did not cause.
                memory_death = within_reach(job.peak, limit_bytes)
                # Asked before the pipe: a child that sends its last result and exits in between is
                # then read, not taken for a crash.
                alive = job.process.is_alive()
                if job.connection.poll():
                    try:
                        kind, payload = job.connection.recv()
                    except (EOFError, OSError):
                        job.process.join(timeout=5)
                        kind, payload = "died", None
                    if kind == "ready":  # a spawned child has started up: its time starts now
                        job.started, job.ready = now, True
                        continue
                    if kind == "result":  # each step of a work has the whole time limit
                        on_result(job.work.key, payload)
                        job.started = now
                        continue
                    job.process.join(timeout=5)
                    if kind == "done":
                        job.connection.close()
                        running.remove(job)
                        continue
                    if kind == "memory" and not options.memory_mb:
                        message = "ran out of memory"
                    elif kind == "memory" or (kind == "died" and memory_death):
                        message = out_of_memory
                    elif kind == "died":
                        message = (f"the worker stopped without a result ({_signal_name(job.process.exitcode)})"
                                   f"{'' if doing else ' while building it'}: {CRASH_ADVICE}")
                    elif isinstance(payload, Problem):  # what was raised, at the file it concerns
                        message, raised = payload.message, payload
                    else:
                        message = f"the worker failed ({payload}): {CRASH_ADVICE}"
                elif not alive and memory_death:
                    message = out_of_memory
                elif not alive:
                    message = (f"the worker crashed ({_signal_name(job.process.exitcode)})"
                               f"{'' if doing else ' while building it'}: {CRASH_ADVICE}")
                elif seconds > options.timeout + (0 if job.ready else SPAWN_START_SECONDS):
                    _stop_child(job.process)
                    message = (f"took longer than {options.timeout:g} s and was stopped; raise the limit "
                               "with --timeout if the document is meant to be this long")
                else:
                    continue
                job.connection.close()
                running.remove(job)
                on_stopped(job.work.key, Stopped(seconds, _phrase(doing, message) if raised is None else message,
                                                 raised))
    finally:
        # Ctrl-C or an error here: stop every child.
        for job in running:
            _stop_child(job.process)


def call_limited(function: Callable[..., Iterable[object]], args: tuple[object, ...], options: BatchOptions,
                 doing: str = "") -> tuple[list[object], Stopped | None]:
    """What ``function(*args)``, run in one child under the limits, yielded, and why it was stopped (if it was)."""
    results: list[object] = []
    stopped: list[Stopped] = []
    run_limited([Work(None, function, args)], options, lambda _, item: results.append(item),
                lambda _, why: stopped.append(why), doing)
    return results, stopped[0] if stopped else None


def _failed(target: Target, seconds: float, message: str | Problem) -> BuildResult:
    """A target that failed outside the pipeline: ``message``, or the problem the child sent, at its source."""
    if isinstance(message, str):
        return BuildResult(target, None, 0, seconds, (error(target.source, None, message),))
    where = message.path if message.path is not None and message.path != Path() else target.source
    return BuildResult(target, None, 0, seconds, (replace(message, path=where),))


def _signal_name(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def cache_key(target: Target) -> str:
    """A target's entry in the manifest: one per profile, as each profile has its own PDF."""
    return f"{target.name}@{target.profile.name}"


def jobs_of(targets: list[Target]) -> list[tuple[Target, ...]]:
    """The targets grouped into what one process builds: each alone, except that a target
    finishing another's pages (the booklet) goes with that target when both are built."""
    building = set(targets)
    jobs: dict[Target, list[Target]] = {}
    for target in targets:
        if target.base is not None and target.base in building:
            jobs.setdefault(target.base, [target.base]).append(target)
        else:
            jobs.setdefault(target, [target])
    return [tuple(job) for job in jobs.values()]


def plan_work(project: Project, targets: list[Target], options: BatchOptions,
              manifest: Manifest) -> tuple[list[tuple[Target, str]], list[BuildResult]]:
    """Split targets into (target, fingerprint) to build and results that are up to date."""
    fingerprints = Fingerprinter(project)
    todo, fresh = [], []
    for target in targets:
        digest = fingerprints.of(target)
        entry = None if options.force else manifest.up_to_date(cache_key(target), digest)
        if entry is None:
            todo.append((target, digest))
        else:
            fresh.append(BuildResult(target, manifest.output_of(entry), entry.pages, 0.0, (), up_to_date=True))
    return todo, fresh


def run_batch(project: Project, targets: list[Target], options: BatchOptions,
              progress: Callable[[BuildResult], None] | None = None) -> list[BuildResult]:
    """Build ``targets`` in parallel, skipping those that are up to date; results in target order."""
    out_dir = options.out_dir.resolve()
    method = start_method(options.start_method)
    limit = memory_limit(options)
    options = replace(options, out_dir=out_dir, memory_mb=limit, start_method=method)
    remove_stale_temporaries(out_dir)
    manifest = Manifest(out_dir)
    todo, fresh = plan_work(project, targets, options, manifest)
    results: dict[Target, BuildResult] = {r.target: r for r in fresh}
    for result in fresh:
        if progress:
            progress(result)
    digests = dict(todo)

    def last_seconds(job: tuple[Target, ...]) -> float:
        times = [manifest.last_seconds(cache_key(target)) for target in job]
        return math.inf if None in times else sum(t for t in times if t is not None)

    # The longest first, by the last build's times (jobs never built before come first, as they may
    # be long): a long job started last would keep one process busy while the others sit idle.
    pending = sorted(jobs_of([target for target, _ in todo]), key=lambda job: -last_seconds(job))
    # A warm-up pays for itself once some process builds after another has.
    # Spawned children start from nothing: they inherit no warm-up.
    if method == "forkserver" and len(pending) > max(1, options.jobs):
        spec: str | None = warm_up_spec(project, [target for target, _ in todo])
    else:
        spec = None
    # Each job's targets not yet reported, in the order its child builds them.
    unreported = {job: list(job) for job in pending}

    def finish(result: BuildResult) -> None:
        results[result.target] = result
        key = cache_key(result.target)
        if result.ok and result.output is not None:
            manifest.record(key, digests[result.target], result.output, result.pages, result.seconds)
        else:
            manifest.forget(key)
        if progress:
            progress(result)

    def built(job: tuple[Target, ...], result: object) -> None:
        assert isinstance(result, BuildResult)
        finish(result)
        unreported[job].remove(result.target)

    def stopped(job: tuple[Target, ...], why: Stopped) -> None:
        for target in unreported[job]:  # the one being built, and those after it in the job
            finish(_failed(target, why.seconds, why.problem or why.message))

    try:
        run_limited([Work(job, _build_job, (project, job, out_dir, options.today)) for job in pending], options,
                    built, stopped, warm_up=spec)
    finally:
        manifest.save()  # what finished is kept, even after Ctrl-C
    return [results[t] for t in targets if t in results]


_warm_up_forkserver()
