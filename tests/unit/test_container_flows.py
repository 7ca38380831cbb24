"""The container sessions' flow (build, GPU hand-over, evidence, exit codes) on a fake engine.

The fake implements ``flows.Engine``, the interface the real ``engine.DockerEngine`` has, and
answers with engine output recorded on the development machine (tests/unit/test_containers.py
quotes the sources): mypy checks that it fits.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from benchmarks.containers import flows, options
from benchmarks.errors import ConfigError, HostError
from tests.fakes.engine import NO_GPU_DRIVER, FakeEngine

MakeEngine = Callable[..., FakeEngine]


def _fits(engine: FakeEngine) -> flows.Engine:
    return engine  # mypy proves the fake has the real interface


def _opts(tmp_path: Path, *extra: str) -> argparse.Namespace:
    return options.parse("test", ["--reports", str(tmp_path / "reports"), *extra], bench=True)


def test_gpu_refused_runs_cpu_cells_with_the_engine_words_as_evidence(
    tmp_path: Path, fake_engine: MakeEngine
) -> None:
    engine = fake_engine(gpu_stderr=NO_GPU_DRIVER, run_exit=0)
    warnings: list[str] = []
    result = flows.bench(
        _fits(engine), "gpu", _opts(tmp_path), "graphbench:gpu", print, warnings.append
    )
    (run,) = [c for c in engine.calls if c[1] == "run"]
    assert "--gpus" not in run  # the CPU cells run without a GPU request
    assert "--allow-gpu-failure" in run and "--gpu-evidence" in run
    assert engine.evidence_seen is not None
    assert "could not select device driver" in engine.evidence_seen
    assert not list((tmp_path / "reports").glob(".engine-*.log"))  # evidence removed afterwards
    assert result.refused is not None and result.refused.code == "no_gpu_device_driver"
    assert result.run_dir == (tmp_path / "reports" / "run-1").resolve()
    message = flows.verdict(result)
    assert message is not None and message.startswith("GPU unavailable in the container")
    assert any("GPU not available" in w for w in warnings)


def test_gpu_accepted_passes_the_selection(tmp_path: Path, fake_engine: MakeEngine) -> None:
    engine = fake_engine()
    result = flows.bench(_fits(engine), "gpu", _opts(tmp_path, "--gpus", "0,1"), "t", print, print)
    (run,) = [c for c in engine.calls if c[1] == "run"]
    assert run[run.index("--gpus") + 1] == '"device=0,1"'
    assert "--allow-gpu-failure" not in run
    assert flows.verdict(result) is None


@pytest.mark.parametrize(("code", "words"), [(1, "some cells failed"), (130, "interrupted")])
def test_benchmark_exit_codes_are_named(
    tmp_path: Path, code: int, words: str, fake_engine: MakeEngine
) -> None:
    result = flows.bench(
        _fits(fake_engine(run_exit=code)), "cpu", _opts(tmp_path), "t", print, print
    )
    message = flows.verdict(result)
    assert message is not None and f"exited {code} ({words})" in message


def test_docker_own_failure_before_any_run_is_a_host_error(
    tmp_path: Path, fake_engine: MakeEngine
) -> None:
    engine = fake_engine(run_exit=125, makes_run=None)
    with pytest.raises(HostError, match="before the benchmark started"):
        flows.bench(_fits(engine), "cpu", _opts(tmp_path), "t", print, print)


def test_bad_gpu_selection_is_a_usage_error(tmp_path: Path, fake_engine: MakeEngine) -> None:
    with pytest.raises(ConfigError):
        flows.bench(
            _fits(fake_engine()), "gpu", _opts(tmp_path, "--gpus", "x;y"), "t", print, print
        )


def test_build_uses_host_network_without_a_bridge_and_fails_with_a_hint(
    tmp_path: Path, fake_engine: MakeEngine
) -> None:
    class FailingBuild(FakeEngine):
        def call(self, argv: Sequence[str]) -> int:
            self.calls.append(tuple(argv))
            return 1

    engine = FailingBuild()
    opts = options.parse("test", [], bench=False, environ={})
    with pytest.raises(HostError) as err:
        flows.build(_fits(engine), "cpu", opts, print, root=tmp_path, environ={})
    assert "CERTIFICATE_VERIFY_FAILED" in err.value.hint
    (build,) = engine.calls
    assert build[build.index("--network") + 1] == "host"


def test_source_url_never_carries_credentials() -> None:
    env = {"GITHUB_REPOSITORY": "o/r", "GITHUB_SERVER_URL": "https://github.com"}
    assert flows.source_url(env) == "https://github.com/o/r"
