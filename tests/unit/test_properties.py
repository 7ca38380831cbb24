"""Property-based tests (hypothesis): the ratio CI, the overhead fit, the matrix expansion and
the case-id round trip.

Settings are derandomized: the same examples every run, so CI cannot pass by luck and a
failure reproduces; ``HYPOTHESIS_PROFILE=explore`` searches fresh examples locally, and
scripts/mutation.py uses the smaller ``mutation`` profile.
"""

from __future__ import annotations

import fnmatch
import math
import os
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from benchmarks import stats
from benchmarks.errors import ConfigError
from benchmarks.plan import matrix, names

settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile("explore", max_examples=500, deadline=None)
# scripts/mutation.py: each mutant reruns the properties that reach it; fewer examples suffice
settings.register_profile(
    "mutation", derandomize=True, max_examples=8, deadline=None, database=None
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

times = st.floats(min_value=1e-6, max_value=1.0, allow_nan=False, allow_infinity=False)
samples = st.lists(times, min_size=2, max_size=15)
powers_of_two = st.integers(min_value=-20, max_value=20).map(lambda e: 2.0**e)


@given(samples, samples, powers_of_two)
def test_ratio_ci_scales_with_the_numerator(num: list[float], den: list[float], k: float) -> None:
    """Scaling by a power of two is exact in floating point, so the CI scales exactly."""
    point, lo, hi = stats.ratio_ci(num, den, resamples=200)
    kp, klo, khi = stats.ratio_ci([k * x for x in num], den, resamples=200)
    assert (kp, klo, khi) == pytest.approx((k * point, k * lo, k * hi), rel=1e-12)
    # the same unit change on both sides changes nothing
    same = stats.ratio_ci([k * x for x in num], [k * x for x in den], resamples=200)
    assert same == pytest.approx((point, lo, hi), rel=1e-12)


@given(samples, samples, st.floats(min_value=1e-3, max_value=1e3))
def test_ratio_ci_scale_invariance_for_any_factor(
    num: list[float], den: list[float], k: float
) -> None:
    point, lo, hi = stats.ratio_ci(num, den, resamples=200)
    scaled = stats.ratio_ci(num, [x / k for x in den], resamples=200)
    assert scaled == pytest.approx((k * point, k * lo, k * hi), rel=1e-9)


@given(samples, samples)
def test_ratio_ci_swapped_is_the_reciprocal(num: list[float], den: list[float]) -> None:
    point, lo, hi = stats.ratio_ci(num, den)
    spoint, slo, shi = stats.ratio_ci(den, num)
    assert spoint == pytest.approx(1 / point, rel=1e-12)
    # every resampled ratio lies between these bounds, so both intervals must too
    bound_lo, bound_hi = min(num) / max(den), max(num) / min(den)
    assert bound_lo * (1 - 1e-12) <= lo <= hi <= bound_hi * (1 + 1e-12)
    assert 1 / bound_hi * (1 - 1e-12) <= slo <= shi <= 1 / bound_lo * (1 + 1e-12)


@given(
    st.integers(0, 2**32 - 1),
    st.integers(31, 61),
    st.integers(31, 61),
    st.floats(0.02, 0.5),
)
def test_ratio_ci_swapped_interval_is_the_inverted_interval(
    seed: int, n_num: int, n_den: int, sigma: float
) -> None:
    """Swapping draws other resamples, so the inverted interval agrees only up to bootstrap
    noise: each end within a third of the interval's log width, on continuous (timing-like)
    data with at least 31 blocks a side. With fewer blocks or ties the bootstrap distribution
    of a median has jumps, and an end can sit on either side of one (hypothesis found such
    cases at 9 blocks); only the point estimate is then exactly reciprocal."""
    rng = np.random.default_rng(seed)
    num = list(rng.lognormal(0, sigma, n_num))
    den = list(rng.lognormal(0.3, sigma, n_den))
    _, lo, hi = stats.ratio_ci(num, den)
    _, slo, shi = stats.ratio_ci(den, num)
    width = math.log(hi / lo)
    assert abs(math.log(lo) - math.log(1 / shi)) <= width / 3
    assert abs(math.log(hi) - math.log(1 / slo)) <= width / 3


@given(samples)
def test_bootstrap_ci_is_inside_the_data_and_equivariant(x: list[float]) -> None:
    lo, hi = stats.bootstrap_ci(x, resamples=300)
    assert min(x) <= lo <= hi <= max(x)
    klo, khi = stats.bootstrap_ci([4.0 * v for v in x], resamples=300)
    assert (klo, khi) == pytest.approx((4.0 * lo, 4.0 * hi), rel=1e-12)


@given(samples, st.randoms(use_true_random=False))
def test_summary_does_not_depend_on_sample_order(x: list[float], rnd: random.Random) -> None:
    shuffled = list(x)
    rnd.shuffle(shuffled)
    assert stats.summarize(shuffled) == stats.summarize(x)


@given(
    st.floats(min_value=1e-6, max_value=1e-1),
    st.floats(min_value=1e-9, max_value=1e-3),
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=2, max_size=8, unique=True),
    powers_of_two,
)
def test_fit_recovers_any_line_and_scales(t0: float, c: float, bs: list[int], k: float) -> None:
    t = [t0 + c * b for b in bs]
    fit = stats.fit_overhead(bs, t)
    assert fit is not None and fit.n_points == len(bs)
    assert fit.t0 == pytest.approx(t0, rel=1e-6, abs=1e-9 * max(t))
    assert fit.c == pytest.approx(c, rel=1e-6, abs=1e-9 * max(t) / max(bs))
    assert fit.r2 == pytest.approx(1.0, abs=1e-9)
    # same fit for the points in another order; times in other units scale t0 and c alone
    back = stats.fit_overhead(bs[::-1], t[::-1])
    assert back is not None and (back.t0, back.c) == pytest.approx((fit.t0, fit.c), rel=1e-9)
    scaled = stats.fit_overhead(bs, [k * v for v in t])
    assert scaled is not None
    assert (scaled.t0, scaled.c, scaled.r2) == pytest.approx(
        (k * fit.t0, k * fit.c, fit.r2), rel=1e-9, abs=1e-12 * k
    )


