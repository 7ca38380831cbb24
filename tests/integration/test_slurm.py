"""Shards on a real Slurm cluster: a 3-task job array of smoke shards, merged and reported.

``.ci/run`` starts a private one-node cluster (``.ci/slurm.sh``: 2 CPUs in CI) and sets
GRAPHBENCH_REQUIRE_SLURM=1, so there a missing cluster fails this test instead of skipping it.
By hand: ``source .ci/slurm.sh start`` (exports SLURM_CONF; stops the daemons when the shell
exits), then ``pytest -m slurm``.

The job script is the documented recipe, docs/slurm/graphbench-array.sbatch, submitted as is
with ``--array=0-2 --cpus-per-task=1``: at most two shards run at once on two CPUs, each with one
TensorFlow thread. The smoke profile has two measured groups (mlp at batch 1 and 100), so the
third shard is empty: a real case of N larger than the number of groups.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import pytest

from benchmarks.plan.matrix import Case
from benchmarks.rundir.results import read_cases, read_run
from tests.conftest import require_or_skip
from tests.integration.conftest import REPO, bench_env, ci_note, run_bench

pytestmark = [pytest.mark.slurm, pytest.mark.tf, pytest.mark.slow]

JOB_SCRIPT = REPO / "docs" / "slurm" / "graphbench-array.sbatch"
SMOKE_CELLS = 6


def _unavailable(reason: str) -> NoReturn:
    require_or_skip("slurm", f"{reason} (start one with: source .ci/slurm.sh start)")


@pytest.fixture(scope="module")
def cluster() -> tuple[str, str]:
    """The idle node's name and CPU count, or a skip (a failure if GRAPHBENCH_REQUIRE_SLURM=1)."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        _unavailable("Slurm's client commands (sbatch, sinfo) are not installed")
    if not os.environ.get("SLURM_CONF"):
        _unavailable("SLURM_CONF is not set: no private cluster was started")
    done = subprocess.run(
        ["sinfo", "-h", "-N", "-o", "%N %T %c"], capture_output=True, text=True, timeout=30
    )
    nodes = [line.split() for line in done.stdout.splitlines() if line.strip()]
    idle = [(n, cpus) for n, state, cpus in nodes if state in ("idle", "mixed")]
    if done.returncode != 0 or not idle:
        _unavailable(f"no idle Slurm node (sinfo: {(done.stdout + done.stderr).strip()!r})")
    return idle[0]


def test_job_array_of_smoke_shards_merges_into_one_run(
    cluster: tuple[str, str], tmp_path: Path
) -> None:
    results = tmp_path / "reports"
    env = {
        **bench_env(),
        "GRAPHBENCH_PYTHON": sys.executable,
        "GRAPHBENCH_PROFILE": "smoke",
        "GRAPHBENCH_RESULTS": str(results),
    }
    argv = ["sbatch", "--wait", "--parsable", "--array=0-2", "--cpus-per-task=1",
            "--time=10", f"--chdir={REPO}", f"--output={tmp_path}/slurm-%A_%a.out",
            str(JOB_SCRIPT)]  # fmt: skip
    start = time.monotonic()
    job = subprocess.run(argv, capture_output=True, text=True, timeout=170, env=env, cwd=REPO)
    array_s = time.monotonic() - start
    logs = "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(tmp_path.glob("slurm-*")))
    assert job.returncode == 0, job.stdout + job.stderr + logs
    job_id = job.stdout.strip().split(";")[0]
    shards = sorted(results.glob(f"{job_id}-task*"))
    assert [p.name for p in shards] == [f"{job_id}-task{i}" for i in range(3)], logs

    records = [read_run(p) for p in shards]
    assert [(r.shard or {}).get("index") for r in records] == [1, 2, 3]
    assert all((r.shard or {})["count"] == 3 for r in records)
    assert len({r.plan_digest for r in records}) == 1
    assert len({(r.shard or {})["split_digest"] for r in records}) == 1  # cut the same way
    planned = [cid for r in records for cid in r.cases]
    assert len(planned) == len(set(planned)) == SMOKE_CELLS  # disjoint, and the whole plan
    assert sorted(planned) == sorted(Case(**c).case_id for c in records[0].full_plan)
    assert sorted(len(r.cases) for r in records) == [0, 3, 3]  # two groups, one empty shard
    assert all(r.status == "complete" and r.exit_code == 0 for r in records), logs
    for p, r in zip(shards, records, strict=True):
        assert {c.case_id for c in read_cases(p)} == set(r.cases)
        assert all(c.status == "ok" for c in read_cases(p))

    # a shard re-run with --resume behaves as a run does: only its missing cell is measured
    busy = next(p for p, r in zip(shards, records, strict=True) if r.cases)
    lines = (busy / "cases.jsonl").read_text().splitlines(keepends=True)
    (busy / "cases.jsonl").write_text("".join(lines[:-1]))
    lost = json.loads(lines[-1])["case_id"]
    start = time.monotonic()
    resumed = run_bench(  # in the job's environment: the fingerprint must not change
        "run", "--resume", str(busy), "--no-report", "--threads", "1", timeout=170, extra_env=env
    )
    resume_s = time.monotonic() - start
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    again = read_run(busy)
    assert again.shard == records[shards.index(busy)].shard and again.resumed_from
    assert [c.case_id for c in read_cases(busy)][-1] == lost
    assert len(read_cases(busy)) == len(lines)

    start = time.monotonic()
    merged = run_bench("merge", *map(str, shards), "--out", str(results / job_id), timeout=120)
    merge_s = time.monotonic() - start
    assert merged.returncode == 0, merged.stdout + merged.stderr
    record = read_run(results / job_id)
    assert record.status == "complete" and record.exit_code == 0
    assert sorted(record.cases) == sorted(planned) and record.missing == []
    cases = read_cases(results / job_id)
    assert sorted(c.case_id for c in cases) == sorted(planned)
    page = (results / job_id / "index.html").read_text()
    assert page.count('data-status="ok"') == SMOKE_CELLS
    assert "Merged from 3 of 3 shards, all measured on one machine." in page  # one node

    medians = ", ".join(
        f"{c.case_id} {c.median_s * 1e6:.0f} us" for c in cases if c.median_s is not None
    )
    ci_note(
        f"slurm: 3-task smoke array on {cluster[0]} in {array_s:.1f} s ({cluster[1]} CPU(s), "
        f"1 thread per shard), --resume of one cell {resume_s:.1f} s, merge + report "
        f"{merge_s:.1f} s; "
        f"merged medians: {medians}"
    )
