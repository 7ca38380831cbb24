"""Like-with-like series over a history of runs: one per cell and machine, broken by any change
of what the timing depends on besides the code under test.

A series key is (case id, machine class, workload digest, TensorFlow version, device model).
The machine class is the report's (``display.machine_class``: CPU model + GPU models). The
workload digest is what the results record of the model itself: the FLOPs per sample the
worker counted (a changed layer changes it) and, for a user's model, the sha256 of its file or
directory (``CaseResult.model``); a case that carries ``workload_digest`` in its ``worker`` block
uses that instead. When any part changes between two runs of the same cell on
the same machine, the later run starts a new series: the history shows a *break* there, and the
detector never compares across it. Pure: loaded runs in, values out.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from benchmarks.report import display
from benchmarks.rundir.load import LoadedRun
from benchmarks.rundir.results import CaseResult, latest_by_case

Z95 = 1.959963984540054  # two-sided 95 % normal quantile: CI half-width -> standard error

KEY_LABELS = {
    "workload_digest": "workload digest",
    "tf_version": "TensorFlow",
    "device_model": "device model",
}


@dataclass(frozen=True)
class HistoryRun:
    """One run of the history and where it sits in it (``runs/<machine>/<run-id>``)."""

    path: str
    run: LoadedRun

    @cached_property
    def run_id(self) -> str:  # scrubbing is not free, and a series asks once per point
        return display.public(self.run.record.run_id)

    @property
    def started_at(self) -> str:
        return self.run.record.started_at


@dataclass(frozen=True)
class SeriesKey:
    case_id: str
    machine: str
    workload_digest: str
    tf_version: str
    device_model: str


@dataclass(frozen=True)
class Point:
    """One run's value of one cell: the median time per call and its bootstrap 95 % CI."""

    run_id: str
    path: str
    started_at: str
    value: float
    ci_low: float | None
    ci_high: float | None

    @property
    def rel_sigma(self) -> float:
        """The standard error of ``log(value)`` implied by the CI (0 when there is none)."""
        if self.ci_low is None or self.ci_high is None or self.value <= 0:
            return 0.0
        return max(0.0, (self.ci_high - self.ci_low) / (2 * Z95) / self.value)


@dataclass(frozen=True)
class Series:
    key: SeriesKey
    points: tuple[Point, ...]  # oldest first


@dataclass(frozen=True)
class Break:
    """Where a cell's series restarts on a machine, and what changed."""

    case_id: str
    machine: str
    run_id: str
    path: str
    changes: tuple[str, ...]  # "TensorFlow 2.20.0 → 2.21.0"


def machine_slug(fp: Mapping[str, Any]) -> str:
    """A directory name for a machine class: readable, and unique through a short hash."""
    name = display.machine_class(fp)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48].strip("-") or "machine"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def device_model(fp: Mapping[str, Any], device: str) -> str:
    """The CPU model for ``cpu``; the GPU's name for ``gpu:N`` (all GPU names if N is unknown)."""
    if not device.startswith("gpu"):
        return display.cpu_model(fp)
    index = device.partition(":")[2]
    for gpu in display.gpus(fp):
        if str(gpu.get("index")) == index:
            return display.text(gpu.get("name"), "GPU")
    return display.gpu_names(fp) or "unknown GPU"


def workload_digest(r: CaseResult) -> str:
    given = r.worker.get("workload_digest") if isinstance(r.worker, Mapping) else None
    if isinstance(given, str) and given:
        return given
    sha = str((r.model or {}).get("sha256") or "")[:12]  # a user's model file (run --model)
    return f"{r.workload}:flops={r.flops_per_sample}" + (f":sha256={sha}" if sha else "")


def _value(r: CaseResult) -> float | None:
    if r.status != "ok" or not isinstance(r.median_s, (int, float)) or r.median_s <= 0:
        return None
    return float(r.median_s)


def order(runs: Sequence[HistoryRun]) -> list[HistoryRun]:
    return sorted(runs, key=lambda h: (h.started_at, h.run_id, h.path))


def build_series(runs: Sequence[HistoryRun]) -> tuple[list[Series], list[Break]]:
    """Every series of every (cell, machine) in ``runs``, and the breaks between them."""
    points: dict[SeriesKey, list[Point]] = defaultdict(list)
    last_key: dict[tuple[str, str], SeriesKey] = {}
    breaks: list[Break] = []
    for h in order(runs):
        fp, record = h.run.fingerprint, h.run.record
        machine = display.machine_class(fp)
        tf = display.tf_version(fp, record) or "unknown"
        models: dict[str, str] = {}
        for cid, r in sorted(latest_by_case(h.run.cases).items()):
            value = _value(r)
            if value is None:
                continue
            if r.device not in models:
                models[r.device] = device_model(fp, r.device)
            key = SeriesKey(cid, machine, workload_digest(r), tf, models[r.device])
            prev = last_key.get((cid, machine))
            if prev is not None and prev != key:
                breaks.append(Break(cid, machine, h.run_id, h.path, describe_change(prev, key)))
            last_key[(cid, machine)] = key
            points[key].append(
                Point(h.run_id, h.path, h.started_at, value, r.ci_low_s, r.ci_high_s)
            )
    series = [Series(k, tuple(p)) for k, p in points.items()]
    series.sort(key=lambda s: (s.key.machine, s.key.case_id, s.points[0].started_at))
    return series, breaks


@dataclass(frozen=True)
class BreakGroup:
    """The breaks one run makes on one machine for one reason: an upgrade breaks every cell."""

    machine: str
    run_id: str
    path: str
    changes: str
    case_ids: tuple[str, ...]


def group_breaks(breaks: Sequence[Break]) -> list[BreakGroup]:
    cells: dict[tuple[str, str, str, str], list[str]] = {}
    for b in breaks:
        cells.setdefault((b.machine, b.run_id, b.path, "; ".join(b.changes)), []).append(b.case_id)
    return [BreakGroup(*key, tuple(ids)) for key, ids in cells.items()]


def live(series: Sequence[Series]) -> list[Series]:
    """The series each (cell, machine) is on now: the one holding its newest point. A series
    left behind by a break is history; a regression in it is no longer anyone's concern."""
    newest: dict[tuple[str, str], Series] = {}
    for s in series:
        at = (s.key.case_id, s.key.machine)
        if at not in newest or _last(s) > _last(newest[at]):
            newest[at] = s
    return [s for s in series if newest[(s.key.case_id, s.key.machine)] is s]


def _last(s: Series) -> tuple[str, str]:
    return (s.points[-1].started_at, s.points[-1].run_id)


def describe_change(old: SeriesKey, new: SeriesKey) -> tuple[str, ...]:
    return tuple(
        f"{label} {getattr(old, field)} → {getattr(new, field)}"
        for field, label in KEY_LABELS.items()
        if getattr(old, field) != getattr(new, field)
    )
