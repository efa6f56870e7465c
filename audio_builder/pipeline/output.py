"""Output files written completely or not at all, and nothing left behind.

A file is written under a hidden temp name beside its target and renamed onto it only
when complete. While a render runs it holds a lock on its temp file; a render killed
outright (kill -9, a power cut) cannot remove its own, so the next render into the same
folder removes every temp file of ours that no live render holds.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ExportError, Where

log = logging.getLogger(__name__)

SUFFIX = ".part"
_OURS = re.compile(r"\..+\.[a-z0-9_]{8}\.part(\.[0-9]+)?")
"""Temp names of ours: `.STEM.RANDOM.part` (and `.part.N`, which earlier versions left)."""
_MAGIC = (b"\xff\xfb", b"\xff\xfa", b"ID3", b"WEBVTT")
"""How the files we write begin: an MP3 frame, an ID3 tag, a transcript."""


def check_writable(target: Path) -> None:
    """ExportError if the file could not be written (its folders are made only when it is).

    Called before anything is spoken, so a typo in -o costs nothing."""
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a folder")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {target}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"cannot write {target}: {folder} is not writable")


def remove_abandoned(folder: Path) -> list[Path]:
    """Remove the temp files of renders into `folder` that are no longer running.

    Only names of our pattern whose content begins as ours do are looked at, and only
    those whose lock can be taken (no live render holds it) are removed."""
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(folder) if _OURS.fullmatch(n)]
    except OSError:
        return removed
    for name in names:
        path = folder / name
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue  # a FIFO, a link, a folder: never ours
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            head = os.pread(fd, 6, 0)
            if (not head or head.startswith(_MAGIC)) and os.fstat(fd).st_ino == \
                    os.lstat(path).st_ino:
                os.unlink(path)
                removed.append(path)
        except OSError:  # locked by a live render, or gone meanwhile
            pass
        finally:
            os.close(fd)
    if removed:
        log.info("removed %d temp file(s) left by renders that were stopped", len(removed))
    return removed


def _locked_temp(target: Path) -> tuple[int, Path]:
    """A new temp file beside `target`, locked for as long as this render lives.

    It is made under a name that remove_abandoned never looks at, locked, then renamed
    to its `.part` name (the lock stays with the file): another render cleaning the
    folder can never find it unlocked. Where the file system has no locks, it goes on
    without one (no other render can lock it either, so none removes it)."""
    fd, made = -1, ""
    try:
        fd, made = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".new",
                                    dir=target.parent)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
        path = Path(made[:-len(".new")] + SUFFIX)
        os.rename(made, path)
        return fd, path
    except OSError as exc:
        if fd >= 0:
            os.close(fd)
            Path(made).unlink(missing_ok=True)
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None


def _no_space(exc: BaseException | None) -> bool:
    """Whether a full disk is behind `exc` (libraries such as mutagen wrap OSError)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temp path beside `target`, renamed onto it on success, removed on any failure.

    An earlier file at `target` stays untouched until the new one is complete; a full
    disk is said as one line naming the target."""
    try:
        check_writable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(target.parent)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    fd, tmp_path = _locked_temp(target)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    except Exception as exc:
        if _no_space(exc):
            raise ExportError("no space left on the disk", Where(target)) from None
        raise
    finally:
        tmp_path.unlink(missing_ok=True)
        os.close(fd)
