"""The hierarchical bootstrap on literal data, checked against a plain per-resample loop."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.stats import (
    bootstrap_ci,
    half_width,
    hierarchical_ci,
    hierarchical_ratio_ci,
    paired_ratios,
    pooled,
    process_spread,
)

# three processes of one cell: per-call seconds per round; the second process is ~10 % slower
PROCESSES = [
    [1.00, 1.02, 0.99, 1.01, 1.03],
    [1.10, 1.12, 1.09, 1.11],
    [1.01, 0.98, 1.00, 1.02, 1.00, 0.99],
]


def loop_bootstrap(
    groups: list[list[float]], resamples: int, seed: int, confidence: float = 0.95
) -> tuple[float, float]:
    """An independent implementation: one resample at a time, with the documented draws.

    Draw order (stats.hierarchical_draws): first which process fills each of the P slots of
    every resample, then a uniform number per (resample, slot, round position); the round
    index is floor(u * rounds of the chosen process).
    """
    rng = np.random.default_rng(seed)
    p = len(groups)
    width = max(len(g) for g in groups)
    proc = rng.integers(0, p, size=(resamples, p))
    u = rng.random((resamples, p, width))
    medians: list[float] = []
    for b in range(resamples):
        values: list[float] = []
        for slot in range(p):
            chosen = groups[proc[b, slot]]
            for j in range(len(chosen)):
                values.append(chosen[int(np.floor(u[b, slot, j] * len(chosen)))])
        medians.append(float(np.median(values)))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(medians, [alpha, 1 - alpha])
    return float(lo), float(hi)


@pytest.mark.parametrize("seed", [0, 7, 1234])
def test_matches_an_independent_loop_with_the_same_draws(seed: int) -> None:
    point, lo, hi = hierarchical_ci(PROCESSES, resamples=400, seed=seed)
    assert point == np.median(pooled(PROCESSES))
    assert (lo, hi) == pytest.approx(loop_bootstrap(PROCESSES, 400, seed), abs=1e-12)


def test_equal_round_counts_take_the_unmasked_path_to_the_same_interval() -> None:
    equal = [g[:4] for g in PROCESSES]  # every process 4 rounds: no unused slot
    for seed in (0, 9):
        _, lo, hi = hierarchical_ci(equal, resamples=400, seed=seed)
        assert (lo, hi) == pytest.approx(loop_bootstrap(equal, 400, seed), abs=1e-12)


def test_literal_two_processes() -> None:
    groups = [[1.0, 2.0, 3.0], [10.0, 11.0, 12.0]]
    point, lo, hi = hierarchical_ci(groups, resamples=2000, seed=3)
    assert point == 6.5  # median of the six values
    assert (lo, hi) == pytest.approx(loop_bootstrap(groups, 2000, 3), abs=1e-12)
    # resampling processes can draw the same process twice: the CI reaches both clusters
    assert lo <= 3.0 and hi >= 10.0


def test_between_process_spread_widens_the_ci_beyond_a_pooled_bootstrap() -> None:
    point, lo, hi = hierarchical_ci(PROCESSES, seed=1)
    naive_lo, naive_hi = bootstrap_ci(pooled(PROCESSES), seed=1)
    assert hi - lo > 1.5 * (naive_hi - naive_lo)
    assert lo <= point <= hi


def test_one_process_is_a_plain_bootstrap_of_its_rounds() -> None:
    point, lo, hi = hierarchical_ci([[3.0, 1.0, 2.0]], resamples=300, seed=5)
    assert point == 2.0
    assert (lo, hi) == pytest.approx(loop_bootstrap([[3.0, 1.0, 2.0]], 300, 5), abs=1e-12)


def test_empty_processes_are_ignored_and_no_values_is_an_error() -> None:
    assert hierarchical_ci([[], [2.0, 2.0]])[0] == 2.0
    with pytest.raises(ValueError):
        hierarchical_ci([[], []])


def test_paired_ratios_are_per_round_within_each_process() -> None:
    eager = [[4.0, 8.0, 4.4], [5.0, 5.0]]
    graph = [[1.0, 2.0, 1.1], [1.0, 2.5, 9.9]]  # an extra round without a partner is dropped
    assert paired_ratios(eager, graph) == [[4.0, 4.0, 4.0], [5.0, 2.0]]
    assert paired_ratios([[4.0, 3.0]], [[0.0, 1.5]]) == [[2.0]]  # a zero-time round is dropped
    with pytest.raises(ValueError, match=r"^paired ratios need the same processes on both sides$"):
        paired_ratios(eager, graph[:1])


def test_process_spread_and_disagreement() -> None:
    s = process_spread(PROCESSES)
    assert s.medians == (1.01, 1.105, 1.0)
    assert s.spread == pytest.approx((1.105 - 1.0) / 1.01)
    assert s.disagree  # process 2's CI lies above the others'
    close = process_spread([[1.0, 1.1, 0.9, 1.05], [1.02, 0.95, 1.08, 1.0]])
    assert not close.disagree


def test_half_width_is_relative() -> None:
    assert half_width(2.0, 1.9, 2.1) == pytest.approx(0.05)
    assert half_width(0.0, 0.0, 1.0) == float("inf")
    assert half_width(0.5, 0.4, 0.6) == pytest.approx(0.2)  # a point below one second


def test_the_default_seed_is_zero_so_a_report_rebuilt_from_a_run_shows_the_same_interval() -> None:
    noisy = np.random.default_rng(7).normal(1.0, 0.1, (4, 9)).tolist()
    assert hierarchical_ci(noisy) == hierarchical_ci(noisy, seed=0)
    assert hierarchical_ci(noisy) != hierarchical_ci(noisy, seed=1)  # the seed matters here
    assert process_spread(PROCESSES) == process_spread(PROCESSES, seed=0)


def test_process_spread_edges() -> None:
    zero = process_spread([[0.0, 0.0], [0.0, 0.0]])
    assert zero.spread == 0.0 and not zero.disagree  # no division by a zero median
    assert process_spread([[1.0, 1.01, 0.99], [2.0, 2.02, 1.98]]).disagree  # two processes
    assert not process_spread([[1.0, 1.5, 0.5]]).disagree  # one process disagrees with nobody
    with pytest.raises(ValueError, match=r"^no values$"):
        process_spread([[], []])


def test_the_ratio_ci_has_the_same_default_seed_and_says_when_there_is_nothing() -> None:
    rng = np.random.default_rng(3)
    num, den = rng.normal(2.0, 0.2, (3, 9)).tolist(), rng.normal(1.0, 0.1, (3, 9)).tolist()
    assert hierarchical_ratio_ci(num, den) == hierarchical_ratio_ci(num, den, seed=0)
    assert hierarchical_ratio_ci(num, den) != hierarchical_ratio_ci(num, den, seed=1)
    with pytest.raises(ValueError, match=r"^no values to bootstrap$"):
        hierarchical_ci([[], []])


def test_median_cis_are_bootstrap_ci_of_each_group_to_the_bit() -> None:
    from benchmarks.stats import median_cis

    groups = [PROCESSES[0], PROCESSES[1], [2.0], [1.0, 3.0], PROCESSES[2], PROCESSES[0][::-1]]
    expected = [bootstrap_ci(g, resamples=300, seed=4 + i) for i, g in enumerate(groups)]
    assert median_cis(groups, resamples=300, seed=4) == expected
    assert expected[2] == (2.0, 2.0) and expected[3][0] < expected[3][1]  # two values: a range
    # seeds 0, 1, 2, ... by default: on 40 distinct values the seed moves the interval
    wide = [[float((7 * k + 3 * j) % 41) for k in range(40)] for j in range(3)]
    default = [bootstrap_ci(g, seed=i) for i, g in enumerate(wide)]
    assert median_cis(wide) == default
    assert median_cis(wide, seed=1) != default
