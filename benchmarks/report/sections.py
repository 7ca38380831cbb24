"""The run page's sections that are read from the fingerprint and the doctor. Pure.

GPU doctor findings, GPU state snapshots, the environment tables, the reproduce block and the
device peaks: each a function of literal JSON in which every key may be missing.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from benchmarks.environment.view import dig
from benchmarks.report import display
from benchmarks.report.display import text
from benchmarks.rundir.results import CaseResult, RunRecord

# FP32 (non-tensor-core) datasheet peaks; matched as substrings of the NVML GPU name, longest
# first. CPUs have no dependable peak from the facts we collect, so none is shown for them.
GPU_FP32_PEAK = (
    ("H100 PCIe", 51.2e12),
    ("H100 NVL", 60.0e12),
    ("H100", 66.9e12),
    ("H200", 66.9e12),
    ("A100", 19.5e12),
    ("L40S", 91.6e12),
    ("A10", 31.2e12),
    ("L4", 30.3e12),
    ("T4", 8.1e12),
    ("V100", 15.7e12),
)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class FindingView:
    """A GPU-doctor finding as the page shows it: display strings (the doctor's is Finding)."""

    code: str
    title: str
    confidence: str
    evidence: tuple[str, ...]
    explanation: str
    fix: str


@dataclass(frozen=True)
class GpuStateRow:
    case_id: str
    when: str  # before | after
    gpu: str
    memory_used: str
    utilization: str
    temperature: str
    power: str
    sm_clock: str
    pstate: str
    throttle: str
    processes: str


@dataclass(frozen=True)
class Section:
    name: str
    status: str
    rows: tuple[Fact, ...]


@dataclass(frozen=True)
class Reproduce:
    command: str
    image_reference: str
    image_digest: str
    git_sha: str
    git_dirty: str
    matrix_digest: str
    lock_hash: str
    suite_version: str


def gpu_peak(fp: Mapping[str, Any], device: str) -> tuple[float, str] | None:
    if not device.startswith("gpu"):
        return None
    index = int(device.split(":")[1]) if ":" in device else 0
    for g in display.gpus(fp):
        if g.get("index", 0) == index:
            name = text(g.get("name"))
            for key, peak in GPU_FP32_PEAK:
                if key in name:
                    return peak, f"{name} FP32 peak (datasheet)"
    return None


def findings(diagnosis: Mapping[str, Any] | None) -> tuple[FindingView, ...]:
    found = dig(diagnosis, "findings")
    if not isinstance(found, list):
        return ()
    return tuple(
        FindingView(
            code=text(f.get("code"), "unexplained"),
            title=text(f.get("title")),
            confidence=text(f.get("confidence")),
            evidence=tuple(text(e) for e in f.get("evidence") or [] if e is not None),
            explanation=text(f.get("explanation")),
            fix=text(f.get("fix")),
        )
        for f in found
        if isinstance(f, Mapping)
    )


def _snapshot_rows(case_id: str, when: str, snap: Any) -> list[GpuStateRow]:
    rows = []
    if isinstance(snap, Mapping) and snap.get("status") == "unavailable":
        why = text(snap.get("error"), "no reason recorded")
        return [GpuStateRow(case_id, when, "-", "", "", "", "", "", "", "",
                            f"snapshot unavailable: {why}")]  # fmt: skip
    for g in dig(snap, "gpus") or []:
        if not isinstance(g, Mapping):
            continue
        procs = g.get("processes") or []
        rows.append(
            GpuStateRow(
                case_id=case_id,
                when=when,
                gpu=text(g.get("index"), "?"),
                memory_used=_mib(g.get("memory_used_bytes")),
                utilization=_unit(g.get("utilization_gpu_pct"), " %"),
                temperature=_unit(g.get("temperature_c"), " °C"),
                power=_unit(g.get("power_draw_w"), " W"),
                sm_clock=_unit(dig(g, "clocks", "sm_mhz"), " MHz"),
                pstate=text(g.get("pstate")),
                throttle=text(g.get("throttle_reasons")) or "none",
                processes="; ".join(
                    f"{text(p.get('name'), '?')} (pid {text(p.get('pid'), '?')}, "
                    f"{_mib(p.get('used_memory_bytes'))}{', ours' if p.get('ours') else ''})"
                    for p in procs
                    if isinstance(p, Mapping)
                )
                or "none",
            )
        )
    return rows


def _mib(v: Any) -> str:
    return f"{v / 2**20:,.0f} MiB" if isinstance(v, (int, float)) else ""


def _unit(v: Any, unit: str) -> str:
    return "" if v is None else f"{text(v)}{unit}"


def gpu_states(latest: Mapping[str, CaseResult]) -> tuple[GpuStateRow, ...]:
    rows: list[GpuStateRow] = []
    for cid, r in latest.items():
        if isinstance(r.gpu_state, Mapping):
            for when in ("before", "after"):
                rows += _snapshot_rows(cid, when, r.gpu_state.get(when))
    return tuple(rows)


_SECTIONS = ("run", "host", "python", "tensorflow", "nvidia", "env")


def environment(fp: Mapping[str, Any]) -> tuple[Section, ...]:
    names = [s for s in _SECTIONS if s in fp] + sorted(
        k for k in fp if k not in _SECTIONS and isinstance(fp[k], Mapping)
    )
    out = []
    for name in names:
        data = fp[name]
        status = text(dig(data, "status")) if isinstance(data, Mapping) else ""
        rows = tuple(Fact(k, v) for k, v in display.flatten(data))
        out.append(Section(name, status, rows))
    return tuple(out)


def reproduce(record: RunRecord, fp: Mapping[str, Any]) -> Reproduce:
    ref, digest = display.image(fp, record.image)
    return Reproduce(
        command=display.public(shlex.join(str(a) for a in record.command)),
        image_reference=ref,
        image_digest=digest,
        git_sha=text(dig(fp, "run", "git_sha")),
        git_dirty=text(dig(fp, "run", "git_dirty")),
        matrix_digest=text(record.matrix_digest) or text(dig(fp, "run", "matrix_digest")),
        lock_hash=display.lock_hash(fp, record.image),
        suite_version=text(record.suite_version) or text(dig(fp, "run", "suite_version")),
    )
