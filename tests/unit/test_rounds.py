"""Interleaved rounds with a fake clock: the order of the blocks, and what pairing cancels."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence

import pytest

from benchmarks.plan.matrix import Timing
from benchmarks.stats import paired_ratios
from benchmarks.worker.timing import (
    MAX_ROUNDS,
    STOP_CAP,
    STOP_FAILED,
    STOP_ROUNDS,
    STOP_TARGET,
    calibrate,
    interleave,
    round_order,
)
from tests.unit.timing_one_mode import measure


class FakeMachine:
    """One fake clock shared by every mode; a call of ``mode`` costs ``cost[mode] * slowdown``."""

    def __init__(self, cost_ns: dict[str, int]) -> None:
        self.now = 0
        self.cost_ns = cost_ns
        self.slowdown = 1.0
        self.log: list[str] = []  # one entry per call
        self.syncs = 0

    def clock(self) -> int:
        return self.now

    def caller(self, mode: str) -> Callable[[], str]:
        def call() -> str:
            self.log.append(mode)
            self.now += int(self.cost_ns[mode] * self.slowdown)
            return mode

        return call

    def sync(self, _out: object) -> None:
        self.syncs += 1


def test_round_order_rotates_so_every_mode_holds_every_position() -> None:
    modes = ("eager", "graph", "xla")
    orders = [round_order(modes, r) for r in range(3)]
    assert orders == [
        ("eager", "graph", "xla"),
        ("graph", "xla", "eager"),
        ("xla", "eager", "graph"),
    ]
    for position in range(3):
        assert {o[position] for o in orders} == set(modes)
    # the next process starts one place further on
    assert round_order(modes, 0, offset=1) == ("graph", "xla", "eager")
    assert round_order((), 5) == ()


def test_each_round_times_one_block_of_every_mode_in_the_rotating_order() -> None:
    m = FakeMachine({"eager": 4_000_000, "graph": 1_000_000})
    seen: list[tuple[str, int]] = []
    t = Timing(blocks=4, min_block_s=0.01)
    r = interleave(
        {"eager": m.caller("eager"), "graph": m.caller("graph")},
        {"eager": 3, "graph": 10},
        m.sync,
        t,
        m.clock,
        before_block=lambda mode, i: seen.append((mode, i)),
    )
    assert seen == [
        ("eager", 0), ("graph", 0), ("graph", 1), ("eager", 1),
        ("eager", 2), ("graph", 2), ("graph", 3), ("eager", 3),
    ]  # fmt: skip
    # the calls themselves: 3 eager, 10 graph, 10 graph, 3 eager, ...
    assert m.log == (["eager"] * 3 + ["graph"] * 20 + ["eager"] * 6 + ["graph"] * 20
                     + ["eager"] * 3)  # fmt: skip
    assert r.orders == [("eager", "graph"), ("graph", "eager")] * 2
    assert r.samples_s == {"eager": [0.004] * 4, "graph": [0.001] * 4}
    assert r.calls == {"eager": 12, "graph": 40}
    assert r.measure_s == pytest.approx({"eager": 0.048, "graph": 0.040})
    assert m.syncs == 8  # every block ends with a device sync
    assert r.stop == STOP_ROUNDS


def test_a_process_offset_shifts_the_rotation() -> None:
    m = FakeMachine({"eager": 1, "graph": 1, "xla": 1})
    r = interleave(
        {k: m.caller(k) for k in ("eager", "graph", "xla")},
        dict.fromkeys(("eager", "graph", "xla"), 1),
        m.sync,
        Timing(blocks=3),
        m.clock,
        offset=2,
    )
    assert r.orders == [
        ("xla", "eager", "graph"),
        ("eager", "graph", "xla"),
        ("graph", "xla", "eager"),
    ]


def test_paired_rounds_cancel_drift_that_back_to_back_blocks_do_not() -> None:
    """The machine slows down 2x every other round; eager costs 4x graph throughout."""
    m = FakeMachine({"eager": 4_000_000, "graph": 1_000_000})

    def drift(_mode: str, round_index: int) -> None:
        m.slowdown = 2.0 if round_index % 2 else 1.0

    r = interleave(
        {"eager": m.caller("eager"), "graph": m.caller("graph")},
        {"eager": 25, "graph": 100},
        m.sync,
        Timing(blocks=6),
        m.clock,
        before_block=drift,
    )
    # each mode's own times swing 2x with the machine ...
    assert r.samples_s["eager"] == [0.004, 0.008] * 3
    assert r.samples_s["graph"] == [0.001, 0.002] * 3
    # ... but the ratio of the two blocks of each round does not
    [ratios] = paired_ratios([r.samples_s["eager"]], [r.samples_s["graph"]])
    assert ratios == [4.0] * 6

    # back to back, drift that lands on one mode's blocks biases the ratio
    slow = FakeMachine({"eager": 4_000_000, "graph": 1_000_000})
    t = Timing(blocks=6, min_block_s=0.1, warmup_s=0.01, warmup_calls=1)
    eager = measure(slow.caller("eager"), slow.sync, t, slow.clock)
    slow.slowdown = 2.0  # the machine got busy between the two cells
    graph = measure(slow.caller("graph"), slow.sync, t, slow.clock)
    assert statistics.median(eager.samples_s) / statistics.median(graph.samples_s) == 2.0


def test_a_mode_that_raises_is_dropped_and_the_others_go_on() -> None:
    m = FakeMachine({"eager": 1_000, "graph": 1_000})
    calls = {"eager": m.caller("eager"), "graph": m.caller("graph")}
    boom = RuntimeError("XLA said no")
    count = {"n": 0}

    def graph() -> str:
        count["n"] += 1
        if count["n"] == 3:
            raise boom
        return calls["graph"]()

    r = interleave(
        {"eager": calls["eager"], "graph": graph}, {"eager": 1, "graph": 1}, m.sync,
        Timing(blocks=5), m.clock,
    )  # fmt: skip
    assert r.failed == {"graph": boom}
    assert len(r.samples_s["graph"]) == 2
    assert len(r.samples_s["eager"]) == 5
    assert r.orders[3:] == [("eager",), ("eager",)]


def test_every_mode_failing_stops_the_rounds() -> None:
    def bad() -> None:
        raise ValueError("no")

    m = FakeMachine({})
    r = interleave({"eager": bad}, {"eager": 1}, m.sync, Timing(blocks=9), m.clock)
    assert r.stop == STOP_FAILED and r.samples_s == {"eager": []}


def test_target_ci_adds_rounds_until_precise_enough() -> None:
    m = FakeMachine({"eager": 1_000_000, "graph": 1_000_000})
    t = Timing(blocks=3, target_ci=0.05, time_cap_s=100.0)
    asked: list[int] = []

    def precise(samples: Mapping[str, Sequence[float]]) -> bool:
        asked.append(len(samples["eager"]))
        return len(samples["eager"]) >= 7

    r = interleave(
        {"eager": m.caller("eager"), "graph": m.caller("graph")}, {"eager": 1, "graph": 1},
        m.sync, t, m.clock, precise_enough=precise,
    )  # fmt: skip
    assert asked == [3, 4, 5, 6, 7]  # checked after the planned rounds, then after each one
    assert r.stop == STOP_TARGET and len(r.samples_s["graph"]) == 7


def test_target_ci_stops_at_the_time_cap() -> None:
    m = FakeMachine({"eager": 100_000_000})  # 0.1 s a block
    t = Timing(blocks=3, target_ci=0.01, time_cap_s=1.0)
    r = interleave(
        {"eager": m.caller("eager")}, {"eager": 1}, m.sync, t, m.clock,
        precise_enough=lambda s: False,
    )  # fmt: skip
    assert r.stop == STOP_CAP
    assert len(r.samples_s["eager"]) == 10  # 10 x 0.1 s reaches the 1 s cap


def test_without_target_ci_the_check_is_never_asked() -> None:
    m = FakeMachine({"eager": 1})
    r = interleave(
        {"eager": m.caller("eager")}, {"eager": 1}, m.sync, Timing(blocks=4), m.clock,
        precise_enough=lambda s: pytest.fail("asked"),
    )  # fmt: skip
    assert r.stop == STOP_ROUNDS and len(r.samples_s["eager"]) == 4


def test_a_warm_round_runs_first_untimed_in_round_zero_order() -> None:
    m = FakeMachine({"eager": 2_000_000, "graph": 1_000_000})
    seen: list[tuple[str, int]] = []
    r = interleave(
        {"eager": m.caller("eager"), "graph": m.caller("graph")},
        {"eager": 1, "graph": 2},
        m.sync,
        Timing(blocks=2),
        m.clock,
        offset=1,
        before_block=lambda mode, i: seen.append((mode, i)),
        warm_rounds=1,
    )
    assert seen == [("graph", -1), ("eager", -1), ("graph", 0), ("eager", 0),
                    ("eager", 1), ("graph", 1)]  # fmt: skip
    assert r.samples_s == {"eager": [0.002] * 2, "graph": [0.001] * 2}  # warm round not in it
    assert r.warm_s == pytest.approx({"eager": 0.002, "graph": 0.002})
    assert r.measure_s == pytest.approx({"eager": 0.004, "graph": 0.004})
    assert r.calls == {"eager": 3, "graph": 6}
    assert m.syncs == 6


def test_warm_rounds_add_up_and_a_mode_failing_there_is_dropped() -> None:
    m = FakeMachine({"eager": 2_000_000, "graph": 1_000_000, "xla": 3_000_000})
    boom = RuntimeError("no warm-up for you")

    def eager() -> str:
        raise boom

    r = interleave(
        {"eager": eager, "graph": m.caller("graph"), "xla": m.caller("xla")},
        {"eager": 1, "graph": 2, "xla": 1}, m.sync, Timing(blocks=2), m.clock, warm_rounds=2,
    )  # fmt: skip
    assert r.failed == {"eager": boom}  # failed first in the order: the others still warm up
    assert r.warm_s == pytest.approx({"eager": 0.0, "graph": 0.004, "xla": 0.006}, rel=1e-12)
    assert r.calls == {"eager": 0, "graph": 8, "xla": 4}  # 2 warm rounds + 2 timed ones
    assert r.measure_s == pytest.approx({"eager": 0.0, "graph": 0.004, "xla": 0.006}, rel=1e-12)
    assert r.samples_s == {"eager": [], "graph": [0.001, 0.001], "xla": [0.003, 0.003]}
    assert r.orders == [("graph", "xla"), ("xla", "graph")]


def test_a_mode_failing_first_in_a_round_leaves_the_rest_of_that_round() -> None:
    m = FakeMachine({"graph": 1_000})

    def eager() -> str:
        raise RuntimeError("no")

    r = interleave(
        {"eager": eager, "graph": m.caller("graph")}, {"eager": 1, "graph": 1}, m.sync,
        Timing(blocks=3), m.clock,
    )  # fmt: skip
    assert len(r.samples_s["graph"]) == 3 and r.orders[0] == ("eager", "graph")


def test_the_time_cap_counts_from_the_clock_at_the_start() -> None:
    m = FakeMachine({"eager": 100_000_000})  # 0.1 s a block
    m.now = 10**15  # a clock that does not start at zero
    t = Timing(blocks=3, target_ci=0.01, time_cap_s=1.0)
    r = interleave(
        {"eager": m.caller("eager")}, {"eager": 1}, m.sync, t, m.clock,
        precise_enough=lambda s: False,
    )  # fmt: skip
    assert r.stop == STOP_CAP and len(r.samples_s["eager"]) == 10


def test_at_most_max_rounds_whatever_the_time_cap() -> None:
    m = FakeMachine({"eager": 0})
    t = Timing(blocks=3, target_ci=0.01, time_cap_s=1e9)
    r = interleave(
        {"eager": m.caller("eager")}, {"eager": 1}, m.sync, t, m.clock,
        precise_enough=lambda s: False,
    )  # fmt: skip
    assert r.stop == STOP_CAP and len(r.samples_s["eager"]) == MAX_ROUNDS == 1000


def test_calibration_counts_the_calls_of_every_block_it_tried() -> None:
    m = FakeMachine({"eager": 1_000_000})  # 1 ms a call; the estimate says 1 s
    n, ns, calls = calibrate(m.caller("eager"), m.sync, m.clock, Timing(min_block_s=0.01), 1e9)
    assert (n, ns, calls) == (12, 13_000_000, 13)  # 1 call (1 ms), then 12 (grow 10 x 1.2)
    assert len(m.log) == calls
