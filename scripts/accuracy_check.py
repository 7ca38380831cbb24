"""Cross-check the suite's headline against a plain ``timeit`` of the seed notebook's own model.

The seed cell is (mlp, batch 100, CPU). This script runs, in order, each in its own fresh
process(es), so that at most one TensorFlow process is alive at a time:

1. the suite, ``run --profile default --only 'mlp-*-b100-cpu'`` (the seed group: eager, graph
   and XLA, interleaved rounds in several fresh processes), then at once
2. a plain interleaved ``timeit`` of the notebook's own code, written out here and sharing
   nothing with the suite: a functional Keras ``Model`` (``Input((28, 28))`` -> ``Flatten`` ->
   3 x ``Dense(256, relu)`` -> ``Dense(10, softmax)``) called as ``model(x)``, against
   ``tf.function(model)``, in ``--timeit-processes`` fresh processes;

and repeats that pair ``--runs`` times (default 2). It prints every figure the budgets need:
each run's wall time and share inside timed blocks, each run's eager/graph speedup with its CI,
the timeit speedup after it, the suite-vs-suite and suite-vs-timeit differences, and whether
they are within the limits (suite runs agree within 10 %, each within 15 % of its timeit).
``--budgets`` also runs the whole smoke and default profiles and prints their wall time and
share inside timed blocks (limits: smoke <= 60 s; default <= 10 min and >= 60 %).

Figures from a shared machine are noisy; the limits are meant for a quiet one.
Usage: ``python scripts/accuracy_check.py [--runs 2] [--timeit-processes 3] [--budgets] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEED_GROUP = "mlp-*-b100-cpu"
SUITE_LIMIT = 0.10
TIMEIT_LIMIT = 0.15
SMOKE_LIMIT_S = 60.0
DEFAULT_LIMIT_S = 600.0
DEFAULT_SHARE = 0.60


def suite_run(profile: str, only: list[str]) -> dict[str, Any]:
    """One ``run`` in its own process; its seed-cell speedup and where its wall time went."""
    from benchmarks import analysis
    from benchmarks.rundir.results import read_cases, read_run

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "benchmarks", "run", "--profile", profile, "--out", str(out)]
        cmd += [a for glob in only for a in ("--only", glob)] + ["--no-report"]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, check=False)
        elapsed = time.monotonic() - started
        if proc.returncode not in (0, 1):
            raise SystemExit(f"error: {' '.join(cmd)} exited with {proc.returncode}")
        record = read_run(out)
        cases = read_cases(out)
    wall = record.wall_s
    figures: dict[str, Any] = {
        "profile": profile,
        "only": only,
        "cells": len(cases),
        "exit_code": proc.returncode,
        "wall_s": wall.get("total", elapsed),
        "process_wall_s": elapsed,
        "measure_share": wall.get("measure", 0.0) / wall["total"] if wall.get("total") else 0.0,
        "processes": record.timing.get("processes"),
        "phases_s": {k: round(v, 1) for k, v in wall.items()},  # where the wall time went
    }
    for s in analysis.speedups(cases):
        if (s.workload, s.device, s.batch_size, s.mode) == ("mlp", "cpu", 100, "graph"):
            figures.update(
                speedup=s.ratio,
                ci=[s.ci_low, s.ci_high],
                process_speedups=list(s.process_ratios),
            )
    return figures


TIMEIT_CHILD = r"""
import gc, json, os, statistics, sys, timeit
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
import tensorflow as tf
threads, repeats, seed = (int(a) for a in sys.argv[1:4])
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
gc.collect(); gc.freeze()  # as a suite worker: GC on, TensorFlow's import-time objects frozen
tf.keras.utils.set_random_seed(seed)

# the seed notebook's model, as it wrote it
inputs = tf.keras.Input((28, 28))
x = tf.keras.layers.Flatten()(inputs)
x = tf.keras.layers.Dense(256, activation="relu")(x)
x = tf.keras.layers.Dense(256, activation="relu")(x)
x = tf.keras.layers.Dense(256, activation="relu")(x)
outputs = tf.keras.layers.Dense(10, activation="softmax")(x)
eager_model = tf.keras.Model(inputs, outputs)
graph_model = tf.function(eager_model)
x = tf.random.uniform((100, 28, 28))

def eager_call():
    return eager_model(x)

def graph_call():
    return graph_model(x)

for f in (eager_call, graph_call):  # trace + warm up
    for _ in range(20):
        f()
timers = {"eager": timeit.Timer(eager_call, "gc.enable()"),
          "graph": timeit.Timer(graph_call, "gc.enable()")}
number = {k: max(1, t.autorange()[0]) for k, t in timers.items()}
per_call = {"eager": [], "graph": []}
for _ in range(repeats):  # interleaved: eager, graph, eager, graph, ...
    for k, t in timers.items():
        per_call[k].append(t.timeit(number[k]) / number[k])
