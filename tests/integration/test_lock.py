"""`nox -s lock` is reproducible: regenerating both lock files gives the committed bytes, twice.

Runs the same ``uv pip compile`` command line as the session (``lock.lock_argv``) against
PyPI, over a copy of the committed lock as ``nox -s lock`` does (uv keeps the versions an
existing output file pins while they still satisfy the inputs, so a newer upstream release does
not make the committed lock "stale"; a changed ``.in`` file or date does); takes a few seconds. Skips, saying why, where uv (the pinned version) or PyPI is missing;
.ci/run installs that uv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks.containers import argv as containers
from benchmarks.containers import lock
from tests.conftest import require_or_skip

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# uv's own words when it cannot reach the index (not when resolution itself fails)
UNREACHABLE = re.compile(
    r"error sending request|dns error|failed to lookup address|connection refused|"
    r"timed out|tcp connect error|network is unreachable|certificate",
    re.IGNORECASE,
)


def _uv_env() -> dict[str, str]:
    """uv behind a TLS-intercepting proxy: the system (or given) CA bundle, native roots too."""
    env = dict(os.environ)
    bundle = env.get("GRAPHBENCH_CA_BUNDLE") or "/etc/ssl/certs/ca-certificates.crt"
    if "SSL_CERT_FILE" not in env and Path(bundle).is_file():
        env["SSL_CERT_FILE"] = bundle
    env.setdefault("UV_NATIVE_TLS", "1")
    return env


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        require_or_skip("uv", f"uv is not on PATH (pip install uv=={lock.LOCK_UV_VERSION})")
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False)
    if version.stdout.split()[1:2] != [lock.LOCK_UV_VERSION]:
        require_or_skip(
            "uv",
            f"uv {version.stdout.strip()} is not the pinned uv {lock.LOCK_UV_VERSION}: "
            "another resolver version may format lock files differently",
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
            argv, cwd=ROOT, env=_uv_env(), capture_output=True, text=True, timeout=300,
            check=False,
        )  # fmt: skip
        if done.returncode != 0 and UNREACHABLE.search(done.stderr):
            last = done.stderr.strip().splitlines()[-1]
            require_or_skip("uv", f"the package index is unreachable: {last}")
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1], "two runs of the lock gave different files"
    assert outputs[0] == committed, (
        f"docker/requirements/{flavor}.lock is stale: run nox -s lock and commit the result"
    )
