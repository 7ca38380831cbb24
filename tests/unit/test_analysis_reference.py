"""analysis.py against independent references: speedup CIs from scipy's bootstrap, overhead
fits from ``np.polyfit``, one fit per workload x mode x device (CPU and GPU never mixed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from benchmarks import analysis
from benchmarks.rundir.results import CaseResult

BATCHES = (1, 8, 64, 512)


def _samples(seed: int, center: float, n: int = 9, sigma: float = 0.2) -> list[float]:
    return [center * float(v) for v in np.random.default_rng(seed).lognormal(0, sigma, n)]


def _cell(mode: str, b: int, samples: list[float], device: str = "cpu", **kw: Any) -> CaseResult:
    return CaseResult(
        case_id=f"mlp-{mode}-b{b}-{device.replace(':', '')}",
        workload="mlp",
        mode=mode,
        batch_size=b,
        device=device,
        status=kw.pop("status", "ok"),
        median_s=kw.pop("median_s", float(np.median(samples)) if samples else None),
        samples_s=samples,
        **kw,
    )


def _ref_ratio(num: list[float], den: list[float]) -> tuple[float, float, float]:
    res = sps.bootstrap(
        (np.asarray(num), np.asarray(den)),
        lambda a, b, axis=-1: np.median(a, axis=axis) / np.median(b, axis=axis),
        n_resamples=2000, confidence_level=0.95, method="percentile", vectorized=True,
        axis=-1, rng=np.random.default_rng(0),
    )  # fmt: skip
    ci = res.confidence_interval
    return float(np.median(num) / np.median(den)), float(ci.low), float(ci.high)


def test_speedup_is_eager_over_mode_with_scipys_bootstrap_ci() -> None:
    eager, graph, xla = _samples(1, 3e-3), _samples(2, 1e-3, n=7), _samples(3, 2.9e-3)
    rows = [_cell("eager", 8, eager), _cell("graph", 8, graph), _cell("xla", 8, xla)]
    sp = {s.mode: s for s in analysis.speedups(rows)}
    assert set(sp) == {"graph", "xla"}
    for mode, samples in (("graph", graph), ("xla", xla)):
        s = sp[mode]
        assert (s.workload, s.device, s.batch_size) == ("mlp", "cpu", 8)
        assert (s.ratio, s.ci_low, s.ci_high) == pytest.approx(
            _ref_ratio(eager, samples), rel=1e-12
        )
    assert sp["graph"].ratio > 2 and sp["graph"].significant


def test_speedup_pairs_eager_of_the_same_device_and_batch() -> None:
    cpu_eager, gpu_eager = _samples(4, 5e-3), _samples(5, 1e-3)
    cpu_graph, gpu_graph = _samples(6, 1e-3), _samples(7, 0.5e-3)
    rows = [
        _cell("eager", 8, cpu_eager),
        _cell("graph", 8, cpu_graph),
        _cell("eager", 8, gpu_eager, device="gpu:0"),
        _cell("graph", 8, gpu_graph, device="gpu:0"),
        _cell("eager", 64, _samples(8, 9e-3)),  # no graph cell at b64: no speedup there
        _cell("graph", 512, _samples(9, 1e-3)),  # no eager cell at b512: none either
    ]
    sp = {(s.device, s.batch_size): s for s in analysis.speedups(rows)}
    assert set(sp) == {("cpu", 8), ("gpu:0", 8)}
    assert sp[("cpu", 8)].ratio == pytest.approx(_ref_ratio(cpu_eager, cpu_graph)[0])
    assert sp[("gpu:0", 8)].ratio == pytest.approx(_ref_ratio(gpu_eager, gpu_graph)[0])


def test_cells_without_a_value_and_older_retries_give_no_speedup() -> None:
    eager = _samples(10, 2e-3)
    rows = [
        _cell("eager", 1, eager),
        _cell("graph", 1, _samples(11, 9e-3)),  # superseded by the retry below
        _cell("xla", 1, [], status="failed"),
        _cell("graph", 1, _samples(12, 1e-3)),
    ]
    [s] = analysis.speedups(rows)
    assert s.mode == "graph" and s.ratio == pytest.approx(_ref_ratio(eager, rows[3].samples_s)[0])
    # a cell marked ok but without samples or a median is no value either
    assert analysis.speedups([_cell("eager", 1, eager), _cell("graph", 1, [], median_s=1.0)]) == []
    no_median = _cell("graph", 1, _samples(13, 1e-3), median_s=None)
    assert analysis.speedups([_cell("eager", 1, eager), no_median]) == []


@pytest.mark.parametrize(
    ("lo", "hi", "significant"),
    [(1.01, 2.0, True), (0.5, 0.99, True), (1.0, 2.0, False), (0.5, 1.0, False), (0.9, 1.1, False)],
)
def test_significant_means_the_ci_excludes_one(lo: float, hi: float, significant: bool) -> None:
    assert analysis.Speedup("w", "cpu", 1, "graph", 1.0, lo, hi).significant is significant


def _line(seed: int, t0: float, c: float) -> list[float]:
    rng = np.random.default_rng(seed)
    return [(t0 + c * b) * float(rng.lognormal(0, 0.1)) for b in BATCHES]


def test_overhead_fits_are_polyfit_per_device_never_mixing_cpu_and_gpu() -> None:
    cpu = _line(20, 3e-3, 2e-5)
    gpu = _line(21, 4e-5, 1e-7)  # a very different line: a mixed fit would match neither
    rows = [_cell("graph", b, [t], device="cpu") for b, t in zip(BATCHES, cpu, strict=True)]
    rows += [_cell("graph", b, [t], device="gpu:0") for b, t in zip(BATCHES, gpu, strict=True)]
    fits = {f.device: f for f in analysis.overhead_fits(rows)}
    assert set(fits) == {"cpu", "gpu:0"}
    for device, t in (("cpu", cpu), ("gpu:0", gpu)):
        f = fits[device]
        c, t0 = np.polyfit(BATCHES, t, 1, w=1 / np.asarray(t))
        assert (f.workload, f.mode, f.batch_sizes) == ("mlp", "graph", BATCHES)
        assert (f.t0_s, f.c_s) == pytest.approx((t0, c), rel=1e-9)
        assert f.n_half == pytest.approx(t0 / c, rel=1e-9)
        assert 0.5 < f.r2 < 1.0


def test_overhead_fit_uses_the_medians_and_one_group_per_mode() -> None:
    rows = []
    for mode, t0, c in (("eager", 3e-3, 2e-5), ("xla", 3e-4, 8e-6)):
        for b in (512, 1, 64, 8):  # out of order: the fit sorts by batch size
            med = t0 + c * b
            rows.append(_cell(mode, b, [med * 0.5, med, med * 4.0]))  # mean != median
    fits = {f.mode: f for f in analysis.overhead_fits(rows)}
    assert set(fits) == {"eager", "xla"}
    assert fits["eager"].batch_sizes == BATCHES
    assert (fits["eager"].t0_s, fits["eager"].c_s) == pytest.approx((3e-3, 2e-5), rel=1e-9)
    assert (fits["xla"].t0_s, fits["xla"].c_s) == pytest.approx((3e-4, 8e-6), rel=1e-9)


def test_a_single_batch_size_gives_no_fit() -> None:
    assert analysis.overhead_fits([_cell("graph", 8, [1e-3])]) == []


def test_flops_per_second() -> None:
    r = _cell("graph", 64, [2e-3], flops_per_sample=1000)
    assert analysis.flops_per_second(r) == pytest.approx(1000 * 64 / 2e-3)
    assert analysis.flops_per_second(_cell("graph", 64, [2e-3])) is None
    assert (
        analysis.flops_per_second(_cell("graph", 64, [], median_s=None, flops_per_sample=1)) is None
    )


def test_summary_table_prints_the_reference_figures() -> None:
    eager, graph = _samples(30, 3e-3), _samples(31, 1e-3)
    rows = [_cell("eager", 1, eager), _cell("graph", 1, graph)]
    rows += [_cell("eager", b, [3e-3 + 2e-5 * b]) for b in (8, 64)]
    point, lo, hi = _ref_ratio(eager, graph)
    table = analysis.summary_table(rows)
    assert f"{point:.2f}x [{lo:.2f}, {hi:.2f}]" in table
    t = [float(np.median(eager)), 3e-3 + 2e-5 * 8, 3e-3 + 2e-5 * 64]
    c, t0 = np.polyfit([1, 8, 64], t, 1, w=1 / np.asarray(t))
    fs = analysis.format_seconds
    assert (
        f"mlp        eager cpu    t0={fs(t0):>9}  c={fs(c):>9}/sample  n1/2={t0 / c:>6.0f}" in table
    )
    assert "graph cpu" not in table.split("t(b) =")[1]  # one batch size: no graph fit


def test_summary_table_whole_text() -> None:
    line = [3e-3 + 2e-5 * b for b in (1, 8)]  # eager: t0 = 3 ms, c = 20 us, n1/2 = 150
    rows = [
        _cell("eager", 1, [line[0]] * 9),
        _cell("graph", 1, [1e-3] * 9),
        CaseResult(
            case_id="mlp-xla-b1-cpu",
            workload="mlp",
            mode="xla",
            batch_size=1,
            device="cpu",
            status="oom",
            reason="worker killed by SIGKILL",
        ),
        _cell("eager", 8, [line[1]] * 9),
    ]
    head = (
        f"{'workload':<10} {'device':<6} {'batch':>6}  {'eager':>9} {'graph':>9} {'xla':>9}"
        f"  {'eager/graph [95% CI]':<22} {'eager/xla [95% CI]':<22}"
    )
    want = [
        head,
        "-" * len(head),
        f"{'mlp':<10} {'cpu':<6} {1:>6}  {'3.02 ms':>9} {'1 ms':>9} {'oom':>9}"
        f"  {'3.02x [3.02, 3.02]':<22} {'-':<22}",
        f"{'mlp':<10} {'cpu':<6} {8:>6}  {'3.16 ms':>9} {'':>9} {'':>9}  {'-':<22} {'-':<22}",
        "",
        "t(b) = t0 + c*b   (fixed per-call cost t0, per-sample cost c, n1/2 = t0/c)",
        "  mlp        eager cpu    t0=     3 ms  c=    20 us/sample  n1/2=   150  R2=1.000",
        "",
        "cells without a value:",
        "  mlp-xla-b1-cpu: oom - worker killed by SIGKILL",
    ]
    assert analysis.summary_table(rows).splitlines() == want


def test_summary_table_without_fits_or_failures_and_a_fit_without_half_point() -> None:
    rows = [_cell("eager", 1, [2e-3] * 3), _cell("xla", 1, [1e-3] * 3)]
    assert (
        analysis.summary_table(rows)
        .splitlines()[2]
        .endswith(f"{'-':<22} {'2.00x [2.00, 2.00]':<22}")
    )
    assert len(analysis.summary_table(rows).splitlines()) == 3  # no fit, no failed cells
    flat = [_cell("graph", b, [1e-3] * 3) for b in (1, 8)]  # c = 0: no n1/2
    assert analysis.summary_table(flat).splitlines()[-1].endswith("n1/2=     -  R2=1.000")


@pytest.mark.parametrize(
    ("s", "text"),
    [(1.0, "1 s"), (12.5, "12.5 s"), (1e-3, "1 ms"), (0.999e-3, "999 us"), (1e-6, "1 us"),
     (0.5e-6, "500 ns"), (-2e-3, "-2 ms"), (0.0, "0 ns"), (None, "-")],
)  # fmt: skip
def test_format_seconds_at_each_unit_boundary(s: float | None, text: str) -> None:
    assert analysis.format_seconds(s) == text


def test_a_zero_median_is_left_out_of_the_fit_and_other_groups_still_fit() -> None:
    # a group sorted first with one batch size has no fit; the groups after it still fit
    rows = [CaseResult(case_id="cnn-graph-b1-cpu", workload="cnn", mode="graph", batch_size=1,
                       device="cpu", status="ok", median_s=1e-3, samples_s=[1e-3])]  # fmt: skip
    good = [3e-3 + 2e-5 * b for b in BATCHES]
    rows += [_cell("eager", b, [t]) for b, t in zip(BATCHES, good, strict=True)]
    rows.append(_cell("eager", 4096, [0.0]))  # an ok cell whose median is 0 (clock too coarse)
    [fit] = analysis.overhead_fits(rows)
    assert fit.mode == "eager" and fit.batch_sizes == (*BATCHES, 4096)
    assert (fit.t0_s, fit.c_s) == pytest.approx((3e-3, 2e-5), rel=1e-9)
