"""graphbench's command menu: ``nox -l`` lists the sessions.

Sessions that run TensorFlow locally install the package with the ``cpu`` extra
(``tensorflow-cpu``) or, where an NVIDIA driver is present, the ``gpu`` extra
(``tensorflow[and-cuda]``).
"""

from __future__ import annotations

import shutil

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
def lint(session: nox.Session) -> None:
    """ruff (lint + format check)."""
    session.install("ruff")
    session.run("ruff", "check", "benchmarks", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "benchmarks", "tests", "noxfile.py")


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
