"""Read one run directory for the report, tolerating a damaged ``cases.jsonl``.

Policy (docs/report.md, "A damaged cases.jsonl"): a published page that shows nothing because
one line of 200 is bad helps nobody, so the report renders every valid line and puts a visible
warning naming ``file:line`` and the problem at the top of the page (and on stderr). A missing
or unreadable ``run.json`` is still an error (exit 2): without it we do not know what was asked.
``benchmarks.rundir.results.iter_cases`` stays strict for everything else (resume, compare in CI).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import ResultsError
from benchmarks.rundir.jsonio import read_json
from benchmarks.rundir.layout import CASES_FILE, DIAGNOSIS_FILE, FINGERPRINT_FILE, PROBE_LOG
from benchmarks.rundir.results import CaseResult, RunRecord, read_run

PROBE_LOG_LINES = 200


@dataclass(frozen=True)
class LoadedRun:
    """Everything the report reads from one run directory."""

    run_dir: Path
    record: RunRecord
    cases: tuple[CaseResult, ...]
    fingerprint: dict[str, Any]  # {} when absent
    diagnosis: dict[str, Any] | None  # None when no GPU was asked for (file absent)
    problems: tuple[str, ...]  # "file:line: what is wrong", shown on the page
    probe_log: tuple[str, ...] = ()  # the last lines of the GPU probe's output


def case_from_line(line: str, where: str, *, last_partial: bool = False) -> CaseResult | str:
    """One line of cases.jsonl as a result, or the problem (ending "line skipped"). Pure."""
    if "\ufffd" in line:
        return f"{where}: not UTF-8 text; line skipped"
    try:
        data = json.loads(line)
    except RecursionError:
        return f"{where}: nested too deeply; line skipped"
    except json.JSONDecodeError as exc:
        what = "incomplete last line (run stopped mid-write?)" if last_partial else "not valid JSON"
        return f"{where}: {what} ({exc.msg} at column {exc.colno}); line skipped"
    if not isinstance(data, dict):
        return f"{where}: expected a JSON object; line skipped"
    try:
        return CaseResult.from_dict(data, where)
    except ResultsError as exc:
        return f"{exc.message}; line skipped"
    except TypeError as exc:  # a known field with an impossible shape
        return f"{where}: malformed case ({exc}); line skipped"


def read_cases_tolerant(run_dir: Path) -> tuple[list[CaseResult], list[str]]:
    """Every valid line of cases.jsonl, and one problem string per line that is not."""
    path = run_dir / CASES_FILE
    problems: list[str] = []
    if not path.exists():
        return [], []
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    out: list[CaseResult] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        partial = number == len(lines) and not text.endswith("\n")
        got = case_from_line(line, f"{CASES_FILE}:{number}", last_partial=partial)
        if isinstance(got, str):
            problems.append(got)
        else:
            out.append(got)
    return out, problems


def _optional_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        return read_json(path)
    except ResultsError as exc:
        problems.append(f"{path.name}: {exc.message.split(': ', 1)[-1]}; ignored")
        return None


def load_run(run_dir: Path) -> LoadedRun:
    """Read a run directory; raises ResultsError only when run.json is missing or unusable."""
    if not run_dir.is_dir():
        raise ResultsError(f"{run_dir}: not a directory", "pass a run directory (reports/<run-id>)")
    record = read_run(run_dir)
    cases, problems = read_cases_tolerant(run_dir)
    fingerprint = _optional_json(run_dir / FINGERPRINT_FILE, problems) or {}
    diagnosis = _optional_json(run_dir / DIAGNOSIS_FILE, problems)
    probe: tuple[str, ...] = ()
    if (run_dir / PROBE_LOG).is_file():
        text = (run_dir / PROBE_LOG).read_bytes().decode("utf-8", errors="replace")
        probe = tuple(text.splitlines()[-PROBE_LOG_LINES:])
    return LoadedRun(run_dir, record, tuple(cases), fingerprint, diagnosis, tuple(problems), probe)
