"""Figures derived from a run's cases, stored next to them so that a long history renders fast.

A run's speedups carry bootstrap CIs (hierarchical, 2000 resamples): ~2 ms each, ~70 ms for the
48 cells of the default profile, which was most of the time a 200-run site took to render, spent
recomputing numbers that cannot change. ``publish`` therefore writes ``speedups.json`` into each
run it adds to the history, and a page uses that file only when it was computed from these very
``cases.jsonl`` bytes by this very analysis code (the digests of both are in the file). Anything
else (no file, a damaged one, one from other cases or another version of the statistics) is
ignored and the figures are recomputed: the file only saves time. (It guards against staleness
and damage, not against a hand-edited history: whoever can write the history can write its
cases too.)

I/O at the edges (``write``, ``read``); ``encode``/``decode`` are pure.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmarks import __version__, analysis, stats
from benchmarks.analysis import Speedup
from benchmarks.plan import names
from benchmarks.rundir.jsonio import write_text_atomic
from benchmarks.rundir.layout import CASES_FILE, SPEEDUPS_FILE
from benchmarks.rundir.results import CaseResult

SCHEMA = 1


@lru_cache(maxsize=1)
def code_digest() -> str:
    """graphbench's version and the source of the code that computes a speedup."""
    h = hashlib.sha256(__version__.encode())
    for module in (stats, analysis, names):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()


def cases_digest(run_dir: Path) -> str | None:
    try:
        return hashlib.sha256((run_dir / CASES_FILE).read_bytes()).hexdigest()
    except OSError:
        return None


def encode(values: Sequence[Speedup], cases_sha256: str) -> str:
    rows = [asdict(s) for s in values]  # every field, in the dataclass's order
    doc = {"schema": SCHEMA, "code": code_digest(), "cases_sha256": cases_sha256, "speedups": rows}
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _speedup(row: Any) -> Speedup | None:
    if not isinstance(row, dict):
        return None
    texts = [row.get(k) for k in ("workload", "device", "mode")]
    numbers = [row.get(k) for k in ("ratio", "ci_low", "ci_high")]
    each = row.get("process_ratios")
    batch = row.get("batch_size")
    if not all(isinstance(t, str) for t in texts) or not all(map(_number, numbers)):
        return None
    if not isinstance(batch, int) or isinstance(batch, bool) or not isinstance(each, list):
        return None
    flags = [row.get(k) for k in ("paired", "disagree")]
    if not all(map(_number, each)) or not all(isinstance(f, bool) for f in flags):
        return None
    return Speedup(
        str(texts[0]), str(texts[1]), batch, str(texts[2]),
        float(row["ratio"]), float(row["ci_low"]), float(row["ci_high"]),
        bool(row["paired"]), tuple(float(v) for v in each), bool(row["disagree"]),
    )  # fmt: skip


def decode(text: str, cases_sha256: str | None) -> list[Speedup] | None:
    """The stored speedups, or None unless the file is whole and was computed from the cases
    whose digest is ``cases_sha256`` by this code."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or cases_sha256 is None:
        return None
    if doc.get("code") != code_digest() or doc.get("cases_sha256") != cases_sha256:
        return None
    rows = doc.get("speedups")
    if not isinstance(rows, list):
        return None
    out = [_speedup(r) for r in rows]
    return None if any(s is None for s in out) else [s for s in out if s is not None]


def write(run_dir: Path, cases: Sequence[CaseResult]) -> None:
    """Compute and store the speedups of ``cases``, which must be ``run_dir``'s cases.jsonl as
    read now (its digest is stored with them)."""
    digest = cases_digest(run_dir)
    if digest is not None:
        write_text_atomic(run_dir / SPEEDUPS_FILE, encode(analysis.speedups(cases), digest))


def read(run_dir: Path) -> list[Speedup] | None:
    try:
        text = (run_dir / SPEEDUPS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return decode(text, cases_digest(run_dir))


def speedups_of(run_dir: Path, cases: Sequence[CaseResult]) -> list[Speedup]:
    """The run's speedups: the stored ones when they are valid for its cases, else computed."""
    stored = read(run_dir)
    return stored if stored is not None else analysis.speedups(cases)
