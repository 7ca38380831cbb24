"""Several fresh processes per cell, on literal data: finality, pooling, pairing, old runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.analysis import paired_rounds, speedups
from benchmarks.cli import main
from benchmarks.plan.matrix import Case
from benchmarks.report import compare, display
from benchmarks.report.grid import processes_text
from benchmarks.run.outcome import ProcessRun, combined_stop, from_processes, from_worker
from benchmarks.run.schedule import Ledger, group_label, groups
from benchmarks.rundir.results import SCHEMA_VERSION
from benchmarks.stats import hierarchical_ci, paired_ratios
from tests.unit.report_fixtures import html, run

EAGER = Case("mlp", "eager", 100, "cpu")
GRAPH = Case("mlp", "graph", 100, "cpu")


def raw(samples: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "status": "ok",
        "samples_s": samples,
        "iters_per_block": 10,
        "first_call_s": 0.03,
        "traces": 1,
        "max_abs_diff": 0.0,
        "output_match": True,
        "phases_s": {"first_call": 0.03, "measure": 1.0},
        "stop": "rounds",
        **extra,
    }


def test_groups_are_the_modes_of_one_workload_batch_and_device_by_worker_kind() -> None:
    plan = [
        EAGER,
        GRAPH,
        Case("mlp", "eager", 1, "gpu:0"),
        Case("mlp", "xla", 100, "cpu"),
        Case("cnn", "eager", 100, "cpu"),
    ]
    assert groups(plan) == [  # the kind seen first (cpu) first, plan order within it
        (EAGER, GRAPH, Case("mlp", "xla", 100, "cpu")),
        (Case("cnn", "eager", 100, "cpu"),),
        (Case("mlp", "eager", 1, "gpu:0"),),
    ]
    assert group_label(GRAPH) == "mlp-*-b100-cpu"  # the glob --only takes for this group


def test_a_cell_is_final_after_its_last_process_or_its_first_failure() -> None:
    ledger = Ledger(planned=2)
    group = (EAGER, GRAPH)
    assert ledger.pending(group) == [EAGER, GRAPH]
    ledger.add(EAGER, ProcessRun(0, 11, raw([1.0])))
    ledger.add(GRAPH, ProcessRun(0, 11, raw([0.5])))
    assert len(ledger.runs[EAGER.case_id]) < ledger.planned
    assert ledger.close(GRAPH) == [ProcessRun(0, 11, raw([0.5]))]  # e.g. it crashed in pass 1
    assert ledger.pending(group) == [EAGER]  # the next pass measures eager only
    ledger.add(EAGER, ProcessRun(1, 12, raw([1.1])))
    assert len(ledger.runs[EAGER.case_id]) == ledger.planned
    assert ledger.unfinished(group) == [(EAGER, ledger.runs[EAGER.case_id])]
    assert [r.pid for r in ledger.close(EAGER)] == [11, 12]
    assert ledger.pending(group) == [] and ledger.unfinished(group) == []


def test_from_processes_pools_with_a_hierarchical_ci_and_keeps_each_process() -> None:
    a, b, c = [1.00, 1.02, 0.98], [1.20, 1.22, 1.19], [1.01, 0.99, 1.00]
    runs = [ProcessRun(i, 100 + i, raw(s)) for i, s in enumerate((a, b, c))]
    r = from_processes(EAGER, runs, planned=3)
    assert r.schema_version == SCHEMA_VERSION and r.status == "ok"
    assert r.samples_s == a + b + c
    point, lo, hi = hierarchical_ci([a, b, c])
    assert (r.median_s, r.ci_low_s, r.ci_high_s) == (point, lo, hi) == (1.01, lo, hi)
    assert r.process_medians == [1.00, 1.20, 1.00]
    assert r.process_spread == pytest.approx(0.20 / 1.00)
    assert [p["pass"] for p in r.processes] == [0, 1, 2]
    assert [p["pid"] for p in r.processes] == [100, 101, 102] == r.worker["pids"]
    assert r.processes_planned == 3 and r.stop == "rounds"
    assert r.phases_s == {"first_call": pytest.approx(0.09), "measure": 3.0}
    codes = [w["code"] for w in r.warnings]
    assert "processes_disagree" in codes and "fewer_processes" not in codes
    assert processes_text(r) == "3 processes: 1 s · 1.2 s · 1 s (spread 20%)"


def test_an_interrupted_cell_says_how_many_processes_it_has() -> None:
    r = from_processes(EAGER, [ProcessRun(0, 7, raw([1.0, 1.1, 0.9]))], 3, interrupted=True)
    [w] = [w for w in r.warnings if w["code"] == "fewer_processes"]
    assert w["detail"] == "1 of 3 processes (the run was interrupted)"
    assert processes_text(r).startswith("1 of 3 processes: ")


def test_the_worst_stop_rule_and_the_worst_load_win() -> None:
    assert combined_stop(["rounds", "rounds"]) == "rounds"
    assert combined_stop(["target_ci", "time_cap"]) == "time_cap"
    assert combined_stop(["target_ci", "rounds"]) == "mixed"
    runs = [
        ProcessRun(0, 1, raw([1.0, 1.0, 1.0]), foreign_cpu=0.1, cpus=2),
        ProcessRun(1, 2, raw([1.0, 1.0, 1.0]), foreign_cpu=0.6, cpus=2),
    ]
    r = from_processes(EAGER, runs, 2)
    assert [w["detail"] for w in r.warnings if w["code"] == "high_load"] == [
        "other processes used 60% of the 2 CPUs"
    ]


def test_speedups_pair_rounds_by_process_and_round() -> None:
    # eager is 4x graph in every round although the machine drifts 2x between rounds
    e = [[0.004, 0.008, 0.004], [0.005, 0.010]]
    g = [[0.001, 0.002, 0.001], [0.00125, 0.0025]]
    eager = from_processes(EAGER, [ProcessRun(i, i, raw(s)) for i, s in enumerate(e)], 2)
    graph = from_processes(GRAPH, [ProcessRun(i, i, raw(s)) for i, s in enumerate(g)], 2)
    assert paired_rounds(eager, graph) == paired_ratios(e, g) == [[4.0] * 3, [4.0] * 2]
    [s] = speedups([eager, graph])
    assert s.paired and (s.ratio, s.ci_low, s.ci_high) == (4.0, 4.0, 4.0)
    assert s.process_ratios == (4.0, 4.0) and s.spread == 0.0 and not s.disagree
    assert (s.workload, s.device, s.batch_size, s.mode) == ("mlp", "cpu", 100, "graph")
    assert paired_rounds(eager, from_worker(GRAPH, raw([1.0, 1.0]))) is None  # one side unpaired


def test_pairing_matches_passes_not_positions() -> None:
    # a cell without pass 0 (e.g. an interrupted run resumed as a new cell): only the passes
    # both cells have are paired
    eager = from_processes(
        EAGER, [ProcessRun(0, 1, raw([2.0, 2.0])), ProcessRun(1, 2, raw([3.0, 3.0]))], 2
    )
    graph = from_processes(GRAPH, [ProcessRun(1, 2, raw([1.0, 1.0]))], 2)
    assert paired_rounds(eager, graph) == [[3.0, 3.0]]


def test_schema_1_cells_keep_the_unpaired_ratio() -> None:
    old = run("schema1-cpu")
    assert {c.schema_version for c in old.cases} == {1}
    assert old.record.schema_version == 1
    sp = speedups(list(old.cases))
    assert sp and not any(s.paired for s in sp)
    assert all(s.process_ratios == () for s in sp)


def test_compare_across_the_schema_change_says_the_method_changed() -> None:
    old, new = run("schema1-cpu"), run("cpu-all-statuses")
    cmp = compare.compare_loaded(old, new)
    assert not cmp.comparable
    [diff] = [d for d in cmp.differences if d.fact == "measurement method"]
    assert diff.baseline.startswith("blocks of one cell back to back")
    assert diff.new.startswith("modes interleaved in paired rounds")
    assert {c.verdict for c in cmp.changes} <= {compare.NOT_COMPARABLE, compare.NO_VALUE}
    assert "measurement method" in compare.format_table(cmp)
    # two schema-2 runs share the method: no difference there
    base = run("compare-base")
    assert (
        display.environment(base.fingerprint, base.record)["measurement method"]
        == (display.environment(new.fingerprint, new.record)["measurement method"])
    )


def test_an_old_run_renders_and_a_new_one_shows_processes_and_their_flag() -> None:
    old = html("schema1-cpu")
    assert "blocks of one cell back to back" in old and "per process" not in old
    page = html("cpu-all-statuses")
    assert "3 processes: " in page and "per process " in page
    assert "processes disagree" in page and "processes_disagree" in page


def test_target_ci_must_be_a_percentage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0", "100", "-5"):
        assert main(["run", "--target-ci", bad, "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --target-ci {float(bad):g}: must be a percentage")
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_target_ci_reaches_the_plan_as_a_fraction() -> None:
    from benchmarks.run.planning import RunOptions, plan_of

    plan, _models = plan_of(RunOptions(profile="smoke", target_ci=5.0))
    assert plan.timing.target_ci == 0.05 and plan.timing.processes == 2
    assert plan_of(RunOptions(profile="default"))[0].timing.target_ci is None


def test_a_process_without_samples_falls_back_to_its_own_answer_scrubbed() -> None:
    """No pooling without samples in every process: the first answer stands, its reason scrubbed
    of the user's paths like any other."""
    runs = [ProcessRun(0, 11, raw([], reason="no rounds at /home/alice/run"))]
    r = from_processes(EAGER, runs, planned=1, scrub=lambda s: s.replace("/home/alice", "~"))
    assert (r.status, r.reason, r.samples_s, r.median_s) == ("ok", "no rounds at ~/run", [], None)
