"""Docker command lines for graphbench's images, and what the engine's errors mean.

Pure: every function here maps values to an argv tuple or an explanation, so the exact command
a user would type is unit-tested without an engine, and ``engine.py`` stays a thin I/O shell.
Why each flag is there:

* ``--network none`` on runs: a benchmark needs no network, and a measurement should not be
  disturbed by (or leak to) one.
* ``--user UID:GID`` on runs: results land in the host's ``reports/`` owned by whoever invoked
  the session, not by root or by the image's ``bench`` user.
* ``GRAPHBENCH_IMAGE`` / ``GRAPHBENCH_IMAGE_DIGEST``: the container cannot see which image it runs
  in; the fingerprint records what the host passes (``host.image``).
* ``--gpus``: Docker's NVIDIA device request; several devices need the quoted CSV form
  ``"device=0,1"`` (the flag value is itself parsed as CSV).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchmarks.errors import EXIT_GPU_UNAVAILABLE, EXIT_HOST, EXIT_USAGE

FLAVORS = ("cpu", "gpu")
CONTAINER_REPORTS = "/reports"
CONTAINER_MATRIX = "/opt/graphbench/matrix-input.toml"
DEFAULT_NETWORK = "none"


@dataclass(frozen=True)
class BuildSpec:
    """One ``docker build`` of a graphbench image."""

    flavor: str  # "cpu" | "gpu"
    tag: str
    context: str = "."
    base_image: str | None = None  # None: the Dockerfile's pinned default
    network: str | None = None  # "host" where the daemon has no bridge (see ENVIRONMENT.md)
    revision: str = "unknown"  # the commit the code comes from
    dirty: bool | None = None  # uncommitted changes in the build context's code
    created: str = "unknown"
    source: str = ""
    pull: bool = False

    @property
    def dockerfile(self) -> str:
        return f"docker/Dockerfile.{self.flavor}"


@dataclass(frozen=True)
class RunSpec:
    """One ``docker run`` of the suite inside an image."""

    image: str
    args: tuple[str, ...]  # the argv after ``python -m benchmarks``
    reports_dir: str  # absolute host path, mounted read-write at CONTAINER_REPORTS
    image_digest: str | None = None
    user: tuple[int, int] | None = None  # (uid, gid) of the invoking host user
    gpus: str | None = None  # None: no GPU; "all", "0", "0,1", "GPU-uuid"
    network: str = DEFAULT_NETWORK
    matrix_file: str | None = None  # absolute host path, mounted read-only at CONTAINER_MATRIX
    env: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    entrypoint: str | None = None
    remove: bool = True


@dataclass(frozen=True)
class EngineProblem:
    """An engine failure put in words: what happened, what to do, and a stable id.

    ``code`` is a short id (``daemon_not_running``...); ``gpu_class`` names the GPU-doctor class
    (research/gpu-failure-classes.md) when the problem is the GPU not reaching the container.
    """

    message: str
    hint: str
    code: str
    gpu_class: str | None = None

    @property
    def exit_code(self) -> int:
        if self.gpu_class is not None:
            return EXIT_GPU_UNAVAILABLE
        return EXIT_USAGE if self.code == "bad_option" else EXIT_HOST


def check_flavor(flavor: str) -> str:
    if flavor not in FLAVORS:
        raise ValueError(f"unknown image flavor {flavor!r} (expected one of {FLAVORS})")
    return flavor


def default_tag(flavor: str) -> str:
    return f"graphbench:{check_flavor(flavor)}"


def build_argv(spec: BuildSpec, *, docker: str = "docker") -> tuple[str, ...]:
    """The ``docker build`` command for ``spec`` (run from the repository root)."""
    check_flavor(spec.flavor)
    argv = [docker, "build", "--file", spec.dockerfile, "--tag", spec.tag]
    if spec.base_image:
        argv += ["--build-arg", f"BASE_IMAGE={spec.base_image}"]
    argv += [
        "--build-arg",
        f"REVISION={spec.revision}",
        "--build-arg",
        f"DIRTY={'' if spec.dirty is None else str(spec.dirty).lower()}",
        "--build-arg",
        f"CREATED={spec.created}",
        "--build-arg",
        f"SOURCE={spec.source}",
        "--label",
        f"io.graphbench.flavor={spec.flavor}",
    ]
    if spec.network:
        argv += ["--network", spec.network]
    if spec.pull:
        argv.append("--pull")
    argv.append(spec.context)
    return tuple(argv)


def gpus_value(selection: str) -> str:
    """Docker's ``--gpus`` value for a user's selection: ``all``, ``2`` indices or UUIDs, CSV.

    >>> gpus_value("0,1")
    '"device=0,1"'
    """
    sel = selection.strip()
    if not sel:
        raise ValueError("empty GPU selection")
    if sel == "all":
        return "all"
    if sel.startswith(("device=", "count=", '"')):
        return sel  # already Docker syntax: pass it through untouched
    items = [s.strip() for s in sel.split(",")]
    if any(not re.fullmatch(r"[0-9]+|GPU-[0-9A-Fa-f-]+|MIG-[0-9A-Za-z/-]+", s) for s in items):
        raise ValueError(f"bad GPU selection {selection!r}: use 'all', '0', '0,1' or GPU UUIDs")
    value = "device=" + ",".join(items)
    return f'"{value}"' if len(items) > 1 else value


def run_argv(spec: RunSpec, *, docker: str = "docker") -> tuple[str, ...]:
    """The ``docker run`` command for ``spec``; ``spec.args`` go to ``python -m benchmarks``."""
    argv = [docker, "run"]
    if spec.remove:
        argv.append("--rm")
    if spec.name:
        argv += ["--name", spec.name]
    argv += ["--network", spec.network]
    if spec.user is not None:
        uid, gid = spec.user
        argv += ["--user", f"{uid}:{gid}"]
    if spec.gpus is not None:
        argv += ["--gpus", gpus_value(spec.gpus)]
    # TensorFlow's eager/graph/XLA cells share tensors through /dev/shm in some paths; Docker's
    # 64 MB default is too small for large batches.
    argv += ["--shm-size", "1g"]
    argv += ["--volume", f"{spec.reports_dir}:{CONTAINER_REPORTS}:rw"]
    if spec.matrix_file:
        argv += ["--volume", f"{spec.matrix_file}:{CONTAINER_MATRIX}:ro"]
    env = {"GRAPHBENCH_IMAGE": spec.image, "GRAPHBENCH_IMAGE_DIGEST": spec.image_digest or ""}
    env.update(spec.env)
    for key in sorted(env):
        argv += ["--env", f"{key}={env[key]}"]
    if spec.entrypoint is not None:
        argv += ["--entrypoint", spec.entrypoint]
    argv.append(spec.image)
    argv += list(spec.args)
    return tuple(argv)


# Variables the fingerprint reads to describe the CI job and TensorFlow's settings; everything
# else (tokens above all) stays outside the container.
PASSED_ENV = (
    "CI", "GITHUB_ACTIONS", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT", "GITHUB_WORKFLOW", "GITHUB_REF", "RUNNER_OS", "RUNNER_ARCH",
    "RUNNER_ENVIRONMENT", "RUNNER_NAME", "GITLAB_CI", "CI_JOB_ID", "CI_JOB_URL",
    "CI_PIPELINE_ID", "CI_PIPELINE_URL", "CI_PIPELINE_SOURCE", "CI_COMMIT_REF_NAME",
    "CI_RUNNER_DESCRIPTION", "CI_RUNNER_TAGS", "JENKINS_URL", "BUILD_NUMBER", "BUILD_URL",
    "NODE_NAME", "XLA_FLAGS", "TF_XLA_FLAGS", "TF_CPP_MIN_LOG_LEVEL", "TF_CPP_MAX_VLOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS", "TF_GPU_ALLOCATOR", "TF_FORCE_GPU_ALLOW_GROWTH",
)  # fmt: skip


def passed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed part of the host environment handed to the container."""
    return {k: environ[k] for k in PASSED_ENV if k in environ}


