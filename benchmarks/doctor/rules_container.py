"""Rules for containers: the engine did not pass the GPU in, or a running container lost it.

Docker/podman and nvidia-container-cli print their own errors before TensorFlow ever starts;
those lines are as decisive as any TensorFlow message and are diagnosed the same way.
"""

from __future__ import annotations

import re

from benchmarks.containers import engine_errors
from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate, fact
from benchmarks.doctor.logfacts import answers_of, docker_runs
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.signals import (
    DRIVER_BUT_NO_NODE,
    code_lines,
    container_hostname_hint,
    cuinit_lines,
)
from benchmarks.environment.view import FingerprintView


def docker_messages(log: ScannedLog) -> tuple[list[LogLine], list[LogLine]]:
    explicit = log.find(
        engine_errors.NO_GPU_DEVICE_DRIVER,
        engine_errors.NO_NVIDIA_RUNTIME,
        engine_errors.NVIDIA_CLI_NO_LIBRARY,
        engine_errors.UNRESOLVABLE_CDI,
        engine_errors.NO_DRIVER_DETECTED,
        r"unknown flag: --gpus",  # a Docker older than 19.03
        r"nvidia-container-runtime(-hook)?\S*: executable file not found",
        # Singularity/Apptainer --nv found nothing of the host's driver to bind in
        r"Could not find any (NVIDIA|nv) (binaries|libraries|files) on this host",
        r"exec: \"?nvidia-smi\"?: executable file not found in \$PATH",  # nothing injected
        # the Kubernetes device plugin without the NVIDIA runtime as the default
        r"could not load NVML library|did you set the docker default runtime to '?nvidia'?",
        r"invoking the NVIDIA Container Runtime Hook directly .{0,80}is not supported",
        r"No supported GPU\(s\) detected to run this container",  # NGC's banner
    )
    other_cli = [
        ln
        for ln in log.find(engine_errors.NVIDIA_CLI_INIT)
        if "mismatch" not in ln.text and "driver not loaded" not in ln.text
    ]
    return explicit, other_cli


