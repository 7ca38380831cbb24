"""One callable timed alone, by the product's own pieces: ``prepare`` then ``interleave`` with a
single mode (whose blocks then run back to back). The timing tests read its figures in one
record; the worker calls the same two functions for every cell group."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from benchmarks.plan.matrix import Timing
from benchmarks.worker.timing import Clock, Prepared, Sync, interleave, prepare


@dataclass(frozen=True)
class Measurement(Prepared):
    """What ``prepare`` returned, with the blocks' figures; ``calls`` counts the blocks' too."""

    samples_s: tuple[float, ...]  # per-call seconds, one per block
    measure_s: float  # wall time inside the timed blocks


def measure(
    call: Callable[[], Any],
    sync: Sync,
    timing: Timing,
    clock: Clock,
    after_warmup: Callable[[], None] | None = None,
) -> Measurement:
    p = prepare(call, sync, timing, clock, after_warmup)
    rounds = interleave({"alone": call}, {"alone": p.iters_per_block}, sync, timing, clock)
    prepared = {f.name: getattr(p, f.name) for f in fields(p)}
    return Measurement(
        **{**prepared, "calls": p.calls + rounds.calls["alone"]},
        samples_s=tuple(rounds.samples_s["alone"]),
        measure_s=rounds.measure_s["alone"],
    )
