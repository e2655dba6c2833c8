"""Paths from the user's files, resolved without raising on a link that leads back to itself.

On Python 3.11 and 3.12, ``Path.resolve()`` raises RuntimeError for a
symbolic link loop, even when not strict; 3.13 returns the path as far as it
could follow it. :func:`resolve` does the latter everywhere, so a loop is
found where the file is used (it is not a file; it cannot be opened), and
:func:`is_link_loop` says why, for the message.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

LINK_LOOP = ("is a link loop (a symbolic link that leads back to itself): point it at the real file, "
             "or replace it with the file")


def resolve(path: Path) -> Path:
    """``path`` made absolute with its links followed as far as they go; never raises for a loop."""
    return Path(os.path.realpath(path))


def is_link_loop(path: Path) -> bool:
    """Whether following ``path``'s links goes round in a loop (ELOOP)."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    except ValueError:  # a NUL byte in the name
        return False
    return False
