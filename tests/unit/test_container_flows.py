"""The container sessions' flow (build, GPU hand-over, evidence, exit codes) on a fake engine.

The fake implements ``flows.Engine``, the interface the real ``engine.DockerEngine`` has, and
answers with engine output recorded on the development machine (tests/unit/test_containers.py
quotes the sources): mypy checks that it fits.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pytest

from benchmarks.containers import flows, options
from benchmarks.containers.engine import EngineInfo, GpuHandover
from benchmarks.containers.engine_errors import explain_engine_error
from benchmarks.errors import ConfigError, HostError

NO_GPU_DRIVER = (  # recorded: docker run --gpus all local/debian:bookworm true (exit 125)
    'docker: Error response from daemon: could not select device driver "" with '
    "capabilities: [[gpu]]\n\nRun 'docker run --help' for more information\n"
)


class FakeEngine:
    """Records every command; ``run_exit`` is what the benchmark container exits with."""

    def __init__(
        self, *, gpu_stderr: str = "", run_exit: int = 0, makes_run: str | None = "run-1"
    ) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.gpu_stderr = gpu_stderr
        self.run_exit = run_exit
        self.makes_run = makes_run
        self.evidence_seen: str | None = None

    @property
    def cli(self) -> str:
        return "docker"

    def probe(self) -> EngineInfo:
        return EngineInfo("28.2.2", "20.10.24", ("runc",), has_bridge_network=False)

    def image_id(self, tag: str) -> str | None:
        return "sha256:" + "ab" * 32

    def try_gpu(self, image: str, gpus: str) -> GpuHandover:
        argv = ("docker", "run", "--rm", "--gpus", gpus, image)
        if not self.gpu_stderr:
            return GpuHandover(None, "", argv)
        return GpuHandover(explain_engine_error(self.gpu_stderr, 125), self.gpu_stderr, argv)

    def call(self, argv: Sequence[str]) -> int:
        self.calls.append(tuple(argv))
        if argv[1] == "run":
            mount = next(a for a in argv if a.endswith(":/reports:rw"))
            reports = Path(mount.split(":", 1)[0])
            evidence = sorted(reports.glob(".engine-*.log"))
            self.evidence_seen = evidence[0].read_text() if evidence else None
            if self.makes_run:
                (reports / self.makes_run).mkdir()
            return self.run_exit
        return 0


def _fits(engine: FakeEngine) -> flows.Engine:
    return engine  # mypy proves the fake has the real interface


def _opts(tmp_path: Path, *extra: str) -> argparse.Namespace:
    return options.parse("test", ["--reports", str(tmp_path / "reports"), *extra], bench=True)


def test_gpu_refused_runs_cpu_cells_with_the_engine_words_as_evidence(tmp_path: Path) -> None:
    engine = FakeEngine(gpu_stderr=NO_GPU_DRIVER, run_exit=0)
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


def test_gpu_accepted_passes_the_selection(tmp_path: Path) -> None:
    engine = FakeEngine()
    result = flows.bench(_fits(engine), "gpu", _opts(tmp_path, "--gpus", "0,1"), "t", print, print)
    (run,) = [c for c in engine.calls if c[1] == "run"]
    assert run[run.index("--gpus") + 1] == '"device=0,1"'
    assert "--allow-gpu-failure" not in run
    assert flows.verdict(result) is None


@pytest.mark.parametrize(("code", "words"), [(1, "some cells failed"), (130, "interrupted")])
def test_benchmark_exit_codes_are_named(tmp_path: Path, code: int, words: str) -> None:
    result = flows.bench(
        _fits(FakeEngine(run_exit=code)), "cpu", _opts(tmp_path), "t", print, print
    )
    message = flows.verdict(result)
    assert message is not None and f"exited {code} ({words})" in message


def test_docker_own_failure_before_any_run_is_a_host_error(tmp_path: Path) -> None:
    engine = FakeEngine(run_exit=125, makes_run=None)
    with pytest.raises(HostError, match="before the benchmark started"):
        flows.bench(_fits(engine), "cpu", _opts(tmp_path), "t", print, print)


def test_bad_gpu_selection_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        flows.bench(_fits(FakeEngine()), "gpu", _opts(tmp_path, "--gpus", "x;y"), "t", print, print)


def test_build_uses_host_network_without_a_bridge_and_fails_with_a_hint(tmp_path: Path) -> None:
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
