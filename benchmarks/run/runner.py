"""Run planned cells in worker processes and append each outcome to the run directory at once.

The runner never imports TensorFlow. The plan is measured in ``timing.processes`` passes, each
with fresh workers (one per device kind: CPU cells run with GPUs hidden, GPU cells with memory
growth on). In a pass, every cell group — the modes of one workload x batch size x device — is
sent to the worker as one job, and the worker times its modes in interleaved rounds. The runner
follows the worker's ``step`` events, so when a worker dies or stalls it knows which mode was
running: that cell ends as ``crashed``/``oom``/``timeout`` and the group's other modes are
measured again in a fresh worker without it. ``run.schedule`` decides when a cell is final;
final cells are appended at once. Only Ctrl-C (or SIGTERM) stops the loop early, and even then
every cell measured so far is written (docs/DESIGN.md, "Measuring").
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import psutil

from benchmarks.environment import hostinfo
from benchmarks.plan.matrix import Case, Timing
from benchmarks.run import outcome
from benchmarks.run.outcome import ProcessRun
from benchmarks.run.progress import Progress
from benchmarks.run.schedule import Ledger, group_label, groups, worker_kind
from benchmarks.run.workerproc import WorkerProcess
from benchmarks.rundir.jsonio import utc_stamp
from benchmarks.rundir.layout import LOGS_DIR, WORKER_TMP_DIR, worker_log
from benchmarks.rundir.results import CaseResult, append_case

PHASES = ("build", "first_call", "warmup", "calibration", "measure")

__all__ = ["GpuMonitor", "Runner", "RunnerConfig", "RunnerStats", "order_cases", "worker_kind"]


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
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # user SPECs by name


@dataclass
class RunnerStats:
    results: list[CaseResult] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    phases_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    import_s: float = 0.0
    interrupted: bool = False


def worker_env(kind: str, base: Mapping[str, str], tmp: Path | None = None) -> dict[str, str]:
    """A worker's environment. ``tmp`` becomes its temporary directory: TensorFlow's autograph
    writes a source file per converted function there, which must not land outside the run
    directory (the system temp dir) and may hold the user's model code."""
    env = dict(base)
    if tmp is not None:
        for name in ("TMPDIR", "TMP", "TEMP"):
            env[name] = str(tmp)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if kind == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # a CPU cell must not initialise (or wait for) a GPU
    else:
        env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # see gpu-failure-classes 2.4
    return env


def order_cases(cases: Sequence[Case]) -> list[Case]:
    """The cells in the order a pass measures them: by worker kind, then by group."""
    return [c for g in groups(cases) for c in g]


@dataclass
class _GroupRun:
    """What one group job in one worker produced, before the ledger takes it."""

    ok: list[tuple[Case, ProcessRun]] = field(default_factory=list)
    ended: list[tuple[Case, CaseResult]] = field(default_factory=list)  # final, not ok
    again: list[Case] = field(default_factory=list)  # to measure again in a fresh worker


