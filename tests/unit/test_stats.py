from __future__ import annotations

import math

import pytest

from benchmarks import stats


def test_quantile_matches_linear_interpolation() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert stats.quantile(values, 0.0) == 1.0
    assert stats.quantile(values, 1.0) == 4.0
    assert stats.quantile(values, 0.5) == 2.5
    assert stats.quantile(values, 0.25) == pytest.approx(1.75)


def test_summarize_literal_data() -> None:
    s = stats.summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert s.n == 5
    assert s.median == 3.0
    assert s.min == 1.0 and s.max == 5.0
    assert s.mean == 3.0
    assert s.iqr == pytest.approx(2.0)  # q75 = 4, q25 = 2
    assert s.cov == pytest.approx(math.sqrt(2.5) / 3.0)
    assert s.ci_low <= s.median <= s.ci_high
    assert s.ci_low >= 1.0 and s.ci_high <= 5.0


def test_bootstrap_is_deterministic_and_narrows_with_agreement() -> None:
    wide = stats.bootstrap_ci([1.0, 2.0, 9.0, 4.0, 7.0, 3.0, 8.0, 6.0, 5.0])
    assert wide == stats.bootstrap_ci([1.0, 2.0, 9.0, 4.0, 7.0, 3.0, 8.0, 6.0, 5.0])
    tight = stats.bootstrap_ci([5.0, 5.01, 4.99, 5.0, 5.02, 4.98, 5.0, 5.01, 4.99])
    assert tight[1] - tight[0] < 0.05 < wide[1] - wide[0]


def test_constant_samples_have_zero_spread() -> None:
    s = stats.summarize([2.0] * 9)
    assert (s.ci_low, s.median, s.ci_high, s.iqr, s.cov) == (2.0, 2.0, 2.0, 0.0, 0.0)
    assert stats.stability_warnings(s) == []


def test_stability_warnings_trip_on_noise_and_outliers() -> None:
    noisy = stats.summarize([1.0, 1.5, 0.7, 1.3, 0.8, 1.2, 0.9, 1.4, 1.0])
    assert [c for c, _ in stats.stability_warnings(noisy)] == ["unstable_cov"]
    spike = stats.summarize([1.0] * 20 + [1.6])
    codes = [c for c, _ in stats.stability_warnings(spike)]
    assert "unstable_outlier" in codes


def test_ratio_ci_contains_the_point_and_excludes_one_for_a_clear_speedup() -> None:
    eager = [3.0, 3.1, 2.9, 3.05, 2.95, 3.0, 3.02, 2.98, 3.01]
    graph = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.0, 1.01, 0.99]
    point, lo, hi = stats.ratio_ci(eager, graph)
    assert point == pytest.approx(3.0)
    assert lo <= point <= hi
    assert lo > 1.0


def test_ratio_ci_of_identical_distributions_includes_one() -> None:
    a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.98, 1.01]
    _, lo, hi = stats.ratio_ci(a, list(reversed(a)))
    assert lo <= 1.0 <= hi


def test_fit_recovers_exact_linear_model() -> None:
    b = [1, 10, 100, 1000]
    t = [2e-3 + 5e-6 * x for x in b]
    fit = stats.fit_overhead(b, t)
    assert fit is not None
    assert fit.t0 == pytest.approx(2e-3)
    assert fit.c == pytest.approx(5e-6)
    assert fit.n_half == pytest.approx(400.0)
    assert fit.r2 == pytest.approx(1.0)


def test_fit_is_not_dominated_by_the_largest_batch() -> None:
    # 10 % noise on the largest point moves t0 little with relative weights
    b = [1, 10, 100, 1000, 10000]
    t = [1e-3 + 1e-6 * x for x in b]
    t[-1] *= 1.10
    fit = stats.fit_overhead(b, t)
    assert fit is not None
    assert fit.t0 == pytest.approx(1e-3, rel=0.05)


def test_fit_needs_two_batch_sizes() -> None:
    assert stats.fit_overhead([100, 100], [1.0, 1.1]) is None
    assert stats.fit_overhead([100], [1.0]) is None
