from __future__ import annotations

import pytest

from benchmarks import analysis
from benchmarks.rundir.results import CaseResult


def cell(mode: str, b: int, t: float, status: str = "ok", device: str = "cpu") -> CaseResult:
    samples = [t * f for f in (0.98, 1.0, 1.02, 0.99, 1.01, 1.0, 1.0, 0.99, 1.01)]
    return CaseResult(
        case_id=f"mlp-{mode}-b{b}-{device}",
        workload="mlp",
        mode=mode,
        batch_size=b,
        device=device,
        status=status,
        median_s=t if status == "ok" else None,
        samples_s=samples if status == "ok" else [],
        flops_per_sample=1000,
    )


def test_speedups_with_ci_per_batch_and_mode() -> None:
    rows = [
        cell("eager", 1, 3e-3),
        cell("graph", 1, 1e-3),
        cell("xla", 1, 0.5e-3),
        cell("eager", 100, 4e-3),
        cell("graph", 100, 2e-3, status="failed"),
    ]
    sp = {(s.batch_size, s.mode): s for s in analysis.speedups(rows)}
    assert set(sp) == {(1, "graph"), (1, "xla")}  # failed cells give no speedup
    assert sp[(1, "graph")].ratio == pytest.approx(3.0)
    assert sp[(1, "xla")].ratio == pytest.approx(6.0)
    assert sp[(1, "graph")].significant


def test_overhead_fit_per_mode() -> None:
    rows = [
        cell(m, b, t0 + c * b)
        for m, t0, c in (("eager", 3e-3, 2e-5), ("graph", 3e-4, 8e-6))
        for b in (1, 10, 100, 1000)
    ]
    fits = {f.mode: f for f in analysis.overhead_fits(rows)}
    assert fits["eager"].t0_s == pytest.approx(3e-3, rel=1e-6)
    assert fits["graph"].c_s == pytest.approx(8e-6, rel=1e-6)
    assert fits["eager"].n_half == pytest.approx(150.0)


def test_flops_and_table() -> None:
    r = cell("graph", 100, 1e-3)
    assert analysis.flops_per_second(r) == pytest.approx(1000 * 100 / 1e-3)
    table = analysis.summary_table(
        [cell("eager", 1, 3e-3), cell("graph", 1, 1e-3), cell("xla", 1, 2e-3, status="oom")]
    )
    assert "3.00x" in table and "oom" in table and "mlp-xla-b1-cpu: oom" in table


def test_format_seconds() -> None:
    assert analysis.format_seconds(2.5e-3) == "2.5 ms"
    assert analysis.format_seconds(3e-7) == "300 ns"
    assert analysis.format_seconds(None) == "-"
