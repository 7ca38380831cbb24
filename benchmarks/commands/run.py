"""``python -m benchmarks run``: measure a profile of the matrix into a run directory."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from benchmarks import __version__
from benchmarks.analysis import summary_table
from benchmarks.environment import fingerprint, hostinfo, redact
from benchmarks.errors import (
    EXIT_CELLS_FAILED,
    EXIT_GPU_UNAVAILABLE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BenchError,
    ConfigError,
)
from benchmarks.gpu import probe
from benchmarks.gpu import state as gpustate
from benchmarks.plan import matrix
from benchmarks.plan.matrix import Case, Plan, Timing
from benchmarks.run.progress import Progress, format_duration
from benchmarks.run.runner import Runner, RunnerConfig
from benchmarks.rundir.results import (
    CASES_FILE,
    RUN_FILE,
    CaseResult,
    RunRecord,
    latest_by_case,
    read_cases,
    read_json,
    read_run,
    write_run,
)
from benchmarks.worker import workloads

HELP = "Run a profile of the benchmark matrix and write a run directory."
DEFAULT_SEED = 1234


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="default", help="matrix profile (smoke, default, full)")
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
        help="run only the cells missing from an interrupted run directory",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="weights and inputs seed")
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
    p.add_argument("--no-report", action="store_true", help="do not render index.html")
    p.add_argument(
        "--gpu-evidence",
        type=Path,
        metavar="FILE",
        help="text to diagnose with the GPU probe's log, e.g. the container engine's "
        "error when it could not pass the GPU through (the Nox sessions use this)",
    )


def main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    if args.resume:
        plan, run_dir, record = _resume(args.resume)
    else:
        plan = _plan(args)
        run_dir = _new_run_dir(args, plan)
        record = RunRecord(
            run_id=run_dir.name,
            command=redact.scrub_argv(command_line()),
            profile=plan.profile,
            matrix_source=_public_source(args.matrix),
            matrix_digest=plan.digest,
            cases=[c.case_id for c in plan.cases],
            plan=[asdict(c) for c in plan.cases],
            devices=sorted({c.device for c in plan.cases}),
            timing=asdict(plan.timing),
            started_at=_now(),
            suite_version=__version__,
            allow_gpu_failure=args.allow_gpu_failure,
            seed=args.seed,
            threads=args.threads or hostinfo.usable_cpus(),
        )
    image = {
        k: v
        for k, v in (
            ("reference", os.environ.get("GRAPHBENCH_IMAGE", "")),
            ("digest", os.environ.get("GRAPHBENCH_IMAGE_DIGEST", "")),
        )
        if v
    }
    record = replace(record, image=image)
    write_run(run_dir, record)
    fp_start = time.monotonic()
    fp, digest = _fingerprint(run_dir, record, resumed=bool(args.resume))
    fingerprint_s = time.monotonic() - fp_start
    done = {r.case_id for r in read_cases(run_dir)}
    todo = [c for c in plan.cases if c.case_id not in done]
    out = sys.stderr
    print(
        f"graphbench {__version__}: profile {plan.profile!r}, {len(todo)} of "
        f"{len(plan.cases)} cells to run -> {run_dir}",
        file=out,
    )
    skip, probe_s = _check_gpus(args, todo, run_dir, fp, out)
    progress = Progress(len(todo), out)
    gpus = sorted({int(c.device.split(":")[1]) for c in todo if c.is_gpu})
    cfg = RunnerConfig(
        run_dir=run_dir,
        timing=plan.timing,
        seed=record.seed,
        threads=record.threads,
        progress=progress,
        fingerprint_digest=digest,
        scrub=redact.scrub_text,
        gpu_monitor=gpustate.Monitor(gpus) if gpus and not skip else None,
        skip_gpu_reason=skip,
    )
    with _sigterm_as_interrupt():
        stats = Runner(cfg).run(todo)
    results = read_cases(run_dir)
    status, code = exit_status(
        latest_by_case(results), plan.cases, stats.interrupted, record.allow_gpu_failure
    )
    wall = {
        "total": time.monotonic() - started,
        "fingerprint": fingerprint_s,
        "probe": probe_s,
        "import": stats.import_s,
        **stats.phases_s,
    }
    wall["other"] = max(0.0, wall["total"] - sum(v for k, v in wall.items() if k != "total"))
    record = replace(
        record,
        finished_at=_now(),
        status=status,
        exit_code=code,
        wall_s=_accumulate(record.wall_s, wall),
        workers=record.workers + stats.workers,
    )
    write_run(run_dir, record)
    print("\n" + summary_table(results), file=sys.stdout)
    measured = wall["measure"] / wall["total"] if wall["total"] else 0.0
    print(
        f"\n{status}: {len(stats.results)} cells in {format_duration(wall['total'])} "
        f"({measured:.0%} of it inside timed blocks) -> {run_dir}",
        file=out,
    )
    if not args.no_report:
        _render(run_dir, out)
    if stats.interrupted:
        print(
            f"interrupted: measured cells are kept; continue with "
            f"'python -m benchmarks run --resume {run_dir}'",
            file=out,
        )
    return code


def exit_status(
    latest: dict[str, CaseResult],
    planned: Sequence[Case],
    interrupted: bool,
    allow_gpu_failure: bool = False,
) -> tuple[str, int]:
    """The run's status word and exit code (documented in README "Exit codes")."""
    if interrupted:
        return "interrupted", EXIT_INTERRUPTED
    statuses = [latest[c.case_id].status for c in planned if c.case_id in latest]
    if any(s in ("failed", "crashed", "timeout", "oom") for s in statuses):
        return "cells_failed", EXIT_CELLS_FAILED
    if any(s == "skipped" for s in statuses):
        return "gpu_unavailable", EXIT_OK if allow_gpu_failure else EXIT_GPU_UNAVAILABLE
    return "complete", EXIT_OK


