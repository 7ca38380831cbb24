"""One callable timed alone, by the product's own pieces: ``prepare`` then ``interleave`` with a
single mode (whose blocks then run back to back). The timing tests read its figures in one
record; the worker calls the same two functions for every cell group."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.plan.matrix import Timing
from benchmarks.worker.timing import Clock, Sync, interleave, prepare


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


def measure(
    call: Callable[[], Any],
    sync: Sync,
    timing: Timing,
    clock: Clock,
    after_warmup: Callable[[], None] | None = None,
) -> Measurement:
    p = prepare(call, sync, timing, clock, after_warmup)
    rounds = interleave({"alone": call}, {"alone": p.iters_per_block}, sync, timing, clock)
    return Measurement(
        first_call_s=p.first_call_s,
        first_output=p.first_output,
        warmup_calls=p.warmup_calls,
        warmup_s=p.warmup_s,
        iters_per_block=p.iters_per_block,
        calibration_s=p.calibration_s,
        samples_s=tuple(rounds.samples_s["alone"]),
        measure_s=rounds.measure_s["alone"],
        calls=p.calls + rounds.calls["alone"],
    )
