"""A cell's outcome as a ``CaseResult``: from its processes' raw answers, or from a death.

Pure: statistics, noise guards and checks become fields and warning codes here, so every way a
cell can end is decided (and unit-tested) in one place. ``from_processes`` makes an ok cell of
its measurements in several fresh processes; ``from_worker`` reads one raw answer (a failed
mode, or one process); ``from_death`` is a worker that died or stalled on the cell.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from benchmarks.analysis import format_seconds
from benchmarks.plan.matrix import Case
from benchmarks.rundir.results import FEWER_PROCESSES, CaseResult
from benchmarks.stats import (
    hierarchical_ci,
    pooled,
    process_spread,
    quantile,
    stability_warnings,
    summarize,
)

FOREIGN_CPU_LIMIT = 0.25

Scrub = Callable[[str], str]


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class ProcessRun:
    """One fresh process's ok answer for a cell, with what the runner saw around it."""

    pass_index: int
    pid: int
    raw: Mapping[str, Any]
    foreign_cpu: float | None = None  # other processes' share of the CPUs during the group
    cpus: int = 1
    extra: tuple[tuple[str, str], ...] = ()  # e.g. the GPU monitor's warnings
    gpu_state: dict[str, Any] | None = field(default=None, compare=False)


def base(case: Case, status: str, reason: str | None, **fields: Any) -> CaseResult:
    return CaseResult(
        case_id=case.case_id,
        workload=case.series,  # "embed.predict" for a non-default call path
        mode=case.mode,
        batch_size=case.batch_size,
        device=case.device,
        status=status,
        reason=reason,
        **fields,
    )


def _answer_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What a worker's answer carries besides its timings."""
    return {
        "phases_s": dict(raw.get("phases_s") or {}),
        "flops_per_sample": raw.get("flops_per_sample"),
        "first_call_s": raw.get("first_call_s"),
        "traces": raw.get("traces"),
        "output_device": raw.get("output_device"),
        "model": raw.get("model"),
        "max_abs_diff": raw.get("max_abs_diff"),
        "iters_per_block": raw.get("iters_per_block"),
    }


def _reason(raw: Mapping[str, Any], scrub: Scrub) -> str | None:
    """The answer's reason, scrubbed of private paths, or None when it gives none."""
    reason = raw.get("reason")
    return scrub(str(reason)) if reason else None


def _answer_warnings(raw: Mapping[str, Any]) -> list[dict[str, str]]:
    """The warnings a worker's answer raises by itself (its timings' noise guards aside)."""
    warnings: list[dict[str, str]] = []
    traced = [t for t in (raw.get("traces_after_warmup"), raw.get("traces")) if t is not None]
    if traced and max(traced) > 1:
        warnings.append(
            {"code": "retraced", "detail": f"traced {max(traced)} times (expected once)"}
        )
    if raw.get("not_applicable"):
        warnings.append({"code": "not_applicable", "detail": str(raw.get("reason"))})
    if raw.get("fallback"):
        warnings.append({"code": "cpu_fallback", "detail": str(raw.get("output_device"))})
    if raw.get("output_match") is False:
        warnings.append(
            {"code": "output_mismatch", "detail": f"max |diff| {raw.get('max_abs_diff'):.3g}"}
        )
    return warnings


def from_worker(case: Case, raw: Mapping[str, Any], scrub: Scrub = _identity) -> CaseResult:
    """Turn the worker's answer for ``case`` into a result with statistics and warnings."""
    status = str(raw.get("status", "failed"))
    warnings: list[dict[str, str]] = []
    fields = _answer_fields(raw)
    samples = [float(s) for s in raw.get("samples_s") or []]
    if samples:
        s = summarize(samples)
        warnings += [{"code": c, "detail": d} for c, d in stability_warnings(s)]
        if status == "ok":  # a failed cell's partial timings are not results
            fields.update(
                samples_s=samples,
                median_s=s.median,
                ci_low_s=s.ci_low,
                ci_high_s=s.ci_high,
                iqr_s=s.iqr,
                min_s=s.min,
                max_s=s.max,
                mean_s=s.mean,
                cov=s.cov,
            )
    warnings += _answer_warnings(raw)
    return base(case, status, _reason(raw, scrub), warnings=warnings, **fields)


def from_death(
    case: Case,
    returncode: int | None,
    signal_name: str | None,
    stderr_tail: str,
    *,
    timed_out: bool,
    timeout_s: float,
    oom_killed: bool,
    scrub: Scrub = _identity,
) -> CaseResult:
    """The worker died or hung while measuring ``case``."""
    worker = {"returncode": returncode, "signal": signal_name, "stderr_tail": scrub(stderr_tail)}
    if timed_out:
        return base(
            case,
            "timeout",
            f"no result within the {timeout_s:g} s per-cell limit; worker killed",
            worker=worker,
        )
    how = f"killed by {signal_name}" if signal_name else f"exited with code {returncode}"
    if oom_killed:
        return base(
            case,
            "oom",
            f"worker {how}: the kernel OOM killer ended it (cgroup oom_kill count rose)",
            worker=worker,
        )
    last = next((ln for ln in reversed(stderr_tail.splitlines()) if ln.strip()), "")
    hint = f"; last stderr line: {scrub(last.strip())[:300]}" if last else ""
    return base(case, "crashed", f"worker {how}{hint}", worker=worker)


