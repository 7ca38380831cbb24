"""Which charts a run page shows, built from the view-model's values. Pure.

Per workload: latency vs batch (log-log, CI bars), speedup vs batch (eager / mode, 1x line),
the share of each call that is fixed overhead from the fit t(b) = t0 + c*b (it crosses 50 % at
n½ = t0 / c), and achieved FLOP/s against the device's datasheet peak where one is known.
"""

from __future__ import annotations

import re
from collections import defaultdict

from benchmarks.analysis import flops_per_second
from benchmarks.plan.names import mode_rank
from benchmarks.report.model import ChartData, RunView
from benchmarks.report.svg import (
    Chart,
    HLine,
    Point,
    Series,
    fmt_count,
    fmt_flops,
    fmt_pct,
    fmt_ratio,
    fmt_seconds,
    xy_chart,
)


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


MODE_COLORS = {"eager": "#1f77b4", "graph": "#d62728", "xla": "#2ca02c"}


def _label(mode: str, device: str) -> str:
    return f"{mode} · {device}"


def _series(label: str, points: list[Point] | tuple[Point, ...]) -> Series:
    """One colour per mode and one dash per device, the same on every chart of the page."""
    mode, _, device = label.partition(" · ")
    device = device.split(" ")[0]
    dash = "" if device == "cpu" else "6 3" if device.endswith(":0") else "2 3"
    return Series(label, tuple(points), MODE_COLORS.get(mode, "#8c564b"), dash)


def run_charts(view: RunView) -> tuple[Chart, ...]:
    data = view.charts
    workloads = list(dict.fromkeys(r.workload for r in data.ok_cases))
    charts: list[Chart] = []
    for w in workloads:
        charts += [
            c
            for c in (_latency(data, w), _speedup(data, w), _overhead(data, w), _flops(data, w))
            if c is not None
        ]
    return tuple(charts)


def _latency(data: ChartData, w: str) -> Chart | None:
    groups: dict[str, list[Point]] = defaultdict(list)
    for r in data.ok_cases:
        if r.workload == w and r.median_s:
            groups[_label(r.mode, r.device)].append(
                Point(r.batch_size, r.median_s, r.ci_low_s, r.ci_high_s)
            )
    if not groups:
        return None
    return xy_chart(
        _slug("latency", w),
        f"{w}: time per call vs batch size",
        f"Median time per call of {w} for each mode and device, log-log, with 95 % bootstrap "
        "CI bars. Lower is better; a slope of 1 means time grows in proportion to the batch.",
        [_series(k, v) for k, v in groups.items()],
        x_label="batch size",
        y_label="time per call",
        x_fmt=fmt_count,
        y_fmt=fmt_seconds,
    )


def _speedup(data: ChartData, w: str) -> Chart | None:
    groups: dict[str, list[Point]] = defaultdict(list)
    for s in data.speedups:
        if s.workload == w:
            groups[_label(s.mode, s.device)].append(
                Point(s.batch_size, s.ratio, s.ci_low, s.ci_high)
            )
    if not groups:
        return None
    return xy_chart(
        _slug("speedup", w),
        f"{w}: speedup over eager vs batch size",
        f"eager time / mode time for {w} (above 1x the compiled mode is faster), with 95 % "
        "bootstrap CI bars; the dashed line is 1x (no gain).",
        [_series(k, v) for k, v in groups.items()],
        x_label="batch size",
        y_label="speedup over eager",
        x_fmt=fmt_count,
        y_fmt=fmt_ratio,
        hlines=[HLine(1.0, "1x: no gain")],
    )


def _overhead(data: ChartData, w: str) -> Chart | None:
    series = []
    for f in sorted(data.fits, key=lambda f: (mode_rank(f.mode), f.device)):
        if f.workload != w or f.t0_s <= 0 or f.c_s <= 0:
            continue
        pts = tuple(Point(b, 100 * f.t0_s / (f.t0_s + f.c_s * b)) for b in f.batch_sizes)
        nh = f" (n½ = {f.n_half:.0f})" if f.n_half else ""
        series.append(_series(_label(f.mode, f.device) + nh, pts))
    if not series:
        return None
    return xy_chart(
        _slug("overhead", w),
        f"{w}: fixed overhead share of each call",
        "From the fit t(b) = t0 + c·b per mode and device: the share t0 / t(b) of a call spent "
        "on fixed per-call cost rather than per-sample work. It falls through 50 % (dashed) at "
        "n½ = t0 / c; compiled modes pay off most where this share is high.",
        series,
        x_label="batch size",
        y_label="fixed share of call time",
        x_fmt=fmt_count,
        y_fmt=fmt_pct,
        log_y=False,
        y_max=100.0,
        hlines=[HLine(50.0, "50 %: batch = n½")],
    )


def _flops(data: ChartData, w: str) -> Chart | None:
    groups: dict[str, list[Point]] = defaultdict(list)
    devices = set()
    for r in data.ok_cases:
        v = flops_per_second(r)
        if r.workload != w or v is None or r.flops_per_sample is None:
            continue
        work = r.flops_per_sample * r.batch_size
        lo = work / r.ci_high_s if r.ci_high_s else None
        hi = work / r.ci_low_s if r.ci_low_s else None
        groups[_label(r.mode, r.device)].append(Point(r.batch_size, v, lo, hi))
        devices.add(r.device)
    if not groups:
        return None
    peaks = [HLine(p, f"{d}: {label}") for d, p, label in data.peaks if d in devices]
    note = (
        "The dashed line is the device's datasheet FP32 peak."
        if peaks
        else "No peak is shown: none is known for these devices (CPU peaks depend on clocks "
        "and vector units we do not record)."
    )
    return xy_chart(
        _slug("flops", w),
        f"{w}: achieved FLOP/s vs batch size",
        f"Achieved floating-point throughput of {w} (FLOPs per sample x batch / time per call). "
        + note,
        [_series(k, v) for k, v in groups.items()],
        x_label="batch size",
        y_label="achieved FLOP/s (k, M, G, T)",
        x_fmt=fmt_count,
        y_fmt=fmt_flops,
        hlines=peaks,
    )
