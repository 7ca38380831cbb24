"""What a run is asked to measure: the ``run`` flags (:class:`RunOptions`), the plan they expand
to with the user models in it, and this shard's part of that plan.

Pure of side effects apart from reading the matrix file, the ``--model`` SPECs and a
``--shard-costs`` run: everything is checked here, before a run directory or a worker exists.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks.errors import ConfigError
from benchmarks.plan import matrix, own_models, shard
from benchmarks.plan.matrix import Case, Plan, Timing
from benchmarks.plan.model_spec import ModelSpec
from benchmarks.plan.names import CALL_PATHS, MODES
from benchmarks.run import resume
from benchmarks.rundir.jsonio import utc_stamp
from benchmarks.rundir.layout import RUN_FILE
from benchmarks.rundir.results import (
    SCHEMA_VERSION,
    RunRecord,
    latest_by_case,
    read_cases,
    read_run,
)
from benchmarks.worker import workloads

DEFAULT_SEED = 1234


@dataclass(frozen=True)
class RunOptions:
    """What the ``run`` command's flags ask for (see its ``--help``)."""

    profile: str | None = None  # None: "default" (and, on --resume, the stored one)
    matrix: Path | None = None
    device: str | None = None
    only: Sequence[str] = ()
    out: Path | None = None
    reports_root: Path = Path("reports")
    resume: Path | None = None
    seed: int | None = None  # None: DEFAULT_SEED (and, on --resume, the stored one)
    threads: int = 0
    allow_gpu_failure: bool = False
    gpu_evidence: Path | None = None
    shard: str | None = None  # "K/N" or "auto" (docs/scale-out.md)
    shard_count: int | None = None  # the N of "auto" in a Kubernetes Indexed Job
    shard_costs: Path | None = None  # a previous run whose measured times cut the split
    target_ci: float | None = None  # --target-ci PCT, in percent
    command: Sequence[str] = field(default_factory=tuple)
    models: Sequence[str] = ()  # --model SPEC (replaces the profile's workloads)
    signature: str | None = None  # for every --model that is a SavedModel
    input_shapes: Sequence[str] = ()  # NAME=12,16
    inputs: str | None = None  # FILE.npz
    calls: str | None = None  # --call call,predict


def plan_of(opts: RunOptions) -> tuple[Plan, dict[str, ModelSpec]]:
    """The plan and the user models it measures, every SPEC checked before any worker starts."""
    path = opts.matrix or matrix.default_matrix_path()
    spec = matrix.load(path, workloads.NAMES)
    devices = matrix.parse_devices(opts.device) if opts.device else None
    calls = matrix.parse_calls(opts.calls) if opts.calls else None
    if opts.threads < 0:
        raise ConfigError(f"--threads {opts.threads}: must be >= 0", "0 means: all usable CPUs")
    given = own_models.from_flags(
        opts.models,
        opts.signature,
        opts.input_shapes,
        opts.inputs,
        taken=[*workloads.NAMES, *(str(m.name) for m in spec.models)],
    )
    plan = matrix.expand(
        spec,
        opts.profile or "default",
        devices,
        list(opts.only),
        workloads=list(given) or None,
        calls=calls,
    )
    used = {c.workload for c in plan.cases}
    tables = [m for m in spec.models if m.name in used]
    models = {**own_models.resolve(tables, path.parent, workloads.NAMES), **given}
    models = {n: m for n, m in models.items() if n in used}
    if opts.target_ci is None:
        return plan, models
    if not 0 < opts.target_ci < 100:
        raise ConfigError(
            f"--target-ci {opts.target_ci:g}: must be a percentage above 0 and below 100",
            "e.g. --target-ci 5 stops adding rounds once the ratio CI is within +-5 %",
        )
    return replace(plan, timing=replace(plan.timing, target_ci=opts.target_ci / 100)), models


def resume_of(opts: RunOptions) -> tuple[Plan, RunRecord, dict[str, ModelSpec]]:
    """The stored plan of ``--resume DIR``, validated; flags that would change it refused."""
    run_dir = opts.resume
    assert run_dir is not None
    if opts.shard is not None:
        raise ConfigError(
            "--shard with --resume: a resumed run keeps the shard it was",
            f"drop --shard: 'run --resume {run_dir}' finishes that shard",
        )
    if not (run_dir / RUN_FILE).exists():
        raise ConfigError(f"{run_dir}: no {RUN_FILE} here", "pass a run directory to --resume")
    record = read_run(run_dir)
    if record.schema_version != SCHEMA_VERSION:
        raise ConfigError(
            f"{run_dir}: made by an older graphbench (schema_version {record.schema_version}: "
            f"{record.method})",
            "its cells were measured another way; start a new run",
        )
    where = run_dir / RUN_FILE
    resume.check_run_id(record.run_id, where)
    resume.refuse_conflicting_flags(
        only=opts.only,
        matrix=opts.matrix,
        device=opts.device,
        out=opts.out,
        profile=opts.profile,
        seed=opts.seed,
        stored_profile=record.profile,
        stored_seed=record.seed,
        others=[
            flag
            for flag, given in (
                ("--model", bool(opts.models)),
                ("--call", opts.calls is not None),
                ("--target-ci", opts.target_ci is not None),
                ("--shard-costs", opts.shard_costs is not None),
            )
            if given
        ],
    )
    plan_rows, timing = resume.validate_plan(
        record.plan,
        record.cases,
        record.timing,
        known_workloads=[*workloads.NAMES, *record.models],
        modes=MODES,
        calls=CALL_PATHS,
        where=where,
    )
    models = {n: ModelSpec.from_dict(d).expand_home() for n, d in record.models.items()}
    read_cases(run_dir)  # a corrupt cases.jsonl stops us here, before anything is written
    cases = tuple(Case(**c) for c in plan_rows)
    plan = Plan(record.profile, record.matrix_source, record.matrix_digest, Timing(**timing), cases)
    record = replace(record, resumed_from=[*record.resumed_from, utc_stamp()], status="running")
    return plan, record, models


def shard_of(opts: RunOptions, full: Plan) -> tuple[Plan, shard.ShardSpec | None, dict[str, str]]:
    """``--shard`` (and ``--shard-costs``): this shard's plan, its K/N, how the split was cut."""
    if opts.shard is None:
        if opts.shard_costs is not None:
            raise ConfigError("--shard-costs without --shard", "add --shard K/N or --shard auto")
        return full, None, {}
    spec = shard.resolve(opts.shard, opts.shard_count, os.environ)
    cost = shard.cost_model(full.timing, workloads.flops_per_sample())
    source = "estimate"
    if opts.shard_costs is not None:
        cost = shard.measured_model(full, _measured_ms(opts.shard_costs), cost)
        source = f"measured by {read_run(opts.shard_costs).run_id}"
    plan, split = shard.select(full, spec, cost)
    return plan, spec, {"costs": source, "split_digest": split}


def _measured_ms(run_dir: Path) -> dict[str, int]:
    """Each cell's time in a previous run (its phases, in ms): the costs of ``--shard-costs``."""
    if not (run_dir / RUN_FILE).is_file():
        raise ConfigError(f"--shard-costs {run_dir}: not a run directory", "pass reports/<id>")
    latest = latest_by_case(read_cases(run_dir))
    return {cid: round(1000 * sum(r.phases_s.values())) for cid, r in latest.items()}
