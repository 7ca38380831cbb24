"""Statistics on block timings: pure functions of their inputs.

The unit of observation is a *block*: n calls closed by one device sync, giving one per-call time.
Blocks within one process are close to independent after warm-up; processes differ from each
other by more, so a cell measured in several fresh processes gets a hierarchical bootstrap
(processes, then the rounds within them; see the section below), and a speedup is the median of
per-round ratios (``paired_ratios``), each round timing every mode seconds apart. The bootstrap
is vectorised with numpy (a 200-cell report needs hundreds of 2000-resample CIs; pure Python
took ~0.1 s each) and seeded, so the same data always give the same interval.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

COV_LIMIT = 0.10
OUTLIER_LIMIT = 1.5
DEFAULT_RESAMPLES = 2000


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    ci_low: float
    ci_high: float
    iqr: float
    min: float
    max: float
    mean: float
    cov: float


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default) of already sorted values."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _resampled_medians(
    samples: Sequence[float], rng: np.random.Generator, resamples: int
) -> np.ndarray:
    x = np.asarray(samples, dtype=float)
    idx = rng.integers(0, len(x), size=(resamples, len(x)))
    medians: np.ndarray = np.median(x[idx], axis=1)
    return medians


def _tails(confidence: float) -> list[float]:
    """The two percentiles of a central ``confidence`` interval, as fractions."""
    alpha = (1 - confidence) / 2
    return [alpha, 1 - alpha]


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    lo, hi = np.quantile(values, _tails(confidence))  # linear interpolation, as ``quantile``
    return float(lo), float(hi)


def bootstrap_ci(
    samples: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the median."""
    if len(samples) < 2:
        v = statistics.median(samples)
        return v, v
    rng = np.random.default_rng(seed)
    return _interval(_resampled_medians(samples, rng, resamples), confidence)


