"""The split of a plan into shards: a partition, groups kept whole, balanced within the bound.

The bound (plan/shard.py): the most and least loaded shard differ by at most the largest group's
cost, and LPT's most loaded shard is within 4/3 of the best split (checked by brute force).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest

from benchmarks import cli
from benchmarks.errors import EXIT_USAGE, ConfigError
from benchmarks.plan import matrix, shard
from benchmarks.plan.matrix import Case, Plan, Timing
from benchmarks.worker import workloads

TIMING = Timing()


def _plan(cases: list[Case], profile: str = "t") -> Plan:
    return Plan(profile, "test", "d" * 64, TIMING, tuple(cases))


def _random_instance(rng: random.Random) -> tuple[Plan, dict[Case, int]]:
    """A random matrix with random exclusions, and a random cost per cell."""
    ws = [f"w{i}" for i in range(rng.randint(1, 4))]
    bs = sorted(rng.sample([1, 2, 10, 32, 100, 1000, 10000], rng.randint(1, 4)))
    ds = ["cpu", "gpu:0", "gpu:1"][: rng.randint(1, 3)]
    modes = ("eager", "graph", "xla")
    cases = [
        Case(w, m, b, d)
        for d in ds
        for w in ws
        for b in bs
        for m in modes
        if rng.random() > 0.15  # some cells excluded, so groups differ in size
    ]
    if not cases:
        cases = [Case("w0", "eager", 1, "cpu")]
    costs = {c: rng.choice([1, 5, 50, 400, 3000]) * rng.randint(1, 9) for c in cases}
    return _plan(cases), costs


def _group_costs(plan: Plan, cost: dict[Case, int]) -> list[int]:
    return [g.cost_ms for g in shard.groups(plan, cost.__getitem__)]


def _loads_ms(plan: Plan, count: int, cost: Callable[[Case], int]) -> list[int]:
    """Each shard's estimated cost."""
    return [sum(cost(c) for c in s) for s in shard.split(plan, count, cost)]


def _best_makespan(costs: list[int], n: int) -> int:
    best = sum(costs)
    for assignment in itertools.product(range(n), repeat=len(costs)):
        loads = [0] * n
        for c, s in zip(costs, assignment, strict=True):
            loads[s] += c
        best = min(best, max(loads))
    return best


def test_split_is_a_partition_keeping_groups_and_order_within_the_bound() -> None:
    rng = random.Random(20261201)
    for _ in range(200):
        plan, costs = _random_instance(rng)
        cost = costs.__getitem__
        largest = max(_group_costs(plan, costs))
        for n in range(1, 7):
            shards = shard.split(plan, n, cost)
            assert len(shards) == n
            everything = Counter(c for s in shards for c in s)
            assert everything == Counter(plan.cases)  # the union is the plan, each cell once
            for s in shards:
                assert list(s) == [c for c in plan.cases if c in set(s)]  # plan order kept
            owner = {shard.group_key(c): i for i, s in enumerate(shards) for c in s}
            for i, s in enumerate(shards):
                assert all(owner[shard.group_key(c)] == i for c in s)  # a group on one shard
            loads = [sum(cost(c) for c in s) for s in shards]
            assert loads == _loads_ms(plan, n, cost)
            assert max(loads) - min(loads) <= largest
            assert shard.split(plan, n, cost) == shards  # deterministic


def test_lpt_makespan_is_within_four_thirds_of_the_best_split() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(400):
        plan, costs = _random_instance(rng)
        group_costs = _group_costs(plan, costs)
        if len(group_costs) > 7:
            continue
        for n in (2, 3):
            got = max(_loads_ms(plan, n, costs.__getitem__))
            best = _best_makespan(group_costs, n)
            assert 3 * got <= (4 - 1 / n) * best  # Graham: (4/3 - 1/(3m)) * OPT
            checked += 1
    assert checked > 100


def test_more_shards_than_groups_leaves_empty_shards() -> None:
    plan = _plan([Case("mlp", m, 1, "cpu") for m in ("eager", "graph", "xla")])
    shards = shard.split(plan, 3, lambda c: 1)
    assert shards[0] == plan.cases and shards[1] == () and shards[2] == ()


def test_a_group_is_every_mode_of_one_workload_batch_and_device() -> None:
    a, b = Case("mlp", "eager", 1, "cpu"), Case("mlp", "xla", 1, "cpu")
    assert shard.group_key(a) == shard.group_key(b)
    assert shard.group_key(a) != shard.group_key(Case("mlp", "eager", 1, "gpu:0"))
    assert shard.group_key(a) != shard.group_key(Case("mlp", "eager", 10, "cpu"))
    assert shard.group_key(a) != shard.group_key(Case("mlp", "eager", 1, "cpu", "predict"))


