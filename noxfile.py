"""graphbench's command menu: ``nox -l`` lists the sessions.

Sessions that run TensorFlow locally install the package with the ``cpu`` extra
(``tensorflow-cpu``) or, where an NVIDIA driver is present, the ``gpu`` extra
(``tensorflow[and-cuda]``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

import nox

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
def mutation(session: nox.Session) -> None:
    """Mutation testing of the pure core (docs/mutation.md): each named wrong number must fail a
    unit test, and mutmut's score must stay >= 90 %. Fast unit tests only, no TensorFlow."""
    session.install("-e", ".[test]")
    session.run("python", "scripts/named_mutants.py")
    session.run("python", "scripts/mutation.py", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format check), mypy, hadolint on the Dockerfiles, workflow schema check."""
    session.install("ruff")
    session.run("ruff", "check", "benchmarks", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "benchmarks", "tests", "noxfile.py")
    # --- containers and CI (docker/, .github/workflows/) ---
    session.install("-e", ".[dev,containers,test]")  # test: pytest's and playwright's types
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
    """mypy --strict over the package, the tests, the scripts and this file."""
    session.install("-e", ".[dev,test]")
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
# The work is in benchmarks/containers/ (flows.py, unit-tested against a fake engine); these
# sessions are recipes over it, run from the host.
# ================================================================================================

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the sessions below import benchmarks from this checkout


def _fail(session: nox.Session, exc: Exception) -> NoReturn:
    session.error(f"{exc}\nhint: {getattr(exc, 'hint', '')}")


def _options(session: nox.Session, *, bench: bool) -> argparse.Namespace:
    from benchmarks.containers import options

    return options.parse(f"nox -s {session.name} --", session.posargs, bench=bench)


def _build(session: nox.Session, flavor: str) -> None:
    from benchmarks.containers import flows
    from benchmarks.containers.engine import DockerEngine
    from benchmarks.errors import BenchError

    try:
        flows.build(DockerEngine(), flavor, _options(session, bench=False), session.log, root=ROOT)
    except BenchError as exc:
        _fail(session, exc)


@nox.session(name="build-cpu", python=False)
def build_cpu(session: nox.Session) -> None:
    """Build the CPU image graphbench:cpu (tensorflow-cpu, from docker/requirements/cpu.lock).

    Options after --: --base-image REF, --ca-bundle FILE, --tag TAG, --build-network NET.
    """
    _build(session, "cpu")


@nox.session(name="build-gpu", python=False)
def build_gpu(session: nox.Session) -> None:
    """Build the CUDA image graphbench:gpu (tensorflow[and-cuda], CUDA libraries as wheels).

    Options after --: --base-image REF, --ca-bundle FILE, --tag TAG, --build-network NET.
    """
    _build(session, "gpu")


def _bench_in_image(session: nox.Session, flavor: str) -> None:
    from benchmarks.containers import argv, flows
    from benchmarks.containers.engine import DockerEngine
    from benchmarks.errors import BenchError

    engine = DockerEngine()
    opts = _options(session, bench=True)
    try:
        if opts.no_build:
            engine.probe()
            tag = opts.tag or argv.default_tag(flavor)
        else:
            tag = flows.build(engine, flavor, opts, session.log, root=ROOT)
        user = (os.getuid(), os.getgid())
        result = flows.bench(engine, flavor, opts, tag, session.log, session.warn, user=user)
    except BenchError as exc:
        _fail(session, exc)
    if result.run_dir is not None and not opts.no_report:
        session.install("-e", ".")  # the host renders the report: no TensorFlow needed
        baseline = ["--baseline", opts.baseline] if opts.baseline else []
        report_args = [str(result.run_dir), *baseline]
        session.run("python", "-m", "benchmarks", "report", *report_args, success_codes=[0, 1])
    failure = flows.verdict(result)
    if failure:
        session.error(failure)


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
        runs = sorted(Path("reports").glob("*/run.json"), key=lambda p: p.stat().st_mtime)
        if not runs:
            session.error("no run directory under reports/\nhint: nox -s bench (or bench-cpu)")
        args = [str(runs[-1].parent), *args]
    session.run("python", "-m", "benchmarks", "report", *args)


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Regenerate docker/requirements/{cpu,gpu}.lock (hashes; linux x86_64, CPython 3.11).

    Deterministic: the inputs are the .in files, the platform, the Python version and a fixed
    --exclude-newer date (benchmarks/containers/lock.py), so two runs give identical files.
    """
    from benchmarks.containers import argv, lock

    session.install(f"uv=={lock.LOCK_UV_VERSION}")
    for flavor in argv.FLAVORS:
        session.run(*lock.lock_argv(flavor, f"docker/requirements/{flavor}.lock"))


@nox.session(name="refresh-digests", python=False)
def refresh_digests(session: nox.Session) -> None:
    """Ask the registry for the current base-image digests; update base-images.toml + Dockerfiles.

    Without a reachable registry it says so and exits non-zero, changing nothing.
    """
    from benchmarks.containers import registry
    from benchmarks.errors import BenchError

    try:
        registry.refresh(ROOT, session.log)
    except BenchError as exc:
        _fail(session, exc)
