"""The container sessions' work: build an image, then run the matrix inside it.

``nox -s build-cpu|build-gpu|bench-cpu|bench-gpu`` are recipes over these two functions. The
engine comes in as an :class:`Engine` (the real one is ``engine.DockerEngine``), so the whole
flow — GPU hand-over, the refusal kept as evidence, exit codes — is unit-tested against a fake
fed by recorded engine output. Failures raise :class:`~benchmarks.errors.BenchError` with a hint.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from benchmarks.containers import argv as containers
from benchmarks.containers import engine as engine_io
from benchmarks.containers import envpass
from benchmarks.containers.engine import EngineInfo, GpuHandover
from benchmarks.containers.engine_errors import EngineProblem, engine_log_text
from benchmarks.environment import gitrepo, redact
from benchmarks.errors import (
    EXIT_CELLS_FAILED,
    EXIT_GPU_UNAVAILABLE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfigError,
    HostError,
)
from benchmarks.plan import shard
from benchmarks.rundir.jsonio import utc_stamp

Log = Callable[[str], None]
DOCKER_OWN_EXITS = (125, 126, 127)  # docker run's own failures: nothing of ours ran
EXIT_MEANING = {
    EXIT_CELLS_FAILED: "some cells failed",
    EXIT_GPU_UNAVAILABLE: "the GPU was unavailable",
    EXIT_INTERRUPTED: "interrupted",
}


class Engine(Protocol):
    """What the flows need of a container engine."""

    @property
    def cli(self) -> str: ...
    def probe(self) -> EngineInfo: ...
    def image_id(self, tag: str) -> str | None: ...
    def try_gpu(self, image: str, gpus: str) -> GpuHandover: ...
    def call(self, argv: Sequence[str]) -> int: ...


def source_url(environ: Mapping[str, str], root: Path = gitrepo.REPO_ROOT) -> str:
    """The repository URL for the OCI source label, without any credentials in it."""
    if environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{environ['GITHUB_REPOSITORY']}"
    url = redact.strip_url_credentials(gitrepo.origin_url(root))
    return url if url.startswith(("https://", "http://")) else ""


def build_spec(
    flavor: str, opts: argparse.Namespace, info: EngineInfo, environ: Mapping[str, str]
) -> containers.BuildSpec:
    created = environ.get("SOURCE_DATE_EPOCH")
    stamp = (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(created))) if created else utc_stamp()
    )
    revision, _ = gitrepo.head()
    return containers.BuildSpec(
        flavor=flavor,
        tag=opts.tag or containers.default_tag(flavor),
        context=".",
        base_image=opts.base_image or None,
        network=opts.build_network or (None if info.has_bridge_network else "host"),
        revision=revision or "unknown",
        # dirty = the image's code (benchmarks/) differs from that commit
        dirty=gitrepo.dirty(paths=["benchmarks"]) if revision else None,
        created=stamp,
        source=source_url(environ),
    )


def build(
    engine: Engine,
    flavor: str,
    opts: argparse.Namespace,
    log: Log,
    *,
    root: Path = gitrepo.REPO_ROOT,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Build one image (the layer cache makes an unchanged build take seconds); return its tag."""
    spec = build_spec(flavor, opts, engine.probe(), environ)
    argv = containers.build_argv(spec, docker=engine.cli)
    started = time.monotonic()
    with engine_io.staged_ca_bundle(opts.ca_bundle, root) as staged:
        if staged is not None:
            log(f"CA bundle {opts.ca_bundle} handed to the build (builder stage only)")
        log(" ".join(argv))
        rc = engine.call(argv)
    if rc != 0:
        raise HostError(
            f"docker build of {spec.tag} failed (exit {rc}; its output is above)",
            "if pip reported CERTIFICATE_VERIFY_FAILED you are behind a TLS-intercepting proxy: "
            "pass --ca-bundle /etc/ssl/certs/ca-certificates.crt (or set GRAPHBENCH_CA_BUNDLE); "
            "if the base image cannot be pulled, pass --base-image (docs/containers.md)",
        )
    log(f"built {spec.tag} in {time.monotonic() - started:.1f} s")
    return spec.tag


@dataclass(frozen=True)
class BenchResult:
    """How a run inside an image ended: its directory, exit code, and the engine's GPU refusal."""

    run_dir: Path | None
    exit_code: int
    refused: EngineProblem | None