@given(
    st.lists(st.floats(min_value=1e-4, max_value=1.0), min_size=3, max_size=8),
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=3, max_size=8, unique=True),
)
def test_fit_matches_polyfit_on_any_points(t: list[float], bs: list[int]) -> None:
    n = min(len(t), len(bs))
    t, bs = t[:n], bs[:n]
    fit = stats.fit_overhead(bs, t)
    assert fit is not None
    c, t0 = np.polyfit(bs, t, 1, w=1 / np.asarray(t))
    scale = max(t)
    assert fit.t0 == pytest.approx(t0, rel=1e-6, abs=1e-9 * scale)
    assert fit.c == pytest.approx(c, rel=1e-6, abs=1e-9 * scale / max(bs))
    assert fit.r2 <= 1.0 + 1e-12


# --- the matrix expansion ----------------------------------------------------------------------

KNOWN = ("mlp", "cnn", "mlp_raw")
Rule = dict[str, Any]
ProfileParts = tuple[list[str], list[str], list[int], list[str], list[Rule]]


def subsets(xs: Sequence[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(xs), min_size=1, max_size=len(xs), unique=True)


@st.composite
def profiles(draw: st.DrawFn) -> ProfileParts:
    workloads = draw(subsets(KNOWN))
    modes = draw(subsets(names.MODES))
    batches = draw(st.lists(st.integers(1, 4096), min_size=1, max_size=4, unique=True))
    devices = draw(subsets(("cpu", "gpu", "gpu:1")))
    exclude = draw(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "workload": st.sampled_from(workloads),
                    "mode": st.sampled_from(modes),
                    "batch_size": st.sampled_from(batches),
                    "device": st.sampled_from(devices),
                },
            ).filter(bool),
            max_size=2,
        )
    )
    return workloads, modes, batches, devices, exclude


