"""The docker command lines (pure builders) and the engine-error explanations.

Engine messages are recorded verbatim: the ones marked "recorded here" come from Debian's
docker.io 20.10.24 engine with the 28.2 client on the development machine (no GPU, no NVIDIA
toolkit); the NVIDIA toolkit ones are quoted from the GitHub issues named next to them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.containers import argv as containers
from benchmarks.containers import baseimages, engine_errors, envpass
from benchmarks.containers.argv import BuildSpec, RunSpec, build_argv, gpus_value, run_argv
from benchmarks.containers.engine_errors import explain_engine_error
from benchmarks.errors import EXIT_GPU_UNAVAILABLE, EXIT_HOST
from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]

# --- recorded engine messages --------------------------------------------------------------
DAEMON_DOWN = (  # recorded here: DOCKER_HOST=unix:///tmp/gbc/nonexist.sock docker version
    "Cannot connect to the Docker daemon at unix:///tmp/gbc/nonexist.sock. "
    "Is the docker daemon running?\n"
)
SOCKET_PERMISSION = (  # recorded here: docker version as uid 65534 against a root:docker socket
    "permission denied while trying to connect to the Docker daemon socket at "
    'unix:///tmp/gbc/docker.sock: Get "http://%2Ftmp%2Fgbc%2Fdocker.sock/v1.50/version": '
    "dial unix /tmp/gbc/docker.sock: connect: permission denied\n"
)
NO_GPU_DRIVER = (  # recorded here: docker run --gpus all local/debian:bookworm true (exit 125)
    'docker: Error response from daemon: could not select device driver "" with '
    "capabilities: [[gpu]]\n\nRun 'docker run --help' for more information\n"
)
NO_GPU_DRIVER_OLD_CLIENT = (  # recorded here: Debian's /usr/bin/docker 20.10 client
    'docker: Error response from daemon: could not select device driver "" with '
    "capabilities: [[gpu]].\n"
)
UNKNOWN_RUNTIME_2010 = (  # recorded here: docker run --runtime nvidia ... (engine 20.10)
    "docker: Error response from daemon: Unknown runtime specified nvidia\n\n"
    "Run 'docker run --help' for more information\n"
)
UNKNOWN_RUNTIME_NEW = (  # newer engines' wording, as quoted in nvidia-ctk troubleshooting notes
    "docker: Error response from daemon: unknown or invalid runtime name: nvidia\n"
)
CLI_DRIVER_NOT_LOADED = (  # github.com/NVIDIA/nvidia-docker/issues/1629
    "docker: Error response from daemon: failed to create shim: OCI runtime create failed: "
    "container_linux.go:380: starting container process caused: process_linux.go:545: "
    "container init caused: Running hook #0:: error running hook: exit status 1, stdout: , "
    "stderr: nvidia-container-cli: initialization error: nvml error: driver not loaded: "
    "unknown.\n"
)
CLI_NO_LIBNVML = (  # github.com/huan/docker-wechat/issues/173
    "docker: Error response from daemon: failed to create shim task: OCI runtime create "
    "failed: runc create failed: unable to start container process: error during container "
    "init: error running hook #0: error running hook: exit status 1, stdout: , stderr: "
    "Auto-detected mode as 'legacy'\nnvidia-container-cli: initialization error: load library "
    "failed: libnvidia-ml.so.1: cannot open shared object file: no such file or directory: "
    "unknown.\n"
)
CLI_RPC = (  # github.com/NVIDIA/nvidia-container-toolkit/issues/230
    "docker: Error response from daemon: failed to create shim task: OCI runtime create "
    "failed: runc create failed: unable to start container process: error during container "
    "init: error running hook #0: error running hook: exit status 1, stdout: , stderr: "
    "Auto-detected mode as 'legacy'\nnvidia-container-cli: initialization error: driver rpc "
    "error: failed to process request: unknown.\n"
)
CLI_MISMATCH = (  # research/gpu-failure-classes.md 2.6 (docker signature)
    "docker: Error response from daemon: failed to create shim task: OCI runtime create "
    "failed: runc create failed: unable to start container process: error during container "
    "init: error running hook #0: error running hook: exit status 1, stdout: , stderr: "
    "nvidia-container-cli: initialization error: nvml error: driver/library version mismatch: "
    "unknown.\n"
)


@pytest.mark.parametrize(
    ("stderr", "rc", "code", "gpu_class"),
    [
        (DAEMON_DOWN, 1, "daemon_not_running", None),
        (SOCKET_PERMISSION, 1, "socket_permission", None),
        (NO_GPU_DRIVER, 125, "no_gpu_device_driver", "container_gpu_not_exposed"),
        (NO_GPU_DRIVER_OLD_CLIENT, 125, "no_gpu_device_driver", "container_gpu_not_exposed"),
        (UNKNOWN_RUNTIME_2010, 125, "unknown_runtime_nvidia", "container_gpu_not_exposed"),
        (UNKNOWN_RUNTIME_NEW, 125, "unknown_runtime_nvidia", "container_gpu_not_exposed"),
        (CLI_DRIVER_NOT_LOADED, 125, "nvidia_cli_no_driver", "driver_missing_or_not_loaded"),
        (CLI_NO_LIBNVML, 125, "nvidia_cli_no_driver", "driver_missing_or_not_loaded"),
        (CLI_MISMATCH, 125, "nvidia_cli_driver_mismatch", "driver_library_version_mismatch"),
        (CLI_RPC, 125, "nvidia_cli_init", "container_gpu_not_exposed"),
        ("", 127, "no_client", None),
    ],
)
def test_engine_messages_are_explained(
    stderr: str, rc: int, code: str, gpu_class: str | None
) -> None:
    problem = explain_engine_error(stderr, rc)
    assert problem.code == code
    assert problem.gpu_class == gpu_class
    assert problem.message and problem.hint
    assert problem.exit_code == (EXIT_GPU_UNAVAILABLE if gpu_class else EXIT_HOST)


def test_unknown_message_keeps_the_engines_words() -> None:
    problem = explain_engine_error("docker: Error response from daemon: disk quota exceeded\n", 125)
    assert problem.code == "unknown"
    assert "disk quota exceeded" in problem.message
    assert "exit 125" in problem.message


def test_gpu_hint_names_the_toolkit_fix() -> None:
    problem = explain_engine_error(NO_GPU_DRIVER, 125)
    assert "nvidia-ctk runtime configure" in problem.hint
    assert "bench-cpu" in problem.hint


def test_engine_log_holds_command_and_exact_text() -> None:
    problem = explain_engine_error(UNKNOWN_RUNTIME_2010, 125)
    text = engine_errors.engine_log_text(
        problem, ("docker", "run", "--gpus", "all"), UNKNOWN_RUNTIME_2010
    )
    assert text.startswith("$ docker run --gpus all\n")
    assert "Unknown runtime specified nvidia" in text
    assert "unknown_runtime_nvidia" in text


# --- argv builders -------------------------------------------------------------------------
def test_build_argv_local_base_and_host_network() -> None:
    spec = BuildSpec(
        flavor="cpu",
        tag="graphbench:cpu",
        base_image="local/debian:bookworm",
        network="host",
        revision="abc123",
        dirty=True,
        created="2026-11-25T15:00:00Z",
        source="https://example.org/graphbench",
    )
    assert build_argv(spec) == (
        "docker", "build", "--file", "docker/Dockerfile.cpu", "--tag", "graphbench:cpu",
        "--build-arg", "BASE_IMAGE=local/debian:bookworm",
        "--build-arg", "REVISION=abc123",
        "--build-arg", "DIRTY=true",
        "--build-arg", "CREATED=2026-11-25T15:00:00Z",
        "--build-arg", "SOURCE=https://example.org/graphbench",
        "--label", "io.graphbench.flavor=cpu",
        "--network", "host", ".",
    )  # fmt: skip


def test_build_argv_default_base_is_the_dockerfiles() -> None:
    argv = build_argv(BuildSpec(flavor="gpu", tag="t"), docker="/usr/bin/docker")
    assert argv[0] == "/usr/bin/docker"
    assert "docker/Dockerfile.gpu" in argv
    assert not any(a.startswith("BASE_IMAGE=") for a in argv)
    assert "--network" not in argv
    with pytest.raises(ValueError, match="unknown image flavor"):
        build_argv(BuildSpec(flavor="tpu", tag="t"))


def test_run_argv_network_off_user_mounts_and_image_env() -> None:
    spec = RunSpec(
        image="graphbench:cpu",
        image_digest="sha256:" + "a" * 64,
        args=containers.bench_args(profile="smoke", devices="cpu", only=["mlp-*"], matrix=True),
        reports_dir="/home/u/graphbench/reports",
        user=(1234, 1235),
        matrix_file="/home/u/m.toml",
    )
    argv = run_argv(spec)
    assert argv[:3] == ("docker", "run", "--rm")
    assert argv[argv.index("--network") + 1] == "none"
    assert argv[argv.index("--user") + 1] == "1234:1235"
    assert "/home/u/graphbench/reports:/reports:rw" in argv
    assert f"/home/u/m.toml:{containers.CONTAINER_MATRIX}:ro" in argv
    assert "GRAPHBENCH_IMAGE=graphbench:cpu" in argv
    assert "GRAPHBENCH_IMAGE_DIGEST=sha256:" + "a" * 64 in argv
    assert "--gpus" not in argv
    image_at = argv.index("graphbench:cpu")
    assert argv[image_at + 1 :] == (
        "run", "--profile", "smoke", "--device", "cpu", "--reports-root", "/reports",
        "--only", "mlp-*", "--matrix", containers.CONTAINER_MATRIX,
    )  # fmt: skip


def test_run_argv_gpu_selection() -> None:
    from dataclasses import replace

    base = RunSpec(image="graphbench:gpu", args=("--help",), reports_dir="/r")
    argv = run_argv(replace(base, gpus="all"))
    assert argv[argv.index("--gpus") + 1] == "all"
    argv = run_argv(replace(base, gpus="0,1", network="host"))
    assert argv[argv.index("--gpus") + 1] == '"device=0,1"'
    assert argv[argv.index("--network") + 1] == "host"


@pytest.mark.parametrize(
    ("selection", "value"),
    [
        ("all", "all"),
        ("0", "device=0"),
        ("0, 2", '"device=0,2"'),
        (
            "GPU-6d3d4c2e-1b7a-4b55-9a0e-2c1f0f1e5a7b",
            "device=GPU-6d3d4c2e-1b7a-4b55-9a0e-2c1f0f1e5a7b",
        ),
        ("count=2", "count=2"),
    ],
)
def test_gpus_value(selection: str, value: str) -> None:
    assert gpus_value(selection) == value


@pytest.mark.parametrize("bad", ["", "gpu0", "0;rm -rf /", "0,,1"])
def test_gpus_value_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        gpus_value(bad)


def test_bench_args_allow_gpu_failure() -> None:
    args = containers.bench_args(profile="default", devices="cpu,gpu", allow_gpu_failure=True)
    assert args[-1] == "--allow-gpu-failure"
    assert args[args.index("--device") + 1] == "cpu,gpu"


# --- base images: one place, and the Dockerfiles agree with it -----------------------------
def test_dockerfiles_default_to_the_pinned_base() -> None:
    images = baseimages.load((ROOT / baseimages.BASE_IMAGES_FILE).read_text())
    assert {i.flavor for i in images} == {"cpu", "gpu"}
    for image in images:
        text = (ROOT / image.dockerfile).read_text()
        assert baseimages.dockerfile_default(text) == image.pinned_reference, image.dockerfile


def test_base_image_updates_touch_only_the_digest() -> None:
    text = (ROOT / baseimages.BASE_IMAGES_FILE).read_text()
    new = "sha256:" + "b" * 64
    updated = baseimages.update_toml(text, "gpu", new)
    images = {i.flavor: i for i in baseimages.load(updated)}
    assert images["gpu"].digest == new
    assert images["cpu"].digest != new
    assert updated.count("\n") == text.count("\n")
    df = "# c\nARG BASE_IMAGE=debian:bookworm-slim@sha256:" + "0" * 64 + "\nFROM ${BASE_IMAGE}\n"
    assert baseimages.dockerfile_default(
        baseimages.update_dockerfile(df, f"debian:bookworm-slim@{new}")
    ) == (f"debian:bookworm-slim@{new}")
    with pytest.raises(ValueError):
        baseimages.update_toml(text, "cpu", "latest")


def test_parse_reference() -> None:
    r = baseimages.parse_reference("debian:bookworm-slim")
    assert (r.registry, r.repository, r.tag) == (
        "registry-1.docker.io",
        "library/debian",
        "bookworm-slim",
    )
    r = baseimages.parse_reference("ghcr.io/org/img:1.2")
    assert (r.registry, r.repository, r.tag) == ("ghcr.io", "org/img", "1.2")


def test_lock_inputs_follow_pyproject() -> None:
    """The images must install what pyproject.toml declares (same names, TF pinned the same)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(lines: list[str]) -> set[str]:
        out = set()
        for line in lines:
            line = line.split("#")[0].split(";")[0].strip()
            if line:
                out.add(line.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip())
        return out

    runtime = {n for n in names(project["dependencies"]) if n != "tomli"}
    for flavor in ("cpu", "gpu"):
        lines = (ROOT / f"docker/requirements/{flavor}.in").read_text().splitlines()
        extra = project["optional-dependencies"][flavor]
        assert names(lines) == runtime | names(extra), flavor
        assert set(extra) <= {ln.strip() for ln in lines}, flavor