def _fingerprint(run_dir: Path, record: RunRecord, *, resumed: bool) -> tuple[dict[str, Any], str]:
    """Write fingerprint.json (a resumed run on a changed machine keeps both, and says so)."""
    fp = fingerprint.collect(
        command=record.command, matrix_digest=record.matrix_digest, image=record.image or None
    )
    target = run_dir / fingerprint.FILENAME
    if not resumed or not target.exists():
        return fp, fingerprint.write(run_dir, fp)
    old = fingerprint.digest(read_json(target))
    new = fingerprint.digest(fp)
    if new != old:
        n = len(list(run_dir.glob("fingerprint.resume-*.json"))) + 1
        (run_dir / f"fingerprint.resume-{n}.json").write_text(
            json.dumps(fp, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        print(
            f"warning: the environment changed since this run started (fingerprint "
            f"{old[:12]} -> {new[:12]}); new cells carry the new digest",
            file=sys.stderr,
        )
    return fp, new


def _check_gpus(
    args: argparse.Namespace, todo: Sequence[Case], run_dir: Path, fp: dict[str, Any], out: TextIO
) -> tuple[dict[str, str], float]:
    """Probe the requested GPUs in a child before any GPU cell; explain a failure at once."""
    devices = sorted({c.device for c in todo if c.is_gpu})
    if not devices:
        return {}, 0.0
    evidence = ""
    if args.gpu_evidence is not None:
        try:
            evidence = args.gpu_evidence.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ConfigError(
                f"--gpu-evidence {args.gpu_evidence}: cannot read ({exc.strerror})",
                "pass a readable text file",
            ) from None
    start = time.monotonic()
    print(f"probing {', '.join(devices)} (driver, then TensorFlow) ...", file=out)
    check = probe.check_gpu(devices, run_dir=run_dir, fingerprint=fp, evidence=evidence)
    skip = check.skip_reasons(devices)
    if skip:
        print(
            f"GPU unavailable - {', '.join(sorted(skip))} cells will be skipped; "
            "CPU cells still run.\n" + check.explanation(),
            file=out,
        )
    return skip, time.monotonic() - start


def _render(run_dir: Path, out: TextIO) -> None:
    """The run page and the site index over its siblings; a report problem never loses a run."""
    from benchmarks.report.render import render_run
    from benchmarks.report.site import render_site

    try:
        page = render_run(run_dir)
        site = render_site(run_dir.parent)
    except BenchError as exc:
        print(f"warning: report not rendered: {exc.message} ({exc.hint})", file=out)
        return
    print(f"report: {page}\nsite:   {site}", file=out)


def _plan(args: argparse.Namespace) -> Plan:
    path = args.matrix or matrix.default_matrix_path()
    spec = matrix.load(path, workloads.NAMES)
    devices = matrix.parse_devices(args.device) if args.device else None
    if args.threads < 0:
        raise ConfigError(f"--threads {args.threads}: must be >= 0", "0 means: all usable CPUs")
    return matrix.expand(spec, args.profile, devices, args.only)


def _resume(run_dir: Path) -> tuple[Plan, Path, RunRecord]:
    if not (run_dir / RUN_FILE).exists():
        raise ConfigError(f"{run_dir}: no {RUN_FILE} here", "pass a run directory to --resume")
    record = read_run(run_dir)
    read_cases(run_dir)  # a corrupt cases.jsonl stops us here, before anything is written
    try:
        cases = tuple(Case(**c) for c in record.plan)
        timing = Timing(**record.timing)
    except TypeError as exc:
        raise ConfigError(
            f"{run_dir / RUN_FILE}: cannot rebuild the plan ({exc})",
            "the file is damaged; start a new run",
        ) from None
    plan = Plan(record.profile, record.matrix_source, record.matrix_digest, timing, cases)
    record = replace(record, resumed_from=[*record.resumed_from, _now()], status="running")
    return plan, run_dir, record


def _new_run_dir(args: argparse.Namespace, plan: Plan) -> Path:
    if args.out is not None:
        run_dir: Path = args.out
        if (run_dir / CASES_FILE).exists() or (run_dir / RUN_FILE).exists():
            raise ConfigError(
                f"{run_dir}: already holds a run",
                f"use --resume {run_dir} to finish it, or another --out",
            )
    else:
        devices = "-".join(sorted({c.device.replace(":", "") for c in plan.cases}))
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        run_dir = args.reports_root / f"{stamp}-{plan.profile}-{devices}"
        n = 2
        while run_dir.exists():
            run_dir = args.reports_root / f"{stamp}-{plan.profile}-{devices}-{n}"
            n += 1
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{run_dir}: cannot create run directory ({exc.strerror})", "choose a writable --out"
        ) from None
    return run_dir


def _public_source(path: Path | None) -> str:
    """The matrix file as a reader of a published report may see it (no private path)."""
    if path is None:
        return "benchmarks/matrix.toml (built-in)"
    return path.name


def command_line() -> list[str]:
    return ["python", "-m", "benchmarks", *sys.argv[1:]]


def _accumulate(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    return {k: old.get(k, 0.0) + new.get(k, 0.0) for k in {*old, *new}}


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """CI cancellation sends SIGTERM: stop like Ctrl-C, keeping what was measured."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
