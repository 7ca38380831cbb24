"""The images, built and run by a real Docker engine (skipped, with the reason, without one).

What this shows, end to end:
* the CPU image builds from a copy of the checkout, runs the smoke profile for real with the
  network off, and the results land on the host owned by the (non-root) uid that ran it;
* a source-only change rebuilds in at most 15 s (layer cache) and the change is inside;
* the CA bundle handed to the build is nowhere in the final image;
* the CUDA image builds, and ``nox -s bench-gpu`` on a machine whose engine cannot pass a GPU
  still runs the CPU cells, saves the engine's words (engine.log), puts the explanation first in
  diagnosis.json and exits non-zero.

The base image comes from GRAPHBENCH_BASE_IMAGE (``.ci/run`` builds ``local/debian:bookworm``
with debootstrap, since no registry is reachable there); the CA bundle from
GRAPHBENCH_CA_BUNDLE or the system bundle. Images are tagged ``graphbench-test:*`` and removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import _proc
from benchmarks.containers import argv as containers
from benchmarks.containers import engine, engine_errors
from tests.conftest import require_or_skip
from tests.integration.conftest import ci_note

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CPU_TAG = "graphbench-test:cpu"
GPU_TAG = "graphbench-test:gpu"
REBUILD_BUDGET_S = 15.0


def _ca_bundle() -> Path | None:
    given = os.environ.get("GRAPHBENCH_CA_BUNDLE")
    if given:
        return Path(given)
    system = Path("/etc/ssl/certs/ca-certificates.crt")
    return system if system.is_file() else None


@pytest.fixture(scope="module")
def info() -> engine.EngineInfo:
    if shutil.which(engine.docker_cli()) is None:
        require_or_skip(
            "docker", f"no docker client on PATH ({engine.docker_cli()!r}); .ci/run installs one"
        )
    try:
        return engine.probe()
    except engine.EngineError as exc:
        detail = engine_errors.engine_error_line(exc.stderr) or exc.problem.code
        require_or_skip(
            "docker",
            f"no Docker engine can be reached: {exc.message} [{detail}] "
            f"(DOCKER_HOST={os.environ.get('DOCKER_HOST', 'unset')})",
        )


@pytest.fixture(scope="module")
def base_image(info: engine.EngineInfo) -> str | None:
    """The base to build from; skip (saying why) when neither a local one nor a pull works."""
    local = os.environ.get("GRAPHBENCH_BASE_IMAGE")
    if local:
        if engine.image_id(local) is None:
            pytest.fail(f"GRAPHBENCH_BASE_IMAGE={local} is not an image on this engine")
        return local
    from benchmarks.containers import baseimages

    pinned = baseimages.load((ROOT / baseimages.BASE_IMAGES_FILE).read_text())[0]
    if engine.image_id(pinned.pinned_reference) is None:
        pulled = _proc.run([engine.docker_cli(), "pull", pinned.pinned_reference], timeout_s=300)
        if not pulled.ok:
            require_or_skip(
                "docker",
                f"base image {pinned.pinned_reference} cannot be pulled "
                f"({engine_errors.engine_error_line(pulled.stderr)}); set GRAPHBENCH_BASE_IMAGE "
                "to a local Debian bookworm image (.ci/run makes one with debootstrap)",
            )
    return None


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the build context, so that tests may change sources without touching the repo."""
    ctx = tmp_path_factory.mktemp("context")
    shutil.copytree(
        ROOT / "benchmarks", ctx / "benchmarks", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "docker", ctx / "docker", ignore=shutil.ignore_patterns("ca.pem"))
    shutil.copy(ROOT / ".dockerignore", ctx / ".dockerignore")
    return ctx


def _build(flavor: str, tag: str, ctx: Path, info: engine.EngineInfo, base: str | None) -> float:
    spec = containers.BuildSpec(
        flavor=flavor,
        tag=tag,
        context=".",
        base_image=base,
        network=None if info.has_bridge_network else "host",
        revision="test-revision",
        created="2026-01-01T00:00:00Z",
    )
    argv = containers.build_argv(spec, docker=engine.docker_cli())
    with engine.staged_ca_bundle(_ca_bundle(), ctx):
        done = _proc.run(argv, timeout_s=1800, cwd=ctx)
    assert done.ok, f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.elapsed_s


