"""What ``run --resume DIR`` may trust and change: the stored plan, the flags, the retry set.

A resume continues *the* run in DIR: its plan, seed and profile come from run.json, so a flag
that would change them is refused rather than silently ignored, and a hand-edited plan is
validated like a matrix file before a single cell runs. Pure (the caller reads the files).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from benchmarks.errors import ConfigError, ResultsError
from benchmarks.plan import limits
from benchmarks.plan.names import DEFAULT_CALL
from benchmarks.rundir.jsonio import set_aside_partial_line
from benchmarks.rundir.layout import CASES_FILE
from benchmarks.rundir.lock import RunLock
from benchmarks.rundir.paths import check_stored_run_id
from benchmarks.rundir.results import FEWER_PROCESSES, CaseResult

# Statuses a resume measures again: the cell never got a fair chance (its worker died under
# it). failed/timeout/oom would fail the same way again, so they stay.
RETRY_STATUSES = ("crashed",)


def refuse_conflicting_flags(
    *,
    only: Sequence[str],
    matrix: Path | None,
    device: str | None,
    out: Path | None,
    profile: str | None,
    seed: int | None,
    stored_profile: str,
    stored_seed: int,
    others: Sequence[str] = (),
) -> None:
    """ConfigError when a flag given with --resume would change the stored run.

    ``others``: further plan-changing flags the caller saw given (``--model``, ``--call`` ...).
    """
    fixed = [
        name
        for name, given in (
            ("--only", bool(only)),
            ("--matrix", matrix is not None),
            ("--device", device is not None),
            ("--out", out is not None),
        )
        if given
    ]
    fixed += others
    if profile is not None and profile != stored_profile:
        fixed.append(f"--profile {profile} (this run is {stored_profile!r})")
    if seed is not None and seed != stored_seed:
        fixed.append(f"--seed {seed} (this run used {stored_seed})")
    if fixed:
        raise ConfigError(
            f"--resume continues the stored plan; it cannot take {', '.join(fixed)}",
            "drop those flags to finish this run, or start a new run with them",
        )


def validate_plan(
    raw_plan: Any,
    raw_cases: Any,
    raw_timing: Any,
    *,
    known_workloads: Iterable[str],
    modes: Sequence[str],
    calls: Sequence[str],
    where: Path,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stored plan and timing, checked entry by entry; ResultsError naming the entry.

    ``known_workloads`` are the built-in ones and the run's own models (run.json ``models``).
    """
    from benchmarks.plan.matrix import Case, Timing, normalize_device

    known = set(known_workloads)
    if not isinstance(raw_plan, list) or not raw_plan:
        raise ResultsError(
            f"{where}: plan is missing or empty", "the file is damaged; start a new run"
        )
    limits.check_cell_count(len(raw_plan), "stored", str(where))
    names = [f.name for f in fields(Case)]
    plan: list[dict[str, Any]] = []
    for i, entry in enumerate(raw_plan):
        at = f"{where}: plan[{i}]"
        if not isinstance(entry, Mapping) or set(entry) not in (set(names), set(names) - {"call"}):
            raise ResultsError(f"{at}: expected keys {', '.join(names)}", "the file is damaged")
        w, m, b, d = entry["workload"], entry["mode"], entry["batch_size"], entry["device"]
        c = entry.get("call", DEFAULT_CALL)  # a plan written before call paths
        if w not in known:
            raise ResultsError(
                f"{at}: unknown workload {w!r}", f"allowed: {', '.join(sorted(known))}"
            )
        if m not in modes:
            raise ResultsError(f"{at}: unknown mode {m!r}", f"allowed: {', '.join(modes)}")
        if isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= limits.MAX_BATCH_SIZE:
            raise ResultsError(f"{at}: bad batch_size {b!r}", "a positive whole number")
        if c not in calls:
            raise ResultsError(f"{at}: unknown call {c!r}", f"allowed: {', '.join(calls)}")
        if not isinstance(d, str):
            raise ResultsError(f"{at}: bad device {d!r}", "cpu or gpu:N")
        try:
            dev = normalize_device(d, f"{at}.device")
        except ConfigError as exc:
            raise ResultsError(exc.message, exc.hint) from None
        plan.append({"workload": w, "mode": m, "batch_size": b, "device": dev, "call": c})
    ids = [Case(**c).case_id for c in plan]
    if len(set(ids)) != len(ids):
        raise ResultsError(f"{where}: the plan lists a cell twice", "the file is damaged")
    if raw_cases != ids:
        raise ResultsError(f"{where}: 'cases' does not match the plan", "the file is damaged")
    timing = _timing(raw_timing, where, Timing)
    return plan, timing


def _timing(raw: Any, where: Path, timing_cls: Any) -> dict[str, Any]:
    names = [f.name for f in fields(timing_cls)]
    if not isinstance(raw, Mapping) or not set(raw) <= set(names):
        raise ResultsError(
            f"{where}: timing may only have {', '.join(names)}", "the file is damaged"
        )
    defaults = timing_cls()
    for key in raw:
        v = raw[key]
        if v is None and getattr(defaults, key) is None:  # target_ci off
            continue
        want_int = isinstance(getattr(defaults, key), int)
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or (want_int and not isinstance(v, int))
        ):
            raise ResultsError(
                f"{where}: timing.{key} {v!r} is not a number", "the file is damaged"
            )
        try:
            limits.check_timing_value(key, v, f"{where}: timing")
        except ConfigError as exc:
            raise ResultsError(exc.message, exc.hint) from None
    return dict(raw)


def check_run_id(record_run_id: Any, where: Path) -> None:
    check_stored_run_id(record_run_id, where)


def cells_to_run(planned_ids: Sequence[str], latest: Mapping[str, CaseResult]) -> list[str]:
    """Planned cells with no result yet, or whose last result (``latest``: the last line per
    cell) has a retryable status or was measured in fewer processes than planned (flagged
    ``fewer_processes`` when a run stopped). Those run again in full; their earlier line stays
    in cases.jsonl and the new one, appended after it, is the cell's result."""
    return [cid for cid in planned_ids if cid not in latest or _again(latest[cid])]


def _again(result: CaseResult) -> bool:
    short = any(w["code"] == FEWER_PROCESSES for w in result.warnings)
    return result.status in RETRY_STATUSES or short


def open_run_dir(run_dir: Path) -> RunLock:
    """Hold ``run_dir`` for this process and set a partial last line of cases.jsonl aside.

    Called before anything reads the finished cells or appends one, by a new run and a resume
    alike: a second writer is refused (naming the holder's pid) and the next append starts on
    a fresh line. The caller releases the lock (or the process exits, which drops it).
    """
    lock = RunLock(run_dir)
    lock.acquire()
    try:
        side = set_aside_partial_line(run_dir / CASES_FILE)
    except BaseException:
        lock.release()
        raise
    if side is not None:
        print(
            f"warning: {run_dir / CASES_FILE}: its last line was incomplete (a run stopped "
            f"mid-write); kept in {side.name}, that cell runs again",
            file=sys.stderr,
        )
    return lock
