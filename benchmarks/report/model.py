"""The run page's view-model. Pure: run record + cases + fingerprint + diagnosis -> frozen values.

Templates only lay out what is decided here (texts, CSS classes, order), so every judgement the
page makes — what the GPU status is, which cells have no value and why, which speedups are
significant — is unit-tested on literal data without Jinja or a browser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.analysis import (
    OverheadFit,
    Speedup,
    format_seconds,
    overhead_fits,
    speedups,
)
from benchmarks.environment.view import dig
from benchmarks.plan.names import mode_rank
from benchmarks.report import display, sections
from benchmarks.report.compare import Comparison
from benchmarks.report.display import text
from benchmarks.report.grid import NOT_RUN, GridTable, Warn, grid_tables, unique
from benchmarks.report.sections import (
    Fact,
    FindingView,
    GpuStateRow,
    Reproduce,
    Section,
    gpu_peak,
)
from benchmarks.report.shards import ShardsView
from benchmarks.rundir.results import STATUSES, WARNINGS, CaseResult, RunRecord, latest_by_case


@dataclass(frozen=True)
class Ratio:
    ratio: float
    ci_low: float
    ci_high: float
    text: str
    css: str  # "faster" | "slower" | "same" (CI includes 1)
    processes: str = ""  # the per-process ratios and their spread (paired, schema 2)
    disagree: bool = False  # some two processes' ratio CIs do not overlap


@dataclass(frozen=True)
class SpeedupRow:
    workload: str
    device: str
    batch_size: int
    graph: Ratio | None
    xla: Ratio | None


@dataclass(frozen=True)
class FitRow:
    workload: str
    mode: str
    device: str
    t0: str
    c: str
    n_half: str
    r2: str
    batch_sizes: str


@dataclass(frozen=True)
class Headline:
    run_id: str
    title: str
    what: tuple[Fact, ...]
    where: tuple[Fact, ...]
    started_at: str
    finished_at: str
    duration: str
    status: str
    status_css: str  # ok | warn | bad
    gpu_requested: bool
    gpu_failed: bool
    gpu_status: str
    counts: tuple[Fact, ...]


@dataclass(frozen=True)
class ChartData:
    """The raw values the run page's charts draw (report/charts.py), kept apart from the
    display texts above so that no chart parses a formatted figure back."""

    ok_cases: tuple[CaseResult, ...]
    speedups: tuple[Speedup, ...]
    fits: tuple[OverheadFit, ...]
    peaks: tuple[tuple[str, float, str], ...]  # (device, FLOP/s, label)


@dataclass(frozen=True)
class RunView:
    headline: Headline
    problems: tuple[str, ...]
    gpu_reasons: tuple[tuple[str, int], ...]  # (reason, cells) when the GPU failed
    probe_log: tuple[str, ...]
    findings: tuple[FindingView, ...]
    speedups: tuple[SpeedupRow, ...]
    grid: tuple[GridTable, ...]
    fits: tuple[FitRow, ...]
    first_calls: tuple[GridTable, ...]
    gpu_states: tuple[GpuStateRow, ...]
    environment: tuple[Section, ...]
    reproduce: Reproduce
    warnings_legend: tuple[Warn, ...]
    comparison: Comparison | None
    generated_at: str
    method: str  # how the timings were taken (results.METHODS, by the run's schema version)
    charts: ChartData
    shards: ShardsView | None = None  # a merged run's shards and machines (report/shards.py)


def _ratio(s: Speedup | None) -> Ratio | None:
    if s is None:
        return None
    css = "faster" if s.ci_low > 1 else "slower" if s.ci_high < 1 else "same"
    each = " · ".join(f"{v:.2f}x" for v in s.process_ratios)
    spread = f" (spread {s.spread:.0%})" if s.spread is not None else ""
    return Ratio(
        s.ratio,
        s.ci_low,
        s.ci_high,
        f"{s.ratio:.2f}x [{s.ci_low:.2f}, {s.ci_high:.2f}]",
        css,
        f"per process {each}{spread}" if s.paired and each else "",
        s.disagree,
    )


def _speedup_rows(values: Sequence[Speedup]) -> tuple[SpeedupRow, ...]:
    by: dict[tuple[str, str, int], dict[str, Speedup]] = {}
    for s in values:
        by.setdefault((s.workload, s.device, s.batch_size), {})[s.mode] = s
    return tuple(
        SpeedupRow(w, d, b, _ratio(m.get("graph")), _ratio(m.get("xla")))
        for (w, d, b), m in sorted(
            by.items(), key=lambda kv: (kv[0][0], kv[0][1] != "cpu", kv[0][1], kv[0][2])
        )
    )


def _fit_rows(values: Sequence[OverheadFit]) -> tuple[FitRow, ...]:
    return tuple(
        FitRow(
            f.workload,
            f.mode,
            f.device,
            format_seconds(f.t0_s),
            f"{format_seconds(f.c_s)}/sample",
            f"{f.n_half:.0f}" if f.n_half is not None and f.n_half >= 0 else "-",
            f"{f.r2:.3f}",
            ", ".join(str(b) for b in f.batch_sizes),
        )
        for f in values
    )


def _no_gpu(fp: Mapping[str, Any]) -> str:
    error = text(dig(fp, "nvidia", "error"))
    return f"none found (NVML: {error})" if error else "none found"


def _timing(record: RunRecord) -> str:
    t = record.timing if isinstance(record.timing, Mapping) else {}
    rounds = record.schema_version >= 2
    target = t.get("target_ci")
    parts = [
        f"{t['blocks']} {'rounds' if rounds else 'blocks'}"
        + (f" x {t['processes']} processes" if rounds and "processes" in t else "")
        if "blocks" in t
        else "",
        f"--target-ci {target * 100:g} % (cap {t.get('time_cap_s')} s)"
        if isinstance(target, (int, float))
        else "",
        f">= {t['min_block_s']} s each" if "min_block_s" in t else "",
        f"timeout {t['timeout_s']} s" if "timeout_s" in t else "",
    ]
    return ", ".join(p for p in parts if p) or "not recorded"


def _duration(record: RunRecord) -> str:
    total = record.wall_s.get("total") if isinstance(record.wall_s, Mapping) else None
    if isinstance(total, (int, float)):
        return format_seconds(float(total)) if total < 120 else f"{total / 60:.1f} min"
    return "unknown (run did not finish)" if record.finished_at is None else "unknown"


def _gpu_verdict(
    record: RunRecord,
    latest: Mapping[str, CaseResult],
    fp: Mapping[str, Any],
    findings: Sequence[FindingView],
) -> tuple[bool, bool, str]:
    requested = any(d.startswith("gpu") for d in record.devices)
    if not requested:
        return False, False, "not requested (CPU-only run)"
    gpu_cells = [r for r in latest.values() if r.device.startswith("gpu")]
    worked = any(r.status == "ok" for r in gpu_cells)
    if worked and record.status != "gpu_unavailable":
        drv = display.driver(fp)
        return (
            True,
            False,
            f"ok: {display.gpu_names(fp) or 'GPU'}" + (f", driver {drv}" if drv else ""),
        )
    cause = next((f.title or f.code for f in findings if f.code != "healthy"), "")
    if cause:
        return True, True, f"unavailable: {cause}"
    reasons = _gpu_reasons(latest)
    if reasons:
        return True, True, f"unavailable: {reasons[0][0]} (no diagnosis recorded)"
    return True, True, "unavailable (no diagnosis recorded)"


def _gpu_reasons(latest: Mapping[str, CaseResult]) -> tuple[tuple[str, int], ...]:
    """Why GPU cells have no value, most frequent first: the explanation when no doctor ran."""
    counts = Counter(
        text(r.reason) or r.status
        for r in latest.values()
        if r.device.startswith("gpu") and r.status != "ok"
    )
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def build_run_view(
    record: RunRecord,
    cases: Sequence[CaseResult],
    fingerprint: Mapping[str, Any],
    diagnosis: Mapping[str, Any] | None,
    *,
    problems: Sequence[str] = (),
    probe_log: Sequence[str] = (),
    comparison: Comparison | None = None,
    generated_at: str = "",
    speedup_values: Sequence[Speedup] | None = None,
) -> RunView:
    """``speedup_values``: ``analysis.speedups(cases)`` as stored with the run
    (``rundir.derived``); computed here when not given."""
    latest = latest_by_case(cases)
    fp = fingerprint
    findings = sections.findings(diagnosis)
    requested, failed, gpu_status = _gpu_verdict(record, latest, fp, findings)
    counts = {s: 0 for s in (*STATUSES, NOT_RUN)}
    for r in latest.values():
        counts[r.status] += 1
    counts[NOT_RUN] = sum(1 for c in record.cases if c not in latest)
    grid = grid_tables(record, latest)
    workloads = [t.workload for t in grid]
    batches = sorted({row.batch_size for t in grid for row in t.rows})
    ok_cases = tuple(r for r in latest.values() if r.status == "ok")
    sp = tuple(speedups(list(latest.values())) if speedup_values is None else speedup_values)
    fits = tuple(overhead_fits(list(latest.values())))
    status_css = {"complete": "ok", "cells_failed": "warn", "running": "warn"}.get(
        record.status, "bad"
    )
    if failed and record.status == "complete":
        status_css = "warn"
    ref, digest = display.image(fp, record.image)
    headline = Headline(
        run_id=display.public(record.run_id),
        title=f"{', '.join(unique(workloads))} on {', '.join(record.devices)}",
        what=(
            Fact("profile", text(record.profile)),
            Fact("workloads", ", ".join(unique(workloads))),
            Fact("modes", ", ".join(sorted({m for t in grid for m in t.modes}, key=mode_rank))),
            Fact("batch sizes", ", ".join(str(b) for b in batches)),
            Fact("devices", ", ".join(record.devices)),
            Fact("cells", f"{len(set(record.cases) | set(latest))}"),
            Fact("timing", _timing(record)),
            Fact("threads / seed", f"{record.threads or 'default'} / {record.seed}"),
        ),
        where=(
            Fact("CPU", display.cpu_model(fp)),
            Fact("GPU", display.gpu_names(fp) or _no_gpu(fp)),
            Fact("NVIDIA driver", display.driver(fp) or "none"),
            Fact("TensorFlow", display.tf_version(fp, record) or "unknown"),
            Fact("image", f"{ref} {digest}".strip() or "none (ran on the host)"),
        ),
        started_at=text(record.started_at),
        finished_at=text(record.finished_at, "not finished"),
        duration=_duration(record),
        status=text(record.status),
        status_css=status_css,
        gpu_requested=requested,
        gpu_failed=failed,
        gpu_status=gpu_status,
        counts=tuple(Fact(k, str(v)) for k, v in counts.items() if v or k == "ok"),
    )
    peaks = tuple(
        (d, p[0], p[1]) for d in sorted({r.device for r in ok_cases}) if (p := gpu_peak(fp, d))
    )
    return RunView(
        headline=headline,
        problems=tuple(display.public(p) for p in problems),
        gpu_reasons=_gpu_reasons(latest) if failed else (),
        probe_log=tuple(display.public(line) for line in probe_log),
        findings=findings,
        speedups=_speedup_rows(sp),
        grid=grid,
        fits=_fit_rows(fits),
        first_calls=tuple(
            t for t in grid if any(c and c.first_call for r in t.rows for c in r.cells)
        ),
        gpu_states=sections.gpu_states(latest),
        environment=sections.environment(fp),
        reproduce=sections.reproduce(record, fp),
        warnings_legend=tuple(Warn(k, "", v) for k, v in WARNINGS.items()),
        comparison=comparison,
        generated_at=generated_at,
        method=record.method,
        charts=ChartData(ok_cases=ok_cases, speedups=sp, fits=fits, peaks=peaks),
    )
