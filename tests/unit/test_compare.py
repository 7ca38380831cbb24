"""Run-to-run comparison: flag only changes that are both significant and large enough."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from benchmarks.cli import main
from benchmarks.report import compare as c
from benchmarks.report import display
from benchmarks.rundir.results import CaseResult
from tests.unit.report_fixtures import RUNS, run


def _cmp(
    threshold: float = 0.10,
    new_fp: dict[str, Any] | None = None,
    base_cases: list[CaseResult] | None = None,
    new_cases: list[CaseResult] | None = None,
) -> c.Comparison:
    b, n = run("compare-base"), run("compare-new")
    return c.compare_runs(
        base_cases if base_cases is not None else b.cases,
        new_cases if new_cases is not None else n.cases,
        baseline_env=display.environment(b.fingerprint, b.record),
        new_env=display.environment(new_fp if new_fp is not None else n.fingerprint, n.record),
        threshold=threshold,
    )


def test_regression_and_improvement_are_flagged() -> None:
    cmp = _cmp()
    by = {x.case_id: x for x in cmp.changes}
    assert cmp.comparable and len(cmp.changes) == 12
    assert by["mlp-graph-b1-cpu"].verdict == c.REGRESSION  # fixture: 25 % slower
    slower = by["mlp-graph-b1-cpu"]
    assert slower.ratio is not None and slower.ci_low is not None
    assert 1.2 < slower.ratio < 1.3 and slower.ci_low > 1
    assert by["mlp-xla-b100-cpu"].verdict == c.IMPROVEMENT  # fixture: 20 % faster
    assert by["mlp-eager-b10-cpu"].verdict == c.BELOW_THRESHOLD  # 4 %: real but small
    assert [x.case_id for x in cmp.regressions] == ["mlp-graph-b1-cpu"]
    assert [x.case_id for x in cmp.improvements] == ["mlp-xla-b100-cpu"]
    unchanged = [x for x in cmp.changes if x.verdict == c.NO_CHANGE]
    assert len(unchanged) == 9
    assert all(x.ci_low is not None and x.ci_high is not None for x in unchanged)
    assert all(x.ci_low <= 1 <= x.ci_high for x in unchanged)  # type: ignore[operator]


def test_threshold_is_configurable() -> None:
    cmp = _cmp(threshold=0.3)
    assert not cmp.regressions and not cmp.improvements
    assert {x.verdict for x in cmp.changes} == {c.NO_CHANGE, c.BELOW_THRESHOLD}
    assert len(_cmp(threshold=0.01).regressions) == 2  # now the 4 % change counts too
    with pytest.raises(ValueError):
        _cmp(threshold=-0.1)


def test_classify_needs_both_ci_and_threshold() -> None:
    assert c.classify(1.5, 0.9, 2.0, 0.1) == c.NO_CHANGE  # big but noisy
    assert c.classify(1.05, 1.04, 1.06, 0.1) == c.BELOW_THRESHOLD  # certain but small
    assert c.classify(1.2, 1.1, 1.3, 0.1) == c.REGRESSION
    assert c.classify(0.8, 0.7, 0.85, 0.1) == c.IMPROVEMENT


def test_different_environments_are_not_comparable_and_name_the_facts() -> None:
    fp = json.loads((RUNS / "compare-new" / "fingerprint.json").read_text())
    fp["tensorflow"]["version"] = "2.20.0"
    fp["host"]["cpu_model"] = "Intel Xeon Platinum 8480+"
    cmp = _cmp(new_fp=fp)
    assert not cmp.comparable
    assert {(d.fact, d.baseline, d.new) for d in cmp.differences} == {
        ("TensorFlow version", "2.21.0", "2.20.0"),
        ("CPU model", "AMD EPYC 9R14 96-Core Processor", "Intel Xeon Platinum 8480+"),
    }
    assert {x.verdict for x in cmp.changes} == {c.NOT_COMPARABLE} and not cmp.regressions
    gpu = dict(fp, nvidia={"driver_version": "580.1", "gpus": [{"name": "NVIDIA A100"}]})
    facts_ = {d.fact for d in _cmp(new_fp=gpu).differences}
    assert {"GPU model", "NVIDIA driver"} <= facts_


def test_broke_fixed_and_one_sided_cells() -> None:
    b, n = run("compare-base"), run("compare-new")
    new = [
        dataclasses.replace(r, status="failed", reason="boom", median_s=None, samples_s=[])
        if r.case_id == "mlp-xla-b1-cpu"
        else r
        for r in n.cases
    ]
    base = [
        dataclasses.replace(r, status="oom", median_s=None, samples_s=[])
        if r.case_id == "mlp-eager-b1000-cpu"
        else r
        for r in b.cases
    ]
    base.append(dataclasses.replace(b.cases[0], case_id="gone-eager-b1-cpu"))
    cmp = _cmp(base_cases=base, new_cases=new)
    by = {x.case_id: x for x in cmp.changes}
    assert (
        by["mlp-xla-b1-cpu"].verdict == c.BROKE
        and by["mlp-xla-b1-cpu"].note == "baseline ok, new failed"
    )
    assert by["mlp-eager-b1000-cpu"].verdict == c.FIXED
    assert "mlp-xla-b1-cpu" in [x.case_id for x in cmp.regressions]
    assert cmp.only_in_baseline == ("gone-eager-b1-cpu",) and cmp.only_in_new == ()


def test_compare_command_text_json_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    base, new = str(RUNS / "compare-base"), str(RUNS / "compare-new")
    assert main(["compare", base, new]) == 0
    out = capsys.readouterr().out
    assert "mlp-graph-b1-cpu" in out and "regression" in out and "1 regression(s)" in out
    assert main(["compare", base, new, "--json", "--threshold", "0.05"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regressions"] == ["mlp-graph-b1-cpu"] and data["threshold"] == 0.05
    assert main(["compare", base, new, "--fail-on-regression"]) == 1
    capsys.readouterr()
    assert main(["compare", base, "/nonexistent/run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: /nonexistent/run: no such run directory") and "hint:" in err
    assert main(["compare", base, new, "--threshold", "-1"]) == 2
