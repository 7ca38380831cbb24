"""``nox -s bench-cpu|bench-gpu -- --shard K/N`` hands the shard to the run inside the image.

gpu-bench.yml runs one shard per job through bench-gpu; the fake engine (tests/fakes/engine.py,
the real engine's interface) records the ``docker run`` argv.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from benchmarks.commands import run as run_command
from benchmarks.containers import flows, options
from tests.fakes.engine import FakeEngine


def _bench(tmp_path: Path, engine: FakeEngine, *extra: str) -> tuple[str, ...]:
    opts = options.parse("test", ["--reports", str(tmp_path / "r"), *extra], bench=True)
    flows.bench(engine, "cpu", opts, "graphbench:cpu", print, print)
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
