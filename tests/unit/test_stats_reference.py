"""stats.py against independent references, on literal and on seeded random data.

References: ``scipy.stats.bootstrap`` (percentile method, fed the same generator, so it draws
the same resamples), numpy's percentile/std/polyfit, and a weighted R² written out here.
Noise guards are checked on both sides of each threshold, at the pyperf values written here
as literals (10 % CoV; max 1.5 x median), not read back from the module under test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from benchmarks import stats

SEEDS = (0, 1, 7)


def _data(seed: int, n: int, sigma: float = 0.3) -> list[float]:
    """Skewed positive samples: mean, median and midrange all differ."""
    return [float(v) for v in np.random.default_rng(1000 + seed).lognormal(-6, sigma, n)]


def _scipy_ci(
    *samples: list[float], statistic: Callable[..., Any], confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    res = sps.bootstrap(
        tuple(np.asarray(s) for s in samples),
        statistic,
        n_resamples=stats.DEFAULT_RESAMPLES,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        axis=-1,
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _median_ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    ratio: np.ndarray = np.median(a, axis=axis) / np.median(b, axis=axis)
    return ratio


# --- quantile and summary --------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_quantile_is_numpys_linear_quantile(n: int) -> None:
    x = sorted(_data(n, n))
    for q in np.linspace(0, 1, 21):
        assert stats.quantile(x, float(q)) == pytest.approx(float(np.quantile(x, q)), rel=1e-12)
    with pytest.raises(ValueError, match=r"^quantile of no values$"):
        stats.quantile([], 0.5)


@pytest.mark.parametrize("seed", SEEDS)
def test_summary_fields_match_numpy(seed: int) -> None:
    x = _data(seed, 11)
    s = stats.summarize(x)
    a = np.asarray(x)
    assert s.n == 11
    assert s.median == float(np.median(a))
    assert s.mean == pytest.approx(float(np.mean(a)), rel=1e-12)
    assert s.min == a.min() and s.max == a.max()
    assert s.iqr == pytest.approx(float(np.percentile(a, 75) - np.percentile(a, 25)), rel=1e-12)
    assert s.cov == pytest.approx(float(np.std(a, ddof=1) / np.mean(a)), rel=1e-12)
    # the median and the mean of this data differ enough to tell sd/mean from sd/median
    assert abs(np.std(a, ddof=1) / np.median(a) - s.cov) > 1e-3 * s.cov
    assert (s.ci_low, s.ci_high) == pytest.approx(_scipy_ci(x, statistic=np.median), rel=1e-12)


def test_summary_of_literal_data() -> None:
    s = stats.summarize([4.0, 1.0, 1.0, 2.0, 10.0])
    assert (s.median, s.mean, s.min, s.max) == (2.0, 3.6, 1.0, 10.0)
    assert s.iqr == 3.0  # q75 = 4, q25 = 1
    assert s.cov == pytest.approx(math.sqrt(14.3) / 3.6, rel=1e-12)  # sample variance 57.2 / 4


def test_one_sample_summary() -> None:
    s = stats.summarize([0.5])
    assert (s.n, s.median, s.ci_low, s.ci_high, s.iqr, s.cov) == (1, 0.5, 0.5, 0.5, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"^no samples to summarize$"):
        stats.summarize([])
    two = stats.summarize([1.0, 3.0])  # two samples have a spread
    assert two.cov == pytest.approx(math.sqrt(2) / 2, rel=1e-12)


def test_cov_of_non_positive_mean_is_zero() -> None:
    assert stats.summarize([-1.0, -2.0, -3.0]).cov == 0.0
    assert stats.summarize([-1.0, 1.0]).cov == 0.0  # mean exactly 0: no division by it


# --- bootstrap CI of the median ---------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [2, 3, 9, 21])
def test_bootstrap_ci_is_scipys_percentile_bootstrap_of_the_median(seed: int, n: int) -> None:
    x = _data(seed, n)
    got = stats.bootstrap_ci(x, seed=seed)
    assert got == pytest.approx(_scipy_ci(x, statistic=np.median, seed=seed), rel=1e-12)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.99])
def test_bootstrap_ci_confidence_is_the_two_sided_level(confidence: float) -> None:
    x = _data(3, 15)
    got = stats.bootstrap_ci(x, confidence=confidence)
    assert got == pytest.approx(_scipy_ci(x, statistic=np.median, confidence=confidence), rel=1e-12)


def test_default_interval_is_95_percent_not_90() -> None:
    x = _data(4, 15)
    ci95 = _scipy_ci(x, statistic=np.median, confidence=0.95)
    ci90 = _scipy_ci(x, statistic=np.median, confidence=0.90)
    assert ci95 != pytest.approx(ci90, rel=1e-6)  # this data tells the two apart
    assert stats.bootstrap_ci(x) == pytest.approx(ci95, rel=1e-12)


def test_bootstrap_ci_by_hand_with_the_same_draws() -> None:
    """The same percentile bootstrap written out with numpy (no scipy)."""
    x = np.asarray(_data(5, 13))
    rng = np.random.default_rng(0)
    medians = np.median(x[rng.integers(0, len(x), size=(stats.DEFAULT_RESAMPLES, len(x)))], 1)
    want = np.percentile(medians, [2.5, 97.5])
    assert stats.bootstrap_ci(list(x)) == pytest.approx(tuple(want), rel=1e-12)
    lo, hi = stats.bootstrap_ci(list(x))
    assert x.min() < lo < hi < x.max()  # strictly inside the range: not (min, max)


def test_bootstrap_resample_count_and_seed_matter() -> None:
    x = _data(6, 9)
    assert stats.bootstrap_ci(x, resamples=500) == pytest.approx(_ci_by_hand(x, 500, 0), rel=1e-12)
    assert stats.bootstrap_ci(x, seed=3) != stats.bootstrap_ci(x, seed=4)


def _ci_by_hand(x: list[float], resamples: int, seed: int) -> tuple[float, float]:
    a = np.asarray(x)
    rng = np.random.default_rng(seed)
    med = np.median(a[rng.integers(0, len(a), size=(resamples, len(a)))], 1)
    lo, hi = np.percentile(med, [2.5, 97.5])
    return float(lo), float(hi)


def test_bootstrap_of_fewer_than_two_samples_is_the_value() -> None:
    assert stats.bootstrap_ci([3.0]) == (3.0, 3.0)


# --- noise guards -------------------------------------------------------------------------------


def _summary(
    *, cov: float = 0.0, median: float = 1.0, mean: float = 1.0, mx: float = 1.0
) -> stats.Summary:
    return stats.Summary(
        n=9, median=median, ci_low=median, ci_high=median, iqr=0.0, min=median, max=mx,
        mean=mean, cov=cov,
    )  # fmt: skip


def _codes(s: stats.Summary) -> list[str]:
    return [c for c, _ in stats.stability_warnings(s)]


@pytest.mark.parametrize(
    ("cov", "trips"),
    [(0.0, False), (0.03, False), (0.0999, False), (0.10, False), (0.1001, True), (0.15, True)],
)
def test_cov_guard_trips_above_ten_percent_only(cov: float, trips: bool) -> None:
    assert _codes(_summary(cov=cov)) == (["unstable_cov"] if trips else [])


def test_cov_guard_detail_says_the_figures() -> None:
    [(code, detail)] = stats.stability_warnings(_summary(cov=0.153))
    assert (code, detail) == ("unstable_cov", "CoV 15.3% > 10%")


def test_cov_guard_on_literal_samples() -> None:
    noisy = [1.0, 1.25, 0.8, 1.15, 0.85, 1.1, 0.9, 1.2, 1.0]  # CoV 15.4 %
    calm = [1.0, 1.08, 0.93, 1.05, 0.95, 1.03, 0.97, 1.06, 1.0]  # CoV 5.1 %
    assert stats.summarize(noisy).cov == pytest.approx(0.1541, abs=1e-4)
    assert stats.summarize(calm).cov == pytest.approx(0.0510, abs=1e-4)
    assert _codes(stats.summarize(noisy)) == ["unstable_cov"]
    assert _codes(stats.summarize(calm)) == []


@pytest.mark.parametrize(
    ("mx", "trips"), [(1.0, False), (1.49, False), (1.5, False), (1.5001, True), (3.0, True)]
)
def test_outlier_guard_is_max_over_one_and_a_half_medians(mx: float, trips: bool) -> None:
    assert _codes(_summary(mx=mx)) == (["unstable_outlier"] if trips else [])


def test_outlier_guard_compares_with_the_median_not_the_mean() -> None:
    # mean far from median, both ways: only the median decides
    assert _codes(_summary(median=1.0, mean=2.0, mx=1.6)) == ["unstable_outlier"]
    assert _codes(_summary(median=1.0, mean=0.5, mx=1.4)) == []
    spiky = [1.0] * 5 + [1.6] * 4  # median 1.0, mean 1.27: 1.6 > 1.5 x median, < 1.5 x mean
    assert "unstable_outlier" in _codes(stats.summarize(spiky))


def test_outlier_guard_detail_and_zero_median() -> None:
    [(code, detail)] = stats.stability_warnings(_summary(median=2.0, mean=2.0, mx=4.5))
    assert (code, detail) == ("unstable_outlier", "max 2.25 x median > 1.5")
    assert _codes(_summary(median=0.0, mean=0.0, mx=1.0)) == []


# --- ratio CI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("n_num", "n_den"), [(9, 9), (5, 14), (2, 3), (3, 2)])
def test_ratio_ci_is_scipys_two_sample_bootstrap(seed: int, n_num: int, n_den: int) -> None:
    num, den = _data(seed, n_num), _data(seed + 50, n_den, sigma=0.5)
    point, lo, hi = stats.ratio_ci(num, den, seed=seed)
    assert point == pytest.approx(float(np.median(num) / np.median(den)), rel=1e-12)
    want = _scipy_ci(num, den, statistic=_median_ratio, seed=seed)
    assert (lo, hi) == pytest.approx(want, rel=1e-12)


def test_ratio_ci_carries_the_denominators_noise() -> None:
    steady = [2e-3] * 9
    noisy = _data(9, 9, sigma=0.4)
    _, lo, hi = stats.ratio_ci(steady, noisy)
    assert hi - lo > 0.1 * (float(np.median(steady)) / float(np.median(noisy)))
    assert (lo, hi) == pytest.approx(_scipy_ci(steady, noisy, statistic=_median_ratio), rel=1e-12)


@pytest.mark.parametrize("confidence", [0.8, 0.9])
def test_ratio_ci_confidence(confidence: float) -> None:
    num, den = _data(11, 9), _data(12, 9)
    _, lo, hi = stats.ratio_ci(num, den, confidence=confidence, resamples=700, seed=5)
    res = sps.bootstrap(
        (np.asarray(num), np.asarray(den)), _median_ratio, n_resamples=700,
        confidence_level=confidence, method="percentile", vectorized=True, axis=-1,
        rng=np.random.default_rng(5),
    )  # fmt: skip
    assert (lo, hi) == pytest.approx(
        (res.confidence_interval.low, res.confidence_interval.high), rel=1e-12
    )


def test_ratio_of_single_samples_has_no_interval() -> None:
    assert stats.ratio_ci([6.0], [2.0, 4.0]) == (2.0, 2.0, 2.0)
    assert stats.ratio_ci([6.0, 2.0], [2.0]) == (2.0, 2.0, 2.0)


# --- overhead fit ---------------------------------------------------------------------------------

BATCHES = [1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0]


def _noisy_line(seed: int, t0: float = 2e-4, c: float = 3e-7) -> list[float]:
    rng = np.random.default_rng(seed)
    return [(t0 + c * b) * float(rng.lognormal(0, 0.15)) for b in BATCHES]


def _weighted_r2(b: list[float], t: list[float], t0: float, c: float) -> float:
    """R² with the fit's own weights 1/t², written out."""
    w = [1 / (y * y) for y in t]
    mean = sum(wi * y for wi, y in zip(w, t, strict=True)) / sum(w)
    ss_tot = sum(wi * (y - mean) ** 2 for wi, y in zip(w, t, strict=True))
    ss_res = sum(wi * (y - (t0 + c * x)) ** 2 for wi, x, y in zip(w, b, t, strict=True))
    return 1 - ss_res / ss_tot


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_is_numpys_weighted_least_squares_with_relative_weights(seed: int) -> None:
    t = _noisy_line(seed)
    fit = stats.fit_overhead(BATCHES, t)
    assert fit is not None and fit.n_points == len(BATCHES)
    # np.polyfit weights multiply residuals: w = 1/t gives squared weights 1/t²
    c, t0 = np.polyfit(BATCHES, t, 1, w=1 / np.asarray(t))
    assert (fit.t0, fit.c) == pytest.approx((t0, c), rel=1e-9)
    assert fit.n_half == pytest.approx(t0 / c, rel=1e-9)
    # the data tell 1/t² from 1/t weights (and from no weights) by far more than the tolerance
    _, t01 = np.polyfit(BATCHES, t, 1, w=1 / np.sqrt(t))
    assert abs(t01 - t0) > 1e-3 * abs(t0)


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_r2_is_the_weighted_r2(seed: int) -> None:
    t = _noisy_line(seed)
    fit = stats.fit_overhead(BATCHES, t)
    assert fit is not None
    want = _weighted_r2(BATCHES, t, fit.t0, fit.c)
    assert fit.r2 == pytest.approx(want, rel=1e-9)
    assert fit.r2 < 0.999  # noisy data: not a perfect fit
    unweighted = 1 - np.sum((np.asarray(t) - (fit.t0 + fit.c * np.asarray(BATCHES))) ** 2) / (
        np.sum((np.asarray(t) - np.mean(t)) ** 2)
    )
    assert abs(unweighted - fit.r2) > 1e-3  # this data tells weighted from unweighted R²


