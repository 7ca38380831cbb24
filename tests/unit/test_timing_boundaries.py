"""Every timed boundary of a cell's timing (``prepare`` + ``interleave``) on an asynchronous fake device.

The fake's calls return after 1 us of dispatch and queue 1 ms of device work; only ``sync``
waits for it (tests/fakes/device.py). So a clock read before the sync sees dispatch time, and
each expected figure below is worked out by hand from the fake's parameters: a loop that
stopped its clock one statement early would be 1000x off, not a rounding error.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.plan.matrix import Timing
from benchmarks.worker.timing import MAX_ITERS_PER_BLOCK
from tests.fakes.device import AsyncDevice
from tests.unit.timing_one_mode import Measurement, measure

MS = 1_000_000
US = 1_000


def test_the_fake_queues_work_and_only_sync_waits_for_it() -> None:
    dev = AsyncDevice(work_ns=MS, dispatch_ns=US)
    a = dev.call()
    b = dev.call()
    assert dev.clock() == 2 * US  # two dispatches: the host did not wait
    assert (a.ready_ns, b.ready_ns) == (US + MS, US + 2 * MS)  # in order, one at a time
    dev.sync(a)
    assert dev.clock() == US + MS and not dev.idle()
    dev.sync(b)
    assert dev.clock() == US + 2 * MS and dev.idle()
    dev.sync(a)  # an output already done: no wait
    assert dev.clock() == US + 2 * MS
    with pytest.raises(TypeError):
        dev.sync(None)


@pytest.fixture
def measured() -> tuple[AsyncDevice, Measurement]:
    dev = AsyncDevice(work_ns=MS, dispatch_ns=US, first_host_ns=30 * MS, first_work_ns=2 * MS)
    t = Timing(blocks=5, min_block_s=0.05, warmup_s=0.1, warmup_calls=10)
    return dev, measure(dev.call, dev.sync, t, dev.clock)


def test_first_call_includes_its_device_work(measured: tuple[AsyncDevice, Measurement]) -> None:
    dev, m = measured
    # 30 ms of tracing on the host, then 2 ms of device work that only the sync waits for
    assert m.first_call_s == 0.032
    assert dev.events[:4] == [("clock", 0), ("call", 1), ("sync", 1), ("clock", 32 * MS)]


def test_warmup_syncs_every_call_and_counts_device_time(
    measured: tuple[AsyncDevice, Measurement],
) -> None:
    _, m = measured
    # each warm-up call: 1 us dispatch + 1 ms work, waited for; 0.1 s needs ceil(100/1.001) calls
    assert m.warmup_calls == math.ceil(100 / 1.001) == 100
    assert m.warmup_s == pytest.approx(100 * 1.001e-3, rel=1e-12)


def test_block_clock_stops_after_the_sync_of_the_last_output(
    measured: tuple[AsyncDevice, Measurement],
) -> None:
    dev, m = measured
    n = m.iters_per_block
    assert n == 50  # 50 ms block / 1.001 ms per warm-up call
    # a block: n dispatches queue n ms of work behind 1 us; the sync waits for all of it
    block_ns = US + n * MS
    assert m.samples_s == pytest.approx([block_ns / n / 1e9] * 5, rel=1e-12)
    assert m.samples_s[0] == pytest.approx(1.00002e-3, rel=1e-12)  # not 1e-6 (dispatch only)
    # the last 5 blocks in the event log: clock, n calls, sync of the *last* call, clock
    per_block = n + 3
    tail = dev.events[-5 * per_block :]
    for k in range(5):
        ev = tail[k * per_block : (k + 1) * per_block]
        first_index = ev[1][1]
        assert ev[0][0] == "clock" and ev[-1][0] == "clock"
        assert ev[1:-2] == [("call", first_index + i) for i in range(n)]
        assert ev[-2] == ("sync", first_index + n - 1)
        assert ev[-1][1] - ev[0][1] == block_ns


def test_calibration_block_is_timed_like_a_block(measured: tuple[AsyncDevice, Measurement]) -> None:
    _, m = measured
    assert m.calibration_s == pytest.approx((US + 50 * MS) / 1e9, rel=1e-12)


def test_phases_account_for_all_the_time_and_measure_is_only_the_blocks(
    measured: tuple[AsyncDevice, Measurement],
) -> None:
    dev, m = measured
    assert dev.idle()  # nothing left queued on the device when measure returns
    total = m.first_call_s + m.warmup_s + m.calibration_s + m.measure_s
    assert total == pytest.approx(dev.now / 1e9, rel=1e-12)
    assert m.measure_s == pytest.approx(sum(m.samples_s) * m.iters_per_block, rel=1e-12)
    assert m.measure_s == pytest.approx(5 * (US + 50 * MS) / 1e9, rel=1e-12)
    assert m.calls == dev.calls == 1 + 100 + 50 + 5 * 50
    assert dev.syncs == 1 + 100 + 1 + 5


def test_calibration_regrows_when_calls_get_faster_after_warmup() -> None:
    dev = AsyncDevice(work_ns=10 * MS, dispatch_ns=US)

    def call() -> object:
        out = dev.call()
        if dev.calls == 6:  # first call + 5 warm-up calls at 10 ms; then 1 ms per call
            dev.work_ns = MS
        return out

    t = Timing(blocks=3, min_block_s=0.1, warmup_s=0.05, warmup_calls=5)
    m = measure(call, dev.sync, t, dev.clock)
    assert m.warmup_calls == 5 and m.first_call_s == pytest.approx(10.001e-3, rel=1e-12)
    # warm-up says 10.001 ms a call: n = ceil(100 / 10.001) = 10, a 10.001 ms block, too short;
    # grow = 100 / 10.001 * 1.2 = 11.9988 > 2, so n = max(2 * 10, ceil(10 * 11.9988)) = 120
    assert m.iters_per_block == 120
    assert m.calibration_s == pytest.approx((US + 10 * MS + US + 120 * MS) / 1e9, rel=1e-12)
    assert m.samples_s == pytest.approx([(US + 120 * MS) / 120 / 1e9] * 3, rel=1e-12)


def test_a_block_of_exactly_min_block_s_is_long_enough() -> None:
    dev = AsyncDevice(work_ns=MS, dispatch_ns=0)  # no dispatch cost: a block is exactly n ms
    t = Timing(blocks=3, min_block_s=0.05, warmup_s=0.01, warmup_calls=10)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.warmup_calls == 10  # exactly 10 ms of warm-up meets warmup_s, and 10 calls
    assert m.iters_per_block == 50  # 50 x 1 ms == 50 ms: accepted, not doubled
    assert m.calibration_s == 0.05
    assert m.samples_s == (0.001,) * 3


def test_a_short_calibration_block_doubles_when_growth_is_small() -> None:
    # warm-up estimate 1 ms, but the first block is a little short (dispatch-free device whose
    # work drops to 0.9 ms): grow = 50 / 45 * 1.2 = 1.33 <= 2, so n doubles to 100
    dev = AsyncDevice(work_ns=MS, dispatch_ns=0)

    def call() -> object:
        out = dev.call()
        if dev.calls == 11:  # first + 10 warm-up calls at 1 ms
            dev.work_ns = 900_000
        return out

    t = Timing(blocks=2, min_block_s=0.05, warmup_s=0.01, warmup_calls=10)
    m = measure(call, dev.sync, t, dev.clock)
    assert m.iters_per_block == 100
    assert m.calibration_s == pytest.approx((50 + 100) * 0.9e-3, rel=1e-12)
    assert m.samples_s == pytest.approx([0.9e-3] * 2, rel=1e-12)


def test_after_warmup_runs_with_nothing_queued() -> None:
    dev = AsyncDevice(work_ns=MS)
    seen: list[tuple[int, bool]] = []
    t = Timing(blocks=2, min_block_s=0.01, warmup_s=0.005, warmup_calls=3)
    measure(
        dev.call, dev.sync, t, dev.clock, after_warmup=lambda: seen.append((dev.calls, dev.idle()))
    )
    assert seen == [(1 + 5, True)]  # 5 warm-up calls of 1.001 ms reach 5 ms


def test_a_clock_that_does_not_start_at_zero() -> None:
    dev = AsyncDevice(work_ns=MS, dispatch_ns=US, now=5_000_000_000, device_free_ns=5_000_000_000)
    t = Timing(blocks=2, min_block_s=0.01, warmup_s=0.005, warmup_calls=3)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.first_call_s == pytest.approx(1.001e-3, rel=1e-12)
    assert m.calls == dev.calls


def test_warmup_of_exactly_one_second_stops_at_the_budget() -> None:
    dev = AsyncDevice(work_ns=MS, dispatch_ns=0)
    t = Timing(blocks=1, min_block_s=0.001, warmup_s=1.0, warmup_calls=10)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.warmup_calls == 1000 and m.warmup_s == 1.0


def test_calibration_grows_by_the_measured_factor_between_two_and_three() -> None:
    # warm-up says 1 ms a call; then calls take 0.4 ms: the 50-call block lasts 20 ms of the
    # 50 ms target, grow = 50 / 20 * 1.2 = 3.0 > 2, so n = max(100, ceil(50 * 3.0)) = 150
    dev = AsyncDevice(work_ns=MS, dispatch_ns=0)

    def call() -> object:
        out = dev.call()
        if dev.calls == 11:
            dev.work_ns = 400_000
        return out

    t = Timing(blocks=1, min_block_s=0.05, warmup_s=0.01, warmup_calls=10)
    m = measure(call, dev.sync, t, dev.clock)
    assert m.iters_per_block == 150
    # and at 0.48 ms: 24 ms of 50, grow = 2.5, n = max(100, 125) = 125
    dev2 = AsyncDevice(work_ns=MS, dispatch_ns=0)

    def call2() -> object:
        out = dev2.call()
        if dev2.calls == 11:
            dev2.work_ns = 480_000
        return out

    assert measure(call2, dev2.sync, t, dev2.clock).iters_per_block == 125


def test_nanosecond_calls_use_at_least_one_ns_per_call() -> None:
    dev = AsyncDevice(work_ns=1, dispatch_ns=0)
    t = Timing(blocks=1, min_block_s=1e-4, warmup_s=0.0, warmup_calls=1)
    m = measure(dev.call, dev.sync, t, dev.clock)
    assert m.iters_per_block == 100_000  # 100 us / 1 ns, reached in one calibration block
    assert m.calibration_s == 1e-4


def test_free_calls_stop_growing_at_the_block_cap() -> None:
    """A call that takes no measurable time: calibration stops at MAX_ITERS_PER_BLOCK."""
    t = Timing(blocks=1, min_block_s=0.01, warmup_s=0.0, warmup_calls=1)
    m = measure(lambda: None, lambda _out: None, t, lambda: 0)
    assert m.iters_per_block == MAX_ITERS_PER_BLOCK
    assert m.calls == 1 + 1 + 2 * MAX_ITERS_PER_BLOCK
    assert m.samples_s == (0.0,)
