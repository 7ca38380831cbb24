"""Block timing of callables, with the clock and the device sync injected (so it is pure).

Method (research/timing-method.md): the first call is timed alone (it traces, and for XLA
compiles); warm-up runs at least ``warmup_s`` seconds and, unless that takes more than twice as
long, ``warmup_calls`` calls, each synced; the block size ``n`` is calibrated so a block lasts at
least ``min_block_s`` (``prepare``). Then, for the modes of one cell group, *rounds*
(``interleave``; a group of one mode times its blocks back to back): every mode times one block per
round, in an order that rotates from round to round, so slow drift of the machine falls on every
mode alike and the per-round ratios cancel it. Each block is closed by a device sync and gives
one per-call time. Only the timed blocks count as "measure" time; everything else is reported
separately so a run can say where its wall time went.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from benchmarks.plan.matrix import Timing

Clock = Callable[[], int]  # nanoseconds, monotonic
Sync = Callable[[Any], None]  # waits until the device has finished the work behind an output


class Device(Protocol):
    """The machine the blocks are timed on: its clock and its sync, as one object (the worker's
    adapter, or the asynchronous fake in tests/fakes/device.py)."""

    def clock(self) -> int: ...  # nanoseconds, monotonic

    def sync(self, output: Any) -> None: ...  # wait for the work behind ``output``


MAX_ITERS_PER_BLOCK = 1_000_000
MAX_ROUNDS = 1000  # a hard stop for --target-ci, whatever the time cap says

STOP_ROUNDS = "rounds"  # the planned number of rounds
STOP_TARGET = "target_ci"  # --target-ci reached
STOP_CAP = "time_cap"  # --target-ci not reached within the group's time cap
STOP_FAILED = "failed"  # every mode failed


@dataclass(frozen=True)
class Prepared:
    """A callable after its first call, warm-up and calibration: ready for timed blocks."""

    first_call_s: float
    first_output: Any
    warmup_calls: int
    warmup_s: float
    iters_per_block: int
    calibration_s: float
    calls: int  # every call made so far, first one included


def _block(call: Callable[[], Any], sync: Sync, clock: Clock, n: int) -> int:
    out = None
    start = clock()
    for _ in range(n):
        out = call()
    sync(out)
    return clock() - start


def first_call(call: Callable[[], Any], sync: Sync, clock: Clock) -> tuple[int, Any]:
    """(nanoseconds, output) of the first call, synced: tracing and XLA compilation land here."""
    start = clock()
    out = call()
    sync(out)
    return clock() - start, out


def warm_up(call: Callable[[], Any], sync: Sync, clock: Clock, timing: Timing) -> tuple[int, int]:
    """(calls, nanoseconds): at least warmup_s, and warmup_calls calls unless that would take
    more than twice warmup_s (a 300 ms call needs 2 warm-up calls, not 10)."""
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
    return warm_calls, warm_ns


def calibrate(
    call: Callable[[], Any], sync: Sync, clock: Clock, timing: Timing, per_call_ns: float
) -> tuple[int, int, int]:
    """(n, nanoseconds, calls): start from an estimate, grow n until a block is long enough."""
    target_ns = timing.min_block_s * 1e9
    n = _clamp(math.ceil(target_ns / max(per_call_ns, 1.0)))
    calib_ns = 0
    calls = 0
    while True:
        elapsed = _block(call, sync, clock, n)
        calib_ns += elapsed
        calls += n
        if elapsed >= target_ns or n >= MAX_ITERS_PER_BLOCK:
            return n, calib_ns, calls
        grow = target_ns / max(elapsed, 1) * 1.2
        n = _clamp(max(n * 2, math.ceil(n * grow)) if grow > 2 else n * 2)


def prepare(
    call: Callable[[], Any],
    sync: Sync,
    timing: Timing,
    clock: Clock = time.perf_counter_ns,
    after_warmup: Callable[[], None] | None = None,
) -> Prepared:
    """First call, warm-up, ``after_warmup`` (e.g. a retrace check), calibration."""
    first_ns, first_output = first_call(call, sync, clock)
    warm_calls, warm_ns = warm_up(call, sync, clock, timing)
    if after_warmup is not None:
        after_warmup()
    n, calib_ns, calib_calls = calibrate(call, sync, clock, timing, warm_ns / warm_calls)
    return Prepared(
        first_call_s=first_ns / 1e9,
        first_output=first_output,
        warmup_calls=warm_calls,
        warmup_s=warm_ns / 1e9,
        iters_per_block=n,
        calibration_s=calib_ns / 1e9,
        calls=1 + warm_calls + calib_calls,
    )


def round_order(modes: Sequence[str], round_index: int, offset: int = 0) -> tuple[str, ...]:
    """The modes of round ``round_index``, rotated by one place per round (and by ``offset``,
    which differs between processes): over k rounds every mode holds every position once."""
    if not modes:
        return ()
    k = (round_index + offset) % len(modes)
    return tuple(modes[k:]) + tuple(modes[:k])


@dataclass
class Rounds:
    """What ``interleave`` measured: per mode, one per-call time per round it took part in."""

    samples_s: dict[str, list[float]]
    measure_s: dict[str, float]
    calls: dict[str, int]
    orders: list[tuple[str, ...]] = field(default_factory=list)  # the order of every round
    failed: dict[str, BaseException] = field(default_factory=dict)  # mode -> what it raised
    stop: str = STOP_ROUNDS
    warm_s: dict[str, float] = field(default_factory=dict)  # the untimed warm rounds, per mode


# Called with the samples so far; True when the statistic is precise enough to stop early.
StopCheck = Callable[[Mapping[str, Sequence[float]]], bool]
BeforeBlock = Callable[[str, int], None]  # (mode, round index), e.g. a progress line


def interleave(
    calls: Mapping[str, Callable[[], Any]],
    iters: Mapping[str, int],
    sync: Sync,
    timing: Timing,
    clock: Clock = time.perf_counter_ns,
    *,
    offset: int = 0,
    before_block: BeforeBlock | None = None,
    precise_enough: StopCheck | None = None,
    warm_rounds: int = 0,
) -> Rounds:
    """Time ``timing.blocks`` rounds; each mode times one block of ``iters[mode]`` calls per round.

    ``warm_rounds`` untimed rounds come first (in round 0's order; their time is ``warm_s``):
    the mode set up first has waited through the others' trace and compile, and its first
    block is then often its slowest.

    With ``timing.target_ci`` set and a ``precise_enough`` check, rounds go on after the planned
    ones until the check passes (``target_ci``) or the rounds have taken ``timing.time_cap_s``
    (``time_cap``). A mode whose call raises is dropped from later rounds and named in
    ``failed``; the others go on.
    """
    modes = list(calls)
    rounds = Rounds(
        samples_s={m: [] for m in modes},
        measure_s=dict.fromkeys(modes, 0.0),
        calls=dict.fromkeys(modes, 0),
    )
    live = list(modes)
    rounds.warm_s = dict.fromkeys(modes, 0.0)
    for _ in range(warm_rounds):
        for mode in round_order(live, 0, offset):
            if before_block is not None:
                before_block(mode, -1)
            try:
                rounds.warm_s[mode] += _block(calls[mode], sync, clock, iters[mode]) / 1e9
            except Exception as exc:
                rounds.failed[mode] = exc
                live.remove(mode)
                continue
            rounds.calls[mode] += iters[mode]
    cap_ns = timing.time_cap_s * 1e9
    adaptive = timing.target_ci is not None and precise_enough is not None
    start = clock()
    r = 0
    while live:
        order = round_order(live, r, offset)
        rounds.orders.append(order)
        for mode in order:
            if before_block is not None:
                before_block(mode, r)
            n = iters[mode]
            try:
                elapsed = _block(calls[mode], sync, clock, n)
            except Exception as exc:  # the mode's own failure: a value, not the group's end
                rounds.failed[mode] = exc
                live.remove(mode)
                continue
            rounds.measure_s[mode] += elapsed / 1e9
            rounds.calls[mode] += n
            rounds.samples_s[mode].append(elapsed / n / 1e9)
        r += 1
        if r < timing.blocks:
            continue
        if not adaptive:
            break
        assert precise_enough is not None
        if precise_enough({m: rounds.samples_s[m] for m in live}):
            rounds.stop = STOP_TARGET
            break
        if clock() - start >= cap_ns or r >= MAX_ROUNDS:
            rounds.stop = STOP_CAP
            break
    if not live:
        rounds.stop = STOP_FAILED
    return rounds


def _clamp(n: int) -> int:
    return max(1, min(MAX_ITERS_PER_BLOCK, n))
