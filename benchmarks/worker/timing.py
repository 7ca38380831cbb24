"""Block timing of one callable, with the clock and the device sync injected (so it is pure).

Method (research/timing-method.md): the first call is timed alone (it traces, and for XLA
compiles); warm-up runs at least ``warmup_s`` seconds and, unless that takes more than twice as
long, ``warmup_calls`` calls, each synced; the block size
``n`` is calibrated so a block lasts at least ``min_block_s``; then ``blocks`` blocks of ``n``
calls are timed, each closed by a device sync, and each block gives one per-call time.
Only the timed blocks count as "measure" time; everything else is reported separately so a run
can say where its wall time went.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks.plan.matrix import Timing

Clock = Callable[[], int]  # nanoseconds, monotonic
Sync = Callable[[Any], None]  # waits until the device has finished the work behind an output


class Device(Protocol):
    """The machine ``measure`` times on: its clock and its sync, as one object (the worker's
    adapter, or the asynchronous fake in tests/fakes/device.py)."""

    def clock(self) -> int: ...  # nanoseconds, monotonic

    def sync(self, output: Any) -> None: ...  # wait for the work behind ``output``


MAX_ITERS_PER_BLOCK = 1_000_000


@dataclass(frozen=True)
class Measurement:
    first_call_s: float
    first_output: Any
    warmup_calls: int
    warmup_s: float
    iters_per_block: int
    calibration_s: float
    samples_s: tuple[float, ...]  # per-call seconds, one per block
    measure_s: float  # wall time inside the timed blocks
    calls: int  # every call made, first one included


def _block(call: Callable[[], Any], sync: Sync, clock: Clock, n: int) -> int:
    out = None
    start = clock()
    for _ in range(n):
        out = call()
    sync(out)
    return clock() - start


def measure(
    call: Callable[[], Any],
    sync: Sync,
    timing: Timing,
    clock: Clock = time.perf_counter_ns,
    after_warmup: Callable[[], None] | None = None,
) -> Measurement:
    """Time ``call``; ``after_warmup`` runs between warm-up and timing (e.g. a retrace check)."""
    calls = 0

    start = clock()
    first_output = call()
    sync(first_output)
    first_ns = clock() - start
    calls += 1

    # Warm-up: at least warmup_s seconds, and warmup_calls calls unless that would take more
    # than twice warmup_s (a 300 ms call needs 2 warm-up calls, not 10).
    warm_calls = 0
    warm_start = clock()
    warm_ns = 0
    budget_ns = int(timing.warmup_s * 1e9)
    while (
        warm_calls == 0
        or warm_ns < budget_ns
        or (warm_calls < timing.warmup_calls and warm_ns < 2 * budget_ns)
    ):
        sync(call())
        warm_calls += 1
        warm_ns = clock() - warm_start
    calls += warm_calls

    if after_warmup is not None:
        after_warmup()

    # Calibration: start from the warm-up's per-call estimate, grow until a block is long enough.
    target_ns = timing.min_block_s * 1e9
    per_call_ns = max(warm_ns / warm_calls, 1.0)
    n = _clamp(math.ceil(target_ns / per_call_ns))
    calib_ns = 0
    while True:
        elapsed = _block(call, sync, clock, n)
        calib_ns += elapsed
        calls += n
        if elapsed >= target_ns or n >= MAX_ITERS_PER_BLOCK:
            break
        grow = target_ns / max(elapsed, 1) * 1.2
        n = _clamp(max(n * 2, math.ceil(n * grow)) if grow > 2 else n * 2)

    samples = []
    measure_ns = 0
    for _ in range(timing.blocks):
        elapsed = _block(call, sync, clock, n)
        measure_ns += elapsed
        calls += n
        samples.append(elapsed / n / 1e9)

    return Measurement(
        first_call_s=first_ns / 1e9,
        first_output=first_output,
        warmup_calls=warm_calls,
        warmup_s=warm_ns / 1e9,
        iters_per_block=n,
        calibration_s=calib_ns / 1e9,
        samples_s=tuple(samples),
        measure_s=measure_ns / 1e9,
        calls=calls,
    )


def _clamp(n: int) -> int:
    return max(1, min(MAX_ITERS_PER_BLOCK, n))
