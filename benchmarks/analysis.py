"""What the numbers mean: speedups with CIs, the overhead fit, achieved FLOP/s. Pure.

Input is a sequence of ``CaseResult`` (the latest per case id); output are small frozen values
that the terminal summary and the HTML report both render.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.plan.names import BASELINE_MODE, COMPILED_MODES, MODES
from benchmarks.rundir.results import CaseResult, latest_by_case
from benchmarks.stats import (
    fit_overhead,
    hierarchical_ci,
    paired_ratios,
    process_spread,
    ratio_ci,
)


@dataclass(frozen=True)
class Speedup:
    """eager median / ``mode`` median for one workload x device x batch (> 1: mode is faster)."""

    workload: str
    device: str
    batch_size: int
    mode: str
    ratio: float
    ci_low: float
    ci_high: float
    paired: bool = False  # from per-round ratios (schema 2); False: two unpaired medians
    process_ratios: tuple[float, ...] = ()  # median per-round ratio of each process
    disagree: bool = False  # some two processes' ratio CIs do not overlap

    @property
    def spread(self) -> float | None:
        """(max - min) / median of the per-process ratios; None with fewer than two."""
        if len(self.process_ratios) < 2:
            return None
        mid = statistics.median(self.process_ratios)
        return (max(self.process_ratios) - min(self.process_ratios)) / mid

    @property
    def significant(self) -> bool:
        """The CI excludes 1 (no difference)."""
        return self.ci_low > 1 or self.ci_high < 1


@dataclass(frozen=True)
class OverheadFit:
    workload: str
    mode: str
    device: str
    t0_s: float
    c_s: float  # seconds per sample
    n_half: float | None
    r2: float
    batch_sizes: tuple[int, ...]


def _ok(results: Sequence[CaseResult]) -> list[CaseResult]:
    return [
        r
        for r in latest_by_case(results).values()
        if r.status == "ok" and r.median_s is not None and r.samples_s
    ]


def speedups(results: Sequence[CaseResult]) -> list[Speedup]:
    cells = {(r.workload, r.device, r.batch_size, r.mode): r for r in _ok(results)}
    out = []
    for (w, d, b, m), r in sorted(cells.items()):
        eager = cells.get((w, d, b, BASELINE_MODE))
        if m not in COMPILED_MODES or eager is None:
            continue
        rounds = paired_rounds(eager, r)
        if rounds is None:  # schema 1: the two cells were timed apart; unpaired medians
            ratio, lo, hi = ratio_ci(eager.samples_s, r.samples_s)
            out.append(Speedup(w, d, b, m, ratio, lo, hi))
            continue
        ratio, lo, hi = hierarchical_ci(rounds)
        spread = process_spread(rounds)
        out.append(Speedup(w, d, b, m, ratio, lo, hi, True, spread.medians, spread.disagree))
    return out


def paired_rounds(eager: CaseResult, other: CaseResult) -> list[list[float]] | None:
    """Per process (matched by pass), eager / other for every round both timed; None when the
    two cells were not measured in the same rounds (schema 1, or no common process)."""
    if not eager.processes or not other.processes:
        return None
    e = {p.get("pass"): p.get("samples_s") or [] for p in eager.processes}
    o = {p.get("pass"): p.get("samples_s") or [] for p in other.processes}
    common = [k for k in e if k in o]
    ratios = [g for g in paired_ratios([e[k] for k in common], [o[k] for k in common]) if g]
    return ratios or None


def overhead_fits(results: Sequence[CaseResult]) -> list[OverheadFit]:
    groups: dict[tuple[str, str, str], list[CaseResult]] = defaultdict(list)
    for r in _ok(results):
        groups[(r.workload, r.mode, r.device)].append(r)
    out = []
    for (w, m, d), rows in sorted(groups.items()):
        rows.sort(key=lambda r: r.batch_size)
        fit = fit_overhead([r.batch_size for r in rows], [r.median_s or 0.0 for r in rows])
        if fit is None:
            continue
        out.append(
            OverheadFit(
                w, m, d, fit.t0, fit.c, fit.n_half, fit.r2, tuple(r.batch_size for r in rows)
            )
        )
    return out


def flops_per_second(result: CaseResult) -> float | None:
    if result.flops_per_sample is None or not result.median_s:
        return None
    return result.flops_per_sample * result.batch_size / result.median_s


def format_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(s) >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def summary_table(results: Sequence[CaseResult]) -> str:
    """A compact terminal table: medians per mode, speedups with CI, and the overhead fit."""
    latest = latest_by_case(results)
    by_key: dict[tuple[str, str, int], dict[str, CaseResult]] = defaultdict(dict)
    for r in latest.values():
        by_key[(r.workload, r.device, r.batch_size)][r.mode] = r
    sp = {(s.workload, s.device, s.batch_size, s.mode): s for s in speedups(results)}
    wl = max([10, *(len(k[0]) for k in by_key)])  # "lstm.predict_on_batch" is a workload here
    header = (
        f"{'workload':<{wl}} {'device':<6} {'batch':>6}  {'eager':>9} {'graph':>9} {'xla':>9}"
        f"  {'eager/graph [95% CI]':<22} {'eager/xla [95% CI]':<22}"
    )
    lines = [header, "-" * len(header)]
    for (w, d, b), modes in sorted(by_key.items()):
        cells = []
        for m in MODES:
            cell = modes.get(m)
            if cell is None:
                cells.append("")
            elif cell.status != "ok":
                cells.append(cell.status)
            else:
                cells.append(format_seconds(cell.median_s))
        ratios = []
        for m in COMPILED_MODES:
            s = sp.get((w, d, b, m))
            ratios.append(f"{s.ratio:.2f}x [{s.ci_low:.2f}, {s.ci_high:.2f}]" if s else "-")
        lines.append(
            f"{w:<{wl}} {d:<6} {b:>6}  {cells[0]:>9} {cells[1]:>9} {cells[2]:>9}"
            f"  {ratios[0]:<22} {ratios[1]:<22}"
        )
    fits = overhead_fits(results)
    if fits:
        lines += ["", "t(b) = t0 + c*b   (fixed per-call cost t0, per-sample cost c, n1/2 = t0/c)"]
        for f in fits:
            nh = f"{f.n_half:.0f}" if f.n_half is not None else "-"
            lines.append(
                f"  {f.workload:<{wl}} {f.mode:<5} {f.device:<6} t0={format_seconds(f.t0_s):>9}"
                f"  c={format_seconds(f.c_s):>9}/sample  n1/2={nh:>6}  R2={f.r2:.3f}"
            )
    bad = [r for r in latest.values() if r.status != "ok"]
    if bad:
        lines += ["", "cells without a value:"]
        lines += [f"  {r.case_id}: {r.status} - {r.reason}" for r in bad]
    return "\n".join(lines)