def test_fit_of_literal_points() -> None:
    # three points, weights 1/t²: solved by hand with the normal equations
    b, t = [1.0, 2.0, 4.0], [1.0, 2.0, 2.0]
    fit = stats.fit_overhead(b, t)
    assert fit is not None
    w = [1.0, 0.25, 0.25]
    sw, sx, sy = 1.5, 1 + 0.5 + 1, 1 + 0.5 + 0.5
    sxx, sxy = 1 + 1 + 4, 1 + 1 + 2
    c = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
    t0 = (sy - c * sx) / sw
    assert (fit.t0, fit.c) == pytest.approx((t0, c), rel=1e-12)
    assert (t0, c) == pytest.approx((8 / 11, 4 / 11), rel=1e-12)
    assert fit.r2 == pytest.approx(_weighted_r2(b, t, t0, c), rel=1e-12)
    assert sum(w) == sw


def test_fit_drops_non_positive_times_and_needs_two_batch_sizes() -> None:
    fit = stats.fit_overhead([1, 10, 100, 1000], [0.0, 1e-3 + 1e-5 * 10, -1.0, 1e-3 + 1e-2])
    assert fit is not None and fit.n_points == 2
    assert (fit.t0, fit.c) == pytest.approx((1e-3, 1e-5), rel=1e-9)
    assert stats.fit_overhead([1, 10], [1.0, 0.0]) is None
    assert stats.fit_overhead([5, 5, 5], [1.0, 2.0, 3.0]) is None
    # batch sizes 0 and 1 at equal times: the normal equations' determinant is exactly 1
    one = stats.fit_overhead([0, 1], [1.0, 1.0])
    assert one is not None and (one.t0, one.c) == (1.0, 0.0)


