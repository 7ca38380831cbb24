"""Which cells a pass measures, and when a cell is final. Pure: the runner does the I/O.

The plan is measured in ``processes`` passes; each pass is one fresh worker per device kind that
goes over every cell *group* (the modes of one workload x call path x batch size x device,
``plan.shard.group_key``, so a shard holds whole groups) once. A cell is **final** — and
appended to ``cases.jsonl`` at once — when either

* one of its processes ended it with a status other than ``ok`` (failed, oom, crashed, timeout):
  that status is the cell's, it is not measured again in later passes, and the earlier
  processes' timings of it are dropped (a cell whose mode crashes sometimes has no honest value);
* or it has been measured in every planned pass: the last pass makes it final.

When a run is interrupted, every cell measured in at least one pass is written as it stands,
flagged ``fewer_processes``; ``--resume`` measures such a cell again in full (the new line
supersedes it) and runs a cell measured in none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.plan.matrix import Case
from benchmarks.plan.shard import group_key
from benchmarks.run.outcome import ProcessRun


def group_label(case: Case) -> str:
    """``mlp-*-b100-cpu``: the group's case ids as one glob (what ``--only`` would take)."""
    return group_key(case)


def worker_kind(case: Case) -> str:
    return "gpu" if case.is_gpu else "cpu"


def groups(cases: Sequence[Case]) -> list[tuple[Case, ...]]:
    """Cell groups in plan order (first appearance), by worker kind, modes in plan order."""
    by_key: dict[str, list[Case]] = {}
    for c in cases:
        by_key.setdefault(group_key(c), []).append(c)
    kinds = list(dict.fromkeys(worker_kind(c) for c in cases))
    out = [tuple(g) for g in by_key.values()]
    return sorted(out, key=lambda g: kinds.index(worker_kind(g[0])))


@dataclass
class Ledger:
    """Every cell's processes so far, and which cells are final."""

    planned: int  # passes = processes per cell
    runs: dict[str, list[ProcessRun]] = field(default_factory=dict)
    final: set[str] = field(default_factory=set)

    def pending(self, group: Sequence[Case]) -> list[Case]:
        """The cells of ``group`` a pass still has to measure."""
        return [c for c in group if c.case_id not in self.final]

    def add(self, case: Case, run: ProcessRun) -> None:
        self.runs.setdefault(case.case_id, []).append(run)

    def close(self, case: Case) -> list[ProcessRun]:
        """Mark ``case`` final; returns its processes (for an ok cell: all of them)."""
        self.final.add(case.case_id)
        return self.runs.pop(case.case_id, [])

    def unfinished(self, cases: Sequence[Case]) -> list[tuple[Case, list[ProcessRun]]]:
        """Cells measured in some passes but not final (what an interrupt writes as it stands)."""
        return [
            (c, self.runs[c.case_id])
            for c in cases
            if c.case_id not in self.final and self.runs.get(c.case_id)
        ]
