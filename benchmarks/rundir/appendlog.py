"""Durable writes of a run directory: JSONL append, atomic replace, and the partial last line.

A run may die anywhere: SIGKILL, a full disk, a power cut. What it leaves must never cost a
measured cell nor make the next ``--resume`` glue new output onto half a line, so:

* :func:`append_line` writes one whole line with ``O_APPEND``, fsyncs it, and on any error cuts
  the file back to where it was (no half line stays behind) before raising;
* :func:`set_aside_partial_line` moves an unterminated last line into a side file
  (``cases.jsonl.partial``, ``.partial-2``, ...) and truncates it away, *before* anything is
  appended, so the line's bytes are kept for a human but never read as a result;
* :func:`write_atomic` writes a temporary file next to the target, fsyncs, renames, and removes
  the temporary file on failure (a full disk leaves no ``*.tmp``).

A full disk (ENOSPC, EDQUOT) becomes :class:`DiskFullError` (exit 4, "free space, then resume").
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from benchmarks.errors import HostError

PARTIAL_SUFFIX = ".partial"
_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(HostError):
    """No space left where the run directory lives (exit 4); what was measured is kept."""


def storage_error(path: Path, exc: OSError, *, resume_dir: Path | None = None) -> HostError:
    """The user-facing error for an OSError while writing ``path``."""
    again = f"; then finish with 'python -m benchmarks run --resume {resume_dir}'" if resume_dir else ""
    if exc.errno in _FULL:
        return DiskFullError(
            f"{path}: no space left on device while writing",
            f"free space on that file system (measured cells are kept){again}",
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return HostError(
            f"{path}: cannot write ({exc.strerror})",
            f"choose a writable directory{again}",
        )
    return HostError(f"{path}: cannot write ({exc.strerror or exc})", f"check the disk{again}")


def append_line(path: Path, line: str, *, resume_dir: Path | None = None) -> None:
    """Append ``line`` + newline as one write and fsync; on failure leave the file as it was."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise storage_error(path, exc, resume_dir=resume_dir) from None
    try:
        before = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, before)
                os.fsync(fd)
            raise storage_error(path, exc, resume_dir=resume_dir) from None
    finally:
        os.close(fd)


def set_aside_partial_line(path: Path) -> Path | None:
    """Move an unterminated last line of ``path`` into a side file; return that file, or None.

    The side file is written and synced before the original is cut, so a crash in between
    leaves the bytes in both places (harmless: a second pass sets them aside again).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data or data.endswith(b"\n"):
        return None
    cut = data.rfind(b"\n") + 1
    side = _free_side_name(path)
    write_atomic(side, data[cut:] + b"\n")
    try:
        with path.open("r+b") as fh:
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise storage_error(path, exc) from None
    return side


def _free_side_name(path: Path) -> Path:
    side = path.with_name(path.name + PARTIAL_SUFFIX)
    n = 2
    while side.exists():
        side = path.with_name(f"{path.name}{PARTIAL_SUFFIX}-{n}")
        n += 1
    return side


def write_atomic(path: Path, data: bytes | str, *, resume_dir: Path | None = None) -> None:
    """Replace ``path`` by ``data`` all at once; never leave a temporary file behind."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error(path, exc, resume_dir=resume_dir) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
