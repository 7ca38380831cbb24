"""Run-to-run comparison, per cell. Pure: cases and environment facts in, verdicts out.

A change is flagged only when both hold: the bootstrap CI of new/baseline excludes 1 (the
difference is not noise) *and* the point change exceeds the threshold (it matters). Timings from
different environments (GPU model, driver, TensorFlow, image, CPU model) are not compared at
all: the differing facts are named instead, because a "regression" there is a different machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchmarks.analysis import format_seconds
from benchmarks.plan.names import MODES
from benchmarks.report import DEFAULT_THRESHOLD, display
from benchmarks.rundir.load import LoadedRun
from benchmarks.rundir.results import CaseResult, latest_by_case
from benchmarks.stats import hierarchical_ratio_ci, ratio_ci

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no change"  # CI includes 1
BELOW_THRESHOLD = "below threshold"  # significant but smaller than the threshold
BROKE = "broke"  # had a value, has none now
FIXED = "fixed"  # had none, has one now
NO_VALUE = "no value"  # neither run has a value
NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class EnvDifference:
    fact: str
    baseline: str
    new: str


@dataclass(frozen=True)
class CellChange:
    """new/baseline time for one case id; ratio > 1 means the new run is slower."""

    case_id: str
    workload: str
    mode: str
    batch_size: int
    device: str
    baseline_s: float | None
    new_s: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str
    note: str  # statuses, when a side has no value

    @property
    def change_pct(self) -> float | None:
        return None if self.ratio is None else (self.ratio - 1.0) * 100.0


@dataclass(frozen=True)
class Comparison:
    baseline_id: str
    new_id: str
    threshold: float
    comparable: bool
    differences: tuple[EnvDifference, ...]
    changes: tuple[CellChange, ...]
    only_in_baseline: tuple[str, ...]
    only_in_new: tuple[str, ...]

    def with_verdict(self, verdict: str) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if c.verdict == verdict)

    @property
    def regressions(self) -> tuple[CellChange, ...]:
        return self.with_verdict(REGRESSION) + self.with_verdict(BROKE)

    @property
    def improvements(self) -> tuple[CellChange, ...]:
        return self.with_verdict(IMPROVEMENT) + self.with_verdict(FIXED)


def env_differences(
    baseline: Mapping[str, str], new: Mapping[str, str]
) -> tuple[EnvDifference, ...]:
    keys = sorted(set(baseline) | set(new))
    return tuple(
        EnvDifference(k, baseline.get(k, "unknown"), new.get(k, "unknown"))
        for k in keys
        if baseline.get(k, "unknown") != new.get(k, "unknown")
    )


def _has_value(r: CaseResult | None) -> bool:
    return r is not None and r.status == "ok" and bool(r.samples_s) and bool(r.median_s)


def classify(ratio: float, lo: float, hi: float, threshold: float) -> str:
    """The verdict for a time ratio new/baseline with its CI."""
    if lo <= 1.0 <= hi:
        return NO_CHANGE
    if abs(ratio - 1.0) <= threshold:
        return BELOW_THRESHOLD
    return REGRESSION if ratio > 1.0 else IMPROVEMENT


def _change(
    case_id: str, b: CaseResult, n: CaseResult, threshold: float, comparable: bool
) -> CellChange:
    ratio: float | None = None
    lo: float | None = None
    hi: float | None = None
    note = ""
    if _has_value(b) and _has_value(n):
        if n.processes and b.processes:  # schema 2: resample processes, then their rounds
            ratio, lo, hi = hierarchical_ratio_ci(n.process_samples, b.process_samples)
        else:
            ratio, lo, hi = ratio_ci(n.samples_s, b.samples_s)
        verdict = classify(ratio, lo, hi, threshold)
    else:
        note = f"baseline {b.status}, new {n.status}"
        verdict = BROKE if _has_value(b) else FIXED if _has_value(n) else NO_VALUE
    if not comparable and verdict != NO_VALUE:
        verdict = NOT_COMPARABLE
    changed = model_change(b, n)
    if changed and verdict != NO_VALUE:
        verdict, note = NOT_COMPARABLE, changed
    return CellChange(
        case_id, n.workload, n.mode, n.batch_size, n.device, b.median_s, n.median_s,
        ratio, lo, hi, verdict, note,
    )  # fmt: skip


def model_change(b: CaseResult, n: CaseResult) -> str:
    """A note when the two cells measured different models (their sha256 differ), else ""."""
    old = (b.model or {}).get("sha256")
    new = (n.model or {}).get("sha256")
    if old and new and old != new:
        return f"different model: sha256 {str(old)[:12]} -> {str(new)[:12]}"
    return ""


def compare_loaded(
    baseline: LoadedRun, new: LoadedRun, threshold: float = DEFAULT_THRESHOLD
) -> Comparison:
    """``compare_runs`` for two loaded run directories (their environments and public ids)."""
    return compare_runs(
        baseline.cases,
        new.cases,
        baseline_env=display.environment(baseline.fingerprint, baseline.record),
        new_env=display.environment(new.fingerprint, new.record),
        baseline_id=display.public(baseline.record.run_id),
        new_id=display.public(new.record.run_id),
        threshold=threshold,
    )


def compare_runs(
    baseline: Sequence[CaseResult],
    new: Sequence[CaseResult],
    *,
    baseline_env: Mapping[str, str],
    new_env: Mapping[str, str],
    baseline_id: str = "baseline",
    new_id: str = "new",
    threshold: float = DEFAULT_THRESHOLD,
) -> Comparison:
    """Compare the latest result of every case id present in both runs."""
    if not threshold >= 0:
        raise ValueError("threshold must be >= 0")
    old = latest_by_case(baseline)
    cur = latest_by_case(new)
    differences = env_differences(baseline_env, new_env)
    comparable = not differences
    changes = tuple(
        _change(cid, old[cid], cur[cid], threshold, comparable)
        for cid in sorted(set(old) & set(cur), key=lambda c: _order(cur[c]))
    )
    return Comparison(
        baseline_id=baseline_id,
        new_id=new_id,
        threshold=threshold,
        comparable=comparable,
        differences=differences,
        changes=changes,
        only_in_baseline=tuple(sorted(set(old) - set(cur))),
        only_in_new=tuple(sorted(set(cur) - set(old))),
    )


def _order(r: CaseResult) -> tuple[str, str, int, int]:
    mode_rank = MODES.index(r.mode) if r.mode in MODES else len(MODES)
    return (r.workload, r.device, r.batch_size, mode_rank)


def format_table(cmp: Comparison) -> str:
    """The terminal view of a comparison (``python -m benchmarks compare``)."""
    lines = [
        f"baseline {cmp.baseline_id}  ->  new {cmp.new_id}"
        f"   (flag: CI excludes 1 and |change| > {cmp.threshold:.0%})"
    ]
    if not cmp.comparable:
        lines.append("NOT COMPARABLE: the environments differ, no cell is flagged:")
        lines += [f"  {d.fact}: {d.baseline!r} -> {d.new!r}" for d in cmp.differences]
    head = f"{'case':<28} {'baseline':>10} {'new':>10} {'change':>8}  {'95% CI':<17} verdict"
    lines += [head, "-" * len(head)]
    for c in cmp.changes:
        ci = f"[{c.ci_low:.3f}, {c.ci_high:.3f}]" if c.ci_low is not None else ""
        pct = f"{c.change_pct:+.1f}%" if c.change_pct is not None else ""
        lines.append(
            f"{c.case_id:<28} {_fmt(c.baseline_s):>10} {_fmt(c.new_s):>10} {pct:>8}  {ci:<17} "
            f"{c.verdict}{'  (' + c.note + ')' if c.note else ''}"
        )
    for label, ids in (
        ("only in baseline", cmp.only_in_baseline),
        ("only in new", cmp.only_in_new),
    ):
        if ids:
            lines.append(f"{label}: {', '.join(ids)}")
    lines.append(
        f"{len(cmp.regressions)} regression(s), {len(cmp.improvements)} improvement(s), "
        f"{len(cmp.changes)} cell(s) compared"
    )
    return "\n".join(lines)


def _fmt(s: float | None) -> str:
    return format_seconds(s)
