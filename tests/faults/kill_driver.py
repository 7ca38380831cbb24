"""A cheap writer for the kill-point test: the real resume preparation and the real append.

``python -m tests.faults.kill_driver RUN_DIR N``: hold the run directory, set a partial last
line aside, work out the cells still to do exactly as ``run --resume`` does, then append one
large real ``CaseResult`` line per cell (several pages each, so a SIGKILL can land inside a
write). No TensorFlow: the measurement is not what is under test, the bookkeeping is.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from benchmarks.plan.matrix import Case
from benchmarks.run.resume import cells_to_run, open_run_dir
from benchmarks.rundir.results import CaseResult, append_case, latest_by_case, read_cases

SAMPLES = 12_000  # ~250 KB per line


def planned(n: int) -> list[Case]:
    return [Case("mlp", "eager", b, "cpu") for b in range(1, n + 1)]


def main(run_dir: Path, n: int) -> None:
    lock = open_run_dir(run_dir)
    cases = {c.case_id: c for c in planned(n)}
    todo = cells_to_run(list(cases), latest_by_case(read_cases(run_dir)))
    print("ready", len(todo), flush=True)
    rng = random.Random()
    for cid in todo:
        c = cases[cid]
        samples = [rng.random() * 1e-3 for _ in range(SAMPLES)]
        append_case(
            run_dir,
            CaseResult(
                cid,
                c.workload,
                c.mode,
                c.batch_size,
                c.device,
                "ok",
                median_s=samples[0],
                samples_s=samples,
            ),
        )
    lock.release()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