def median_cis(
    groups: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """``bootstrap_ci`` of each group (group i with ``seed + i``), the same intervals to the
    bit, with the groups of one size resampled in one numpy call (a report asks for ~100)."""
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(groups)
    by_size: dict[int, list[tuple[int, np.ndarray]]] = {}
    for i, g in enumerate(groups):
        if len(g) < 2:
            v = statistics.median(g)
            out[i] = (v, v)
            continue
        x = np.asarray(g, dtype=float)
        idx = np.random.default_rng(seed + i).integers(0, len(x), size=(resamples, len(x)))
        by_size.setdefault(len(x), []).append((i, x[idx]))
    for items in by_size.values():
        medians = np.median(np.stack([v for _, v in items]), axis=2)  # (groups, resamples)
        lows, highs = np.quantile(medians, _tails(confidence), axis=1)
        for (i, _), lo, hi in zip(items, lows, highs, strict=True):
            out[i] = (float(lo), float(hi))
    return out


def summarize(samples: Sequence[float], *, seed: int = 0) -> Summary:
    if not samples:
        raise ValueError("no samples to summarize")
    s = sorted(samples)
    mean = statistics.fmean(s)
    sd = statistics.stdev(s) if len(s) > 1 else 0.0
    lo, hi = bootstrap_ci(s, seed=seed)
    return Summary(
        n=len(s),
        median=statistics.median(s),
        ci_low=lo,
        ci_high=hi,
        iqr=quantile(s, 0.75) - quantile(s, 0.25),
        min=s[0],
        max=s[-1],
        mean=mean,
        cov=sd / mean if mean > 0 else 0.0,
    )


def stability_warnings(summary: Summary) -> list[tuple[str, str]]:
    """``(code, detail)`` for each noise guard that trips (thresholds from pyperf)."""
    out = []
    if summary.cov > COV_LIMIT:
        out.append(("unstable_cov", f"CoV {summary.cov:.1%} > {COV_LIMIT:.0%}"))
    if summary.median > 0 and summary.max > OUTLIER_LIMIT * summary.median:
        out.append(
            (
                "unstable_outlier",
                f"max {summary.max / summary.median:.2f} x median > {OUTLIER_LIMIT}",
            )
        )
    return out


def ratio_ci(
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float, float]:
    """median(numerator) / median(denominator) with a bootstrap CI (both resampled independently).

    Used for speedups (eager / graph) and for run-to-run change (new / baseline).
    """
    point = statistics.median(numerator) / statistics.median(denominator)
    if len(numerator) < 2 or len(denominator) < 2:
        return point, point, point
    rng = np.random.default_rng(seed)
    num = _resampled_medians(numerator, rng, resamples)
    den = _resampled_medians(denominator, rng, resamples)
    lo, hi = _interval(num / den, confidence)
    return point, lo, hi


@dataclass(frozen=True)
class LinearFit:
    """t(b) = t0 + c*b: fixed per-call cost t0, per-sample cost c, n_half = t0 / c."""

    t0: float
    c: float
    r2: float
    n_points: int

    @property
    def n_half(self) -> float | None:
        """Batch size at which per-sample work equals the fixed overhead (None if c <= 0)."""
        return self.t0 / self.c if self.c > 0 else None


def fit_overhead(batch_sizes: Sequence[float], times: Sequence[float]) -> LinearFit | None:
    """Weighted least squares of t = t0 + c*b with weights 1/t^2 (relative residuals).

    Batch sizes span decades (1..10^4); an unweighted fit lets the largest batch decide t0 and
    often makes it negative. Minimising *relative* error treats every batch size alike.
    Needs at least two distinct batch sizes; returns None otherwise.
    """
    pts = [(float(b), float(t)) for b, t in zip(batch_sizes, times, strict=True) if t > 0]
    if len({b for b, _ in pts}) < 2:
        return None
    w = [1.0 / (t * t) for _, t in pts]
    sw = sum(w)
    sx = sum(wi * b for wi, (b, _) in zip(w, pts, strict=True))
    sy = sum(wi * t for wi, (_, t) in zip(w, pts, strict=True))
    sxx = sum(wi * b * b for wi, (b, _) in zip(w, pts, strict=True))
    sxy = sum(wi * b * t for wi, (b, t) in zip(w, pts, strict=True))
    det = sw * sxx - sx * sx
    if det == 0:
        return None
    c = (sw * sxy - sx * sy) / det
    t0 = (sy - c * sx) / sw
    mean_y = sy / sw
    ss_tot = sum(wi * (t - mean_y) ** 2 for wi, (_, t) in zip(w, pts, strict=True))
    ss_res = sum(wi * (t - (t0 + c * b)) ** 2 for wi, (b, t) in zip(w, pts, strict=True))
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return LinearFit(t0=t0, c=c, r2=r2, n_points=len(pts))


# --- several processes, paired rounds -------------------------------------------------------
#
# A cell measured in P fresh processes holds P lists of per-round per-call times. Rounds within
# one process share that process's state (its memory layout, its CPU placement, the machine's
# load at that time); processes differ from each other by more than rounds do (research:
# up to 20 % on a shared VM). A bootstrap that pools all rounds as if independent would make
# the CI too narrow, so the hierarchical bootstrap resamples both levels: first P processes with
# replacement, then, within each chosen process, its rounds with replacement; the statistic is
# the median of the pooled resample. The point estimate is the same statistic on the data.


def pooled(groups: Sequence[Sequence[float]]) -> list[float]:
    """Every value of every group, in order."""
    return [float(v) for g in groups for v in g]


def hierarchical_draws(
    sizes: Sequence[int], rng: np.random.Generator, resamples: int
) -> tuple[np.ndarray, np.ndarray]:
    """The random draws of the hierarchical bootstrap, in a fixed order (documented for tests).

    First ``proc = rng.integers(0, P, size=(resamples, P))``: which process fills each of the P
    slots of each resample; then ``u = rng.random((resamples, P, max(sizes)))``: round index
    ``floor(u * sizes[proc])`` in the chosen process (positions beyond that process's own round
    count are unused).
    """
    p = len(sizes)
    proc = rng.integers(0, p, size=(resamples, p))
    u = rng.random((resamples, p, max(sizes)))
    return proc, u


def _hierarchical_medians(
    groups: Sequence[Sequence[float]], rng: np.random.Generator, resamples: int
) -> np.ndarray:
    sizes = [len(g) for g in groups]
    width = max(sizes)
    data = np.full((len(groups), width), np.nan)
    for i, g in enumerate(groups):
        data[i, : len(g)] = g
    proc, u = hierarchical_draws(sizes, rng, resamples)
    n = np.asarray(sizes)[proc]  # (B, P): round count of the chosen process
    idx = np.minimum(np.floor(u * n[:, :, None]).astype(np.int64), width - 1)  # (B, P, W)
    values = data[proc[:, :, None], idx].reshape(resamples, -1)
    if min(sizes) == width:  # every process has as many rounds: no slot unused
        medians: np.ndarray = np.median(values, axis=1)
        return medians
    used = (np.arange(width)[None, None, :] < n[:, :, None]).reshape(resamples, -1)
    return _masked_medians(values, used)


def _masked_medians(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Per row, the median of the ``used`` entries (``np.nanmedian``'s statistic: the mean of
    the two middle values for an even count), by one sort; nanmedian goes through masked arrays
    and took most of a report's time."""
    ordered = np.sort(np.where(used, values, np.inf), axis=1)  # unused slots sort last
    k = used.sum(axis=1)
    rows = np.arange(len(values))
    lo, hi = ordered[rows, (k - 1) // 2], ordered[rows, k // 2]
    medians: np.ndarray = (lo + hi) / 2
    return medians


def _nonempty(groups: Sequence[Sequence[float]]) -> list[list[float]]:
    out = [[float(v) for v in g] for g in groups if len(g)]
    if not out:
        raise ValueError("no values to bootstrap")
    return out


def hierarchical_ci(
    groups: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(median of all values, CI low, CI high), resampling groups, then values within them."""
    data = _nonempty(groups)
    point = statistics.median(pooled(data))
    medians = _hierarchical_medians(data, np.random.default_rng(seed), resamples)
    lo, hi = _interval(medians, confidence)
    return point, lo, hi


def hierarchical_ratio_ci(
    numerator: Sequence[Sequence[float]],
    denominator: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float, float]:
    """median(numerator) / median(denominator) of two *unpaired* sets of processes (two runs),
    each side resampled hierarchically (numerator's draws first)."""
    num, den = _nonempty(numerator), _nonempty(denominator)
    point = statistics.median(pooled(num)) / statistics.median(pooled(den))
    rng = np.random.default_rng(seed)
    a = _hierarchical_medians(num, rng, resamples)
    b = _hierarchical_medians(den, rng, resamples)
    lo, hi = _interval(a / b, confidence)
    return point, lo, hi


def paired_ratios(
    numerator: Sequence[Sequence[float]], denominator: Sequence[Sequence[float]]
) -> list[list[float]]:
    """Per process, numerator[r] / denominator[r] for every round r both have.

    The two modes of a round were timed seconds apart in the same process, so whatever the
    machine did then (another job, a frequency change) falls on both and cancels in the ratio.
    """
    if len(numerator) != len(denominator):
        raise ValueError("paired ratios need the same processes on both sides")
    return [
        [float(a) / float(b) for a, b in zip(num, den, strict=False) if b > 0]
        for num, den in zip(numerator, denominator, strict=True)
    ]


@dataclass(frozen=True)
class ProcessSpread:
    """How far a cell's fresh processes are apart."""

    medians: tuple[float, ...]  # one per process
    spread: float  # (max - min) / median of the per-process medians
    disagree: bool  # some two processes' 95 % CIs do not overlap


def process_spread(
    groups: Sequence[Sequence[float]], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> ProcessSpread:
    """Per-process medians, their relative range, and whether their CIs exclude each other."""
    groups = [g for g in groups if len(g)]
    if not groups:
        raise ValueError("no values")
    medians = tuple(statistics.median(g) for g in groups)
    mid = statistics.median(medians)
    spread = (max(medians) - min(medians)) / mid if mid > 0 else 0.0
    cis = median_cis(groups, resamples=resamples, seed=seed)
    disagree = len(cis) > 1 and max(lo for lo, _ in cis) > min(hi for _, hi in cis)
    return ProcessSpread(medians, spread, disagree)


def half_width(point: float, lo: float, hi: float) -> float:
    """Half the CI's width relative to the point (0.05 = +-5 %)."""
    return (hi - lo) / 2 / point if point > 0 else math.inf