ratios = [e / g for e, g in zip(per_call["eager"], per_call["graph"])]
print(json.dumps({"eager_s": statistics.median(per_call["eager"]),
                  "graph_s": statistics.median(per_call["graph"]),
                  "speedup": statistics.median(ratios)}))
"""


def timeit_speedup(processes: int, repeats: int) -> dict[str, Any]:
    """The notebook's model in ``processes`` fresh processes; the median of their speedups."""
    from benchmarks.environment.hostinfo import usable_cpus
    from benchmarks.run.planning import DEFAULT_SEED

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    per_process = []
    for _ in range(processes):
        out = subprocess.run(
            [sys.executable, "-c", TIMEIT_CHILD, str(usable_cpus()), str(repeats),
             str(DEFAULT_SEED)],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        per_process.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "speedup": statistics.median(p["speedup"] for p in per_process),
        "process_speedups": [p["speedup"] for p in per_process],
        "eager_s": statistics.median(p["eager_s"] for p in per_process),
        "graph_s": statistics.median(p["graph_s"] for p in per_process),
    }


def rel(a: float, b: float) -> float:
    """|a - b| relative to b."""
    return abs(a - b) / b


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="suite runs (each with its timeit)")
    parser.add_argument("--timeit-processes", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15, help="timeit rounds per process")
    parser.add_argument("--profile", default="default", help="profile of the seed-group runs")
    parser.add_argument("--budgets", action="store_true", help="also time smoke and default")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    pairs: list[dict[str, Any]] = []
    for i in range(args.runs):
        suite = suite_run(args.profile, [SEED_GROUP])
        plain = timeit_speedup(args.timeit_processes, args.repeats)
        pair: dict[str, Any] = {"suite": suite, "timeit": plain}
        if "speedup" in suite:
            pair["suite_vs_timeit"] = rel(suite["speedup"], plain["speedup"])
        pairs.append(pair)
        print(
            f"run {i + 1}: wall {suite['wall_s']:.1f} s, {suite['measure_share']:.0%} inside "
            f"timed blocks, {suite['processes']} processes; suite eager/graph "
            + (
                f"{suite['speedup']:.2f}x [95% CI {suite['ci'][0]:.2f}, {suite['ci'][1]:.2f}] "
                f"(per process {', '.join(f'{v:.2f}' for v in suite['process_speedups'])})"
                if "speedup" in suite
                else "MISSING"
            )
            + f"; timeit {plain['speedup']:.2f}x (per process "
            f"{', '.join(f'{v:.2f}' for v in plain['process_speedups'])}; eager "
            f"{plain['eager_s'] * 1e3:.3f} ms, graph {plain['graph_s'] * 1e3:.3f} ms)"
            + (f"; suite vs timeit {pair['suite_vs_timeit']:.1%}" if "speedup" in suite else ""),
            flush=True,
        )
    verdicts: dict[str, Any] = {}
    speedups = [p["suite"]["speedup"] for p in pairs if "speedup" in p["suite"]]
    if len(speedups) >= 2:
        verdicts["suite_vs_suite"] = rel(max(speedups), min(speedups))
        print(
            f"suite runs apart: {verdicts['suite_vs_suite']:.1%} (limit {SUITE_LIMIT:.0%}) -> "
            f"{'OK' if verdicts['suite_vs_suite'] <= SUITE_LIMIT else 'MISSED'}"
        )
    worst = max((p.get("suite_vs_timeit", float("inf")) for p in pairs), default=float("inf"))
    verdicts["worst_suite_vs_timeit"] = worst
    print(
        f"worst suite vs timeit: {worst:.1%} (limit {TIMEIT_LIMIT:.0%}) -> "
        f"{'OK' if worst <= TIMEIT_LIMIT else 'MISSED'}"
    )
    budgets: dict[str, Any] = {}
    if args.budgets:
        for profile, limit in (("smoke", SMOKE_LIMIT_S), ("default", DEFAULT_LIMIT_S)):
            b = suite_run(profile, [])
            budgets[profile] = b
            share_ok = profile != "default" or b["measure_share"] >= DEFAULT_SHARE
            ok = b["wall_s"] <= limit and share_ok
            print(
                f"budget {profile}: {b['cells']} cells, wall {b['wall_s']:.1f} s "
                f"(limit {limit:.0f} s), {b['measure_share']:.0%} inside timed blocks"
                + (f" (limit >= {DEFAULT_SHARE:.0%})" if profile == "default" else "")
                + f" -> {'OK' if ok else 'MISSED'}",
                flush=True,
            )
    if args.json:
        print(json.dumps({"runs": pairs, "verdicts": verdicts, "budgets": budgets}, indent=2))
    ok = worst <= TIMEIT_LIMIT and verdicts.get("suite_vs_suite", 0.0) <= SUITE_LIMIT
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
