"""The timing loop with a fake clock and a counting sync: exact call counts, no TensorFlow."""

from __future__ import annotations

import pytest

from benchmarks.plan.matrix import Timing
from tests.unit.timing_one_mode import measure


class FakeDevice:
    """Each call costs ``cost_ns`` of fake time; the first call costs ``first_ns`` (tracing)."""

    def __init__(self, cost_ns: int, first_ns: int | None = None) -> None:
        self.now = 0
        self.calls = 0
        self.syncs = 0
        self.cost_ns = cost_ns
        self.first_ns = first_ns if first_ns is not None else cost_ns

    def clock(self) -> int:
        return self.now

    def call(self) -> int:
        self.calls += 1
        self.now += self.first_ns if self.calls == 1 else self.cost_ns
        return self.calls

    def sync(self, _out: object) -> None:
        self.syncs += 1


def test_exact_call_counts_and_per_call_times() -> None:
    dev = FakeDevice(cost_ns=1_000_000, first_ns=30_000_000)  # 1 ms per call, 30 ms trace
    t = Timing(blocks=9, min_block_s=0.05, warmup_s=0.1, warmup_calls=10)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.first_call_s == 0.03
    assert m.warmup_calls == 100  # 0.1 s of 1 ms calls
    assert m.iters_per_block == 50  # 50 ms / 1 ms
    assert m.samples_s == (0.001,) * 9
    # first + warm-up + one calibration block + 9 timed blocks
    assert m.calls == dev.calls == 1 + 100 + 50 + 9 * 50
    assert m.measure_s == pytest.approx(9 * 0.05, rel=1e-12)  # per-block seconds, summed
    assert m.first_output == 1


def test_every_timed_block_ends_with_a_sync() -> None:
    dev = FakeDevice(cost_ns=1_000_000)
    t = Timing(blocks=11, min_block_s=0.01, warmup_s=0.0, warmup_calls=10)
    measure(dev.call, dev.sync, t, dev.clock)
    # first call, one warm-up call (warmup_s = 0), one calibration block, the timed blocks
    assert dev.syncs == 1 + 1 + 1 + 11


def test_calibration_grows_a_too_short_block() -> None:
    # warm-up says 10 ms per call, but calls then get faster: calibration must re-grow n
    dev = FakeDevice(cost_ns=10_000_000)
    t = Timing(blocks=3, min_block_s=0.1, warmup_s=0.05, warmup_calls=5)

    def call() -> int:
        out = dev.call()
        if dev.calls > 6:  # first call + 5 warm-up calls at 10 ms
            dev.cost_ns = 1_000_000
        return out

    m = measure(call, dev.sync, t, dev.clock)
    assert m.iters_per_block * 0.001 >= 0.1
    assert all(s == 0.001 for s in m.samples_s)


def test_after_warmup_runs_once_between_warmup_and_timing() -> None:
    dev = FakeDevice(cost_ns=1_000_000)
    seen: list[int] = []
    t = Timing(blocks=3, min_block_s=0.01, warmup_s=0.003, warmup_calls=5)
    measure(dev.call, dev.sync, t, dev.clock, after_warmup=lambda: seen.append(dev.calls))
    assert seen == [1 + 5]


def test_slow_call_gets_one_call_per_block_and_a_short_warmup() -> None:
    dev = FakeDevice(cost_ns=200_000_000)  # 200 ms per call > min block
    t = Timing(blocks=9, min_block_s=0.05, warmup_s=0.2, warmup_calls=10)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.iters_per_block == 1
    assert m.warmup_calls == 2  # 10 calls would take 2 s: stop at 2 x warmup_s
    assert m.calls == 1 + 2 + 1 + 9


def test_fast_call_warms_up_for_warmup_s_not_just_warmup_calls() -> None:
    dev = FakeDevice(cost_ns=100_000)  # 0.1 ms
    t = Timing(blocks=3, min_block_s=0.01, warmup_s=0.01, warmup_calls=10)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.warmup_calls == 100
