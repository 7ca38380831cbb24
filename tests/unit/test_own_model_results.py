"""Pure parts of own models: input shapes, skipped call paths, identity in results and compare."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from benchmarks.plan.matrix import Case
from benchmarks.report import compare
from benchmarks.report.site import render_site
from benchmarks.run import outcome
from benchmarks.run.session import exit_status
from benchmarks.rundir import paths
from benchmarks.rundir.results import CaseResult
from benchmarks.worker.inputs import InputError, InputSpec, concrete_shape
from tests.unit.report_fixtures import copy_run, run
from tests.unit.test_compare import _cmp


def test_batch_dimension_is_the_cells_and_overrides_fill_unknown_sizes() -> None:
    spec = InputSpec("tokens", (None, 12), "int32", high=300)
    assert concrete_shape(spec, 32, {}) == (32, 12)
    ragged = InputSpec("tokens", (None, None), "int32")
    assert concrete_shape(ragged, 4, {"tokens": [128]}) == (4, 128)
    with pytest.raises(InputError, match=r"--input-shape tokens=12,16"):
        concrete_shape(ragged, 4, {})
    with pytest.raises(InputError, match="unknown rank"):
        concrete_shape(InputSpec("x", None, "float32"), 4, {})


def test_a_not_applicable_call_path_is_skipped_without_changing_the_exit_code() -> None:
    case = Case("raw", "graph", 2, "cpu", "predict")
    raw = {"status": "skipped", "reason": "predict needs a Keras model", "not_applicable": True}
    r = outcome.from_worker(case, raw)
    assert (r.case_id, r.workload, r.status) == (
        "raw.predict-graph-b2-cpu",
        "raw.predict",
        "skipped",
    )
    assert [w["code"] for w in r.warnings] == ["not_applicable"]
    ok = outcome.from_worker(
        Case("raw", "graph", 2, "cpu"), {"status": "ok", "samples_s": [1e-3] * 3}
    )
    latest = {r.case_id: r, ok.case_id: ok}
    plan = [case, Case("raw", "graph", 2, "cpu")]
    assert exit_status(latest, plan, interrupted=False) == ("complete", 0)
    gpu = outcome.skipped(Case("raw", "graph", 2, "gpu:0"), "GPU unavailable")
    latest[gpu.case_id] = gpu
    assert exit_status(latest, [*plan, Case("raw", "graph", 2, "gpu:0")], False)[1] == 3


def test_identity_reaches_the_result() -> None:
    model = {"kind": "keras", "source": "embed.keras", "sha256": "ab" * 32, "params": 2436}
    r = outcome.from_worker(Case("embed", "xla", 4, "cpu"), {"status": "ok", "model": model})
    assert r.model == model


def test_compare_does_not_compare_cells_of_a_different_model() -> None:
    base = _cmp()
    cid = base.changes[0].case_id
    b, n = run("compare-base"), run("compare-new")

    def with_model(cases: Sequence[CaseResult], sha: str) -> list[CaseResult]:
        return [
            dataclasses.replace(x, model={"sha256": sha}) if x.case_id == cid else x for x in cases
        ]

    same = _cmp(base_cases=with_model(b.cases, "a" * 64), new_cases=with_model(n.cases, "a" * 64))
    assert next(x for x in same.changes if x.case_id == cid).verdict == base.changes[0].verdict
    other = _cmp(base_cases=with_model(b.cases, "a" * 64), new_cases=with_model(n.cases, "b" * 64))
    changed = next(x for x in other.changes if x.case_id == cid)
    assert changed.verdict == compare.NOT_COMPARABLE
    assert changed.note == "different model: sha256 aaaaaaaaaaaa -> bbbbbbbbbbbb"


def test_site_trends_do_not_join_runs_of_different_models(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    for name, sha in (("compare-base", "a" * 64), ("compare-new", "b" * 64)):
        d = copy_run(name, root)
        lines = (d / "cases.jsonl").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        for row in rows:
            row["model"] = {"kind": "keras", "source": "mlp.keras", "sha256": sha}
        (d / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    paths.mark_reports_root(root)
    page = render_site(root, generated_at="").read_text()
    assert "model aaaaaaaaaaaa" in page and "model bbbbbbbbbbbb" in page
    assert "one point per run of this machine class (2 run(s)" in page
    assert page.count("<svg") == 2  # one trend per model, not one line through both
