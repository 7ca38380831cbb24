"""A fake container engine: it implements ``containers.flows.Engine`` (mypy checks the fit) and
answers with engine output recorded on the development machine (test_containers.py quotes the
sources)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.containers.engine import EngineInfo, GpuHandover
from benchmarks.containers.engine_errors import explain_engine_error

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
