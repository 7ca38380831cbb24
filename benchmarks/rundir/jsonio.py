"""How a run directory's files are written and read: atomic JSON and text, the JSONL append,
the partial last line, UTC time stamps.

A run may die anywhere (SIGKILL, a full disk, a power cut) and a reader may look at a run while
it is written (the report of a running run, a second ``--resume``). What is left must never cost
a measured cell nor make the next ``--resume`` glue new output onto half a line, so:

* whole files are replaced atomically: ``NAME.tmp`` written and fsynced, renamed, the directory
  synced; on any failure the temporary file is removed (a full disk leaves no ``*.tmp``);
* :func:`append_line` writes one whole line with ``O_APPEND`` and fsyncs it; on an error it cuts
  the file back to where it was before raising;
* :func:`set_aside_partial_line` moves an unterminated last line into a side file
  (``cases.jsonl.partial``, ``.partial-2``, ...) and truncates it away, before anything is
  appended: its bytes are kept for a human, never read as a result.

A full disk (ENOSPC, EDQUOT) becomes :class:`~benchmarks.errors.DiskFullError` (exit 4, "free
space, then resume"); other write errors a :class:`~benchmarks.errors.HostError`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.errors import DiskFullError, HostError, ResultsError
from benchmarks.rundir.layout import PARTIAL_SUFFIX, TMP_SUFFIX

JSON_MAX_BYTES = 64 * 1024 * 1024
_FULL = (errno.ENOSPC, errno.EDQUOT)


def storage_error(path: Path, exc: OSError, *, resume_dir: Path | None = None) -> HostError:
    """The user-facing error for an OSError while writing ``path``."""
    again = (
        f"; then finish with 'python -m benchmarks run --resume {resume_dir}'" if resume_dir else ""
    )
    if exc.errno in _FULL:
        return DiskFullError(
            f"{path}: no space left on device while writing",
            f"free space on that file system (measured cells are kept){again}",
        )
    if exc.errno == errno.EROFS:
        return HostError(
            f"{path}: cannot write (read-only file system)", f"choose a writable place{again}"
        )
    return HostError(f"{path}: cannot write ({exc.strerror or exc})", f"check the disk{again}")


def write_bytes_atomic(
    path: Path, data: bytes, *, resume_dir: Path | None = None, durable: bool = True
) -> None:
    """Replace ``path`` by ``data`` all at once; never leave the temporary file behind.

    ``durable=False`` for what can be made again from data on disk (rendered pages, the site):
    still all-or-nothing for a reader, but not forced to disk (two syncs per file were a third of
    a 200-run site's render).
    """
    tmp = path.with_name(path.name + TMP_SUFFIX)
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error(path, exc, resume_dir=resume_dir) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        _sync_dir(path.parent)


def write_text_atomic(
    path: Path, text: str, *, resume_dir: Path | None = None, durable: bool = True
) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), resume_dir=resume_dir, durable=durable)


def write_json_atomic(
    path: Path, data: Any, *, sort_keys: bool = True, allow_nan: bool = False
) -> None:
    """``data`` as indented JSON; NaN and infinity are refused unless ``allow_nan``."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys, allow_nan=allow_nan) + "\n"
    write_text_atomic(path, text)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or a :class:`ResultsError` naming the file."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(JSON_MAX_BYTES + 1)
        if len(raw) > JSON_MAX_BYTES:
            raise ResultsError(
                f"{path}: larger than {JSON_MAX_BYTES >> 20} MiB", "not a graphbench file"
            )
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: not found", "is this a graphbench run directory?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ResultsError(
            f"{path}: cannot be read as JSON ({exc})", "the file is damaged"
        ) from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object", "the file is damaged")
    return data


def utc_stamp(*, millis: bool = False) -> str:
    """Now in UTC, ISO 8601 with a ``Z``: ``2026-12-01T18:22:45Z`` (or ``…45.123Z``)."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    if millis:
        stamp += f".{int(now * 1000) % 1000:03d}"
    return stamp + "Z"


def run_id_stamp() -> str:
    """``20261201-182245``: the time part of a new run's directory name."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


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
    write_bytes_atomic(side, data[cut:] + b"\n")
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


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