def test_flat_times_fit_with_r2_one_and_no_half_point() -> None:
    fit = stats.fit_overhead([1, 10, 100], [2e-3, 2e-3, 2e-3])
    assert fit is not None
    assert (fit.t0, fit.c, fit.r2) == pytest.approx((2e-3, 0.0, 1.0), abs=1e-15)
    assert stats.LinearFit(t0=1.0, c=0.0, r2=1.0, n_points=2).n_half is None
    assert stats.LinearFit(t0=1.0, c=-1.0, r2=1.0, n_points=2).n_half is None
    assert stats.LinearFit(t0=1.0, c=0.5, r2=1.0, n_points=2).n_half == 2.0


def test_summary_ci_is_the_seeded_bootstrap_of_the_sorted_samples() -> None:
    x = _data(8, 40, sigma=0.5)
    ci = {}
    for seed in (0, 1, 4):
        s = stats.summarize(x, seed=seed)
        ci[seed] = (s.ci_low, s.ci_high)
        assert ci[seed] == pytest.approx(
            _scipy_ci(sorted(x), statistic=np.median, seed=seed), rel=1e-12
        )
    # the bootstrap median of 40 values has few atoms: these seeds give other intervals
    assert ci[0] != ci[1] and ci[0] != ci[4]
    default = stats.summarize(x)
    assert (default.ci_low, default.ci_high) == ci[0]
