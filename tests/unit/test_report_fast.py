"""The vectorised bootstrap gives exactly the numbers of the reference implementation."""

from __future__ import annotations

import random

import pytest

from benchmarks import analysis, stats
from benchmarks.report import fast
from tests.unit.report_fixtures import run


@pytest.mark.parametrize("nn,nd,seed", [(11, 11, 0), (9, 15, 0), (2, 2, 3), (10, 4, 7), (1, 5, 0)])
def test_ratio_ci_is_bit_identical(nn: int, nd: int, seed: int) -> None:
    g = random.Random(nn * 100 + nd)
    num = [g.uniform(1e-4, 2e-4) for _ in range(nn)]
    den = [g.uniform(1e-4, 3e-4) for _ in range(nd)]
    assert fast.ratio_ci(num, den, seed=seed) == stats.ratio_ci(num, den, seed=seed)
    assert fast.ratio_ci(num, den, resamples=300, confidence=0.9) == stats.ratio_ci(
        num, den, resamples=300, confidence=0.9
    )


def test_speedups_match_analysis() -> None:
    cases = run("cpu-all-statuses").cases
    assert fast.speedups(cases) == analysis.speedups(cases)
    assert (
        len(fast.speedups(cases)) == 12
    )  # 2 workloads x 4 batches x 2 modes, less 4 without a pair
