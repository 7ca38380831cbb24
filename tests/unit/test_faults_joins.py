"""Where the fault fixes meet the later features: call paths and timing keys in a resumed
plan, bounded own-model tables, and publish of a run that is still written or was cut."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks.errors import ConfigError, ResultsError
from benchmarks.history import store
from benchmarks.plan import limits, own_models
from benchmarks.plan.matrix import Timing
from benchmarks.plan.names import CALL_PATHS, MODES
from benchmarks.run import resume
from benchmarks.rundir.lock import RunDirBusyError, RunLock

WHERE = Path("run.json")


def _validate(plan: list[dict[str, Any]], timing: dict[str, Any] | None = None) -> Any:
    from benchmarks.plan.matrix import Case

    ids = [Case(**c).case_id for c in plan]
    return resume.validate_plan(
        plan,
        ids,
        asdict(Timing()) if timing is None else timing,
        known_workloads=["mlp", "mine"],
        modes=MODES,
        calls=CALL_PATHS,
        where=WHERE,
    )


def cell(**over: Any) -> dict[str, Any]:
    base = {"workload": "mlp", "mode": "eager", "batch_size": 1, "device": "cpu", "call": "call"}
    return {**base, **over}


def test_a_stored_plan_keeps_its_call_paths_and_own_models() -> None:
    plan, timing = _validate([cell(), cell(workload="mine", call="predict")])
    assert [c["call"] for c in plan] == ["call", "predict"]
    assert timing["target_ci"] is None and timing["processes"] == 1


def test_a_plan_from_before_call_paths_resumes_with_the_default_call() -> None:
    old = {k: v for k, v in cell().items() if k != "call"}
    plan, _ = resume.validate_plan(
        [old],
        ["mlp-eager-b1-cpu"],
        {"blocks": 9},
        known_workloads=["mlp"],
        modes=MODES,
        calls=CALL_PATHS,
        where=WHERE,
    )
    assert plan[0]["call"] == "call"


def test_a_hand_edited_call_or_timing_is_refused() -> None:
    with pytest.raises(ResultsError, match="unknown call 'fit'"):
        _validate([cell(call="fit")])
    with pytest.raises(ResultsError, match="time_cap_s"):
        _validate([cell()], {**asdict(Timing()), "time_cap_s": 1e300})
    with pytest.raises(ResultsError, match="processes"):
        _validate([cell()], {**asdict(Timing()), "processes": 10**9})
    _validate([cell()], {**asdict(Timing()), "target_ci": 0.05})  # a fraction: fine


def test_every_timing_field_and_matrix_key_has_a_range() -> None:
    assert {f for f in asdict(Timing())} <= set(limits.TIMING_RANGE)
    assert "rounds" in limits.TIMING_RANGE


def test_resume_refuses_plan_changing_flags_of_later_features() -> None:
    with pytest.raises(ConfigError, match="--model, --call"):
        resume.refuse_conflicting_flags(
            only=(),
            matrix=None,
            device=None,
            out=None,
            profile=None,
            seed=None,
            stored_profile="smoke",
            stored_seed=1,
            others=["--model", "--call"],
        )


def test_own_model_tables_are_bounded() -> None:
    many = {f"m{i}": {"model": "m.keras"} for i in range(limits.MAX_MODELS + 1)}
    with pytest.raises(ConfigError, match="tables, more than"):
        own_models.parse_table(many, "x.toml", ["mlp"])
    huge = {"m": {"model": "m.keras", "input_shape": {"x": [10**12]}}}
    with pytest.raises(ConfigError, match="too large a shape"):
        own_models.parse_table(huge, "x.toml", ["mlp"])
    with pytest.raises(ConfigError, match="over 4096 characters"):
        own_models.parse_table({"m": {"model": "m" * 5000}}, "x.toml", ["mlp"])


def test_publish_drops_an_incomplete_last_case_line() -> None:
    text = '{"case_id": "a"}\n{"case_id": "b"}\n{"case_id": "c", "medi'
    assert store._scrub_jsonl(text).splitlines() == ['{"case_id": "a"}', '{"case_id": "b"}']


def test_a_run_still_being_written_is_busy_to_readers(tmp_path: Path) -> None:
    RunLock(tmp_path).check_idle()  # no lock file: idle, and none is created
    assert not (tmp_path / "run.lock").exists()
    held = RunLock(tmp_path)
    held.acquire()
    try:
        with pytest.raises(RunDirBusyError, match="still being written"):
            RunLock(tmp_path).check_idle()
    finally:
        held.release()
    RunLock(tmp_path).check_idle()