def test_the_split_and_the_runner_group_by_the_same_key() -> None:
    from benchmarks.run.schedule import group_label, groups

    cases = [Case("mlp", m, 1, "cpu", c) for c in ("call", "predict") for m in ("eager", "xla")]
    measured = groups(cases)
    assert [group_label(g[0]) for g in measured] == ["mlp-*-b1-cpu", "mlp.predict-*-b1-cpu"]
    assert {shard.group_key(c) for g in measured for c in g} == {
        "mlp-*-b1-cpu",
        "mlp.predict-*-b1-cpu",
    }
    split = shard.split(_plan(cases), 2, lambda c: 1)
    assert sorted(split) == sorted(measured)  # one call path's modes on one shard, each its own


def test_select_keeps_the_plan_but_its_cells() -> None:
    spec = matrix.load(matrix.default_matrix_path(), workloads.NAMES)
    plan = matrix.expand(spec, "default")
    cost = shard.cost_model(plan.timing)
    chosen = [shard.select(plan, shard.ShardSpec(k, 3), cost) for k in (1, 2, 3)]
    parts = [p for p, _ in chosen]
    assert len({d for _, d in chosen}) == 1  # every shard names the same split
    assert chosen[0][1] == shard.split_digest(shard.split(plan, 3, cost))
    assert chosen[0][1] != shard.split_digest(shard.split(plan, 2, cost))
    assert sum(len(p.cases) for p in parts) == len(plan.cases)
    assert all(p.timing == plan.timing and p.digest == plan.digest for p in parts)
    assert {c for p in parts for c in p.cases} == set(plan.cases)


@pytest.mark.parametrize(
    ("text", "index", "count"), [("1/1", 1, 1), ("2/3", 2, 3), (" 3 / 3 ", 3, 3)]
)
def test_parse_spec(text: str, index: int, count: int) -> None:
    assert shard.parse_spec(text) == shard.ShardSpec(index, count)
    assert str(shard.ShardSpec(index, count)) == f"{index}/{count}"


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "3", "a/b", "-1/2", "1/2/3", ""])
def test_parse_spec_refuses(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        shard.parse_spec(text)
    assert err.value.exit_code == EXIT_USAGE and err.value.hint


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3"},
         (1, 3)),
        ({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3"},
         (3, 3)),
        # sbatch --array=1-3: ids start at 1
        ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"},
         (1, 3)),
        # sbatch --array=10-14:2 -> ids 10, 12, 14
        ({"SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10",
          "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, (3, 3)),
        ({"JOB_COMPLETION_INDEX": "0", "GRAPHBENCH_SHARD_COUNT": "4"}, (1, 4)),
        ({"JOB_COMPLETION_INDEX": "3", "GRAPHBENCH_SHARD_COUNT": "4"}, (4, 4)),
    ],
)  # fmt: skip
def test_shard_auto_from_the_scheduler(env: dict[str, str], expected: tuple[int, int]) -> None:
    assert shard.from_environment(env) == shard.ShardSpec(*expected)


