"""Weak cues: the context a failing log shows when no message names a class.

A log with a crash or an error but no known signature used to get ``unexplained`` alone. These
rules offer the classes its context points to -- a WSL kernel or path, a container, a forked
worker, a vGPU product name, a MIG-capable model -- at ``Level.WEAK``: below every rule that
read a message, each quoting the context line and the failure it goes with, so the user sees
which class the context suggests and why, never a guess with nothing behind it.
"""

from __future__ import annotations

from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.logfacts import MIG_CAPABLE, VGPU_NAME, crash_lines, docker_runs
from benchmarks.doctor.logscan import LogLine, ScannedLog, quote
from benchmarks.doctor.registry import rule
from benchmarks.doctor.signals import container_hostname_hint
from benchmarks.environment.view import FingerprintView

_WSL = (r"microsoft-standard-WSL", r"/usr/lib/wsl/", r"\bWSL ?2?\b")
_FORKED = (
    r"ForkPoolWorker-\d+",
    r"^Process Process-\d+:",
    r"multiprocessing/(pool|popen_fork)\.py",
)


def _failure(log: ScannedLog) -> LogLine | None:
    """The first crash or error line: a cue counts only next to a failure."""
    found = sorted(crash_lines(log) + log.problems(), key=lambda ln: ln.number)
    return found[0] if found else None


def _cue(code: Code, context: LogLine, failure: LogLine, note: str) -> list[Candidate]:
    ev = quote(sorted({context, failure}, key=lambda ln: ln.number))
    return [Candidate(code, Level.WEAK, ev, note)]


@rule(Code.DRIVER_MISSING_OR_NOT_LOADED)
def wsl_context(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A failure under WSL: the GPU comes from the Windows driver through /usr/lib/wsl/lib."""
    failure, wsl = _failure(log), log.first(*_WSL)
    if failure is None or wsl is None:
        return []
    note = (
        "Under WSL2 the GPU comes from the Windows driver: update it, keep /usr/lib/wsl/lib "
        "on the loader path, and install no Linux driver inside WSL."
    )
    return _cue(Code.DRIVER_MISSING_OR_NOT_LOADED, wsl, failure, note)


@rule(Code.CONTAINER_GPU_NOT_EXPOSED)
def container_context(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A failure inside a container (a `docker run`, a 12-hex host name)."""
    failure = _failure(log)
    runs, _ = docker_runs(log)
    context = container_hostname_hint(log) or (runs[0] if runs else None)
    if failure is None or context is None:
        return []
    note = "Inside a container: check that it was given the GPU (`--gpus`, the NVIDIA runtime)."
    return _cue(Code.CONTAINER_GPU_NOT_EXPOSED, context, failure, note)


@rule(Code.FORK_AFTER_CUDA_INIT)
def forked_worker(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A CUDA failure in a forked worker process (multiprocessing pools, Process-N)."""
    failure, worker = _failure(log), log.first(*_FORKED)
    if failure is None or worker is None:
        return []
    note = "The failure is in a forked worker: CUDA cannot be used in a child forked after init."
    return _cue(Code.FORK_AFTER_CUDA_INIT, worker, failure, note)


@rule(Code.VGPU_UNLICENSED)
def vgpu_product(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A failure on a vGPU profile (GRID T4-4Q, A10-24Q, ...)."""
    failure, name = _failure(log), log.first(VGPU_NAME)
    if failure is None or name is None:
        return []
    note = "A vGPU profile: check `nvidia-smi -q` for License Status."
    return _cue(Code.VGPU_UNLICENSED, name, failure, note)


@rule(Code.MIG_MISCONFIGURED)
def mig_capable_model(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
    """A failure on a GPU model that has MIG (A100, H100, ...)."""
    failure = _failure(log)
    model = log.find(MIG_CAPABLE, flags=0)
    if failure is None or not model:
        return []
    note = "This model has MIG: check nvidia-smi's 'MIG M.' column."
    return _cue(Code.MIG_MISCONFIGURED, model[0], failure, note)
