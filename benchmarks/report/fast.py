"""Bit-identical, vectorised versions of ``stats.ratio_ci`` and ``analysis.speedups``.

The pure-Python bootstrap costs ~0.09 s per ratio (2000 resamples); a 200-cell run has ~130
speedups and as many comparison cells, so the page took >10 s. This module replays *the same*
Mersenne Twister stream in numpy (Python's ``random.random`` and numpy's legacy ``random_sample``
are both genrand_res53 over MT19937, and the state can be handed over), so every interval is
exactly the one ``stats.ratio_ci`` computes — tests/unit/test_report_fast.py checks equality —
at ~1 % of the cost. It belongs in ``stats.py``; it lives here until the lead moves it.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

import numpy as np

from benchmarks.analysis import COMPILED_MODES, Speedup, _ok
from benchmarks.results import CaseResult
from benchmarks.stats import DEFAULT_RESAMPLES, quantile


def _numpy_twin(seed: int) -> np.random.RandomState:
    """A numpy generator whose ``random_sample`` yields what ``random.Random(seed)`` would."""
    _, internal, _ = random.Random(seed).getstate()
    twin = np.random.RandomState()
    twin.set_state(("MT19937", np.array(internal[:-1], dtype=np.uint32), internal[-1], 0, 0.0))
    return twin


def ratio_ci(
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Same contract and same numbers as ``benchmarks.stats.ratio_ci``."""
    point = statistics.median(numerator) / statistics.median(denominator)
    if len(numerator) < 2 or len(denominator) < 2:
        return point, point, point
    nn, nd = len(numerator), len(denominator)
    # ratio_ci draws, per resample, nn indices for the numerator then nd for the denominator,
    # each as floor(random() * n) (random.choices without weights).
    u = _numpy_twin(seed).random_sample(resamples * (nn + nd)).reshape(resamples, nn + nd)
    num = np.asarray(numerator, dtype=float)[np.floor(u[:, :nn] * nn).astype(np.intp)]
    den = np.asarray(denominator, dtype=float)[np.floor(u[:, nn:] * nd).astype(np.intp)]
    ratios = sorted((np.median(num, axis=1) / np.median(den, axis=1)).tolist())
    alpha = (1 - confidence) / 2
    return point, quantile(ratios, alpha), quantile(ratios, 1 - alpha)


def speedups(results: Sequence[CaseResult]) -> list[Speedup]:
    """``analysis.speedups`` with the vectorised bootstrap (same values)."""
    cells = {(r.workload, r.device, r.batch_size, r.mode): r for r in _ok(results)}
    out = []
    for (w, d, b, m), r in sorted(cells.items()):
        eager = cells.get((w, d, b, "eager"))
        if m not in COMPILED_MODES or eager is None:
            continue
        ratio, lo, hi = ratio_ci(eager.samples_s, r.samples_s)
        out.append(Speedup(w, d, b, m, ratio, lo, hi))
    return out
