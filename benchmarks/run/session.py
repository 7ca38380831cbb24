"""A run, start to end: plan or resume, the record, the fingerprint, the GPU check, the runner.

The ``run`` command parses its flags into :class:`RunOptions` and prints what :func:`execute`
returns; everything a run does to its directory happens here, so other entry points (shards,
scripts) get the same run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from benchmarks import __version__
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
from benchmarks.plan import shard
from benchmarks.plan.matrix import Case, Plan
from benchmarks.plan.model_spec import ModelSpec
from benchmarks.run import planning, resume
from benchmarks.run.planning import DEFAULT_SEED, RunOptions
from benchmarks.run.progress import Progress
from benchmarks.run.runner import Runner, RunnerConfig
from benchmarks.rundir import paths
from benchmarks.rundir.jsonio import read_json, run_id_stamp, utc_stamp, write_json_atomic
from benchmarks.rundir.layout import CASES_FILE, FINGERPRINT_FILE, RUN_FILE
from benchmarks.rundir.results import (
    CaseResult,
    RunRecord,
    latest_by_case,
    read_cases,
    write_run,
)
from benchmarks.rundir.scrublogs import scrub_logs


@dataclass(frozen=True)
class RunOutcome:
    """What a finished (or interrupted) run leaves for the command to print."""

    run_dir: Path
    status: str
    exit_code: int
    results: tuple[CaseResult, ...]  # every line of cases.jsonl
    measured: int  # cells measured by this invocation
    wall_s: float
    measured_share: float  # of the wall time, inside timed blocks
    interrupted: bool


def execute(opts: RunOptions, out: TextIO) -> RunOutcome:
    """Run (or resume) ``opts``; progress goes to ``out``. Raises BenchError on bad input.

    SIGTERM is Ctrl-C from the first line on; the run directory is locked for the whole run.
    """
    with _sigterm_as_interrupt():
        started = time.monotonic()
        if opts.resume:
            plan, record, models = planning.resume_of(opts)
            lock = resume.open_run_dir(opts.resume)
            run_dir = opts.resume
        else:
            full, models = planning.plan_of(opts)
            plan, spec, split = planning.shard_of(opts, full)
            run_dir = _new_run_dir(opts, full, spec)
            lock = resume.open_run_dir(run_dir)
            record = _new_record(opts, plan, run_dir)
            record = replace(
                record,
                shard={**spec.as_dict(), **split} if spec else None,
                plan_digest=shard.digest_of(full),
                full_plan=[asdict(c) for c in full.cases] if spec else [],
                models={n: m.scrubbed(redact.scrub_text).to_dict() for n, m in models.items()},
            )
        try:
            return _execute(opts, plan, run_dir, record, models, out, started)
        finally:
            lock.release()


def _new_record(opts: RunOptions, plan: Plan, run_dir: Path) -> RunRecord:
    command = redact.relative_paths_in_argv(list(opts.command), run_dir)
    return RunRecord(
        run_id=run_dir.name,
        command=redact.scrub_argv(command),
        profile=plan.profile,
        matrix_source=_public_source(opts.matrix),
        matrix_digest=plan.digest,
        cases=[c.case_id for c in plan.cases],
        plan=[asdict(c) for c in plan.cases],
        devices=sorted({c.device for c in plan.cases}),
        timing=asdict(plan.timing),
        started_at=utc_stamp(),
        suite_version=__version__,
        allow_gpu_failure=opts.allow_gpu_failure,
        seed=DEFAULT_SEED if opts.seed is None else opts.seed,
        threads=opts.threads or hostinfo.usable_cpus(),
    )


def _execute(
    opts: RunOptions,
    plan: Plan,
    run_dir: Path,
    record: RunRecord,
    models: Mapping[str, ModelSpec],
    out: TextIO,
    started: float,
) -> RunOutcome:
    record = replace(record, image=_image_from_env(os.environ))
    write_run(run_dir, record)
    try:
        fp_start = time.monotonic()
        fp, digest = _fingerprint(run_dir, record, resumed=bool(opts.resume), out=out)
        fingerprint_s = time.monotonic() - fp_start
        latest = latest_by_case(read_cases(run_dir))
        retry = set(resume.cells_to_run([c.case_id for c in plan.cases], latest))
        todo = [c for c in plan.cases if c.case_id in retry]
        part = f" shard {record.shard['index']}/{record.shard['count']}," if record.shard else ""
        print(
            f"graphbench {__version__}: profile {plan.profile!r},{part} {len(todo)} of "
            f"{len(plan.cases)} cells to run -> {run_dir}",
            file=out,
        )
        skip, probe_s = _check_gpus(opts.gpu_evidence, todo, run_dir, fp, out)
    except KeyboardInterrupt:  # before the first cell: nothing measured, nothing lost
        write_run(run_dir, replace(record, status="interrupted", exit_code=EXIT_INTERRUPTED))
        kept = tuple(read_cases(run_dir))
        return RunOutcome(run_dir, "interrupted", EXIT_INTERRUPTED, kept, 0, 0.0, 0.0, True)
    gpus = sorted({int(c.device.split(":")[1]) for c in todo if c.is_gpu})
    cfg = RunnerConfig(
        run_dir=run_dir,
        timing=plan.timing,
        seed=record.seed,
        threads=record.threads,
        progress=Progress(len(todo), out),
        fingerprint_digest=digest,
        scrub=redact.scrub_text,
        gpu_monitor=gpustate.Monitor(gpus) if gpus and not skip else None,
        skip_gpu_reason=skip,
        models={n: m.to_dict() for n, m in models.items()},
    )
    try:
        stats = Runner(cfg).run(todo)
    except BenchError as exc:  # a full disk mid-run: say so in run.json if it still fits
        with contextlib.suppress(BenchError):
            write_run(run_dir, replace(record, status="interrupted", exit_code=exc.exit_code))
        raise
    scrub_logs(run_dir)
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
        finished_at=utc_stamp(),
        status=status,
        exit_code=code,
        wall_s=_accumulate(record.wall_s, wall),
        workers=record.workers + stats.workers,
    )
    write_run(run_dir, record)
    return RunOutcome(
        run_dir=run_dir,
        status=status,
        exit_code=code,
        results=tuple(results),
        measured=len(stats.results),
        wall_s=wall["total"],
        measured_share=wall["measure"] / wall["total"] if wall["total"] else 0.0,
        interrupted=stats.interrupted,
    )


def _image_from_env(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The image the run is inside, as the Nox session passed it (the container cannot see it)."""
    pairs = (
        ("reference", environ.get("GRAPHBENCH_IMAGE", "")),
        ("digest", environ.get("GRAPHBENCH_IMAGE_DIGEST", "")),
    )
    return {k: v for k, v in pairs if v}


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
    skipped = [
        latest[c.case_id]
        for c in planned
        if c.case_id in latest and latest[c.case_id].status == "skipped"
    ]
    if any(not any(w["code"] == "not_applicable" for w in r.warnings) for r in skipped):
        return "gpu_unavailable", EXIT_OK if allow_gpu_failure else EXIT_GPU_UNAVAILABLE
    return "complete", EXIT_OK


