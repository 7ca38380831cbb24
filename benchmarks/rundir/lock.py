"""The advisory lock of a run directory: one graphbench process writes a run at a time.

``flock`` on ``run.lock`` inside the run directory: the kernel drops it when the holder dies
(even by SIGKILL), so a stale lock never blocks a resume. The holder writes its pid into the
file so the refusal can name it. Worker processes do not inherit the descriptor (close_fds).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from benchmarks.errors import ConfigError
from benchmarks.rundir.layout import LOCK_FILE


class RunDirBusyError(ConfigError):
    """Another live process holds the run directory (exit 2)."""


class RunLock:
    """``with RunLock(run_dir):`` hold the run directory, or raise :class:`RunDirBusyError`."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise RunDirBusyError(
                f"{self.path.parent}: in use by another graphbench run ({who})",
                "wait for it to finish (or stop it), then run --resume again",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def check_idle(self) -> None:
        """RunDirBusyError when a live process holds the lock; creates nothing (readers use it:
        ``publish`` of a run that is still being written is refused, not copied half-way)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return  # no lock file (or unreadable): nobody wrote it, or it cannot be held
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            who = f"pid {holder}" if holder else "another process"
            raise RunDirBusyError(
                f"{self.path.parent}: still being written by a graphbench run ({who})",
                "wait for it to finish (or stop it), then publish it",
            ) from None
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None
