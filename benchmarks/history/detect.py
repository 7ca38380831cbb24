"""Regression detection over one series. Pure: values and their uncertainties in, verdicts out.

Two methods, both on ``log(time)`` so that a step is a ratio whatever the cell's scale:

* ``step`` (after asv's ``step_detect``): the series is fitted by a piecewise-constant function
  minimising ``sum(((y_i - level) / s_i)^2) + gamma * segments`` exactly, by dynamic programming.
  ``s_i`` is each point's own standard error (from its bootstrap CI) combined with a floor of
  run-to-run noise: ``noise``, or the series' own scatter where it is larger and the series is
  long enough to tell (``scatter``). A within-run CI alone is far tighter than what two runs of
  the same code on the same machine differ by, and would see steps everywhere. ``gamma = penalty *
  ln(n + 1)`` grows with the series so long series do not collect spurious steps. A regression
  is a last step up (the current level against the one before it).
* ``zscore`` (after conbench's lookback z-score): the newest point against up to ``lookback``
  earlier points, after dropping those outside 1.5 IQR of the quartiles; ``z = (y - mean) /
  max(std, s_new)`` (the newest point's own uncertainty floors the spread, so two identical
  baseline points do not make every wiggle infinitely significant). Flagged when ``z > z``.

Either way a change must also exceed the practical ``threshold`` (0.10: 10 % slower) to count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.history.series import Point, Series, SeriesKey
from benchmarks.report import DEFAULT_THRESHOLD

if TYPE_CHECKING:  # numpy is imported where it is used: the CLI builds --help from Settings
    import numpy as np

METHODS = ("step", "zscore")
MIN_SCATTER = 10  # points before a series' own scatter may raise the noise floor


@dataclass(frozen=True)
class Settings:
    method: str = "step"
    threshold: float = DEFAULT_THRESHOLD  # smallest slowdown that matters: after/before > 1+t
    noise: float = 0.03  # run-to-run noise floor, relative (3 %), added to each point's CI
    penalty: float = 4.0  # step: cost of one more segment, in units of ln(n + 1) chi-square
    z: float = 5.0  # zscore: smallest z flagged (conbench's default)
    lookback: int = 100  # zscore: earlier points considered

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; one of {', '.join(METHODS)}")
        if not (self.threshold >= 0 and self.noise >= 0 and self.penalty > 0 and self.z > 0):
            raise ValueError("threshold and noise must be >= 0, penalty and z > 0")
        if self.lookback < 1:
            raise ValueError("lookback must be >= 1")


@dataclass(frozen=True)
class Change:
    """A level change found in a series, by index into its points."""

    before_index: int  # last point at the old level
    after_index: int  # first point at the new level
    before: float  # level (seconds) before and after
    after: float
    score: float  # chi-square gain of the split (step) or z (zscore)

    @property
    def ratio(self) -> float:
        return self.after / self.before


@dataclass(frozen=True)
class Regression:
    key: SeriesKey
    before: float
    after: float
    ratio: float
    run_id: str  # the first run at the slower level
    path: str
    before_run_id: str  # the last run at the old level
    before_path: str
    method: str
    score: float


def segments(y: Sequence[float], s: Sequence[float], gamma: float) -> list[tuple[int, int]]:
    """The optimal piecewise-constant fit of ``y`` (weights ``1/s^2``) as ``[(start, end)]``."""
    import numpy as np

    n = len(y)
    if n == 0:
        return []
    yy = np.asarray(y, dtype=float)
    w = 1.0 / np.square(np.asarray(s, dtype=float))
    cw = np.concatenate(([0.0], np.cumsum(w)))
    cwy = np.concatenate(([0.0], np.cumsum(w * yy)))
    cwyy = np.concatenate(([0.0], np.cumsum(w * yy * yy)))
    best = np.zeros(n + 1)
    start = np.zeros(n + 1, dtype=int)
    for j in range(1, n + 1):
        i = np.arange(j)
        sw, swy = cw[j] - cw[i], cwy[j] - cwy[i]
        cost = (cwyy[j] - cwyy[i]) - swy * swy / sw  # weighted squared residuals of y[i:j]
        total = best[i] + np.maximum(cost, 0.0) + gamma
        k = int(np.argmin(total))
        best[j], start[j] = total[k], k
    out: list[tuple[int, int]] = []
    j = n
    while j > 0:
        out.append((int(start[j]), j))
        j = int(start[j])
    return out[::-1]


def _level(y: np.ndarray, w: np.ndarray) -> float:
    import numpy as np

    return float(np.sum(w * y) / np.sum(w))


def _sigmas(points: Sequence[Point], noise: float) -> np.ndarray:
    import numpy as np

    rel = np.array([p.rel_sigma for p in points])
    s = np.sqrt(rel * rel + noise * noise)
    out: np.ndarray = np.maximum(s, 1e-6)  # noise 0 and no CI: still a finite weight
    return out


def scatter(y: np.ndarray) -> float:
    """The series' own run-to-run noise, robustly: the median absolute difference of successive
    points (a step moves one difference, not the median), as a normal standard deviation. Zero
    below ``MIN_SCATTER`` points, where one step would be half the differences."""
    import numpy as np

    if len(y) < MIN_SCATTER:
        return 0.0
    return float(np.median(np.abs(np.diff(y)))) * 1.4826 / math.sqrt(2)


def last_step(points: Sequence[Point], settings: Settings) -> Change | None:
    """The step into the current level of the series, if the fit has one."""
    import numpy as np

    if len(points) < 2:
        return None
    y = np.log([p.value for p in points])
    s = _sigmas(points, max(settings.noise, scatter(y)))
    gamma = settings.penalty * math.log(len(points) + 1)
    segs = segments(y.tolist(), s.tolist(), gamma)
    if len(segs) < 2:
        return None
    (a0, a1), (b0, b1) = segs[-2], segs[-1]
    w = 1.0 / (s * s)
    before, after = _level(y[a0:a1], w[a0:a1]), _level(y[b0:b1], w[b0:b1])
    both = _level(y[a0:b1], w[a0:b1])
    gain = float(
        np.sum(w[a0:b1] * (y[a0:b1] - both) ** 2)
        - np.sum(w[a0:a1] * (y[a0:a1] - before) ** 2)
        - np.sum(w[b0:b1] * (y[b0:b1] - after) ** 2)
    )
    return Change(a1 - 1, b0, math.exp(before), math.exp(after), gain)


def _iqr_keep(y: np.ndarray) -> np.ndarray:
    import numpy as np

    if len(y) < 4:
        return y
    q1, q3 = np.percentile(y, [25, 75])
    spread = q3 - q1
    kept: np.ndarray = y[(y >= q1 - 1.5 * spread) & (y <= q3 + 1.5 * spread)]
    return kept


def lookback_z(points: Sequence[Point], settings: Settings) -> Change | None:
    """The newest point against its lookback window (conbench-style)."""
    import numpy as np

    if len(points) < 2:
        return None
    window = points[-1 - settings.lookback : -1]
    base = _iqr_keep(np.log([p.value for p in window]))
    new = math.log(points[-1].value)
    mean = float(np.mean(base))
    std = float(np.std(base, ddof=1)) if len(base) > 1 else 0.0
    floor = float(_sigmas(points[-1:], settings.noise)[0])
    z = (new - mean) / max(std, floor)
    return Change(len(points) - 2, len(points) - 1, math.exp(mean), points[-1].value, z)


def regression(series: Series, settings: Settings) -> Regression | None:
    """The series' current regression by ``settings.method``, or None."""
    pts = series.points
    if settings.method == "step":
        change = last_step(pts, settings)
        significant = change is not None
    else:
        change = lookback_z(pts, settings)
        significant = change is not None and change.score > settings.z
    if change is None or not significant or change.ratio <= 1.0 + settings.threshold:
        return None
    after, before = pts[change.after_index], pts[change.before_index]
    return Regression(
        key=series.key,
        before=change.before,
        after=change.after,
        ratio=change.ratio,
        run_id=after.run_id,
        path=after.path,
        before_run_id=before.run_id,
        before_path=before.path,
        method=settings.method,
        score=change.score,
    )


def find_regressions(series: Sequence[Series], settings: Settings) -> list[Regression]:
    found = [r for s in series if (r := regression(s, settings)) is not None]
    found.sort(key=lambda r: (-r.ratio, r.key.machine, r.key.case_id))
    return found
