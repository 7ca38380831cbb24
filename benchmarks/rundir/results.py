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

SCHEMA_VERSION = 1
STATUSES = ("ok", "failed", "crashed", "timeout", "oom", "skipped")

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
}


@dataclass(frozen=True)
class CaseResult:
    """One line of cases.jsonl. Times are seconds; per-call figures unless named otherwise."""

    case_id: str
    workload: str
    mode: str
    batch_size: int
    device: str
    status: str
    reason: str | None = None
    # per-call statistics over the timed blocks
    median_s: float | None = None
    ci_low_s: float | None = None  # bootstrap 95 % CI of the median
    ci_high_s: float | None = None
    iqr_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    mean_s: float | None = None
    cov: float | None = None  # stdev / mean of the block per-call times
    samples_s: list[float] = field(default_factory=list)  # per-call time of each block
    iters_per_block: int | None = None
    first_call_s: float | None = None  # trace (graph) or trace+compile (xla) included
    traces: int | None = None  # tf.function tracing count after timing (1 = no retrace)
    flops_per_sample: int | None = None
    output_device: str | None = None
    max_abs_diff: float | None = None  # vs eager output, same weights and input
    warnings: list[dict[str, str]] = field(default_factory=list)
    phases_s: dict[str, float] = field(default_factory=dict)  # build/first_call/warmup/measure
    worker: dict[str, Any] = field(default_factory=dict)  # pid, exit code/signal, stderr tail
    gpu_state: dict[str, Any] | None = None  # before/after snapshots (GPU cells)
    fingerprint_digest: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> CaseResult:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ResultsError(
                f"{where}: schema_version {version!r} is not supported",
                f"this graphbench reads schema_version {SCHEMA_VERSION}; re-run or upgrade",
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
    status: str = "running"  # running | complete | cells_failed | gpu_unavailable | interrupted
    exit_code: int | None = None
    wall_s: dict[str, float] = field(default_factory=dict)  # total/import/build/.../measure
    image: dict[str, str] = field(default_factory=dict)  # reference/digest, when in a container
    suite_version: str = ""
    allow_gpu_failure: bool = False
    resumed_from: list[str] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)  # workload/mode/batch_size/device
    seed: int = 0
    threads: int = 0  # TensorFlow intra- and inter-op threads in the workers
    workers: list[dict[str, Any]] = field(default_factory=list)  # pid, import_s, end state
    schema_version: int = SCHEMA_VERSION


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
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ResultsError(
            f"{path}: schema_version {data.get('schema_version')!r} is not supported",
            f"this graphbench reads schema_version {SCHEMA_VERSION}",
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
