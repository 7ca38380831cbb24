"""The Docker engine as graphbench meets it: probe it, ask about images, try a GPU hand-over.

A thin I/O shell over ``_proc`` and the pure argv builders of ``containers``: every failure of
the engine becomes an ``EngineError`` carrying ``engine_errors.explain_engine_error``'s words, so
Nox sessions and tests print ``error: ... / hint: ...`` instead of a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import _proc
from benchmarks.containers.argv import gpus_value
from benchmarks.containers.engine_errors import EngineProblem, explain_engine_error
from benchmarks.errors import ConfigError, HostError


class EngineError(HostError):
    """The engine could not do what was asked; ``problem`` says why in words."""

    def __init__(self, problem: EngineProblem, stderr: str = "") -> None:
        super().__init__(problem.message, problem.hint)
        self.problem = problem
        self.stderr = stderr
        self.exit_code = problem.exit_code


@dataclass(frozen=True)
class EngineInfo:
    client_version: str
    server_version: str
    runtimes: tuple[str, ...]
    has_bridge_network: bool  # False on a daemon started with --bridge=none: builds need host

    @property
    def has_nvidia_runtime(self) -> bool:
        return "nvidia" in self.runtimes


def docker_cli() -> str:
    """The client to use: ``GRAPHBENCH_DOCKER`` (e.g. Debian's BuildKit-capable one) or docker."""
    return os.environ.get("GRAPHBENCH_DOCKER") or "docker"


def _checked(argv: list[str], timeout_s: float = 60.0) -> _proc.Completed:
    if _proc.which(argv[0]) is None:
        raise EngineError(explain_engine_error("", 127))
    done = _proc.run(argv, timeout_s=timeout_s)
    if done.timed_out:
        raise HostError(
            f"{' '.join(argv[:3])} did not answer within {timeout_s:.0f} s",
            "the Docker engine is hung or overloaded: check 'docker info' by hand",
        )
    if not done.ok:
        raise EngineError(explain_engine_error(done.stderr, done.returncode), done.stderr)
    return done


def probe(docker: str | None = None) -> EngineInfo:
    """Ask the engine who it is; raise ``EngineError`` with an explanation when it cannot answer."""
    cli = docker or docker_cli()
    version = json.loads(_checked([cli, "version", "--format", "{{json .}}"]).stdout or "{}")
    client = (version.get("Client") or {}).get("Version", "?")
    server = (version.get("Server") or {}).get("Version")
    if not server:  # some clients print the client part and exit 0 without a server
        raise EngineError(explain_engine_error("Cannot connect to the Docker daemon", 1))
    info = json.loads(_checked([cli, "info", "--format", "{{json .}}"]).stdout or "{}")
    runtimes = tuple(sorted((info.get("Runtimes") or {}).keys()))
    nets = _checked([cli, "network", "ls", "--format", "{{.Name}}"]).stdout.split()
    return EngineInfo(str(client), str(server), runtimes, "bridge" in nets)


def image_id(tag: str, docker: str | None = None) -> str | None:
    """The local image id (``sha256:...``) of ``tag``, or None when the engine has no such image."""
    done = _proc.run([docker or docker_cli(), "image", "inspect", "--format", "{{.Id}}", tag])
    return (done.stdout.strip() or None) if done.ok else None


def image_size(tag: str, docker: str | None = None) -> int | None:
    done = _proc.run([docker or docker_cli(), "image", "inspect", "--format", "{{.Size}}", tag])
    return int(done.stdout.strip()) if done.ok and done.stdout.strip().isdigit() else None


def image_labels(tag: str, docker: str | None = None) -> dict[str, str]:
    done = _checked(
        [docker or docker_cli(), "image", "inspect", "--format", "{{json .Config.Labels}}", tag]
    )
    labels = json.loads(done.stdout or "null") or {}
    return {str(k): str(v) for k, v in labels.items()}


@dataclass(frozen=True)
class GpuHandover:
    """Outcome of asking the engine for a GPU; ``problem`` None: the GPU reached a container."""

    problem: EngineProblem | None
    stderr: str
    argv: tuple[str, ...]


def try_gpu(image: str, gpus: str, docker: str | None = None) -> GpuHandover:
    """Start a throw-away container of ``image`` with ``--gpus``; the engine's refusal is kept.

    Engine-level GPU failures (no NVIDIA runtime, toolkit cannot reach the driver) happen when
    the container is created, before our code runs, so only the engine's stderr can explain them.
    """
    argv = (
        docker or docker_cli(),
        "run",
        "--rm",
        "--network",
        "none",
        "--gpus",
        gpus_value(gpus),
        "--entrypoint",
        "true",
        image,
    )
    done = _proc.run(argv, timeout_s=120)
    if done.ok:
        return GpuHandover(None, done.stderr, argv)
    return GpuHandover(explain_engine_error(done.stderr, done.returncode), done.stderr, argv)


def run(argv: tuple[str, ...], timeout_s: float = 3600.0) -> _proc.Completed:
    """Run a docker command (build or run) to completion, output captured."""
    return _proc.run(argv, timeout_s=timeout_s)


CA_IN_CONTEXT = Path("docker") / "certs" / "ca.pem"


@contextmanager
def staged_ca_bundle(bundle: str | Path | None, context: str | Path) -> Iterator[Path | None]:
    """Put ``bundle`` where the Dockerfiles' builder stage looks for it, for one build only.

    The copy lives in the git-ignored ``docker/certs/`` of the build context and is removed on
    the way out, whatever the build did; the final image never holds it (see the Dockerfiles).
    """
    if not bundle:
        yield None
        return
    source = Path(bundle)
    if not source.is_file():
        raise ConfigError(
            f"CA bundle {source}: no such file",
            "pass a PEM bundle, e.g. --ca-bundle /etc/ssl/certs/ca-certificates.crt",
        )
    target = Path(context) / CA_IN_CONTEXT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def call(argv: Sequence[str]) -> int:
    """Run a docker command with its output streaming to our terminal; its exit status."""
    return subprocess.call(list(argv))


class DockerEngine:
    """The engine as the container flows use it (``containers.flows.Engine``), over this module."""

    def probe(self) -> EngineInfo:
        return probe()

    def image_id(self, tag: str) -> str | None:
        return image_id(tag)

    def try_gpu(self, image: str, gpus: str) -> GpuHandover:
        return try_gpu(image, gpus)

    def call(self, argv: Sequence[str]) -> int:
        return call(argv)

    @property
    def cli(self) -> str:
        return docker_cli()
