"""What a container engine's errors mean: one rule table, shared with the GPU doctor."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.errors import EXIT_GPU_UNAVAILABLE, EXIT_HOST, EXIT_USAGE


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


# The engines' own words for "no GPU reached the container": one home, read by the rule table
# below and by the GPU doctor's container rules (benchmarks/doctor/rules_container.py).
NO_GPU_DEVICE_DRIVER = r'could not select device driver "[^"]*" with capabilities: \[\[gpu\]\]'
NO_NVIDIA_RUNTIME = r"unknown or invalid runtime name: nvidia"
NVIDIA_CLI_INIT = r"nvidia-container-cli: initialization error"
NVIDIA_CLI_NO_LIBRARY = NVIDIA_CLI_INIT + r": load library failed"
UNRESOLVABLE_CDI = r"unresolvable CDI devices"
NO_DRIVER_DETECTED = r"WARNING: The NVIDIA Driver was not detected"

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
        NO_GPU_DEVICE_DRIVER,
        "Docker cannot pass a GPU into containers: no NVIDIA device driver is registered "
        "with the engine (the NVIDIA Container Toolkit is missing or not configured)",
        "install nvidia-container-toolkit, run 'sudo nvidia-ctk runtime configure "
        "--runtime=docker' and restart Docker; on a machine without an NVIDIA GPU, use "
        "'nox -s bench-cpu'",
        "container_gpu_not_exposed",
    ),
    (
        "unknown_runtime_nvidia",
        NO_NVIDIA_RUNTIME + r"|unknown runtime specified nvidia",
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
        NVIDIA_CLI_INIT,
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
