"""``nox -s bench-cpu|bench-gpu -- --shard K/N`` hands the shard to the run inside the image.

gpu-bench.yml runs one shard per job through bench-gpu; the fake engine (tests/fakes/engine.py,
the real engine's interface) records the ``docker run`` argv.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from benchmarks.commands import run as run_command
from benchmarks.containers import flows, options
from benchmarks.errors import ConfigError
from tests.fakes.engine import FakeEngine


def _bench(
    tmp_path: Path, engine: FakeEngine, *extra: str, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    opts = options.parse("test", ["--reports", str(tmp_path / "r"), *extra], bench=True)
    flows.bench(engine, "cpu", opts, "graphbench:cpu", print, print, environ=environ or {})
    (run,) = [c for c in engine.calls if c[1] == "run"]
    return tuple(run)


def test_shard_reaches_the_run_in_the_image(
    tmp_path: Path, fake_engine: Callable[..., FakeEngine]
) -> None:
    run = _bench(tmp_path, fake_engine(), "--shard", "2/3")
    args = run[run.index("graphbench:cpu") + 1 :]
    assert args[0] == "run" and args[args.index("--shard") + 1] == "2/3"
    parser = argparse.ArgumentParser()
    run_command.add_arguments(parser)
    assert parser.parse_args(list(args[1:])).shard == "2/3"  # the run command accepts it


def test_no_shard_no_flag(tmp_path: Path, fake_engine: Callable[..., FakeEngine]) -> None:
    assert "--shard" not in _bench(tmp_path, fake_engine())


def test_shard_auto_is_resolved_on_the_host_where_the_scheduler_variables_are(
    tmp_path: Path, fake_engine: Callable[..., FakeEngine]
) -> None:
    slurm = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"}
    run = _bench(tmp_path, fake_engine(), "--shard", "auto", environ=slurm)
    assert run[run.index("--shard") + 1] == "2/3"  # task 5 of the array 4..6
    assert not any(a.startswith("SLURM_") for a in run)  # the variables stay on the host
    indexed = {"JOB_COMPLETION_INDEX": "0", "GRAPHBENCH_SHARD_COUNT": "4"}
    run = _bench(tmp_path / "k8s", fake_engine(), "--shard", "auto", environ=indexed)
    assert run[run.index("--shard") + 1] == "1/4"


def test_shard_auto_without_a_scheduler_stops_before_any_container_starts(
    tmp_path: Path, fake_engine: Callable[..., FakeEngine]
) -> None:
    engine = fake_engine()
    opts = options.parse("test", ["--reports", str(tmp_path / "r"), "--shard", "auto"], bench=True)
    with pytest.raises(ConfigError, match="neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"):
        flows.bench(engine, "cpu", opts, "graphbench:cpu", print, print, environ={})
    assert not [c for c in engine.calls if c[1] == "run"]