@pytest.fixture(scope="module")
def cpu_image(info: engine.EngineInfo, base_image: str | None, context: Path) -> Iterator[str]:
    elapsed = _build("cpu", CPU_TAG, context, info, base_image)
    ci_note(f"built {CPU_TAG} in {elapsed:.1f} s, {engine.image_size(CPU_TAG)} bytes")
    yield CPU_TAG
    _proc.run([engine.docker_cli(), "image", "rm", "--force", CPU_TAG], timeout_s=120)


@pytest.fixture(scope="module")
def gpu_image(info: engine.EngineInfo, base_image: str | None, context: Path) -> Iterator[str]:
    elapsed = _build("gpu", GPU_TAG, context, info, base_image)
    ci_note(f"built {GPU_TAG} in {elapsed:.1f} s, {engine.image_size(GPU_TAG)} bytes")
    yield GPU_TAG
    _proc.run([engine.docker_cli(), "image", "rm", "--force", GPU_TAG], timeout_s=120)


def _docker(*args: str, timeout_s: float = 600) -> _proc.Completed:
    return _proc.run([engine.docker_cli(), *args], timeout_s=timeout_s)


def test_image_metadata_user_and_entrypoint(cpu_image: str) -> None:
    labels = engine.image_labels(cpu_image)
    assert labels["org.opencontainers.image.revision"] == "test-revision"
    assert labels["org.opencontainers.image.created"] == "2026-01-01T00:00:00Z"
    assert "org.opencontainers.image.source" in labels
    assert labels["io.graphbench.flavor"] == "cpu"
    done = _docker("run", "--rm", "--network", "none", "--entrypoint", "id", cpu_image)
    assert done.stdout.startswith("uid=1000(bench) gid=1000(bench)"), done.stdout
    done = _docker("run", "--rm", "--network", "none", cpu_image, "--help")
    assert done.ok and "usage: python -m benchmarks" in done.stdout, done.stderr
    code = "import tensorflow as tf; print(tf.__version__, tf.test.is_built_with_cuda())"
    done = _docker(
        "run", "--rm", "--network", "none", "--entrypoint", "python", cpu_image, "-c", code
    )
    assert done.stdout.split() == ["2.21.0", "False"], done.stderr[-2000:]


