"""An asynchronous fake device: calls queue work on a fake clock, ``sync`` waits for it.

A real accelerator returns from a call as soon as the work is *queued* (a few microseconds of
host-side dispatch) and runs it later, in order, on its own stream; only a device sync waits
for the work behind an output. A fake whose calls cost their full time on the host cannot tell
"clock stopped after the sync" from "clock stopped before it" (both give the same number);
this one can: stop the clock before the sync and you read dispatch time, not device time.

Time is integer nanoseconds, so every expected figure in a test is exact arithmetic.
It implements ``benchmarks.worker.timing.Device``; its methods fit ``Clock`` and ``Sync``
(mypy checks both in ``_typed`` below).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.worker.timing import Clock, Device, Sync


@dataclass(frozen=True)
class Output:
    """What a call returns: its index (1 = first call) and when its device work is done."""

    index: int
    ready_ns: int


@dataclass
class AsyncDevice:
    """Each call spends ``dispatch_ns`` on the host and queues ``work_ns`` on the device.

    The first call instead spends ``first_host_ns`` on the host (tracing, compiling) and queues
    ``first_work_ns``. The device runs queued work in order, one piece at a time. ``events``
    records ``("clock", now)``, ``("call", index)`` and ``("sync", index)`` in order.
    """

    work_ns: int
    dispatch_ns: int = 1_000
    first_host_ns: int | None = None
    first_work_ns: int | None = None
    now: int = 0
    device_free_ns: int = 0  # when the device finishes everything queued so far
    calls: int = 0
    syncs: int = 0
    events: list[tuple[str, int]] = field(default_factory=list)

    def clock(self) -> int:
        self.events.append(("clock", self.now))
        return self.now

    def call(self) -> Output:
        self.calls += 1
        first = self.calls == 1
        host = self.first_host_ns if first and self.first_host_ns is not None else self.dispatch_ns
        work = self.first_work_ns if first and self.first_work_ns is not None else self.work_ns
        self.now += host
        self.device_free_ns = max(self.device_free_ns, self.now) + work
        self.events.append(("call", self.calls))
        return Output(self.calls, self.device_free_ns)

    def sync(self, output: object) -> None:
        """Wait until the work behind ``output`` is done (earlier outputs are done earlier)."""
        if not isinstance(output, Output):
            raise TypeError(f"sync() got {output!r}, not an output of this device")
        self.syncs += 1
        self.now = max(self.now, output.ready_ns)
        self.events.append(("sync", output.index))

    def idle(self) -> bool:
        return self.now >= self.device_free_ns


def _typed(device: AsyncDevice) -> tuple[Device, Clock, Sync]:
    """mypy proves here that the fake fits the types ``timing`` declares."""
    return device, device.clock, device.sync
