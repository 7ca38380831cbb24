"""Split a plan into N shards, the same way on every machine, balanced by estimated cost.

Pure: a plan (and, for ``--shard auto``, an environment mapping) in, shards out. Every machine of
a Slurm array, a Kubernetes Indexed Job or a CI matrix computes the split on its own from the same
plan, so the split must depend on nothing but the plan: costs are whole milliseconds from the
timing settings and fixed constants (no measurement, no host fact), and every tie is broken by
plan order.

A *measured group* (every mode of one workload x call path x batch size x device,
``Case.group_id``: the groups the runner measures together) always lands on one shard: its
speedups eager/graph and eager/XLA are ratios of cells that must share a machine and a worker.
Groups are assigned by LPT (longest processing time first): sorted by estimated cost, largest
first, each to the shard with the least cost so far. Stated bound, tested: the most and the
least loaded shard differ by at most the largest group's cost (and LPT's makespan is within
4/3 of the best possible split).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

from benchmarks.errors import ConfigError
from benchmarks.plan.matrix import Case, Plan, Timing

SHARD_COUNT_ENV = "GRAPHBENCH_SHARD_COUNT"  # the count for a Kubernetes Indexed Job
_SPEC_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")

# The cost model (seconds), calibrated on the README's default-profile run (2 vCPU, TF 2.21):
# the first call traces (graph) or traces and compiles (XLA); a call costs its dispatch (the
# batch-1 medians) plus its FLOPs at the device's rate (cnn eager at batch 1000 on a CPU: ~60 ms
# measured, 55 ms here). Blocks hold whole calls, so a block lasts ceil(min_block / call) calls.
_BUILD_S = 0.2
_FIRST_CALL_S = {"eager": 0.05, "graph": 0.4, "xla": 1.2}
_CALL_S = {"eager": 2.5e-3, "graph": 3e-4, "xla": 2e-4}
_FLOP_RATE = {"cpu": 1.0e11, "gpu": 1.0e13}

GroupKey = str  # Case.group_id: "mlp-*-b100-cpu", "lstm.predict-*-b32-cpu"


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` of ``count``, 1-based (``--shard 2/3``)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def as_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}


@dataclass(frozen=True)
class Group:
    key: GroupKey
    cases: tuple[Case, ...]
    cost_ms: int


def group_key(case: Case) -> GroupKey:
    """The measured group of a cell: every mode of one workload x call path x batch size x
    device. The runner groups by the same key (``run.schedule.groups``)."""
    return case.group_id


def parse_spec(text: str, where: str = "--shard") -> ShardSpec:
    """``"2/3"`` -> ``ShardSpec(2, 3)``; ``K`` must be 1..N."""
    m = _SPEC_RE.match(text)
    if m is None:
        raise ConfigError(
            f"{where} {text!r}: expected K/N or auto",
            "e.g. --shard 2/3 runs the second of three shards; --shard auto reads a Slurm "
            "array or Kubernetes Indexed Job",
        )
    return _checked(int(m[1]), int(m[2]), f"{where} {text}")


def resolve(text: str, count: int | None, env: Mapping[str, str]) -> ShardSpec:
    """The ``--shard`` flag (``K/N`` or ``auto``) with ``--shard-count`` and the environment."""
    if text.strip().lower() == "auto":
        return from_environment(env, count)
    spec = parse_spec(text)
    if count is not None and count != spec.count:
        raise ConfigError(
            f"--shard {text} --shard-count {count}: two different shard counts",
            "--shard-count only completes --shard auto in a Kubernetes Indexed Job",
        )
    return spec


def from_environment(env: Mapping[str, str], count: int | None = None) -> ShardSpec:
    """``--shard auto``: the shard a Slurm array task or a Kubernetes Indexed Job pod is.

    Slurm: ``SLURM_ARRAY_TASK_ID`` counted from ``SLURM_ARRAY_TASK_MIN`` in steps of
    ``SLURM_ARRAY_TASK_STEP`` (``--array=1-3`` and ``--array=0-4:2`` both work), of
    ``SLURM_ARRAY_TASK_COUNT``. Kubernetes: ``JOB_COMPLETION_INDEX`` (0-based) of ``count``, or
    of ``$GRAPHBENCH_SHARD_COUNT`` (set it to the Job's ``completions``).
    """
    if "SLURM_ARRAY_TASK_ID" in env:
        task = _env_int(env, "SLURM_ARRAY_TASK_ID")
        first = _env_int(env, "SLURM_ARRAY_TASK_MIN") if "SLURM_ARRAY_TASK_MIN" in env else 0
        step = _env_int(env, "SLURM_ARRAY_TASK_STEP") if "SLURM_ARRAY_TASK_STEP" in env else 1
        if "SLURM_ARRAY_TASK_COUNT" not in env:
            raise ConfigError(
                "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not",
                "submit with sbatch --array=0-N (Slurm sets both), or pass --shard K/N",
            )
        total = _env_int(env, "SLURM_ARRAY_TASK_COUNT")
        offset = task - first
        if step <= 0 or offset % step:
            raise ConfigError(
                f"--shard auto: array task {task} is not on the range {first}-...:{step}",
                "use a plain range, e.g. sbatch --array=0-3, or pass --shard K/N",
            )
        return _checked(offset // step + 1, total, f"--shard auto (Slurm array task {task})")
    if "JOB_COMPLETION_INDEX" in env:
        index = _env_int(env, "JOB_COMPLETION_INDEX")
        if count is None and SHARD_COUNT_ENV in env:
            count = _env_int(env, SHARD_COUNT_ENV)
        if count is None:
            raise ConfigError(
                "--shard auto: JOB_COMPLETION_INDEX is set but the shard count is not",
                f"pass --shard-count N or set {SHARD_COUNT_ENV} to the Job's completions",
            )
        return _checked(index + 1, count, f"--shard auto (completion index {index})")
    raise ConfigError(
        "--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set",
        "run it as a Slurm array task or a Kubernetes Indexed Job pod, or pass --shard K/N",
    )


def estimate_cost_s(
    case: Case, timing: Timing, flops_per_sample: Mapping[str, int] | None = None
) -> float:
    """Seconds one cell is expected to take: build, first call, warm-up, calibration, blocks.

    ``flops_per_sample`` (workload -> FLOPs, the workloads' own figures) adds the compute time;
    without it a call costs its dispatch only.
    """
    flops = (flops_per_sample or {}).get(case.workload, 0)
    rate = _FLOP_RATE["gpu" if case.is_gpu else "cpu"]
    call_s = _CALL_S.get(case.mode, 1e-3) + case.batch_size * flops / rate
    block_s = math.ceil(timing.min_block_s / call_s) * call_s
    warmup_s = max(timing.warmup_s, timing.warmup_calls * call_s)
    calibration_s = 2 * block_s
    first_s = _FIRST_CALL_S.get(case.mode, 1.0) + call_s
    return _BUILD_S + first_s + warmup_s + calibration_s + timing.blocks * block_s


def cost_model(
    timing: Timing, flops_per_sample: Mapping[str, int] | None = None
) -> Callable[[Case], int]:
    """The cost of a cell in whole milliseconds (integers: the same on every machine)."""

    def cost(case: Case) -> int:
        return round(1000 * estimate_cost_s(case, timing, flops_per_sample))

    return cost


def measured_model(
    plan: Plan, measured_ms: Mapping[str, int], estimate: Callable[[Case], int]
) -> Callable[[Case], int]:
    """Costs measured by a previous run (case id -> ms, ``run --shard-costs RUN_DIR``).

    A cell the previous run lacks gets the estimate, scaled by measured/estimated over the cells
    it has, so both kinds of cost count in the same milliseconds.
    """
    known = {c.case_id: measured_ms[c.case_id] for c in plan.cases if measured_ms.get(c.case_id)}
    if not known:
        raise ConfigError(
            "--shard-costs: the run measured no cell of this plan",
            "pass a run of the same profile (or leave --shard-costs out: costs are estimated)",
        )
    estimated = sum(estimate(c) for c in plan.cases if c.case_id in known)
    scale = sum(known.values()) / max(1, estimated)

    def cost(case: Case) -> int:
        return known.get(case.case_id) or round(estimate(case) * scale)

    return cost


def split_digest(shards: Sequence[Sequence[Case]]) -> str:
    """sha256 of a whole split: merge refuses shards that were not cut the same way."""
    ids = [[c.case_id for c in s] for s in shards]
    return hashlib.sha256(json.dumps(ids, separators=(",", ":")).encode()).hexdigest()


def groups(plan: Plan, cost: Callable[[Case], int]) -> list[Group]:
    """The plan's measured groups, in plan order of their first cell."""
    members: dict[GroupKey, list[Case]] = {}
    for case in plan.cases:
        members.setdefault(group_key(case), []).append(case)
    return [Group(k, tuple(cs), sum(cost(c) for c in cs)) for k, cs in members.items()]


def split(plan: Plan, count: int, cost: Callable[[Case], int]) -> tuple[tuple[Case, ...], ...]:
    """``count`` disjoint shards whose union is the plan; each keeps the plan's order."""
    if count < 1:
        raise ConfigError(f"shard count {count}: must be at least 1", "e.g. --shard 1/2")
    found = groups(plan, cost)
    order = sorted(range(len(found)), key=lambda i: (-found[i].cost_ms, i))
    loads = [0] * count
    owner: dict[GroupKey, int] = {}
    for i in order:
        target = min(range(count), key=lambda s: (loads[s], s))
        owner[found[i].key] = target
        loads[target] += found[i].cost_ms
    return tuple(tuple(c for c in plan.cases if owner[group_key(c)] == s) for s in range(count))


def select(plan: Plan, spec: ShardSpec, cost: Callable[[Case], int]) -> tuple[Plan, str]:
    """The plan of one shard (same profile, timing and digest: only the cells differ), and the
    digest of the whole split."""
    shards = split(plan, spec.count, cost)
    return replace(plan, cases=shards[spec.index - 1]), split_digest(shards)


def plan_digest(profile: str, timing: Mapping[str, object], case_ids: Sequence[str]) -> str:
    """sha256 of what a run measures: profile, timing settings, every case id in order.

    Shards of one run carry the digest of the full plan, so ``merge`` can tell shards of the
    same run from shards of different ones. Primitive arguments: it is recomputed from run.json.
    """
    canonical = json.dumps(
        {"profile": profile, "timing": dict(timing), "cases": list(case_ids)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest_of(plan: Plan) -> str:
    return plan_digest(plan.profile, asdict(plan.timing), [c.case_id for c in plan.cases])


def _checked(index: int, count: int, where: str) -> ShardSpec:
    if count < 1 or not 1 <= index <= count:
        raise ConfigError(
            f"{where}: shard {index} of {count} does not exist",
            "K/N is 1-based: K runs from 1 to N (e.g. 1/3, 2/3, 3/3)",
        )
    return ShardSpec(index, count)


def _env_int(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "")
    try:
        return int(value)
    except ValueError:
        raise ConfigError(
            f"--shard auto: {name}={value!r} is not a whole number",
            "check the job's environment, or pass --shard K/N",
        ) from None
