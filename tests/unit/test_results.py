from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.errors import ResultsError
from benchmarks.rundir import results
from benchmarks.rundir.results import CaseResult, RunRecord


def case(case_id: str = "mlp-graph-b100-cpu", status: str = "ok", **kw: object) -> CaseResult:
    workload, mode, b, device = case_id.split("-")
    fields = dict(
        case_id=case_id,
        workload=workload,
        mode=mode,
        batch_size=int(b[1:]),
        device=device,
        status=status,
    )
    fields.update(kw)
    return CaseResult(**fields)  # type: ignore[arg-type]


def test_round_trip_through_cases_jsonl(tmp_path: Path) -> None:
    a = case(
        median_s=1e-3, samples_s=[1e-3, 1.1e-3], warnings=[{"code": "retraced", "detail": "2"}]
    )
    b = case("mlp-eager-b100-cpu", "crashed", reason="worker killed by SIGKILL")
    results.append_case(tmp_path, a)
    results.append_case(tmp_path, b)
    assert results.read_cases(tmp_path) == [a, b]


def test_load_returns_the_documented_columns_latest_row_wins(tmp_path: Path) -> None:
    results.append_case(tmp_path, case(status="failed", reason="boom"))
    results.append_case(
        tmp_path,
        case(
            median_s=2e-3,
            ci_low_s=1.9e-3,
            ci_high_s=2.1e-3,
            first_call_s=0.03,
            traces=1,
            warnings=[{"code": "unstable_cov", "detail": "x"}],
        ),
    )
    frame = results.load(tmp_path)
    for column in (
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
        "first_call_s",
        "traces",
        "warnings",
    ):
        assert column in frame.columns
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["status"] == "ok" and row["median_s"] == 2e-3
    assert row["warnings"] == ["unstable_cov"]


def test_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    results.append_case(tmp_path, case())
    with (tmp_path / "cases.jsonl").open("a") as fh:
        fh.write("{not json\n")
    results.append_case(tmp_path, case("mlp-xla-b100-cpu"))
    with pytest.raises(ResultsError, match=r"cases.jsonl:2: not valid JSON"):
        results.read_cases(tmp_path)


def test_a_partial_last_line_from_a_killed_writer_is_ignored(tmp_path: Path) -> None:
    results.append_case(tmp_path, case())
    with (tmp_path / "cases.jsonl").open("a") as fh:
        fh.write('{"case_id": "mlp-xla')
    assert [r.case_id for r in results.read_cases(tmp_path)] == ["mlp-graph-b100-cpu"]


def test_unknown_schema_version_and_status_are_refused(tmp_path: Path) -> None:
    line = json.loads(case().to_json())
    (tmp_path / "cases.jsonl").write_text(json.dumps({**line, "schema_version": 99}) + "\n")
    with pytest.raises(ResultsError, match="schema_version 99"):
        results.read_cases(tmp_path)
    (tmp_path / "cases.jsonl").write_text(json.dumps({**line, "status": "great"}) + "\n")
    with pytest.raises(ResultsError, match="unknown status 'great'"):
        results.read_cases(tmp_path)


def test_nan_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        results.append_case(tmp_path, case(median_s=float("nan")))


def test_run_record_round_trip(tmp_path: Path) -> None:
    rec = RunRecord(
        run_id="r",
        command=["python"],
        profile="smoke",
        matrix_source="m",
        matrix_digest="d",
        cases=["a"],
        devices=["cpu"],
        timing={"blocks": 9},
        started_at="2026-01-01T00:00:00Z",
        plan=[{"workload": "mlp"}],
    )
    results.write_run(tmp_path, rec)
    assert results.read_run(tmp_path) == rec
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(ResultsError, match=r"run\.json: cannot be read as JSON"):
        results.read_run(tmp_path)
