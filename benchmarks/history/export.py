"""One run's timings in the formats other dashboards read. Pure: a loaded run in, JSON text out.

* ``bmf``: Bencher Metric Format (bencher.dev/docs/reference/bencher-metric-format): an object
  ``{benchmark: {measure: {value, lower_value?, upper_value?}}}``. Each ok cell is a benchmark
  named by its case id, measured by Bencher's built-in ``latency`` (nanoseconds): the median
  time per call, its bootstrap 95 % CI as the lower and upper values. The machine is Bencher's
  *testbed* (``bencher run --testbed``), so it is not part of the name.
* ``github-action-benchmark``: the ``customSmallerIsBetter`` tool's input, a list of
  ``{name, unit, value, range?, extra?}`` (the action's README, "Examples" → custom): the median
  in ns per call, ``range`` the CI half-width as ``± x``, ``extra`` the CI and the machine.

Only cells with a value are exported: a failed cell has no time, and neither format has a way
to say why (the run page does).
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.report import display
from benchmarks.rundir.load import LoadedRun
from benchmarks.rundir.results import CaseResult, latest_by_case

FORMATS = ("bmf", "github-action-benchmark")
NS = 1e9


def _ok(run: LoadedRun) -> list[CaseResult]:
    return [
        r
        for r in latest_by_case(run.cases).values()
        if r.status == "ok" and isinstance(r.median_s, (int, float)) and r.median_s > 0
    ]


def bmf(run: LoadedRun) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in _ok(run):
        metric: dict[str, float] = {"value": float(r.median_s or 0) * NS}
        if r.ci_low_s is not None and r.ci_high_s is not None:
            metric["lower_value"] = float(r.ci_low_s) * NS
            metric["upper_value"] = float(r.ci_high_s) * NS
        out[r.case_id] = {"latency": metric}
    return out


def github_action_benchmark(run: LoadedRun) -> list[dict[str, Any]]:
    machine = display.machine_class(run.fingerprint)
    out: list[dict[str, Any]] = []
    for r in _ok(run):
        item: dict[str, Any] = {
            "name": r.case_id,
            "unit": "ns/call",
            "value": round(float(r.median_s or 0) * NS, 3),
        }
        extra = [f"machine: {machine}", f"run: {display.public(run.record.run_id)}"]
        if r.ci_low_s is not None and r.ci_high_s is not None:
            half = (r.ci_high_s - r.ci_low_s) / 2 * NS
            item["range"] = f"± {half:.3f}"
            extra.insert(0, f"95% CI [{r.ci_low_s * NS:.3f}, {r.ci_high_s * NS:.3f}] ns")
        item["extra"] = "\n".join(extra)
        out.append(item)
    return out


def export(run: LoadedRun, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    data: Any = bmf(run) if fmt == "bmf" else github_action_benchmark(run)
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
