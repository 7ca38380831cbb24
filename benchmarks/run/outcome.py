"""A cell's outcome as a ``CaseResult``: from a worker's raw answer, or from how the worker died.

Pure: statistics, noise guards and checks become fields and warning codes here, so every way a
cell can end is decided (and unit-tested) in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from benchmarks.plan.matrix import Case
from benchmarks.rundir.results import CaseResult
from benchmarks.stats import stability_warnings, summarize

FOREIGN_CPU_LIMIT = 0.25

Scrub = Callable[[str], str]


def _identity(text: str) -> str:
    return text


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


def from_worker(case: Case, raw: Mapping[str, Any], scrub: Scrub = _identity) -> CaseResult:
    """Turn the worker's answer for ``case`` into a result with statistics and warnings."""
    status = str(raw.get("status", "failed"))
    reason = raw.get("reason")
    warnings: list[dict[str, str]] = []
    fields: dict[str, Any] = {
        "phases_s": dict(raw.get("phases_s") or {}),
        "flops_per_sample": raw.get("flops_per_sample"),
        "first_call_s": raw.get("first_call_s"),
        "traces": raw.get("traces"),
        "output_device": raw.get("output_device"),
        "model": raw.get("model"),
        "max_abs_diff": raw.get("max_abs_diff"),
        "iters_per_block": raw.get("iters_per_block"),
    }
    samples = [float(s) for s in raw.get("samples_s") or []]
    if samples:
        s = summarize(samples)
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
        warnings += [{"code": c, "detail": d} for c, d in stability_warnings(s)]
    traced = [t for t in (raw.get("traces_after_warmup"), raw.get("traces")) if t is not None]
    if traced and max(traced) > 1:
        warnings.append(
            {"code": "retraced", "detail": f"traced {max(traced)} times (expected once)"}
        )
    if raw.get("not_applicable"):
        warnings.append({"code": "not_applicable", "detail": str(reason)})
    if raw.get("fallback"):
        warnings.append({"code": "cpu_fallback", "detail": str(raw.get("output_device"))})
    if raw.get("output_match") is False:
        warnings.append(
            {"code": "output_mismatch", "detail": f"max |diff| {raw.get('max_abs_diff'):.3g}"}
        )
    if status != "ok":  # a failed cell's partial timings are not results
        for key in ("samples_s",):
            fields.pop(key, None)
        for key in (
            "median_s",
            "ci_low_s",
            "ci_high_s",
            "iqr_s",
            "min_s",
            "max_s",
            "mean_s",
            "cov",
        ):
            fields.pop(key, None)
    return base(case, status, scrub(str(reason)) if reason else None, warnings=warnings, **fields)


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