def bench_args(
    *,
    profile: str,
    devices: str,
    only: Sequence[str] = (),
    matrix: bool = False,
    allow_gpu_failure: bool = False,
    extra: Sequence[str] = (),
) -> tuple[str, ...]:
    """``python -m benchmarks run ...`` arguments as seen from inside the container."""
    args = ["run", "--profile", profile, "--device", devices, "--reports-root", CONTAINER_REPORTS]
    for pattern in only:
        args += ["--only", pattern]
    if matrix:
        args += ["--matrix", CONTAINER_MATRIX]
    if allow_gpu_failure:
        args.append("--allow-gpu-failure")
    return (*args, *extra)


# --- lock files --------------------------------------------------------------------------------
# The resolver inputs besides docker/requirements/*.in: fixed, so that `nox -s lock` run twice
# (or on another day) writes byte-identical files. Move LOCK_EXCLUDE_NEWER forward on purpose.
LOCK_UV_VERSION = "0.13.9"
LOCK_PYTHON = "3.11"  # Debian bookworm's python3, the images' interpreter
LOCK_PLATFORM = "x86_64-manylinux_2_28"
LOCK_EXCLUDE_NEWER = "2026-11-20T00:00:00Z"


def lock_argv(flavor: str, output: str, *, uv: str = "uv") -> tuple[str, ...]:
    """``uv pip compile`` for one image's lock file (hashes for linux x86_64, CPython 3.11)."""
    check_flavor(flavor)
    return (
        uv, "pip", "compile", f"docker/requirements/{flavor}.in",
        "--output-file", output,
        "--generate-hashes",
        "--python-platform", LOCK_PLATFORM,
        "--python-version", LOCK_PYTHON,
        "--exclude-newer", LOCK_EXCLUDE_NEWER,
        "--custom-compile-command", "nox -s lock",
        "--quiet",
    )  # fmt: skip