def test_smoke_profile_runs_inside_with_network_off(cpu_image: str, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    uid, gid = 4321, 4322  # not the image's 1000, not root: results must belong to the caller
    os.chown(reports, uid, gid)
    spec = containers.RunSpec(
        image=cpu_image,
        image_digest=engine.image_id(cpu_image),
        args=containers.bench_args(profile="smoke", devices="cpu"),
        reports_dir=str(reports),
        user=(uid, gid),
    )
    argv = containers.run_argv(spec, docker=engine.docker_cli())
    assert argv[argv.index("--network") + 1] == "none"
    done = _proc.run(argv, timeout_s=900)
    assert done.returncode == 0, done.stderr[-4000:]
    (run_dir,) = [p for p in reports.iterdir() if p.is_dir()]  # beside it: the site index
    cases = [json.loads(ln) for ln in (run_dir / "cases.jsonl").read_text().splitlines()]
    assert len(cases) == 6
    assert {c["status"] for c in cases} == {"ok"}, [c.get("reason") for c in cases]
    assert {c["mode"] for c in cases} == {"eager", "graph", "xla"}
    for path in [run_dir, *run_dir.rglob("*")]:
        st = path.stat()
        assert (st.st_uid, st.st_gid) == (uid, gid), path
    fp = json.loads((run_dir / "fingerprint.json").read_text())
    assert fp["host"]["container"]["in_container"] is True
    lock = (ROOT / "docker" / "requirements" / "cpu.lock").read_bytes()
    assert fp["run"]["lock_sha256"] == hashlib.sha256(lock).hexdigest()


def test_source_only_change_rebuilds_fast(
    cpu_image: str, info: engine.EngineInfo, base_image: str | None, context: Path
) -> None:
    """Only the code layer is rebuilt: every layer below it (the venv above all) is reused.

    The rebuild time is recorded for the CI notes, not asserted: speed goals live in
    measurement scripts (scripts/rebuild_timing.sh), never in timed tests.
    """
    before = _layers(cpu_image)
    target = context / "benchmarks" / "__init__.py"
    marker = f"# rebuild probe {time.time_ns()}"
    target.write_text(target.read_text() + f"\n{marker}\n")
    elapsed = _build("cpu", cpu_image, context, info, base_image)
    ci_note(f"source-only rebuild of {cpu_image}: {elapsed:.1f} s (budget {REBUILD_BUDGET_S} s)")
    after = _layers(cpu_image)
    assert after[:-1] == before[:-1], "a source-only change rebuilt a dependency layer"
    assert after[-1] != before[-1]
    done = _docker(
        "run", "--rm", "--network", "none", "--entrypoint", "tail", cpu_image,
        "-n", "1", "/opt/graphbench/benchmarks/__init__.py",
    )  # fmt: skip
    assert done.stdout.strip() == marker


def _layers(image: str) -> list[str]:
    done = _docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", image)
    layers: list[str] = json.loads(done.stdout)
    return layers


def test_ca_bundle_is_not_in_the_final_image(cpu_image: str) -> None:
    bundle = _ca_bundle()
    assert bundle is not None, "no CA bundle was handed to the build"
    data = bundle.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    script = (
        "test ! -e /tmp/certs || { echo /tmp/certs exists; exit 1; }; "
        f"find / -xdev -type f -size {len(data)}c -exec sha256sum {{}} + 2>/dev/null; true"
    )
    done = _docker(
        "run", "--rm", "--network", "none", "--user", "0:0", "--entrypoint", "sh",
        cpu_image, "-c", script,
    )  # fmt: skip
    assert done.ok, done.stdout + done.stderr
    assert digest not in done.stdout, f"the CA bundle is inside the image: {done.stdout}"
    assert not (ROOT / engine.CA_IN_CONTEXT).exists(), "the staged bundle was left behind"


def test_bench_gpu_without_gpu_support_explains_and_fails(
    info: engine.EngineInfo, gpu_image: str, tmp_path: Path
) -> None:
    if info.has_nvidia_runtime:
        pytest.skip("this engine has an NVIDIA runtime: the no-GPU path cannot be shown here")
    nox = shutil.which("nox")
    if nox is None:
        require_or_skip("docker", "nox is not on PATH (.ci/run installs it)")
    reports = tmp_path / "reports"
    argv = [
        nox, "-f", str(ROOT / "noxfile.py"), "-s", "bench-gpu", "--",
        "--profile", "smoke", "--no-build", "--tag", gpu_image, "--reports", str(reports),
        "--no-report",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1200, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-4000:]
    assert "GPU unavailable in the container (no_gpu_device_driver)" in out, out[-4000:]
    assert "Traceback" not in out
    (run_dir,) = [p for p in reports.iterdir() if p.is_dir()]  # beside it: the site index
    cases = [json.loads(ln) for ln in (run_dir / "cases.jsonl").read_text().splitlines()]
    cpu = [c for c in cases if c["device"] == "cpu"]
    assert len(cpu) == 6 and {c["status"] for c in cpu} == {"ok"}, out[-4000:]
    assert all(c["status"] != "ok" for c in cases if c["device"] != "cpu")
    log = (run_dir / "engine.log").read_text()
    assert 'could not select device driver "" with capabilities: [[gpu]]' in log
    diagnosis = json.loads((run_dir / "diagnosis.json").read_text())
    first = diagnosis["findings"][0]
    assert first["code"] == "container_gpu_not_exposed"
    assert "nvidia-ctk runtime configure" in first["fix"]
