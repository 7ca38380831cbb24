"""`nox -s lock` is reproducible: regenerating both lock files gives the committed bytes, twice.

Runs the same ``uv pip compile`` command line as the session (``lock.lock_argv``) against
PyPI, over a copy of the committed lock as ``nox -s lock`` does (uv keeps the versions an
existing output file pins while they still satisfy the inputs, so a newer upstream release does
not make the committed lock "stale"; a changed ``.in`` file or date does); takes a few seconds. Skips, saying why, where uv (the pinned version) or PyPI is missing;
.ci/run installs that uv.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks.containers import argv as containers
from benchmarks.containers import lock

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip(f"uv is not on PATH (pip install uv=={lock.LOCK_UV_VERSION})")
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False)
    if version.stdout.split()[1:2] != [lock.LOCK_UV_VERSION]:
        pytest.skip(
            f"uv {version.stdout.strip()} is not the pinned uv {lock.LOCK_UV_VERSION}: "
            "another resolver version may format lock files differently"
        )
    return uv


@pytest.mark.parametrize("flavor", containers.FLAVORS)
def test_lock_is_reproducible_and_committed(flavor: str, tmp_path: Path) -> None:
    uv = _uv()
    outputs = []
    committed = (ROOT / f"docker/requirements/{flavor}.lock").read_bytes()
    for attempt in (1, 2):
        out = tmp_path / f"{flavor}-{attempt}.lock"
        out.write_bytes(committed)
        argv = lock.lock_argv(flavor, str(out), uv=uv)
        done = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0 and "pypi.org" in done.stderr.lower():
            pytest.skip(f"PyPI unreachable: {done.stderr.strip().splitlines()[-1]}")
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1], "two runs of the lock gave different files"
    assert outputs[0] == committed, (
        f"docker/requirements/{flavor}.lock is stale: run nox -s lock and commit the result"
    )
