"""The run page's grid: one table per workload x device, a cell per mode x batch size. Pure.

Planned cells that have no result yet show as ``not run``, so an interrupted run's page says
what is missing rather than leaving it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benchmarks.analysis import flops_per_second, format_seconds
from benchmarks.plan.names import mode_rank, parse_case_id
from benchmarks.report.display import text
from benchmarks.rundir.results import WARNINGS, CaseResult, RunRecord

NOT_RUN = "not run"


@dataclass(frozen=True)
class Warn:
    code: str
    detail: str
    meaning: str


@dataclass(frozen=True)
class GridCell:
    case_id: str
    mode: str
    status: str  # one of results.STATUSES or NOT_RUN
    value: str  # median per call, "" without a value
    ci: str  # "[lo, hi]"
    reason: str
    warnings: tuple[Warn, ...]
    first_call: str
    throughput: str  # achieved FLOP/s
    processes: str = ""  # per-process medians and their spread (schema 2), "" otherwise
    stop: str = ""  # why the rounds ended, when --target-ci was asked for


@dataclass(frozen=True)
class GridRow:
    batch_size: int
    cells: tuple[GridCell | None, ...]  # one per mode of the table; None: not in the matrix


@dataclass(frozen=True)
class GridTable:
    workload: str
    device: str
    modes: tuple[str, ...]
    rows: tuple[GridRow, ...]


def _flops(r: CaseResult) -> str:
    v = flops_per_second(r)
    return "" if v is None else f"{v / 1e9:.3g} GFLOP/s"


def _cell(case_id: str, mode: str, r: CaseResult | None) -> GridCell:
    if r is None:
        return GridCell(
            case_id, mode, NOT_RUN, "", "", "planned, but the run ended before it", (), "", ""
        )
    ok = r.status == "ok"
    ci = (
        f"[{format_seconds(r.ci_low_s)}, {format_seconds(r.ci_high_s)}]"
        if ok and r.ci_low_s is not None and r.ci_high_s is not None
        else ""
    )
    warns = tuple(
        Warn(text(w.get("code")), text(w.get("detail")), WARNINGS.get(str(w.get("code")), ""))
        for w in r.warnings
        if isinstance(w, Mapping)
    )
    return GridCell(
        case_id=case_id,
        mode=mode,
        status=r.status,
        value=format_seconds(r.median_s) if ok else "",
        ci=ci,
        reason=text(r.reason),
        warnings=warns,
        first_call=format_seconds(r.first_call_s) if r.first_call_s is not None else "",
        throughput=_flops(r) if ok else "",
        processes=processes_text(r) if ok else "",
        stop=STOPS.get(r.stop or "", "") if ok else "",
    )


# What a cell's ``stop`` means on the page (only --target-ci makes it worth saying).
STOPS = {
    "target_ci": "--target-ci reached in every process",
    "time_cap": "--target-ci not reached: stopped at the time cap",
    "mixed": "--target-ci reached in some processes only",
}


def processes_text(r: CaseResult) -> str:
    """``3 processes: 1.21 ms · 1.25 ms · 1.19 ms (spread 5 %)``; "" for schema-1 cells."""
    medians = r.process_medians
    if not medians:
        return ""
    planned = f" of {r.processes_planned}" if (r.processes_planned or 0) > len(medians) else ""
    spread = f" (spread {r.process_spread:.0%})" if r.process_spread is not None else ""
    each = " · ".join(format_seconds(m) for m in medians)
    noun = "process" if len(medians) == 1 and not planned else "processes"
    return f"{len(medians)}{planned} {noun}: {each}{spread}"


def grid_tables(record: RunRecord, latest: Mapping[str, CaseResult]) -> tuple[GridTable, ...]:
    """One table per workload x device; planned cells with no line show as ``not run``."""
    keyed: dict[tuple[str, str, int, str], tuple[str, CaseResult | None]] = {}
    for cid, parsed in _planned(record):
        keyed[parsed] = (cid, latest.get(cid))
    for cid, r in latest.items():
        keyed[(r.workload, r.mode, r.batch_size, r.device)] = (cid, r)
    workloads = unique(k[0] for k in keyed)
    devices = sorted({k[3] for k in keyed}, key=lambda d: (d != "cpu", d))
    tables = []
    for w in workloads:
        for d in devices:
            keys = [k for k in keyed if k[0] == w and k[3] == d]
            if not keys:
                continue
            modes = tuple(sorted({k[1] for k in keys}, key=mode_rank))
            rows = []
            for b in sorted({k[2] for k in keys}):
                cells = []
                for m in modes:
                    hit = keyed.get((w, m, b, d))
                    cells.append(None if hit is None else _cell(hit[0], m, hit[1]))
                rows.append(GridRow(b, tuple(cells)))
            tables.append(GridTable(w, d, modes, tuple(rows)))
    return tuple(tables)


def _planned(record: RunRecord) -> list[tuple[str, tuple[str, str, int, str]]]:
    """Planned cells: run.json's ``plan`` (with ``cases`` in the same order) when present, else
    the case ids parsed (runs written before ``plan`` existed)."""
    plan = record.plan if isinstance(record.plan, list) else []
    if len(plan) == len(record.cases) and all(isinstance(p, Mapping) for p in plan):
        try:
            return [
                (cid, (str(p["workload"]), str(p["mode"]), int(p["batch_size"]), str(p["device"])))
                for cid, p in zip(record.cases, plan, strict=True)
            ]
        except (KeyError, TypeError, ValueError):
            pass
    return [(cid, parsed) for cid in record.cases if (parsed := parse_case_id(cid)) is not None]


def unique(items: Any) -> list[str]:
    seen: dict[str, None] = {}
    for i in items:
        seen.setdefault(i, None)
    return list(seen)