def _run_dirs(reports: Path) -> set[Path]:
    return {p for p in reports.iterdir() if p.is_dir()} if reports.is_dir() else set()


def bench(
    engine: Engine,
    flavor: str,
    opts: argparse.Namespace,
    tag: str,
    log: Log,
    warn: Log,
    *,
    environ: Mapping[str, str] = os.environ,
    user: tuple[int, int] | None = None,
) -> BenchResult:
    """Run the matrix inside image ``tag``; a GPU the engine refuses leaves the CPU cells running.

    The refusal is evidence for the GPU doctor inside the container: it is diagnosed together
    with the in-container probe and kept in the run directory as ``engine.log``.
    """
    digest = engine.image_id(tag)
    if digest is None:
        raise HostError(f"image {tag} not found", f"nox -s build-{flavor}")
    # resolved on the host, before anything starts: a Slurm array task's or an Indexed Job's
    # variables are the host's and the container sees none of them (envpass), so "auto" must
    # reach the run inside as K/N
    part = shard.resolve(opts.shard, None, environ) if opts.shard else None
    reports = Path(opts.reports).resolve()
    reports.mkdir(parents=True, exist_ok=True)  # ours, not root's: docker would create it as root
    gpus: str | None = None
    refused: GpuHandover | None = None
    if flavor == "gpu":
        try:
            containers.gpus_value(opts.gpus)
        except ValueError as exc:
            raise ConfigError(str(exc), "--gpus all | 0 | 0,1 | GPU-<uuid>") from None
        handover = engine.try_gpu(tag, opts.gpus)
        if handover.problem is None:
            gpus = opts.gpus
        else:
            refused = handover
            warn(f"GPU not available in the container: {handover.problem.message}")
            warn(f"hint: {handover.problem.hint}")
            warn("running the CPU cells in the CUDA image; the GPU finding goes into the report")
    matrix = str(Path(opts.matrix).resolve()) if opts.matrix else None
    if matrix and not Path(matrix).is_file():
        raise ConfigError(f"--matrix {opts.matrix}: no such file", "pass a matrix TOML file")
    evidence: Path | None = None
    if refused is not None and refused.problem is not None:
        evidence = reports / f".engine-{os.getpid()}.log"
        evidence.write_text(engine_log_text(refused.problem, refused.argv, refused.stderr))
    extra: tuple[str, ...] = ("--no-report",)  # the host renders it (with --baseline)
    if evidence is not None:
        extra += ("--gpu-evidence", f"{containers.CONTAINER_REPORTS}/{evidence.name}")
    if part is not None:
        extra += ("--shard", str(part))
    args = containers.bench_args(
        profile=opts.profile,
        devices="cpu,gpu" if flavor == "gpu" else "cpu",
        only=opts.only,
        matrix=matrix is not None,
        allow_gpu_failure=refused is not None,
        extra=extra,
    )
    spec = containers.RunSpec(
        image=tag,
        args=args,
        reports_dir=str(reports),
        image_digest=digest,
        user=user,
        gpus=gpus,
        network=opts.network,
        matrix_file=matrix,
        env=envpass.passed_env(environ),
        name=f"graphbench-{flavor}-{os.getpid()}",
    )
    argv = containers.run_argv(spec, docker=engine.cli)
    before = _run_dirs(reports)
    log(" ".join(argv))
    try:
        rc = engine.call(argv)
    finally:
        if evidence is not None:
            evidence.unlink(missing_ok=True)
    new = sorted(_run_dirs(reports) - before, key=lambda p: p.stat().st_mtime)
    run_dir = new[-1] if new else None
    if rc in DOCKER_OWN_EXITS and run_dir is None:
        raise HostError(
            f"docker run failed before the benchmark started (exit {rc}); the engine's "
            "message is above",
            f"nox -s build-{flavor} rebuilds the image; docs/containers.md lists the engine "
            "messages and their fixes",
        )
    return BenchResult(run_dir, rc, refused.problem if refused is not None else None)


def verdict(result: BenchResult) -> str | None:
    """The session's failure message for ``result``, or None when it succeeded."""
    if result.refused is not None:
        return (
            f"GPU unavailable in the container ({result.refused.code}): "
            f"{result.refused.message}. CPU results and the explanation are in {result.run_dir}"
        )
    if result.exit_code != EXIT_OK:
        meaning = EXIT_MEANING.get(result.exit_code, "error")
        return f"the benchmark exited {result.exit_code} ({meaning}); see {result.run_dir}"
    return None
