"""Which cells ``run --resume`` measures (run/resume.cells_to_run), on literal results."""

from __future__ import annotations

from benchmarks.run.resume import cells_to_run
from benchmarks.rundir.results import CaseResult

PLANNED = ["a", "b", "c", "d", "e"]
SHORT = {"code": "fewer_processes", "detail": "2 of 3 processes"}


def _line(cid: str, status: str = "ok", *warnings: dict[str, str]) -> CaseResult:
    return CaseResult(cid, "mlp", "eager", 1, "cpu", status, warnings=list(warnings))


def test_missing_crashed_and_short_cells_run_again_in_plan_order() -> None:
    latest = {"a": _line("a"), "b": _line("b", "crashed"), "c": _line("c", "failed")}
    latest["e"] = _line("e")
    assert cells_to_run(PLANNED, latest) == ["b", "d"]  # failed would fail the same way again
    latest["a"] = _line("a", "ok", SHORT)
    latest["e"] = _line("e", "ok", {"code": "unstable_cov", "detail": "x"}, SHORT)
    assert cells_to_run(PLANNED, latest) == ["a", "b", "d", "e"]


def test_a_result_outside_the_plan_is_not_run() -> None:
    latest = {cid: _line(cid) for cid in PLANNED} | {"zz": _line("zz", "crashed")}
    assert cells_to_run(PLANNED, latest) == []
