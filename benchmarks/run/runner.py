"""Run planned cells in worker processes and append each outcome to the run directory at once.

The runner never imports TensorFlow. It keeps one worker per device kind (CPU cells run with
GPUs hidden, GPU cells with memory growth on), restarts a worker after it dies, enforces the
per-cell timeout, and turns every way a cell can end into a ``CaseResult`` value. Only Ctrl-C
(or SIGTERM) stops the loop early, and even then every finished cell is already on disk.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import psutil

from benchmarks.environment import hostinfo
from benchmarks.plan.matrix import Case, Timing
from benchmarks.run import outcome
from benchmarks.run.progress import Progress
from benchmarks.run.workerproc import WorkerProcess
from benchmarks.rundir.jsonio import utc_stamp
from benchmarks.rundir.layout import LOGS_DIR, worker_log
from benchmarks.rundir.results import CaseResult, append_case

PHASES = ("build", "first_call", "warmup", "calibration", "measure")


class GpuMonitor(Protocol):
    """Reads GPU state around GPU cells (NVML in the real one)."""

    def snapshot(self) -> dict[str, Any] | None: ...

    def assess(
        self, before: Mapping[str, Any], after: Mapping[str, Any], own_pids: Iterable[int]
    ) -> list[tuple[str, str]]: ...


@dataclass
class RunnerConfig:
    run_dir: Path
    timing: Timing
    seed: int
    threads: int
    progress: Progress
    skip_gpu_reason: Mapping[str, str] = field(default_factory=dict)  # device -> why skipped
    fingerprint_digest: str | None = None
    gpu_monitor: GpuMonitor | None = None
    scrub: Callable[[str], str] = str
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass
class RunnerStats:
    results: list[CaseResult] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    phases_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    import_s: float = 0.0
    interrupted: bool = False


def worker_kind(case: Case) -> str:
    return "gpu" if case.is_gpu else "cpu"


def worker_env(kind: str, base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if kind == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # a CPU cell must not initialise (or wait for) a GPU
    else:
        env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # see gpu-failure-classes 2.4
    return env


def order_cases(cases: Sequence[Case]) -> list[Case]:
    """Group cells by worker kind (first kind first), keeping plan order within a kind."""
    kinds = list(dict.fromkeys(worker_kind(c) for c in cases))
    return sorted(cases, key=lambda c: kinds.index(worker_kind(c)))


class Runner:
    def __init__(self, config: RunnerConfig) -> None:
        self.cfg = config
        self.stats = RunnerStats()
        self._workers: dict[str, WorkerProcess] = {}
        self._started = 0
        (config.run_dir / LOGS_DIR).mkdir(parents=True, exist_ok=True)

    def run(self, cases: Sequence[Case]) -> RunnerStats:
        try:
            for case in order_cases(cases):
                self._record(self._run_one(case))
        except KeyboardInterrupt:
            self.stats.interrupted = True
        finally:
            for kind in list(self._workers):
                self._retire(kind, kill=self.stats.interrupted)
        return self.stats

    def _record(self, result: CaseResult) -> None:
        if self.cfg.fingerprint_digest:
            result = outcome.with_extra_warnings(
                result, (), fingerprint_digest=self.cfg.fingerprint_digest
            )
        append_case(self.cfg.run_dir, result)
        self.stats.results.append(result)
        for phase, seconds in result.phases_s.items():
            if phase in self.stats.phases_s:
                self.stats.phases_s[phase] += seconds
        self.cfg.progress.finished(result)

    def _run_one(self, case: Case) -> CaseResult:
        if case.is_gpu and case.device in self.cfg.skip_gpu_reason:
            return outcome.skipped(case, self.cfg.skip_gpu_reason[case.device])
        kind = worker_kind(case)
        worker = self._worker(kind)
        self.cfg.progress.started(case.case_id)
        monitor = self.cfg.gpu_monitor if case.is_gpu else None
        gpu_before = monitor.snapshot() if monitor else None
        cpu_before = _CpuSample.take(worker.pid)
        oom_before = hostinfo.oom_kills()
        started = utc_stamp()
        msg = None
        if worker.send(
            {
                "cmd": "run",
                "case": asdict(case),
                "timing": asdict(self.cfg.timing),
                "seed": self.cfg.seed,
            }
        ):
            msg = worker.receive(self.cfg.timing.timeout_s)
        if msg is None:
            timed_out = worker.poll() is None and not worker.eof
            exit_ = worker.kill() if timed_out else worker.wait_exit()
            self._forget(kind, exit_.describe())
            result = outcome.from_death(
                case,
                exit_.returncode,
                exit_.signal_name,
                worker.stderr_tail(),
                timed_out=timed_out,
                timeout_s=self.cfg.timing.timeout_s,
                oom_killed=hostinfo.oom_kills() > oom_before or worker.memory_exceeded,
                scrub=self.cfg.scrub,
            )
            if worker.memory_exceeded:  # our watchdog, not the kernel: say which cap
                result = replace(result, reason=worker.memory_reason())
        else:
            result = outcome.from_worker(case, msg, scrub=self.cfg.scrub)
            result = outcome.with_extra_warnings(
                result,
                outcome.foreign_cpu_warning(cpu_before.foreign_fraction(), hostinfo.usable_cpus()),
            )
        extra: list[tuple[str, str]] = []
        gpu_state = None
        if monitor is not None:
            gpu_after = monitor.snapshot()
            gpu_state = {"before": gpu_before, "after": gpu_after}
            if gpu_before and gpu_after:
                extra = monitor.assess(gpu_before, gpu_after, {os.getpid(), worker.pid})
        return outcome.with_extra_warnings(
            result,
            extra,
            gpu_state=gpu_state,
            started_at=started,
            finished_at=utc_stamp(),
            worker={**result.worker, "pid": worker.pid},
        )

    def _worker(self, kind: str) -> WorkerProcess:
        if kind not in self._workers:
            self._started += 1
            log = self.cfg.run_dir / worker_log(self._started, kind)
            w = WorkerProcess(self.cfg.threads, log, worker_env(kind, self.cfg.base_env))
            self._workers[kind] = w
            ready = w.wait_ready()
            self.stats.import_s += float(ready.get("import_s", 0.0))
            self.stats.workers.append(
                {
                    "kind": kind,
                    "pid": w.pid,
                    "log": f"logs/{log.name}",
                    "import_s": ready.get("import_s"),
                    "tensorflow": ready.get("tensorflow"),
                    "keras": ready.get("keras"),
                    "threads": ready.get("threads"),
                    "end": None,
                }
            )
        return self._workers[kind]

    def _forget(self, kind: str, how: str) -> None:
        w = self._workers.pop(kind)
        for rec in self.stats.workers:
            if rec["pid"] == w.pid:
                rec["end"] = how

    def _retire(self, kind: str, *, kill: bool) -> None:
        w = self._workers[kind]
        exit_ = w.kill() if kill else w.stop()
        self._forget(kind, exit_.describe())


@dataclass(frozen=True)
class _CpuSample:
    """System-wide busy CPU time versus the worker's own, to see other processes' load."""

    wall: float
    busy: float
    worker: float
    pid: int

    @classmethod
    def take(cls, pid: int) -> _CpuSample:
        t = psutil.cpu_times()
        busy = sum(
            getattr(t, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal")
        )
        return cls(time.monotonic(), busy, _proc_cpu(pid), pid)

    def foreign_fraction(self) -> float | None:
        now = _CpuSample.take(self.pid)
        wall = now.wall - self.wall
        if wall <= 0.5:
            return None
        foreign = (now.busy - self.busy) - (now.worker - self.worker)
        return max(0.0, foreign / (wall * hostinfo.usable_cpus()))


def _proc_cpu(pid: int) -> float:
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system + t.children_user + t.children_system)
