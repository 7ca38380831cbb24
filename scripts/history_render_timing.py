"""Measure how long the site of a long history takes to render (a measurement, not a timed test).

    python3 scripts/history_render_timing.py [--runs 200] [--machines 2] [--jobs N]

Builds a history checkout (``runs/<machine>/<run-id>/``, no git: rendering never touches it) of
N runs of the default profile's size (4 workloads x 3 modes x 4 batch sizes = 48 cells) with the
report fixtures' builders, then renders it with ``benchmarks.history.site.render_history``:

* cold: into an empty DIR (every run page rendered, in ``--jobs`` processes);
* warm: again into the same DIR, as a later publish that adds one run would (the pages of the
  unchanged runs are kept; the index, the detection, regressions.json and the feed are redone);
* site only: the detection and the index page alone (what a warm render costs per call);
* cold, without ``speedups.json``: a history of runs published before the stored speedups
  existed (every page bootstraps its speedups again).

With ``--detection`` it also measures the detectors on simulated series (50 runs, log-normal
run-to-run noise of 1-10 %, each point with a +-1 % CI): how often unchanged data is flagged,
and how often a newest run 1.5x slower is found.

Each figure is a single wall-clock measurement on whatever else the machine is doing: say so
next to it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.history.detect import Settings, find_regressions  # noqa: E402
from benchmarks.history.series import (  # noqa: E402
    Point,
    Series,
    SeriesKey,
    build_series,
    machine_slug,
)
from benchmarks.history.site import render_history  # noqa: E402
from benchmarks.rundir import derived  # noqa: E402
from benchmarks.rundir.layout import SPEEDUPS_FILE  # noqa: E402
from benchmarks.rundir.load import read_cases_tolerant  # noqa: E402
from tests.data import make_fixtures as mf  # noqa: E402

WORKLOADS = ("mlp", "mlp_raw", "mlp_train", "cnn")
BATCHES = (1, 10, 100, 1000)
MODES = ("eager", "graph", "xla")
CPUS = ("AMD EPYC 9R14 96-Core Processor", "Intel Xeon Platinum 8480+", "Ampere Altra Q80-30")


def build(history: Path, runs: int, machines: int, *, derived_files: bool = True) -> None:
    for n in range(runs):
        rng = random.Random(n)
        cpu = CPUS[n % machines]
        day = f"2026-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}"
        cases = [
            mf.case(rng, w, m, b, "cpu", t=f"{day}:01:00Z")
            for w in WORKLOADS
            for b in BATCHES
            for m in MODES
        ]
        run_id = f"{day}00Z-cpu-{n:04d}"
        rec = mf.record(run_id, cases, ["cpu"], status="complete", exit_code=0,
                        started=f"{day}:00:00Z", finished=f"{day}:08:00Z")  # fmt: skip
        fp = mf.fingerprint(cpu=cpu)
        run_dir = history / "runs" / machine_slug(fp) / run_id
        mf.write(run_dir, rec, cases, fp)
        if derived_files:  # as ``publish`` leaves a run in the history (store.copy_run)
            derived.write(run_dir, read_cases_tolerant(run_dir)[0])


def detection_rates(trials: int = 300) -> None:
    rng = random.Random(0)
    key = SeriesKey("c", "m", "w", "t", "d")

    def series(values: list[float]) -> Series:
        return Series(
            key,
            tuple(
                Point(f"r{i}", "p", f"{i:04d}", v, v * 0.99, v * 1.01) for i, v in enumerate(values)
            ),
        )

    for sd in (0.01, 0.03, 0.05, 0.10):
        for method in ("step", "zscore"):
            settings = Settings(method=method)
            false = sum(
                find_regressions([series([rng.lognormvariate(0, sd) for _ in range(50)])], settings)
                != []
                for _ in range(trials)
            )
            found = sum(
                find_regressions(
                    [
                        series(
                            [
                                *(rng.lognormvariate(0, sd) for _ in range(49)),
                                1.5 * rng.lognormvariate(0, sd),
                            ]
                        )
                    ],
                    settings,
                )
                != []
                for _ in range(trials)
            )
            print(
                f"  noise {sd:4.0%} {method:6}: unchanged flagged {false}/{trials}, "
                f"1.5x newest run found {found}/{trials}"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--machines", type=int, default=2, choices=range(1, len(CPUS) + 1))
    ap.add_argument("--jobs", type=int, default=None, help="page-rendering processes")
    ap.add_argument("--detection", action="store_true", help="also: detection rates")
    args = ap.parse_args()
    if args.detection:
        print("detection on simulated series of 50 runs:")
        detection_rates()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        history, site = Path(tmp) / "history", Path(tmp) / "site"
        t = time.perf_counter()
        build(history, args.runs, args.machines)
        built = time.perf_counter() - t
        t = time.perf_counter()
        cold = render_history(history, site, settings, generated_at="", jobs=args.jobs)
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        warm = render_history(history, site, settings, generated_at="")
        warm_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        series, _ = build_series(warm.runs)
        by_z = find_regressions(series, Settings(method="zscore"))
        for p in history.rglob(SPEEDUPS_FILE):
            p.unlink()
        t = time.perf_counter()
        render_history(history, Path(tmp) / "site-old", settings, generated_at="", jobs=args.jobs)
        old_s = time.perf_counter() - t
    print(
        f"{args.runs} runs x 48 cells on {args.machines} machine(s) (built in {built:.1f} s):\n"
        f"  cold render (all {cold.pages_rendered} pages): {cold_s:.2f} s\n"
        f"  warm render ({warm.pages_rendered} pages re-rendered, index + detection redone): "
        f"{warm_s:.2f} s\n"
        f"  flagged in unchanged data ({len(series)} series): {len(warm.regressions)} by step, "
        f"{len(by_z)} by zscore; "
        f"site {size / 2**20:.1f} MiB\n"
        f"  cold render of the same runs without stored speedups: {old_s:.2f} s"
    )


if __name__ == "__main__":
    main()