def _fingerprint(
    run_dir: Path, record: RunRecord, *, resumed: bool, out: TextIO
) -> tuple[dict[str, Any], str]:
    """Write fingerprint.json (a resumed run on a changed machine keeps both, and says so)."""
    fp = fingerprint.collect(
        command=record.command, matrix_digest=record.matrix_digest, image=record.image or None
    )
    target = run_dir / FINGERPRINT_FILE
    if not resumed or not target.exists():
        return fp, fingerprint.write(run_dir, fp)
    old = fingerprint.digest(read_json(target))
    new = fingerprint.digest(fp)
    if new != old:
        n = len(list(run_dir.glob("fingerprint.resume-*.json"))) + 1
        write_json_atomic(run_dir / f"fingerprint.resume-{n}.json", fp, allow_nan=True)
        print(
            f"warning: the environment changed since this run started (fingerprint "
            f"{old[:12]} -> {new[:12]}); new cells carry the new digest",
            file=out,
        )
    return fp, new


def _check_gpus(
    gpu_evidence: Path | None,
    todo: Sequence[Case],
    run_dir: Path,
    fp: dict[str, Any],
    out: TextIO,
) -> tuple[dict[str, str], float]:
    """Probe the requested GPUs in a child before any GPU cell; explain a failure at once."""
    devices = sorted({c.device for c in todo if c.is_gpu})
    if not devices:
        return {}, 0.0
    evidence = ""
    if gpu_evidence is not None:
        try:
            evidence = gpu_evidence.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ConfigError(
                f"--gpu-evidence {gpu_evidence}: cannot read ({exc.strerror})",
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


def _new_run_dir(opts: RunOptions, plan: Plan, spec: shard.ShardSpec | None) -> Path:
    if opts.out is not None:
        run_dir: Path = paths.check_out_dir(opts.out)
        if (run_dir / CASES_FILE).exists() or (run_dir / RUN_FILE).exists():
            raise ConfigError(
                f"{run_dir}: already holds a run",
                f"use --resume {run_dir} to finish it, or another --out",
            )
    else:
        paths.mark_reports_root(opts.reports_root)  # the user named it: graphbench's from now
        devices = "-".join(sorted({c.device.replace(":", "") for c in plan.cases}))
        part = f"-shard{spec.index}of{spec.count}" if spec else ""
        name = f"{run_id_stamp()}-{plan.profile}-{devices}{part}"
        run_dir = opts.reports_root / name
        n = 2
        while run_dir.exists():
            run_dir = opts.reports_root / f"{name}-{n}"
            n += 1
    paths.check_id(run_dir.name, "run id")
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
