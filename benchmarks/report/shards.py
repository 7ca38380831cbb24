"""The "Shards" section of a merged run's page: which shard ran where, and whether machines mix.

``shards_view`` is pure (the merged run.json and each shard's fingerprint in, display values
out); ``read_fingerprints`` is the one read, of ``shards/<K>-of-<N>/fingerprint.json``.
A plain (unmerged) run has no such section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import ResultsError
from benchmarks.report import display
from benchmarks.rundir.jsonio import read_json
from benchmarks.rundir.layout import FINGERPRINT_FILE
from benchmarks.rundir.results import RunRecord


@dataclass(frozen=True)
class ShardRow:
    label: str  # "2/3"
    status: str
    cells: str  # "measured / planned"
    machine: str  # machine class + short fingerprint digest(s)


@dataclass(frozen=True)
class ShardsView:
    summary: str
    machines: int
    rows: tuple[ShardRow, ...]
    missing: tuple[str, ...]  # case ids no shard given planned

    @property
    def css(self) -> str:
        return "bad" if self.missing else "warn" if self.machines > 1 else ""


def read_fingerprints(run_dir: Path, record: RunRecord) -> dict[str, dict[str, Any]]:
    """Each shard's kept fingerprint by its ``dir``; an unreadable one is left out."""
    out: dict[str, dict[str, Any]] = {}
    for entry in record.merged_from:
        rel = str(entry.get("dir", ""))
        path = run_dir / rel / FINGERPRINT_FILE
        if rel and path.is_file():
            try:
                out[rel] = read_json(path)
            except ResultsError:
                continue
    return out


def shards_view(
    record: RunRecord, fingerprints: Mapping[str, Mapping[str, Any]]
) -> ShardsView | None:
    if not record.merged_from:
        return None
    digests: dict[str, None] = {}
    rows = []
    for entry in record.merged_from:
        spec = entry.get("shard") or {}
        used = [str(d) for d in entry.get("machines", [])]
        digests.update(dict.fromkeys(used))
        fp = fingerprints.get(str(entry.get("dir", "")), {})
        where = display.machine_class(fp) if fp else "unknown machine"
        short = ", ".join(_short(d) for d in used)
        rows.append(
            ShardRow(
                label=f"{spec.get('index', '?')}/{spec.get('count', '?')}",
                status=display.text(entry.get("status")),
                cells=f"{entry.get('measured', 0)} / {entry.get('planned', 0)}",
                machine=f"{where} ({short})" if short else f"{where} (no cell measured)",
            )
        )
    count = int(record.merged_from[0].get("shard", {}).get("count", len(rows)))
    n = len(digests)
    summary = f"Merged from {len(rows)} of {count} shards"
    if n > 1:
        summary += (
            f", measured on {n} different machines or environments (their fingerprints "
            "differ). Speedups compare cells measured together (all modes of a workload, batch "
            "size and device run on one shard), but the overhead fit and the charts across "
            "batch sizes may mix them."
        )
    else:
        summary += ", all measured on one machine." if n else "; no cell was measured."
    return ShardsView(summary, n, tuple(rows), tuple(display.public(c) for c in record.missing))


def _short(digest: str) -> str:
    return display.public(digest.removeprefix("sha256:")[:12])