# --- engine errors ---------------------------------------------------------------------------
# (code, pattern, message, hint, gpu_class): patterns match the engine's own words, recorded from
# real engines (tests/unit/test_containers.py quotes each one with its source).
_RULES: tuple[tuple[str, str, str, str, str | None], ...] = (
    (
        "socket_permission",
        r"permission denied while trying to connect to the docker daemon socket",
        "the Docker engine refused the connection: no permission on its socket",
        "add yourself to the 'docker' group (sudo usermod -aG docker $USER, then log in again), "
        "or use rootless Docker and point DOCKER_HOST at its socket",
        None,
    ),
    (
        "daemon_not_running",
        r"cannot connect to the docker daemon|is the docker daemon running|"
        r"error during connect|connect: no such file or directory",
        "the Docker engine is not running (or DOCKER_HOST points at nothing)",
        "start it (sudo systemctl start docker) or set DOCKER_HOST to a running engine's socket",
        None,
    ),
    (
        "no_gpu_device_driver",
        r'could not select device driver "[^"]*" with capabilities: \[\[gpu\]\]',
        "Docker cannot pass a GPU into containers: no NVIDIA device driver is registered "
        "with the engine (the NVIDIA Container Toolkit is missing or not configured)",
        "install nvidia-container-toolkit, run 'sudo nvidia-ctk runtime configure "
        "--runtime=docker' and restart Docker; on a machine without an NVIDIA GPU, use "
        "'nox -s bench-cpu'",
        "container_gpu_not_exposed",
    ),
    (
        "unknown_runtime_nvidia",
        r"unknown or invalid runtime name: nvidia|unknown runtime specified nvidia",
        "the Docker engine has no 'nvidia' runtime registered",
        "install nvidia-container-toolkit and run 'sudo nvidia-ctk runtime configure "
        "--runtime=docker', then restart Docker (or drop --runtime=nvidia and use --gpus)",
        "container_gpu_not_exposed",
    ),
    (
        "nvidia_cli_driver_mismatch",
        r"nvidia-container-cli: initialization error: nvml error: driver/library version mismatch",
        "the NVIDIA toolkit could not start the GPU: the host's driver libraries do not match "
        "the loaded kernel module (driver upgraded without a reboot)",
        "reboot the host (or reload the nvidia kernel modules), then retry",
        "driver_library_version_mismatch",
    ),
    (
        "nvidia_cli_no_driver",
        r"nvidia-container-cli: initialization error: (nvml error: driver not loaded|"
        r"load library failed: libnvidia-ml\.so\.1)",
        "the NVIDIA toolkit is installed but the host has no working NVIDIA driver "
        "(the kernel module is not loaded or libnvidia-ml.so.1 is missing)",
        "install the NVIDIA driver on the host and check that 'nvidia-smi' works there first",
        "driver_missing_or_not_loaded",
    ),
    (
        "nvidia_cli_init",
        r"nvidia-container-cli: initialization error",
        "the NVIDIA toolkit failed to initialise the GPU for the container",
        "run 'nvidia-smi' and 'nvidia-container-cli -k -d /dev/tty info' on the host; the "
        "engine's full message is saved in the run directory (engine.log)",
        "container_gpu_not_exposed",
    ),
    (
        "image_missing",
        r"unable to find image|no such image|pull access denied|repository does not exist",
        "the image is not on this engine and cannot be pulled",
        "build it first: nox -s build-cpu / nox -s build-gpu",
        None,
    ),
    (
        "bad_option",
        r"unknown flag|invalid argument .* for .* flag|flag needs an argument",
        "the Docker client rejected the command line",
        "check the options passed after '--' (nox -s <session> -- --help lists them)",
        None,
    ),
)


def explain_engine_error(stderr: str, returncode: int) -> EngineProblem:
    """Put a failed docker command's stderr into words; unknown messages keep their text.

    ``returncode`` 127 (or a ``command not found`` message) means there is no docker client.
    """
    text = stderr.strip()
    lowered = text.lower()
    if returncode == 127 or "docker: command not found" in lowered:
        return EngineProblem(
            "no docker client found on PATH",
            "install Docker (https://docs.docker.com/engine/install/) or put 'docker' on PATH",
            "no_client",
        )
    for code, pattern, message, hint, gpu_class in _RULES:
        if re.search(pattern, lowered, re.IGNORECASE):
            return EngineProblem(message, hint, code, gpu_class)
    first = next((ln for ln in text.splitlines() if ln.strip()), "no output")
    return EngineProblem(
        f"docker failed (exit {returncode}): {first.removeprefix('docker: ')}",
        "run the printed docker command by hand to see the full message",
        "unknown",
    )


def engine_error_line(stderr: str) -> str:
    """The engine's own sentence (``Error response from daemon: ...``) for logs and evidence."""
    for line in stderr.splitlines():
        if "Error response from daemon" in line or "nvidia-container-cli" in line:
            return line.strip()
    return next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "")


# --- evidence for the GPU doctor ---------------------------------------------------------------
def engine_log_text(problem: EngineProblem, argv: Sequence[str], stderr: str) -> str:
    """``engine.log``: what was asked of the engine and its exact answer (probe evidence)."""
    return (
        f"$ {' '.join(argv)}\n{stderr.rstrip()}\n\n"
        f"graphbench: {problem.code}: {problem.message}\nhint: {problem.hint}\n"
    )