@rule(Code.CONTAINER_GPU_NOT_EXPOSED)
def container_not_exposed(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """The container engine did not pass the GPU in."""
    explicit, other_cli = docker_messages(log)
    score, ev = 0, []
    if explicit or other_cli:
        score, ev = Level.STRONG, list(quote(explicit + other_cli))
    stub = code_lines(log, 34)
    hint = container_hostname_hint(log)
    if stub:
        score, ev = max(score, Level.PROBABLE), ev + list(quote(stub, 2))
    runs, with_gpu = docker_runs(log)  # under a run given the GPU, the node is another matter
    no_node = [ln for ln in log.find(DRIVER_BUT_NO_NODE) if _run_above(runs, ln) not in with_gpu]
    if no_node:
        score, ev = max(score, Level.LIKELY), ev + list(quote(no_node, 1))
    libcuda_missing = log.find(
        r"libcuda\.so\.1: cannot open shared object file",
        r"Could not load dynamic library 'libcuda",
        r"Couldn't open CUDA library libcuda\.so",  # TF 1.x, at INFO level
    )
    if hint:  # a container's host name is a failure's context, not a failure
        failed = score or log.problems() or libcuda_missing
        score, ev = max(score, Level.POSSIBLE if failed else Level.HINT), [*ev, hint.text]
    in_c, nodes = facts.in_container(), facts.has_gpu_nodes()
    failing = bool(score) or bool(
        code_lines(log, 303)
        or code_lines(log, 100)
        or log.find(r"libcuda\.so\.1: cannot open", r"kernel driver does not appear to be running")
    )
    note = ""
    if _banner_only(log, explicit + other_cli) and not (stub or hint or failing_beyond(log)):
        # The image's banner checks for the driver its own way (false under WSL2); the engine
        # was asked for the GPU and raised no error, and nothing else in the log failed.
        score = Level.HINT
        note = (
            "Every `docker run` line asks for the GPU and the engine raised no error; the "
            "image's 'driver was not detected' banner is known to be wrong under WSL2. Run "
            "`nvidia-smi` inside the container to check."
        )
    elif in_c and nodes is False and failing:
        intended = facts.gpu_intended() or bool(explicit or other_cli)
        score = max(score, Level.DECISIVE if intended else Level.PROBABLE)
        if not intended:
            note = (
                "Nothing in this container was set up for a GPU, so check first whether the "
                "host has one: `nvidia-smi` on the host settles it."
            )
        ev.append(fact("host.container.in_container", True))
        ev.append("nvidia.device_nodes: no /dev/nvidia[0-9]* node")
        if facts.env("NVIDIA_VISIBLE_DEVICES") is None and facts.env_known():
            ev.append("env: NVIDIA_VISIBLE_DEVICES unset")
    elif in_c is False and not (explicit or other_cli) and score:
        score = Level.DOUBTFUL
        ev.append(fact("host.container.in_container", False))
    elif in_c and nodes is True and libcuda_missing:
        # Device nodes passed in (e.g. --device /dev/nvidia0) but the driver libraries were not
        # injected: the NVIDIA runtime/CDI is what mounts libcuda into the container.
        score = max(score, Level.STRONG)
        ev += [*quote(libcuda_missing, 1), fact("host.container.in_container", True)]
        ev.append("nvidia.device_nodes: /dev/nvidia0 present, but libcuda.so.1 is not")
        note = (
            "The device nodes are there but the driver libraries are not: start the container "
            "through the NVIDIA runtime (--gpus / CDI), with NVIDIA_DRIVER_CAPABILITIES "
            "including compute,utility, instead of passing /dev/nvidia* by hand."
        )
    elif nodes is True and not (explicit or other_cli) and score:
        score = Level.DOUBTFUL
        ev.append("nvidia.device_nodes: /dev/nvidia0 present")
    return [Candidate(Code.CONTAINER_GPU_NOT_EXPOSED, score, tuple(ev), note)] if score else []


def _banner_only(log: ScannedLog, said: list[LogLine]) -> bool:
    """The only engine-side evidence is the image banner, under a `docker run` with a GPU flag."""
    runs, with_gpu = docker_runs(log)
    banner = all(re.search(engine_errors.NO_DRIVER_DETECTED, ln.text) for ln in said)
    return bool(said and runs and banner and len(with_gpu) == len(runs))


def failing_beyond(log: ScannedLog) -> bool:
    """A CUDA program in the log failed to reach a device (not the banner's own opinion)."""
    return bool(
        code_lines(log, 303)
        or code_lines(log, 100)
        or answers_of(log, "no_gpu")
        or [ln for ln in log.problems() if not re.search(engine_errors.NO_DRIVER_DETECTED, ln.text)]
    )


@rule(Code.CONTAINER_GPU_NOT_EXPOSED)
def no_gpu_resource_on_nodes(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """Kubernetes cannot place a pod that asks for nvidia.com/gpu: no node advertises a free
    one (the NVIDIA device plugin is not running, or every GPU is taken)."""
    lines = log.find(r"Insufficient nvidia\.com/gpu", r"nvidia\.com/gpu[\"']?:? ?0\b")
    if not lines:
        return []
    note = (
        "No node offers an nvidia.com/gpu resource: check that the NVIDIA device plugin (or "
        "GPU operator) runs on the GPU nodes (`kubectl describe node`: Allocatable "
        "nvidia.com/gpu), or whether other pods hold every GPU."
    )
    return [Candidate(Code.CONTAINER_GPU_NOT_EXPOSED, Level.POSSIBLE, quote(lines, 2), note)]


@rule(Code.CONTAINER_LOST_GPU_ACCESS)
def container_lost_access(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A running container lost its GPU (NVML 'Unknown Error')."""
    lines = log.find(r"Failed to initialize NVML: Unknown Error")
    score = Level.LIKELY if lines else 0
    ev = list(quote(lines))
    err = facts.nvidia_error() or ""
    in_c, nodes = facts.in_container(), facts.has_gpu_nodes()
    if in_c and nodes and ("Unknown Error" in err or lines):
        score = Level.STRONG
        ev += [fact("host.container.in_container", True), "nvidia.device_nodes: present"]
        if err:
            ev.append(fact("nvidia.error", err))
    elif in_c is False and score:
        score = Level.DOUBTFUL
        ev.append(fact("host.container.in_container", False))
    return [Candidate(Code.CONTAINER_LOST_GPU_ACCESS, score, tuple(ev))] if score else []


@rule(Code.CONTAINER_GPU_NOT_EXPOSED)
def run_without_gpu_flag(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A `docker run` line without --gpus (or the NVIDIA runtime / a CDI device) whose
    container then found no GPU or driver."""
    runs, with_gpu = docker_runs(log)
    bare = [ln for ln in runs if ln not in with_gpu]
    if not bare:
        return []
    failing = (
        code_lines(log, 303)
        + code_lines(log, 100)
        + code_lines(log, 34)
        + cuinit_lines(log)  # cuInit failed with any code, "CUresult(-1)" included
        + log.find(
            r"libcuda\.so\.1: cannot open",
            r"kernel driver does not appear to be running",
            r"Could not find cuda drivers on your machine",
            DRIVER_BUT_NO_NODE,
            engine_errors.NO_DRIVER_DETECTED,
        )
        + answers_of(log, "no_gpu")
    )
    # A failure is the output of the nearest `docker run` above it: one under a run that asks
    # for the GPU says nothing about the run without the flag (a transcript often has both).
    if with_gpu:
        failing = [ln for ln in failing if _run_above(runs, ln) in bare]
    if not failing:
        return []
    return [
        Candidate(
            Code.CONTAINER_GPU_NOT_EXPOSED,
            Level.STRONG,
            quote([bare[0], *failing], 3),
            "The `docker run` line has no --gpus flag, so the engine passed no GPU in.",
        )
    ]


def _run_above(runs: list[LogLine], line: LogLine) -> LogLine | None:
    """The last `docker run` line before ``line``: the container whose output it is."""
    above = [run for run in runs if run.number < line.number]
    return above[-1] if above else None
