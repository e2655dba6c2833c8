"""Writing outputs so a crash or a kill never leaves half a file where a good one was.

Kept apart from the PDF post-processing so that the parent of a batch, which
only plans and keeps the manifest, does not load pikepdf to write a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            # mkstemp makes the file private (0600); give it the usual mode.
            os.fchmod(stream.fileno(), 0o666 & ~_umask())
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(out_dir: Path) -> int:
    """Delete the half-written files (``.*.part``) an interrupted build left behind."""
    removed = 0
    if out_dir.is_dir():
        for path in out_dir.rglob(".*.part"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