class Runner:
    def __init__(self, config: RunnerConfig) -> None:
        self.cfg = config
        self.stats = RunnerStats()
        self._workers: dict[str, WorkerProcess] = {}
        self._started = 0
        self._first_seen: dict[str, str] = {}
        (config.run_dir / LOGS_DIR).mkdir(parents=True, exist_ok=True)
        self._tmp = config.run_dir / WORKER_TMP_DIR  # removed when run() ends
        self._tmp.mkdir(exist_ok=True)

    def run(self, cases: Sequence[Case]) -> RunnerStats:
        planned = max(1, self.cfg.timing.processes)
        ledger = Ledger(planned)
        measured = [c for c in cases if not self._skip(c)]
        try:
            for c in cases:
                if self._skip(c):
                    self._record(outcome.skipped(c, self.cfg.skip_gpu_reason[c.device]))
            for pass_index in range(planned):
                if planned > 1 and measured:
                    self.cfg.progress.message(
                        f"pass {pass_index + 1} of {planned} (fresh worker processes); cells "
                        f"are final after the last pass"
                    )
                for group in groups(measured):
                    todo = ledger.pending(group)
                    while todo:
                        todo = self._settle(self._run_group(todo, pass_index), ledger)
                    if pass_index == planned - 1:
                        for c in ledger.pending(group):
                            self._final_ok(c, ledger)
                for kind in list(self._workers):  # the next pass starts in fresh processes
                    self._retire(kind, kill=False)
        except KeyboardInterrupt:
            self.stats.interrupted = True
        finally:
            for kind in list(self._workers):
                self._retire(kind, kill=self.stats.interrupted)
            if self.stats.interrupted:
                for c, _ in ledger.unfinished(measured):
                    self._final_ok(c, ledger, interrupted=True)
            shutil.rmtree(self._tmp, ignore_errors=True)  # every worker has exited by now
        return self.stats

    def _skip(self, case: Case) -> bool:
        return case.is_gpu and case.device in self.cfg.skip_gpu_reason

    def _settle(self, run: _GroupRun, ledger: Ledger) -> list[Case]:
        for case, proc in run.ok:
            ledger.add(case, proc)
        for case, result in run.ended:
            ledger.close(case)
            self._record(result)
        return run.again

    def _final_ok(self, case: Case, ledger: Ledger, *, interrupted: bool = False) -> None:
        runs = ledger.close(case)
        if not runs:
            return
        result = outcome.from_processes(
            case, runs, ledger.planned, self.cfg.scrub, interrupted=interrupted
        )
        gpu_state = runs[-1].gpu_state
        self._record(
            outcome.with_extra_warnings(
                result,
                (),
                gpu_state=gpu_state,
                started_at=self._first_seen.get(case.case_id),
                finished_at=utc_stamp(),
            )
        )

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

    def _run_group(self, cases: Sequence[Case], pass_index: int) -> _GroupRun:
        """One group job: every mode's raw result, or the culprit of a death and the rest."""
        kind = worker_kind(cases[0])
        worker = self._worker(kind, pass_index)
        for c in cases:
            self._first_seen.setdefault(c.case_id, utc_stamp())
        label = cases[0].case_id if len(cases) == 1 else group_label(cases[0])
        self.cfg.progress.started(f"{label} (pass {pass_index + 1}/{self.cfg.timing.processes})")
        monitor = self.cfg.gpu_monitor if cases[0].is_gpu else None
        gpu_before = monitor.snapshot() if monitor else None
        cpu_before = _CpuSample.take(worker.pid)
        oom_before = hostinfo.oom_kills()
        timeout_s = self.cfg.timing.timeout_s
        deadline = time.monotonic() + timeout_s * len(cases)
        current = cases[0]
        msg: dict[str, Any] | None = None
        if worker.send(
            {
                "cmd": "group",
                "cases": [asdict(c) for c in cases],
                "timing": asdict(self.cfg.timing),
                "seed": self.cfg.seed,
                "offset": pass_index,
                "model": self.cfg.models.get(cases[0].workload),
            }
        ):
            while True:
                msg = worker.receive(max(0.0, min(timeout_s, deadline - time.monotonic())))
                if msg is None or msg.get("event") != "step":
                    break
                current = next((c for c in cases if c.mode == msg.get("mode")), current)
        out = _GroupRun()
        if msg is None or msg.get("event") != "group_result":
            timed_out = worker.poll() is None and not worker.eof
            exit_ = worker.kill() if timed_out else worker.wait_exit()
            self._forget(kind, exit_.describe())
            death = outcome.from_death(
                current,
                exit_.returncode,
                exit_.signal_name,
                worker.stderr_tail(),
                timed_out=timed_out,
                timeout_s=timeout_s,
                oom_killed=hostinfo.oom_kills() > oom_before or worker.memory_exceeded,
                scrub=self.cfg.scrub,
            )
            if worker.memory_exceeded:  # our watchdog, not the kernel: say which cap
                death = replace(death, reason=worker.memory_reason())
            death = outcome.with_extra_warnings(
                death,
                (),
                started_at=self._first_seen.get(current.case_id),
                finished_at=utc_stamp(),
                worker={**death.worker, "pid": worker.pid},
            )
            out.ended.append((current, death))
            out.again = [c for c in cases if c is not current]
            return out
        foreign = cpu_before.foreign_fraction()
        extra: tuple[tuple[str, str], ...] = ()
        gpu_state = None
        if monitor is not None:
            gpu_after = monitor.snapshot()
            gpu_state = {"before": gpu_before, "after": gpu_after}
            if gpu_before and gpu_after:
                extra = tuple(monitor.assess(gpu_before, gpu_after, {os.getpid(), worker.pid}))
        raws = msg.get("modes") or {}
        for c in cases:
            raw = raws.get(c.mode) or {"status": "failed", "reason": "the worker sent no result"}
            if raw.get("status") == "ok":
                proc = ProcessRun(
                    pass_index, worker.pid, raw, foreign, hostinfo.usable_cpus(), extra, gpu_state
                )
                out.ok.append((c, proc))
                continue
            result = outcome.from_worker(c, raw, scrub=self.cfg.scrub)
            result = outcome.with_extra_warnings(
                result,
                [*outcome.foreign_cpu_warning(foreign, hostinfo.usable_cpus()), *extra],
                gpu_state=gpu_state,
                started_at=self._first_seen.get(c.case_id),
                finished_at=utc_stamp(),
                worker={**result.worker, "pid": worker.pid},
            )
            out.ended.append((c, result))
        return out

    def _worker(self, kind: str, pass_index: int) -> WorkerProcess:
        if kind not in self._workers:
            self._started += 1
            log = self.cfg.run_dir / worker_log(self._started, kind)
            w = WorkerProcess(self.cfg.threads, log, worker_env(kind, self.cfg.base_env, self._tmp))
            self._workers[kind] = w
            ready = w.wait_ready()
            self.stats.import_s += float(ready.get("import_s", 0.0))
            self.stats.workers.append(
                {
                    "kind": kind,
                    "pid": w.pid,
                    "pass": pass_index,
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
