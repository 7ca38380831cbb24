"""The runner's side of one worker process: start it, talk JSON lines, notice how it died.

Workers run in their own session (process group) so a Ctrl-C at the terminal reaches only the
runner, which then stops them deliberately, and so a timed-out worker can be killed with every
thread and child it has.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from benchmarks import _proc
from benchmarks.errors import WorkerError
from benchmarks.run import memguard

READY_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Exit:
    """How a worker ended: exit code, or the signal that killed it."""

    returncode: int | None

    @property
    def signal_name(self) -> str | None:
        if self.returncode is None or self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    def describe(self) -> str:
        if self.returncode is None:
            return "still running"
        if self.signal_name:
            return f"killed by {self.signal_name}"
        return f"exited with code {self.returncode}"


class WorkerProcess:
    def __init__(self, threads: int, log_path: Path, env: Mapping[str, str]) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        full_env = dict(env)
        full_env["PYTHONPATH"] = _proc.child_pythonpath(full_env)
        full_env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker.main", "--threads", str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=full_env,
            start_new_session=True,
        )
        self._buffer = b""
        self.eof = False
        self.ready: dict[str, Any] = {}
        # resource limits (run/memguard.py): an RSS watchdog now, RLIMIT_AS once ready
        self.memory_cap = memguard.memory_cap_bytes(full_env)
        self._cpu_only = full_env.get("CUDA_VISIBLE_DEVICES") == "-1"
        self._watchdog = (
            memguard.RssWatchdog(self.proc.pid, self.memory_cap).start()
            if self.memory_cap
            else None
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, Any]:
        msg = self.receive(timeout_s)
        if msg is None or msg.get("event") != "ready":
            exit_ = self.stop()
            raise WorkerError(
                f"benchmark worker did not start ({exit_.describe()}): {self.stderr_tail(3)}",
                f"see {self.log_path}; is TensorFlow installed (pip install '.[cpu]')?",
            )
        self.ready = msg
        if self.memory_cap and self._cpu_only:
            memguard.limit_address_space(self.pid, self.memory_cap)
        return msg

    @property
    def memory_exceeded(self) -> bool:
        """The watchdog killed this worker for passing the memory cap."""
        return self._watchdog is not None and self._watchdog.tripped

    def memory_reason(self) -> str:
        return self._watchdog.reason() if self._watchdog is not None else ""

    def send(self, msg: Mapping[str, Any]) -> bool:
        """False when the worker is gone (its stdin is closed)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        return True

    def receive(self, timeout_s: float) -> dict[str, Any] | None:
        """The next message, or None on timeout or end of file (check ``poll``)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self.eof = True
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            raise WorkerError(
                f"benchmark worker wrote a malformed protocol line: {line[:200]!r}",
                "this is a bug in graphbench; please report it with the run's logs/",
            ) from None
        if not isinstance(data, dict):
            raise WorkerError("benchmark worker wrote a non-object line", "report this bug")
        return data

    def poll(self) -> int | None:
        return self.proc.poll()

    def stop(self, grace_s: float = 5.0) -> Exit:
        """Ask the worker to exit, then kill its whole process group if it does not."""
        if self.proc.poll() is None:
            self.send({"cmd": "exit"})
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._close()

    def kill(self) -> Exit:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return self._close()

    def wait_exit(self, timeout_s: float = 10.0) -> Exit:
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return self.kill()
        return self._close()

    def _close(self) -> Exit:
        if self._watchdog is not None:
            self._watchdog.stop()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._log.close()
        return Exit(self.proc.returncode)

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])
