"""A per-worker memory cap, so a cell that asks for too much ends ``oom`` and the host lives.

Two layers, both Linux-only and both optional where the OS lacks them:

* **RLIMIT_AS** set on the worker once it is ready (``prlimit``), at its address space then
  plus the cap: TensorFlow's own allocations beyond it fail inside the worker, which reports
  the cell as ``oom`` and keeps serving. Set after start-up because TensorFlow reserves far more
  address space at import than it ever touches. CPU workers only: CUDA maps huge address ranges.
* **An RSS watchdog** thread in the runner sums the resident memory of the worker's process
  tree every ``interval_s`` and kills the tree's process group when it passes the cap; the
  runner then records the cell as ``oom`` ("worker memory above the cap").

The cap: ``GRAPHBENCH_WORKER_MEMORY_MB`` if set (0 disables it), else half the host's memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Mapping

import psutil

ENV_CAP = "GRAPHBENCH_WORKER_MEMORY_MB"
MiB = 1024 * 1024


def memory_cap_bytes(env: Mapping[str, str] | None = None) -> int | None:
    """The cap in bytes, or None when disabled; a malformed setting falls back to the default."""
    env = os.environ if env is None else env
    raw = env.get(ENV_CAP, "").strip()
    if raw:
        try:
            mb = int(raw)
        except ValueError:
            mb = -1
        if mb == 0:
            return None
        if mb > 0:
            return mb * MiB
    return int(psutil.virtual_memory().total // 2)


def limit_address_space(pid: int, cap: int) -> bool:
    """Cap ``pid``'s address space at its current size plus ``cap``; False where unsupported."""
    try:
        import resource

        vms = psutil.Process(pid).memory_info().vms
        limit = vms + cap
        resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
    except (ImportError, AttributeError, OSError, psutil.Error, ValueError):
        return False
    return True


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its children (0 when it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class RssWatchdog:
    """Kill the worker's process group when its tree's RSS passes ``cap`` bytes."""

    def __init__(self, pid: int, cap: int, interval_s: float = 0.2) -> None:
        self.pid = pid
        self.cap = cap
        self.interval_s = interval_s
        self.tripped_rss: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"rss-watchdog-{pid}", daemon=True)

    def start(self) -> RssWatchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @property
    def tripped(self) -> bool:
        return self.tripped_rss is not None

    def reason(self) -> str:
        used = (self.tripped_rss or 0) // MiB
        return (
            f"worker memory {used} MiB passed the cap of {self.cap // MiB} MiB "
            f"({ENV_CAP}); worker killed"
        )

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            rss = tree_rss(self.pid)
            if rss == 0:
                return
            if rss > self.cap:
                self.tripped_rss = rss
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                return
