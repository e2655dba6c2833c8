"""The one way leafpress opens a file to read it.

Every reader goes through :func:`read_bytes`: sources, data files, references,
leafpress.yaml, rosters, templates, stylesheets and what WeasyPrint's fetcher
loads (images, fonts, the logo, the ICC profile). The file is

* opened without following a symbolic link (``O_NOFOLLOW``) and without
  waiting (``O_NONBLOCK``), so a pipe never blocks; callers that accept a link
  inside their folder resolve it and check where it leads first;
* checked after opening (``fstat``, so what is checked is what is read): a
  regular file, not a pipe, device, socket or folder;
* refused when it is a hard link (more than one name): a hard link is the file
  it links to, wherever that is, so a link made inside a topic could read any
  file of the same disk. leafpress's own installed theme is exempt, since
  installers may hard-link package files from their cache;
* read with a size limit, never more than ``limit`` + 1 bytes.

:func:`list_files` lists a folder's files without following links, iteratively
and with bounds on depth and count.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

# The theme an installed wheel carries (see leafpress.project.theme): installers such as uv
# hard-link package files from their cache, so links there are leafpress's own.
_PACKAGED_THEME = Path(__file__).resolve().parent.parent / "theme"

MAX_LIST_DEPTH = 16
MAX_LIST_FILES = 10_000

HARD_LINK = "is a hard link to another file: copy the file here instead of linking it"
# A pipe, device, socket or folder; each reader adds its own advice.
NOT_REGULAR = "is not a regular file"
SYMLINK = "is a symbolic link: copy the file here instead of linking it"


class FileRefused(Exception):
    """A file leafpress will not read; ``reason`` says why, in words that follow the file's name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class FileTooLarge(FileRefused):
    """Larger than the reader's limit; ``limit`` in bytes, so each reader can word it its own way."""

    def __init__(self, limit: int):
        super().__init__(f"is larger than {size_words(limit)}")
        self.limit = limit


def size_words(limit: int) -> str:
    """2097152 -> '2 MiB'; 300000 -> '292 KiB'; 4 -> '4 bytes'."""
    if limit >= 2**20:
        return f"{limit // 2**20} MiB"
    return f"{limit // 1024} KiB" if limit >= 1024 else f"{limit} bytes"


def _theme_file(path: Path) -> bool:
    try:
        return Path(os.path.realpath(path)).is_relative_to(_PACKAGED_THEME)
    except (OSError, ValueError):
        return False


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`FileTooLarge` or :class:`FileRefused` (a link, a pipe, a
    device, a folder), or ``OSError`` (``FileNotFoundError`` when missing).
    """
    try:
        before = os.lstat(path)  # nothing but a regular file is ever opened: opening a device can act
    except ValueError:  # a NUL byte in the name
        raise FileNotFoundError(2, "No such file or directory", str(path)) from None
    _check(path, before, limit)
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if stat.S_ISLNK(os.lstat(path).st_mode):  # replaced by a link since lstat
            raise FileRefused(SYMLINK) from None
        raise exc
    try:
        info = os.fstat(handle)
        _check(path, info, limit)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(handle, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(handle)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew after fstat
        raise FileTooLarge(limit)
    return data


def _check(path: Path, info: os.stat_result, limit: int) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise FileRefused(SYMLINK)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(NOT_REGULAR)
    if info.st_nlink > 1 and not _theme_file(path):
        raise FileRefused(HARD_LINK)
    if info.st_size > limit:
        raise FileTooLarge(limit)


def read_resolved(path: Path, limit: int, folder: Path | None = None) -> tuple[Path, bytes]:
    """Follow symbolic links to the file ``path`` names, check it is inside ``folder``, and read it.

    A link inside a topic to another of its files is allowed; one that leads
    out of ``folder`` is refused. The file reached is read by :func:`read_bytes`.
    """
    real = Path(os.path.realpath(path))
    if folder is not None and not real.is_relative_to(os.path.realpath(folder)):
        raise FileRefused("is a link to a file outside its folder: copy the file into the folder instead")
    return real, read_bytes(real, limit)


def list_files(folder: Path, max_depth: int = MAX_LIST_DEPTH, max_files: int = MAX_LIST_FILES,
               links: bool = False) -> Iterator[Path]:
    """The regular files under ``folder``, in name order, breadth first, without following links.

    Iterative, so nesting never exhausts the stack; stops ``max_depth`` folders
    down and after ``max_files`` files. A missing folder has none. With
    ``links``, symbolic links are listed too (as files; never entered).
    """
    level = [folder]
    count = 0
    for _ in range(max_depth + 1):
        below: list[Path] = []
        for current in level:
            try:
                with os.scandir(current) as entries:
                    listed = sorted(entries, key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in listed:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        below.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False) or (links and entry.is_symlink()):
                        yield Path(entry.path)
                        count += 1
                        if count >= max_files:
                            return
                except OSError:
                    continue
        if not below:
            return
        level = below
