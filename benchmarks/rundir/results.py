"""The results format: one run directory, versioned JSON files, and their readers.

A run directory ``reports/<run-id>/`` holds

* ``cases.jsonl``  one JSON object per finished cell (``CaseResult``), appended and flushed as
  each cell ends, so a crash or Ctrl-C loses nothing already measured;
* ``run.json``     what was asked and how it ended (``RunRecord``), rewritten at start and end;
* ``fingerprint.json``, ``diagnosis.json`` (written by their own modules), ``logs/``.

Readers check ``schema_version`` and refuse what they do not understand with a ``ResultsError``
that names the file and line. ``load`` (pandas) is the only non-stdlib import, done lazily.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.errors import ResultsError
from benchmarks.rundir import casecheck
from benchmarks.rundir.jsonio import append_line, read_json, write_json_atomic
from benchmarks.rundir.layout import CASES_FILE, RUN_FILE

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
# What each schema version's timings mean: compare names a change as a difference of method.
METHODS = {
    1: "blocks of one cell back to back, one worker process, unpaired bootstrap",
    2: "modes interleaved in paired rounds, several fresh processes, hierarchical bootstrap",
}
STATUSES = ("ok", "failed", "crashed", "timeout", "oom", "skipped")

FEWER_PROCESSES = "fewer_processes"  # a run stopped before every pass reached the cell
# Warning codes a cell may carry; the report explains each.
WARNINGS = {
    "unstable_cov": "coefficient of variation of the block times above 10 %",
    "unstable_outlier": "slowest block more than 1.5 x the median",
    "retraced": "tf.function traced again after warm-up (shape/dtype/Python-value change)",
    "output_mismatch": "output differs from the eager output for the same weights and input",
    "cpu_fallback": "output tensor was not on the requested device",
    "throttled": "a GPU throttle reason (thermal, power cap, HW slowdown) was active",
    "foreign_gpu_process": "another process used the GPU while the cell ran",
    "clock_drop": "GPU SM clock fell markedly during the cell",
    "high_load": "other processes used a large share of the CPUs while the cell ran",
    "processes_disagree": "the 95 % CIs of some two fresh processes do not overlap: they "
    "measured different things (a busy neighbour, another CPU placement)",
    FEWER_PROCESSES: "measured in fewer fresh processes than planned (run interrupted)",
    "not_applicable": "the call path does not apply to this workload (skipped, not a failure)",
}


@dataclass(frozen=True)
class CaseResult:
    """One line of cases.jsonl. Times are seconds; per-call figures unless named otherwise."""

    case_id: str
    workload: str  # with ".<call>" for a non-default call path (names.series), e.g. embed.predict
    mode: str
    batch_size: int
    device: str
    status: str
    reason: str | None = None
    # per-call statistics over the timed blocks of every process (schema 1: of one process)
    median_s: float | None = None
    ci_low_s: float | None = None  # 95 % CI of the median (schema 2: hierarchical bootstrap)
    ci_high_s: float | None = None
    iqr_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    mean_s: float | None = None
    cov: float | None = None  # stdev / mean of the block times (schema 2: median over processes)
    samples_s: list[float] = field(default_factory=list)  # per-call time of each block, pooled
    iters_per_block: int | None = None
    first_call_s: float | None = None  # trace (graph) or trace+compile (xla) included
    traces: int | None = None  # tf.function tracing count after timing (1 = no retrace)
    flops_per_sample: int | None = None
    output_device: str | None = None
    max_abs_diff: float | None = None  # vs eager output, same weights and input
    # what was measured: kind/source/sha256/signature of a user's model, params, flops_from
    model: dict[str, Any] | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    phases_s: dict[str, float] = field(default_factory=dict)  # build/first_call/warmup/measure
    worker: dict[str, Any] = field(default_factory=dict)  # pid, exit code/signal, stderr tail
    gpu_state: dict[str, Any] | None = None  # before/after snapshots (GPU cells)
    fingerprint_digest: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    # schema 2: one entry per fresh process, in pass order: {"pass", "pid", "samples_s" (one
    # per round; round r of every mode of a group was timed together), "median_s",
    # "iters_per_block", "first_call_s", "stop"}
    processes: list[dict[str, Any]] = field(default_factory=list)
    processes_planned: int | None = None
    process_spread: float | None = None  # (max - min) / median of the per-process medians
    stop: str | None = None  # rounds | target_ci | time_cap | mixed (which rule ended rounds)
    schema_version: int = SCHEMA_VERSION

    @property
    def process_samples(self) -> list[list[float]]:
        """Per process, its per-round per-call times (schema 1: one process, its blocks)."""
        if self.processes:
            return [[float(v) for v in p.get("samples_s") or []] for p in self.processes]
        return [list(self.samples_s)] if self.samples_s else []

    @property
    def process_medians(self) -> list[float]:
        return [float(p["median_s"]) for p in self.processes if p.get("median_s") is not None]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> CaseResult:
        version = data.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise ResultsError(
                f"{where}: schema_version {version!r} is not supported",
                f"this graphbench reads schema_version {_readable()}; re-run or upgrade",
            )
        known = cls.__dataclass_fields__
        missing = [
            k
            for k in ("case_id", "workload", "mode", "batch_size", "device", "status")
            if k not in data
        ]
        if missing:
            raise ResultsError(f"{where}: missing field {missing[0]!r}", "the file is damaged")
        shape = casecheck.problem(data, cls)
        if shape is not None:
            raise ResultsError(f"{where}: {shape}", "the file is damaged")
        if data["status"] not in STATUSES:
            raise ResultsError(
                f"{where}: unknown status {data['status']!r}", f"allowed: {', '.join(STATUSES)}"
            )
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class RunRecord:
    """run.json: the request and how the run ended."""

    run_id: str
    command: list[str]
    profile: str
    matrix_source: str
    matrix_digest: str
    cases: list[str]  # every planned case id, in order
    devices: list[str]
    timing: dict[str, Any]
    started_at: str
    finished_at: str | None = None
    # running | complete | cells_failed | gpu_unavailable | interrupted | incomplete (merged)
    status: str = "running"
    exit_code: int | None = None
    wall_s: dict[str, float] = field(default_factory=dict)  # total/import/build/.../measure
    image: dict[str, str] = field(default_factory=dict)  # reference/digest, when in a container
    suite_version: str = ""
    allow_gpu_failure: bool = False
    resumed_from: list[str] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)  # workload/mode/batch_size/device
    seed: int = 0
    threads: int = 0  # TensorFlow intra- and inter-op threads in the workers
    workers: list[dict[str, Any]] = field(default_factory=list)  # pid, pass, import_s, end state
    # shards (run --shard K/N) and merged runs (merge), docs/scale-out.md
    shard: dict[str, Any] | None = None  # index K, count N, costs, split_digest: shard K of N
    plan_digest: str = ""  # sha256 of the full plan (plan.shard.plan_digest), shard or not
    full_plan: list[dict[str, Any]] = field(default_factory=list)  # a shard's: the whole plan
    merged_from: list[dict[str, Any]] = field(default_factory=list)  # a merged run's shards
    missing: list[str] = field(default_factory=list)  # a merged run's cells no shard measured
    # user models by workload name: the checked SPEC (plan.model_spec.ModelSpec), for --resume
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def method(self) -> str:
        """How this run's timings were taken (one sentence per schema version)."""
        return METHODS.get(self.schema_version, f"schema_version {self.schema_version}")