def test_shard_auto_kubernetes_count_flag_wins_over_the_variable() -> None:
    env = {"JOB_COMPLETION_INDEX": "1", "GRAPHBENCH_SHARD_COUNT": "9"}
    assert shard.from_environment(env, count=2) == shard.ShardSpec(2, 2)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"),
        ({"SLURM_ARRAY_TASK_ID": "0"}, "SLURM_ARRAY_TASK_COUNT is not"),
        ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}, "not a whole number"),
        ({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "0",
          "SLURM_ARRAY_TASK_COUNT": "3"}, "shard 6 of 3 does not exist"),
        ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0",
          "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, "not on the range"),
        ({"JOB_COMPLETION_INDEX": "0"}, "shard count is not"),
        ({"JOB_COMPLETION_INDEX": "4", "GRAPHBENCH_SHARD_COUNT": "4"}, "shard 5 of 4"),
    ],
)  # fmt: skip
def test_shard_auto_refuses(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as err:
        shard.from_environment(env)
    assert says in err.value.message and err.value.hint


def test_plan_digest_covers_profile_timing_and_cells() -> None:
    cases = [Case("mlp", m, 1, "cpu") for m in ("eager", "graph")]
    base = shard.digest_of(_plan(cases))
    assert base == shard.plan_digest("t", asdict(TIMING), [c.case_id for c in cases])
    assert len(base) == 64
    assert shard.digest_of(_plan(cases, profile="u")) != base
    assert shard.digest_of(_plan(cases[:1])) != base
    assert shard.digest_of(_plan(cases[::-1])) != base
    other = Plan("t", "test", "d" * 64, Timing(blocks=9), tuple(cases))
    assert shard.digest_of(other) != base


def test_cost_model_charges_compiles_and_blocks() -> None:
    t = Timing()
    cost = {
        m: shard.estimate_cost_s(Case("mlp", m, 1, "cpu"), t) for m in ("eager", "graph", "xla")
    }
    assert cost["eager"] < cost["graph"] < cost["xla"]  # trace, then trace + compile
    more_blocks = shard.estimate_cost_s(Case("mlp", "eager", 1, "cpu"), Timing(blocks=30))
    assert more_blocks - cost["eager"] == pytest.approx((30 - t.blocks) * t.min_block_s)
    longer = shard.estimate_cost_s(Case("mlp", "eager", 1, "cpu"), Timing(min_block_s=0.5))
    assert longer > cost["eager"] + t.blocks * 0.4
    assert shard.cost_model(t)(Case("mlp", "xla", 1, "cpu")) == round(1000 * cost["xla"])


def test_cost_model_charges_compute_by_the_workloads_flops() -> None:
    t, flops = Timing(), workloads.flops_per_sample()
    small = shard.estimate_cost_s(Case("cnn", "eager", 1, "cpu"), t, flops)
    big = shard.estimate_cost_s(Case("cnn", "eager", 1000, "cpu"), t, flops)
    assert big > small + 0.3 * t.blocks * t.min_block_s  # ~55 ms calls: 2 per 80 ms block
    # without the FLOPs a call costs its dispatch only: the batch size does not matter
    assert shard.estimate_cost_s(Case("cnn", "eager", 1000, "cpu"), t) == pytest.approx(
        shard.estimate_cost_s(Case("cnn", "eager", 1, "cpu"), t)
    )
    on_gpu = shard.estimate_cost_s(Case("cnn", "eager", 1000, "gpu:0"), t, flops)
    assert on_gpu < big  # the GPU's FLOP rate is higher
    huge = shard.estimate_cost_s(Case("cnn", "eager", 100_000, "cpu"), t, flops)
    assert huge > t.blocks * 5.0  # a call of ~5 s: every block is one call


@pytest.mark.parametrize("profile", ["default", "full"])
def test_builtin_profiles_split_within_the_bound(profile: str) -> None:
    spec = matrix.load(matrix.default_matrix_path(), workloads.NAMES)
    plan = matrix.expand(spec, profile)
    cost = shard.cost_model(plan.timing, workloads.flops_per_sample())  # as run --shard does
    largest = max(g.cost_ms for g in shard.groups(plan, cost))
    for n in (2, 3, 4):
        loads = _loads_ms(plan, n, cost)
        assert sum(loads) == sum(cost(c) for c in plan.cases)
        assert max(loads) - min(loads) <= largest


def test_resolve_takes_k_of_n_or_the_scheduler() -> None:
    env = {"JOB_COMPLETION_INDEX": "2"}
    assert shard.resolve("auto", 3, env) == shard.ShardSpec(3, 3)
    assert shard.resolve("2/3", None, env) == shard.ShardSpec(2, 3)
    assert shard.resolve("2/3", 3, {}) == shard.ShardSpec(2, 3)
    with pytest.raises(ConfigError, match="two different shard counts"):
        shard.resolve("2/3", 4, {})


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--shard", "0/2"], "shard 0 of 2 does not exist"),
        (["--shard", "two"], "expected K/N or auto"),
        (["--shard", "auto"], "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"),
        (["--shard", "1/2", "--shard-count", "3"], "two different shard counts"),
    ],
)
def test_run_refuses_a_bad_shard_before_writing_anything(
    flags: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for name in ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", shard.SHARD_COUNT_ENV):
        monkeypatch.delenv(name, raising=False)
    code = cli.main(["run", "--profile", "smoke", "--reports-root", str(tmp_path), *flags])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "error: --shard" in err and says in err and "hint: " in err
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_shard_with_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", "--resume", str(tmp_path), "--shard", "1/2"])
    assert code == EXIT_USAGE and "a resumed run keeps the shard it was" in capsys.readouterr().err


def test_measured_costs_cut_the_split_and_fill_gaps_with_the_scaled_estimate() -> None:
    cases = [Case(w, m, b, "cpu") for w in ("a", "b") for b in (1, 10) for m in ("eager", "xla")]
    plan = _plan(cases)
    estimate = shard.cost_model(plan.timing)
    slow = {c.case_id: 100_000 for c in cases if (c.workload, c.batch_size) == ("a", 10)}
    fast = {c.case_id: 1_000 for c in cases if c.case_id not in slow and c.workload == "a"}
    cost = shard.measured_model(plan, {**slow, **fast}, estimate)
    assert cost(Case("a", "eager", 10, "cpu")) == 100_000
    scale = (2 * 100_000 + 2 * 1_000) / sum(estimate(c) for c in cases if c.workload == "a")
    assert cost(Case("b", "xla", 1, "cpu")) == round(estimate(Case("b", "xla", 1, "cpu")) * scale)
    for cut, b_with_slow in ((cost, False), (estimate, True)):
        (with_slow,) = [p for p in shard.split(plan, 2, cut) if Case("a", "xla", 10, "cpu") in p]
        assert any(c.workload == "b" for c in with_slow) is b_with_slow
    with pytest.raises(ConfigError, match="measured no cell of this plan"):
        shard.measured_model(plan, {"other-eager-b1-cpu": 5}, estimate)


def test_run_refuses_shard_costs_without_shard_or_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["run", "--profile", "smoke", "--reports-root", str(tmp_path / "r")]
    assert cli.main([*base, "--shard-costs", str(tmp_path)]) == EXIT_USAGE
    assert "--shard-costs without --shard" in capsys.readouterr().err
    assert cli.main([*base, "--shard", "1/2", "--shard-costs", str(tmp_path)]) == EXIT_USAGE
    assert "not a run directory" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