def _toml(
    workloads: list[str],
    modes: list[str],
    batches: list[int],
    devices: list[str],
    exclude: list[Rule],
) -> str:
    def q(xs: list[str]) -> str:
        return "[" + ", ".join(f'"{x}"' for x in xs) + "]"

    text = (
        f"[profiles.p]\nworkloads = {q(workloads)}\nmodes = {q(modes)}\n"
        f"batch_sizes = [{', '.join(map(str, batches))}]\ndevices = {q(devices)}\n"
    )
    for rule in exclude:
        text += "[[profiles.p.exclude]]\n"
        for key, value in rule.items():
            text += f"{key} = {value}\n" if key == "batch_size" else f'{key} = "{value}"\n'
    return text


@given(profiles())
def test_expansion_is_the_product_minus_the_exclusions(profile: ProfileParts) -> None:
    workloads, modes, batches, devices, exclude = profile
    spec = matrix.parse(_toml(*profile), "m.toml", KNOWN)
    norm = {d: matrix.normalize_device(d) for d in devices}

    def excluded(w: str, m: str, b: int, d: str) -> bool:
        values = {"workload": w, "mode": m, "batch_size": b, "device": d}
        return any(
            all(values[k] == (norm[v] if k == "device" else v) for k, v in r.items())
            for r in exclude
        )

    want = {
        (w, m, b, norm[d])
        for w in workloads
        for m in modes
        for b in batches
        for d in devices
        if not excluded(w, m, b, norm[d])
    }
    if not want:  # exclusions that remove every cell are a usage error (issue 15), not a plan
        with pytest.raises(ConfigError, match="remove every cell"):
            matrix.expand(spec, "p")
        return
    plan = matrix.expand(spec, "p")
    got = [(c.workload, c.mode, c.batch_size, c.device) for c in plan.cases]
    assert sorted(got) == sorted(want)
    assert len({c.case_id for c in plan.cases}) == len(plan.cases)  # ids are unique


@given(profiles(), st.sampled_from(["*-cpu", "mlp-*", "*-graph-*", "*-b1-*"]))
def test_only_keeps_exactly_the_matching_ids(profile: ProfileParts, glob: str) -> None:
    spec = matrix.parse(_toml(*profile), "m.toml", KNOWN)
    try:
        full = matrix.expand(spec, "p").cases
    except ConfigError:  # every cell excluded: the property above checks that error
        assume(False)
    want = [c for c in full if fnmatch.fnmatchcase(c.case_id, glob)]
    assume(want)
    assert matrix.expand(spec, "p", only=[glob]).cases == tuple(want)


# --- case ids --------------------------------------------------------------------------------

workload_names = st.from_regex(r"[a-z][a-z0-9_]{0,9}(-[a-z0-9_]{1,6}){0,3}", fullmatch=True)
devices = st.one_of(st.just("cpu"), st.integers(0, 15).map(lambda i: f"gpu:{i}"))


@given(workload_names, st.sampled_from(names.MODES), st.integers(1, 10**6), devices)
def test_case_id_round_trips(workload: str, mode: str, batch: int, device: str) -> None:
    cid = names.case_id(workload, mode, batch, device)
    assert names.parse_case_id(cid) == (workload, mode, batch, device)
    assert matrix.Case(workload, mode, batch, device).case_id == cid


@given(st.text(max_size=40))
def test_parse_case_id_never_raises_and_only_accepts_what_it_can_rebuild(text: str) -> None:
    parsed = names.parse_case_id(text)
    if parsed is not None:
        w, m, b, d = parsed
        rebuilt = names.case_id(w, m, b, d)
        # "gpu" alone means gpu:0; leading zeros in the batch are not kept
        assert names.parse_case_id(rebuilt) == parsed