def _readable() -> str:
    return " or ".join(str(v) for v in READABLE_VERSIONS)


def append_case(run_dir: Path, result: CaseResult) -> None:
    """Append one whole line and force it to disk before returning (rundir.jsonio.append_line)."""
    append_line(run_dir / CASES_FILE, result.to_json(), resume_dir=run_dir)


def iter_cases(run_dir: Path) -> Iterator[CaseResult]:
    """Yield every case of ``cases.jsonl``; a bad line raises naming file and line number.

    A run killed mid-write can leave a last line without its newline: that one partial line is
    ignored (it was never a finished result), any other bad line is an error.
    """
    path = run_dir / CASES_FILE
    if not path.exists():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ResultsError(f"{path}: not UTF-8 text ({exc})", "the file is damaged") from None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        is_last_partial = number == len(lines) and not text.endswith("\n")
        try:
            data = json.loads(line)
        except RecursionError:
            raise ResultsError(f"{where}: nested too deeply", "the file is damaged") from None
        except json.JSONDecodeError as exc:
            if is_last_partial:
                return
            raise ResultsError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})",
                "remove or repair that line; every line must be one JSON object",
            ) from None
        if not isinstance(data, dict):
            raise ResultsError(f"{where}: expected a JSON object", "the file is damaged")
        yield CaseResult.from_dict(data, where)


def read_cases(run_dir: Path) -> list[CaseResult]:
    return list(iter_cases(run_dir))


def latest_by_case(results: Sequence[CaseResult]) -> dict[str, CaseResult]:
    """The last line for each case id wins (a resumed run appends a retry after a failure)."""
    return {r.case_id: r for r in results}


def write_run(run_dir: Path, record: RunRecord) -> None:
    write_json_atomic(run_dir / RUN_FILE, asdict(record))


def read_run(run_dir: Path) -> RunRecord:
    path = run_dir / RUN_FILE
    data = read_json(path)
    if data.get("schema_version") not in READABLE_VERSIONS:
        raise ResultsError(
            f"{path}: schema_version {data.get('schema_version')!r} is not supported",
            f"this graphbench reads schema_version {_readable()}",
        )
    known = RunRecord.__dataclass_fields__
    shape = casecheck.problem(data, RunRecord)
    if shape is not None:
        raise ResultsError(f"{path}: {shape}", "the file is damaged")
    try:
        return RunRecord(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise ResultsError(
            f"{path}: incomplete run record ({exc})", "the file is damaged"
        ) from None


COLUMNS = (
    "case_id",
    "workload",
    "mode",
    "batch_size",
    "device",
    "status",
    "reason",
    "median_s",
    "ci_low_s",
    "ci_high_s",
    "iqr_s",
    "min_s",
    "cov",
    "first_call_s",
    "traces",
    "warnings",
    "iters_per_block",
    "flops_per_sample",
    "max_abs_diff",
    "output_device",
    "process_spread",
    "stop",
)


def to_frame(results: Sequence[CaseResult]) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for r in latest_by_case(results).values():
        row = {c: getattr(r, c) for c in COLUMNS}
        row["warnings"] = [w["code"] for w in r.warnings]
        rows.append(row)
    frame: pd.DataFrame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame


def load(run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """A run's cases as a DataFrame, one row per case id (the latest result for each)."""
    return to_frame(read_cases(Path(run_dir)))
