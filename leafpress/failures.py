"""Whatever is raised while a target is handled, as one problem line in the user's terms.

Every stage reports what it finds as problems; an exception that escapes one
(a library's bug, a file that changed under us, a link loop) must still end
as one line naming the file, not as a traceback, nor as a worker that
"failed". A MemoryError is not turned into a problem here: the batch runner
reports it with the memory limit.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from .errors import Problem, error, quote
from .paths import LINK_LOOP

_LOOP_FROM = re.compile(r"Symlink loop from '(.*)'\Z", re.S)


def unexpected_problem(source: Path, exc: BaseException) -> Problem:
    """``exc``, raised while building from ``source``, as one error line: the file, what went wrong, what to do."""
    if isinstance(exc, RuntimeError):
        found = _LOOP_FROM.match(str(exc))
        if found:  # Path.resolve() on Python 3.11 and 3.12
            return error(Path(found.group(1)), None, LINK_LOOP)
    if isinstance(exc, OSError):
        path = Path(exc.filename) if isinstance(exc.filename, str) and exc.filename else source
        if exc.errno == errno.ELOOP:
            return error(path, None, LINK_LOOP)
        reason = exc.strerror or type(exc).__name__
        return error(path, None, f"cannot be read or written: {reason}: check that it exists, that leafpress "
                                 "may read it, and that its disk has room")
    if isinstance(exc, RecursionError):
        return error(source, None, "is too deeply nested to process (Python's recursion limit was reached): "
                                   "use fewer levels of lists, block quotes, HTML elements or data")
    return error(source, None, f"leafpress failed on this file ({type(exc).__name__}: {quote(exc, 120)}): "
                               "this is a bug in leafpress; please report it with the file")


def peak_memory(pid: int | str = "self") -> int | None:
    """The most address space process ``pid`` has used (VmPeak, bytes), or None where that is not known."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


# An allocation that fails is refused on top of what is mapped: a process this close to its limit
# when something fails in a library (a decoder, cairo) was refused memory, whatever the exception says.
NEAR_LIMIT = 0.9


def within_reach(peak: int | None, limit: int | None) -> bool:
    """Whether an address space that peaked at ``peak`` came within reach of ``limit`` (bytes; None: unknown, none)."""
    return peak is not None and limit is not None and peak >= limit * NEAR_LIMIT


def near_memory_limit(limit: int | None, pid: int | str = "self") -> bool:
    """Whether process ``pid`` came within reach of its address-space ``limit`` (bytes; None: no limit)."""
    return within_reach(peak_memory(pid) if limit else None, limit)


def memory_limit_now() -> int | None:
    """This process's address-space limit in bytes, or None when it has none (or the platform cannot say)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, AttributeError, ValueError, OSError):
        return None
    return None if soft == resource.RLIM_INFINITY else soft
