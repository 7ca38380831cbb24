"""Which cells ``run --resume`` measures (run/resume.cells_to_run), on literal ids."""

from __future__ import annotations

from benchmarks.run.resume import cells_to_run

PLANNED = ["a", "b", "c", "d", "e"]


def test_missing_crashed_and_short_cells_run_again_in_plan_order() -> None:
    latest = {"a": "ok", "b": "crashed", "c": "failed", "e": "ok"}
    assert cells_to_run(PLANNED, latest) == ["b", "d"]  # failed would fail the same way again
    assert cells_to_run(PLANNED, latest, short=["e", "a"]) == ["a", "b", "d", "e"]


def test_a_short_id_outside_the_plan_is_not_run() -> None:
    assert cells_to_run(PLANNED, dict.fromkeys(PLANNED, "ok"), short=["zz"]) == []
