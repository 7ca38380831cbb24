"""Regression detection on literal series: the step fit and the lookback z-score."""

from __future__ import annotations

import random

import pytest

from benchmarks.history.detect import Settings, find_regressions, regression, segments
from benchmarks.history.series import Point, Series, SeriesKey

KEY = SeriesKey("mlp-graph-b1-cpu", "cpu X", "mlp:flops=1", "2.21.0", "cpu X")


def series(values: list[float], ci: float = 0.01) -> Series:
    return Series(
        KEY,
        tuple(
            Point(f"r{i}", f"runs/m/r{i}", f"2026-11-{i + 1:02d}", v, v * (1 - ci), v * (1 + ci))
            for i, v in enumerate(values)
        ),
    )


def noisy(rng: random.Random, n: int, level: float, sd: float = 0.02) -> list[float]:
    return [level * (1 + rng.gauss(0, sd)) for _ in range(n)]


def test_segments_finds_the_exact_steps_of_a_clean_signal() -> None:
    y = [0.0] * 5 + [1.0] * 4 + [0.2] * 3
    assert segments(y, [0.05] * len(y), gamma=2.0) == [(0, 5), (5, 9), (9, 12)]


def test_segments_merges_everything_when_steps_cost_more_than_they_explain() -> None:
    y = [0.0, 0.01, -0.01, 0.0]
    assert segments(y, [0.05] * 4, gamma=2.0) == [(0, 4)]


@pytest.mark.parametrize("method", ["step", "zscore"])
def test_a_2x_slower_newest_run_is_flagged_after_two_runs(method: str) -> None:
    found = regression(series([1e-4, 1.01e-4, 2e-4]), Settings(method=method))
    assert found is not None
    assert (found.run_id, found.before_run_id, found.method) == ("r2", "r1", method)
    assert found.ratio == pytest.approx(2.0 / 1.005, rel=0.01)


@pytest.mark.parametrize("method", ["step", "zscore"])
def test_noise_alone_is_not_flagged(method: str) -> None:
    rng = random.Random(7)
    for _ in range(20):
        assert regression(series(noisy(rng, 60, 1e-3, 0.02)), Settings(method=method)) is None


def test_a_series_noisier_than_the_floor_raises_its_own_floor() -> None:
    rng = random.Random(11)
    flagged = sum(
        regression(series(noisy(rng, 60, 1e-3, 0.08)), Settings()) is not None for _ in range(40)
    )
    assert flagged <= 2  # with the 3 % floor alone, about 40 % of these were flagged
    assert regression(series([*noisy(rng, 40, 1e-3, 0.08), 2e-3]), Settings()) is not None


def test_step_points_at_the_first_run_of_the_current_level() -> None:
    rng = random.Random(3)
    values = noisy(rng, 30, 1e-3) + noisy(rng, 10, 1.4e-3)
    found = regression(series(values), Settings())
    assert found is not None
    assert found.run_id == "r30" and found.before_run_id == "r29"
    assert found.ratio == pytest.approx(1.4, rel=0.05)


def test_zscore_only_sees_the_newest_run() -> None:
    rng = random.Random(3)
    values = noisy(rng, 30, 1e-3) + noisy(rng, 10, 1.4e-3)
    assert regression(series(values), Settings(method="zscore", lookback=5)) is None


def test_a_spike_that_went_away_is_no_current_regression() -> None:
    assert regression(series([1e-3, 1e-3, 2e-3, 1e-3]), Settings()) is None


def test_an_improvement_is_not_a_regression() -> None:
    for method in ("step", "zscore"):
        assert regression(series([2e-3, 2e-3, 1e-3]), Settings(method=method)) is None


def test_below_the_practical_threshold_is_not_flagged_even_if_significant() -> None:
    values = [1e-3] * 10 + [1.08e-3] * 10
    assert regression(series(values, ci=0.001), Settings(noise=0.001)) is None
    assert regression(series(values, ci=0.001), Settings(noise=0.001, threshold=0.05))


def test_wide_cis_weaken_a_step() -> None:
    values = [1e-3, 1e-3, 1.5e-3]
    assert regression(series(values, ci=0.01), Settings(noise=0.01)) is not None
    assert regression(series(values, ci=0.6), Settings(noise=0.01)) is None


def test_zscore_drops_outliers_of_the_lookback_window_before_the_spread() -> None:
    rng = random.Random(5)
    base = noisy(rng, 20, 1e-3, 0.01)
    base[4] = 5e-3  # one wild run in the window would inflate the spread
    found = regression(series([*base, 1.3e-3]), Settings(method="zscore", noise=0.01))
    assert found is not None and found.ratio == pytest.approx(1.3, rel=0.05)


def test_one_point_is_no_series() -> None:
    assert regression(series([1e-3]), Settings()) is None
    assert regression(series([1e-3]), Settings(method="zscore")) is None


def test_find_regressions_orders_by_ratio() -> None:
    a = series([1e-3, 1e-3, 2e-3])
    b = Series(KEY.__class__("other", "cpu X", "w", "t", "d"), series([1e-3, 1e-3, 3e-3]).points)
    assert [r.key.case_id for r in find_regressions([a, b], Settings())] == ["other", KEY.case_id]


@pytest.mark.parametrize(
    "kwargs",
    [{"method": "t-test"}, {"threshold": -1.0}, {"penalty": 0.0}, {"z": 0.0}, {"lookback": 0}],
)
def test_settings_refuse_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Settings(**kwargs)  # type: ignore[arg-type]
