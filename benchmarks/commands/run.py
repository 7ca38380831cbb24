"""``python -m benchmarks run``: measure a profile of the matrix into a run directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from benchmarks.analysis import summary_table
from benchmarks.errors import BenchError
from benchmarks.run.planning import DEFAULT_SEED, RunOptions
from benchmarks.run.progress import format_duration
from benchmarks.run.session import RunOutcome, execute

HELP = "Run a profile of the benchmark matrix and write a run directory."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        default=None,
        help="matrix profile: smoke, default (the default), full, models; with --resume: the "
        "stored one",
    )
    p.add_argument("--matrix", type=Path, help="matrix TOML file (default: the built-in one)")
    p.add_argument(
        "--device",
        help="devices to run, overriding the profile: cpu, gpu, gpu:N, "
        "comma-separated (e.g. cpu,gpu)",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="run only cells whose case id matches (repeatable), e.g. 'mlp-*-b100-cpu'",
    )
    p.add_argument("--out", type=Path, help="run directory to create (default reports/<run-id>)")
    p.add_argument(
        "--reports-root",
        type=Path,
        default=Path("reports"),
        help="where run directories go when --out is not given (default: reports)",
    )
    p.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue a run directory: cells with no result, or whose last result is "
        "'crashed', run again; plan, profile and seed are the stored ones",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"weights and inputs seed (default {DEFAULT_SEED}; with --resume: the stored one)",
    )
    p.add_argument(
        "--shard",
        metavar="K/N|auto",
        help="run shard K of N (1-based) of the plan; 'auto' reads a Slurm array task or a "
        "Kubernetes Indexed Job pod; merge the shards with 'merge' (docs/scale-out.md)",
    )
    p.add_argument(
        "--shard-count",
        type=int,
        metavar="N",
        help="N for --shard auto in a Kubernetes Indexed Job (default: $GRAPHBENCH_SHARD_COUNT)",
    )
    p.add_argument(
        "--shard-costs",
        type=Path,
        metavar="RUN_DIR",
        help="cut the split by the times a previous run measured (every shard must get the "
        "same RUN_DIR) instead of the estimate",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra/inter-op threads (default: the CPUs we may use)",
    )
    p.add_argument(
        "--allow-gpu-failure",
        action="store_true",
        help="exit 0 even when the GPU could not be used (its cells are skipped)",
    )
    p.add_argument(
        "--target-ci",
        type=float,
        metavar="PCT",
        help="keep adding rounds until every eager/mode ratio's 95%% CI is within +-PCT %% "
        "(or the group's time_cap_s is reached; the report says which)",
    )
    p.add_argument("--no-report", action="store_true", help="do not render index.html")
    p.add_argument(
        "--gpu-evidence",
        type=Path,
        metavar="FILE",
        help="text to diagnose with the GPU probe's log, e.g. the container engine's "
        "error when it could not pass the GPU through (the Nox sessions use this)",
    )
    own = p.add_argument_group("your own model (docs/own-model.md)")
    own.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="SPEC",
        help="measure this model instead of the profile's workloads (repeatable): a .keras "
        "file, a SavedModel directory, or pkg.module:function",
    )
    own.add_argument(
        "--signature",
        metavar="NAME",
        help="the SavedModel signature to call (default: serving_default)",
    )
    own.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=SIZES",
        help="sizes after the batch dimension of an input the signature leaves unknown, "
        "e.g. tokens=128 (repeatable)",
    )
    own.add_argument("--inputs", metavar="FILE.npz", help="your own input arrays, one per input")
    p.add_argument(
        "--call",
        metavar="PATHS",
        help="call paths, overriding the profile: call, predict_on_batch, predict "
        "(comma-separated; the last two for Keras models)",
    )


def main(args: argparse.Namespace) -> int:
    out = sys.stderr
    outcome = execute(options(args), out)
    _print_summary(outcome, out)
    if not args.no_report:
        _render(outcome.run_dir, out)
    if outcome.interrupted:
        print(
            f"interrupted: measured cells are kept; continue with "
            f"'python -m benchmarks run --resume {outcome.run_dir}'",
            file=out,
        )
    return outcome.exit_code


def options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        profile=args.profile,
        matrix=args.matrix,
        device=args.device,
        only=tuple(args.only),
        out=args.out,
        reports_root=args.reports_root,
        resume=args.resume,
        seed=args.seed,
        threads=args.threads,
        allow_gpu_failure=args.allow_gpu_failure,
        gpu_evidence=args.gpu_evidence,
        shard=args.shard,
        shard_count=args.shard_count,
        shard_costs=args.shard_costs,
        target_ci=args.target_ci,
        command=command_line(),
        models=tuple(args.model),
        signature=args.signature,
        input_shapes=tuple(args.input_shape),
        inputs=args.inputs,
        calls=args.call,
    )


def _print_summary(outcome: RunOutcome, out: TextIO) -> None:
    print("\n" + summary_table(list(outcome.results)), file=sys.stdout)
    print(
        f"\n{outcome.status}: {outcome.measured} cells in {format_duration(outcome.wall_s)} "
        f"({outcome.measured_share:.0%} of it inside timed blocks) -> {outcome.run_dir}",
        file=out,
    )


def _render(run_dir: Path, out: TextIO) -> None:
    """The run page and the site index over its siblings; a report problem never loses a run."""
    from benchmarks.report.render import render_run
    from benchmarks.report.site import refusal, render_site

    try:
        print(f"report: {render_run(run_dir)}", file=out)
        why = refusal(run_dir.parent)
        if why:
            print(f"note: {why}", file=out)
        else:
            print(f"site:   {render_site(run_dir.parent)}", file=out)
    except BenchError as exc:  # the run is on disk and its exit code stands
        print(f"warning: report not rendered: {exc.message} ({exc.hint})", file=out)


def command_line() -> list[str]:
    return ["python", "-m", "benchmarks", *sys.argv[1:]]