def skipped(case: Case, reason: str) -> CaseResult:
    return base(case, "skipped", reason)


def with_extra_warnings(
    result: CaseResult, extra: Sequence[tuple[str, str]], **fields: Any
) -> CaseResult:
    warnings = list(result.warnings) + [{"code": c, "detail": d} for c, d in extra]
    return replace(result, warnings=warnings, **fields)


def foreign_cpu_warning(foreign_fraction: float | None, cpus: int) -> list[tuple[str, str]]:
    """Other processes' share of all CPUs while the cell ran (steal time included)."""
    if foreign_fraction is None or foreign_fraction <= FOREIGN_CPU_LIMIT:
        return []
    return [("high_load", f"other processes used {foreign_fraction:.0%} of the {cpus} CPUs")]


def from_processes(
    case: Case,
    runs: Sequence[ProcessRun],
    planned: int,
    scrub: Scrub = _identity,
    *,
    interrupted: bool = False,
) -> CaseResult:
    """One ok cell from its measurements in several fresh processes (each an ok raw answer).

    Pooled over processes: the median and min/max/mean/IQR; the CI by the hierarchical bootstrap
    (processes, then rounds within them). The within-process noise guards (CoV, outliers) are
    judged per process and the first that trips is kept; the between-process spread gets its
    own field and the ``processes_disagree`` warning.
    """
    if not runs:
        raise ValueError("no process measured this cell")
    raws = [r.raw for r in runs]
    groups = [[float(v) for v in raw.get("samples_s") or []] for raw in raws]
    if not all(groups):
        return from_worker(case, raws[0], scrub)
    first = base(
        case,
        str(raws[0].get("status", "failed")),
        _reason(raws[0], scrub),
        **_answer_fields(raws[0]),
    )
    everything = pooled(groups)
    point, lo, hi = hierarchical_ci(groups)
    summaries = [summarize(g) for g in groups]
    spread = process_spread(groups)
    ordered = sorted(everything)
    warnings: dict[str, dict[str, str]] = {}

    def warn(code: str, detail: str) -> None:
        warnings.setdefault(code, {"code": code, "detail": detail})

    for summary in summaries:
        for code, detail in stability_warnings(summary):
            warn(code, detail)
    for raw in raws:
        for w in _answer_warnings(raw):
            warn(w["code"], w["detail"])
    if spread.disagree:
        warn(
            "processes_disagree",
            f"per-process medians {format_seconds(min(spread.medians))} .. "
            f"{format_seconds(max(spread.medians))} (spread {spread.spread:.0%})",
        )
    loads = [r.foreign_cpu for r in runs if r.foreign_cpu is not None]
    for code, detail in foreign_cpu_warning(max(loads) if loads else None, runs[0].cpus):
        warn(code, detail)
    for run in runs:
        for code, detail in run.extra:
            warn(code, detail)
    if len(runs) < planned:
        why = "the run was interrupted" if interrupted else "not every pass reached it"
        warn(FEWER_PROCESSES, f"{len(runs)} of {planned} processes ({why})")
    phases: dict[str, float] = {}
    for raw in raws:
        for k, v in (raw.get("phases_s") or {}).items():
            phases[k] = phases.get(k, 0.0) + float(v)
    traces = [int(raw["traces"]) for raw in raws if raw.get("traces") is not None]
    diffs = [float(raw["max_abs_diff"]) for raw in raws if raw.get("max_abs_diff") is not None]
    firsts = [float(raw["first_call_s"]) for raw in raws if raw.get("first_call_s") is not None]
    stops = [str(raw.get("stop") or "rounds") for raw in raws]
    processes = [
        {
            "pass": run.pass_index,
            "pid": run.pid,
            "samples_s": g,
            "median_s": median,
            "iters_per_block": raw.get("iters_per_block"),
            "first_call_s": raw.get("first_call_s"),
            "stop": stop,
        }
        for run, raw, g, median, stop in zip(runs, raws, groups, spread.medians, stops, strict=True)
    ]
    return replace(
        first,
        warnings=list(warnings.values()),
        samples_s=everything,
        median_s=point,
        ci_low_s=lo,
        ci_high_s=hi,
        iqr_s=quantile(ordered, 0.75) - quantile(ordered, 0.25),
        min_s=ordered[0],
        max_s=ordered[-1],
        mean_s=statistics.fmean(ordered),
        cov=statistics.median(x.cov for x in summaries),
        first_call_s=statistics.median(firsts) if firsts else None,
        traces=max(traces) if traces else None,
        max_abs_diff=max(diffs) if diffs else None,
        phases_s=phases,
        processes=processes,
        processes_planned=planned,
        process_spread=spread.spread,
        stop=combined_stop(stops),
        worker={"pids": [r.pid for r in runs]},
    )


def combined_stop(stops: Sequence[str]) -> str:
    """The cell's stop rule: ``time_cap`` if any process hit it, else the one they share."""
    if "time_cap" in stops:
        return "time_cap"
    return stops[0] if len(set(stops)) == 1 else "mixed"
