"""Interleaved rounds in two fresh processes, end to end with real TensorFlow (< 60 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import analysis
from benchmarks.rundir.results import SCHEMA_VERSION, read_cases, read_run

from .conftest import run_bench, tiny_matrix

pytestmark = pytest.mark.tf


def test_two_processes_pair_every_round_and_record_their_spread(tmp_path: Path) -> None:
    m = tiny_matrix(
        tmp_path,
        '[profiles.t]\nworkloads = ["mlp"]\nbatch_sizes = [4]\nmodes = ["eager", "graph"]\n'
        "processes = 2\nrounds = 4\n",
    )
    out = tmp_path / "run"
    proc = run_bench("run", "--matrix", str(m), "--profile", "t", "--out", str(out), "--no-report")
    assert proc.returncode == 0, proc.stderr
    cases = read_cases(out)
    assert len(cases) == 2 and {c.status for c in cases} == {"ok"}
    run = read_run(out)
    workers = [w for w in run.workers if w["kind"] == "cpu"]
    assert [w["pass"] for w in workers] == [0, 1]  # one fresh worker per pass
    assert len({w["pid"] for w in workers}) == 2
    for c in cases:
        assert c.schema_version == SCHEMA_VERSION
        assert [p["pass"] for p in c.processes] == [0, 1]
        assert [p["pid"] for p in c.processes] == [w["pid"] for w in workers]
        assert all(len(p["samples_s"]) == 4 for p in c.processes)
        assert c.samples_s == [s for p in c.processes for s in p["samples_s"]]
        assert c.processes_planned == 2 and c.process_spread is not None
        assert c.ci_low_s is not None and c.median_s is not None and c.ci_high_s is not None
        assert c.ci_low_s <= c.median_s <= c.ci_high_s
        assert c.stop == "rounds"
        assert c.first_call_s and c.first_call_s > 0
        assert c.max_abs_diff is not None and c.max_abs_diff < 1e-4
        if c.mode == "graph":
            assert c.traces == 1
    speedups = analysis.speedups(cases)
    [s] = speedups
    assert s.paired and len(s.process_ratios) == 2
    assert s.ci_low <= s.ratio <= s.ci_high
    # the wall time of the run went mostly to the blocks, first calls and imports: all counted
    assert run.wall_s["measure"] > 0 and run.wall_s["import"] > 0