def test_lock_files_are_hashed_and_pin_tensorflow() -> None:
    for flavor, tf in (("cpu", "tensorflow-cpu==2.21.0"), ("gpu", "tensorflow==2.21.0")):
        text = (ROOT / f"docker/requirements/{flavor}.lock").read_text()
        pins = [ln for ln in text.splitlines() if ln and not ln.startswith((" ", "#"))]
        assert any(p.startswith(tf) for p in pins), flavor
        assert all("==" in p for p in pins)
        assert text.count("--hash=sha256:") >= len(pins)
    assert "nvidia-cudnn-cu12==" in (ROOT / "docker/requirements/gpu.lock").read_text()


def test_every_copy_source_is_in_a_fresh_checkout() -> None:
    """A build from a fresh clone must find what the Dockerfiles COPY (ignored files are absent)."""
    import subprocess

    try:
        listing = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        require_or_skip("git", "git is not installed: cannot tell tracked files from ignored ones")
    tracked = listing.stdout.splitlines()
    if listing.returncode != 0 or not tracked:
        require_or_skip("git", f"not a git checkout: {listing.stderr.strip()}")
    for flavor in containers.FLAVORS:
        for line in (ROOT / f"docker/Dockerfile.{flavor}").read_text().splitlines():
            parts = line.split()
            if not parts or parts[0] != "COPY" or any(p.startswith("--from") for p in parts):
                continue
            for source in parts[1:-1]:
                prefix = source.rstrip("/")
                assert any(f == prefix or f.startswith(prefix + "/") for f in tracked), (
                    f"Dockerfile.{flavor}: COPY {source} is not in a fresh checkout"
                )


def test_only_allow_listed_environment_reaches_the_container() -> None:
    host = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "42",
        "GITHUB_TOKEN": "ghs_secret",
        "HOME": "/home/someone",
        "XLA_FLAGS": "--xla_gpu_autotune_level=0",
    }
    assert envpass.passed_env(host) == {
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "42",
        "XLA_FLAGS": "--xla_gpu_autotune_level=0",
    }
