"""Cross-check the suite against a plain ``timeit`` loop on the seed cell (mlp, batch 100, CPU).

Runs, in one invocation: (1) the suite on ``mlp-eager-b100-cpu`` and ``mlp-graph-b100-cpu``
(its own worker process, block timing, bootstrap CIs), then (2) a plain interleaved ``timeit``
loop of the same model, weights and input in this process (eager, graph, eager, graph, ...).
It prints both eager/graph speedups and their relative difference; the suite is trusted when
they agree within 10 %. Both run under the same conditions: GC on, with TensorFlow's import-time
objects frozen (``gc.freeze()``) as the suite's workers do, and the same threads and seed.
Usage: ``python scripts/accuracy_check.py [--rounds 5] [--repeats 15] [--json]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def suite_speedup() -> tuple[float, float, float]:
    from benchmarks import analysis
    from benchmarks.rundir import results

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks",
            "run",
            "--profile",
            "default",
            "--only",
            "mlp-eager-b100-cpu",
            "--only",
            "mlp-graph-b100-cpu",
            "--out",
            str(out),
            "--no-report",
        ]
        subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        cases = results.read_cases(out)
        [sp] = analysis.speedups(cases)
        return sp.ratio, sp.ci_low, sp.ci_high


def timeit_speedup(repeats: int) -> tuple[float, float, float]:
    """The same workload (same build, weights and input) timed with a plain timeit loop."""
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    from benchmarks.environment.hostinfo import usable_cpus
    from benchmarks.run.session import DEFAULT_SEED
    from benchmarks.worker.workloads import mlp

    n = usable_cpus()
    tf.config.threading.set_intra_op_parallelism_threads(n)
    tf.config.threading.set_inter_op_parallelism_threads(n)
    # the conditions of a suite worker: GC on, TensorFlow's import-time objects frozen
    gc.collect()
    gc.freeze()
    built = mlp.build(100, DEFAULT_SEED)
    graph = tf.function(built.fn)
    (x,) = built.args

    def eager_call() -> object:
        return built.fn(x)

    def graph_call() -> object:
        return graph(x)

    for f in (eager_call, graph_call):  # trace + warm up
        for _ in range(20):
            f()
    timers = {
        "eager": timeit.Timer(eager_call, "gc.enable()"),
        "graph": timeit.Timer(graph_call, "gc.enable()"),
    }
    number = {k: max(1, t.autorange()[0]) for k, t in timers.items()}
    per_call: dict[str, list[float]] = {"eager": [], "graph": []}
    for _ in range(repeats):  # interleaved: eager, graph, eager, graph, ...
        for k, t in timers.items():
            per_call[k].append(t.timeit(number[k]) / number[k])
    import keras

    keras.backend.clear_session(free_memory=False)
    eager = statistics.median(per_call["eager"])
    graph_t = statistics.median(per_call["graph"])
    return eager / graph_t, eager, graph_t


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timeit repeats per round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="suite/timeit rounds, alternated so machine drift hits both",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rounds = []
    for i in range(args.rounds):
        ratio, lo, hi = suite_speedup()
        t_ratio, t_eager, t_graph = timeit_speedup(args.repeats)
        rounds.append(
            {
                "suite_speedup": ratio,
                "suite_ci": [lo, hi],
                "timeit_speedup": t_ratio,
                "timeit_eager_s": t_eager,
                "timeit_graph_s": t_graph,
            }
        )
        print(
            f"round {i + 1}: suite {ratio:.2f}x [95% CI {lo:.2f}, {hi:.2f}]  timeit "
            f"{t_ratio:.2f}x (eager {t_eager * 1e3:.3f} ms, graph {t_graph * 1e3:.3f} ms)"
        )
    suite = statistics.median(float(r["suite_speedup"]) for r in rounds)  # type: ignore[arg-type]
    plain = statistics.median(float(r["timeit_speedup"]) for r in rounds)  # type: ignore[arg-type]
    diff = abs(suite - plain) / plain
    if args.json:
        print(
            json.dumps(
                {
                    "rounds": rounds,
                    "suite_speedup": suite,
                    "timeit_speedup": plain,
                    "relative_difference": diff,
                    "agree_within_10pct": diff <= 0.10,
                },
                indent=2,
            )
        )
    else:
        print(f"suite  eager/graph, median of {args.rounds} rounds: {suite:.2f}x")
        print(f"timeit eager/graph, median of {args.rounds} rounds: {plain:.2f}x")
        print(
            f"relative difference: {diff:.1%} -> {'AGREE' if diff <= 0.10 else 'DISAGREE'}"
            " (limit 10 %)"
        )
    return 0 if diff <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
