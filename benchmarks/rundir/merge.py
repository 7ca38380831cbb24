"""Merge shard run directories into one run directory: the union of their cells.

Shards of one run are ordinary runs whose plan was filtered by ``run --shard K/N``; each records
``shard: {index, count}``, the digest of the *full* plan and the full plan itself. Merging is
refused (``ConfigError``, exit 2) unless every input is a run of the same plan (digest), suite
version and seed, split the same way, with no cell planned in two inputs. A shard that is not
given leaves the merged run ``incomplete``, with its cells named.

The merged directory is a run like any other (``report``, ``compare``, ``--resume`` read it):

```
<out>/run.json               the full plan; merged_from: one entry per shard (machine included)
<out>/cases.jsonl            every shard's lines, shards in index order
<out>/fingerprint.json       the first shard's machine (and diagnosis.json, probe.log likewise)
<out>/shards/<K>-of-<N>/     each shard's own run.json, fingerprints, diagnosis, logs/
```

Machines stay apart: every cell keeps the digest of the fingerprint it was measured under, each
shard's fingerprint is kept, and ``merged_from`` says which shard ran on which machine, so the
report can say a merged run spans machines (a measured group never does: see plan.shard).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import ConfigError, ResultsError
from benchmarks.plan.matrix import Case
from benchmarks.plan.shard import plan_digest
from benchmarks.rundir import paths
from benchmarks.rundir.jsonio import storage_error, write_text_atomic
from benchmarks.rundir.layout import (
    CASES_FILE,
    CSV_FILE,
    DIAGNOSIS_FILE,
    ENGINE_LOG,
    FINGERPRINT_FILE,
    LOCK_FILE,
    PAGE,
    PROBE_LOG,
    RUN_FILE,
    SHARDS_DIR,
)
from benchmarks.rundir.lock import RunLock
from benchmarks.rundir.results import (
    CaseResult,
    RunRecord,
    latest_by_case,
    read_cases,
    read_run,
    write_run,
)
from benchmarks.rundir.scrublogs import scrub_logs

INCOMPLETE = "incomplete"  # the merged run's status when a shard (or some of its cells) is missing
EXIT_INCOMPLETE = 1
# The run's status and exit code from its cells (run.session.exit_status, handed in).
Decide = Callable[[dict[str, CaseResult], Sequence[Case], bool, bool], tuple[str, int]]
# merged, re-rendered from the merge, or the shard's own lock (a set-aside line is kept)
_NOT_COPIED = frozenset({CASES_FILE, PAGE, CSV_FILE, LOCK_FILE})
_TOP_LEVEL = (DIAGNOSIS_FILE, PROBE_LOG, ENGINE_LOG)  # taken from the first shard that has them


@dataclass(frozen=True)
class Shard:
    """One input run directory, read strictly."""

    run_dir: Path
    record: RunRecord
    cases: tuple[CaseResult, ...]

    @property
    def index(self) -> int:
        return int((self.record.shard or {}).get("index", 1))

    @property
    def count(self) -> int:
        return int((self.record.shard or {}).get("count", 1))

    @property
    def split(self) -> str:
        """How the plan was cut (plan.shard.split_digest); "" for a run that is not a shard."""
        return str((self.record.shard or {}).get("split_digest", ""))

    @property
    def label(self) -> str:
        return f"{self.index}-of-{self.count}"

    @property
    def digest(self) -> str:
        """The full plan's digest; recomputed for runs that predate the field (unsharded)."""
        r = self.record
        return r.plan_digest or plan_digest(r.profile, r.timing, r.cases)

    @property
    def full_plan(self) -> list[dict[str, Any]]:
        return self.record.full_plan or self.record.plan

    @property
    def machines(self) -> list[str]:
        """Fingerprint digests its cells were measured under, in order of first use."""
        return list(dict.fromkeys(c.fingerprint_digest or "unknown" for c in self.cases))


def read_shard(run_dir: Path) -> Shard:
    """A run directory, or a ``ResultsError`` (exit 2) saying why it is not one."""
    if not run_dir.is_dir():
        raise ResultsError(f"{run_dir}: not a directory", "pass run directories (reports/<id>)")
    if not (run_dir / RUN_FILE).is_file():
        raise ResultsError(
            f"{run_dir}: not a run directory (no {RUN_FILE})",
            "pass the directories that 'run --shard K/N --out DIR' wrote",
        )
    return Shard(run_dir, read_run(run_dir), tuple(read_cases(run_dir)))


def check(shards: Sequence[Shard]) -> list[Shard]:
    """The shards in index order, or the ``ConfigError`` that refuses the merge."""
    if not shards:
        raise ConfigError("merge: no run directory given", "pass the shards' run directories")
    first = shards[0]
    for s in shards[1:]:
        for what, mine, theirs in (
            ("plan digest", s.digest, first.digest),
            ("suite version", s.record.suite_version, first.record.suite_version),
            ("seed", str(s.record.seed), str(first.record.seed)),
            ("shard count", str(s.count), str(first.count)),
            ("split digest", s.split, first.split),
        ):
            if mine != theirs:
                raise ConfigError(
                    f"{s.run_dir} and {first.run_dir} are not shards of one run: "
                    f"{what} {_short(mine)} != {_short(theirs)}",
                    "merge only the shards of one 'run --shard K/N' (same profile, matrix, "
                    "flags, graphbench version, N and --shard-costs)",
                )
    owner: dict[str, Shard] = {}
    seen: dict[int, Shard] = {}
    for s in shards:
        if s.index in seen:
            raise ConfigError(
                f"{s.run_dir} and {seen[s.index].run_dir} are both shard {s.index}/{s.count}",
                "pass each shard once (a re-run shard replaces the old directory)",
            )
        seen[s.index] = s
        for cid in dict.fromkeys([*s.record.cases, *(c.case_id for c in s.cases)]):
            if cid in owner:
                raise ConfigError(
                    f"shards overlap: {cid} is in {owner[cid].run_dir} and {s.run_dir}",
                    "merge disjoint shards of one run (run --shard K/N with one N)",
                )
            owner[cid] = s
    return sorted(shards, key=lambda s: s.index)


def merged_record(
    shards: Sequence[Shard], run_id: str, command: list[str], decide: Decide
) -> RunRecord:
    """The merged run.json (pure): full plan, union of cells, status, one entry per shard."""
    first = shards[0].record
    full = shards[0].full_plan
    planned = [Case(**c) for c in full]
    cases = [c for s in shards for c in s.cases]
    latest = latest_by_case(cases)
    missing = [c.case_id for c in planned if c.case_id not in latest]
    allow = all(s.record.allow_gpu_failure for s in shards)
    status, code = decide(latest, planned, False, allow)
    if missing:
        status, code = INCOMPLETE, max(code, EXIT_INCOMPLETE)
    finished = [s.record.finished_at for s in shards]
    wall: dict[str, float] = {}
    for s in shards:
        for k, v in s.record.wall_s.items():
            wall[k] = wall.get(k, 0.0) + v
    return RunRecord(
        run_id=run_id,
        command=command,
        profile=first.profile,
        matrix_source=first.matrix_source,
        matrix_digest=first.matrix_digest,
        cases=[c.case_id for c in planned],
        devices=sorted({c.device for c in planned}),
        timing=first.timing,
        started_at=min(s.record.started_at for s in shards),
        finished_at=max((f for f in finished if f), default=None),
        status=status,
        exit_code=code,
        wall_s=wall,  # summed over the shards: machine time, not elapsed time
        image=first.image,
        suite_version=first.suite_version,
        allow_gpu_failure=allow,
        resumed_from=[t for s in shards for t in s.record.resumed_from],
        plan=list(full),
        seed=first.seed,
        threads=first.threads,
        workers=[_rebased(w, s) for s in shards for w in s.record.workers],
        models={n: m for s in shards for n, m in s.record.models.items()},
        plan_digest=shards[0].digest,
        merged_from=[_entry(s) for s in shards],
        missing=missing,
    )


def merge(run_dirs: Sequence[Path], out: Path, command: list[str], decide: Decide) -> RunRecord:
    """Read, check and write the merged run directory ``out``; nothing is written elsewhere."""
    shards = check([read_shard(d) for d in run_dirs])
    out = paths.check_out_dir(out)  # its name is the merged run's id: checked like a run's
    _check_out(out, shards)
    record = merged_record(shards, out.name, command, decide)
    existed = out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(out, exc) from None
    lock = RunLock(out)  # no `run --resume` of the merged run while it is being written
    lock.acquire()
    try:
        for s in shards:
            _copy_shard(s, out / SHARDS_DIR / s.label)
            scrub_logs(out / SHARDS_DIR / s.label)  # published with the merged page
        for name in (FINGERPRINT_FILE, *_TOP_LEVEL):
            found = [s.run_dir / name for s in shards if (s.run_dir / name).is_file()]
            if found:
                shutil.copy2(found[0], out / name)
        scrub_logs(out)
        lines = "".join(c.to_json() + "\n" for s in shards for c in s.cases)
        write_text_atomic(out / CASES_FILE, lines)
        write_run(out, record)  # last: a directory without run.json is not a run
    except BaseException as exc:  # Ctrl-C or a full disk: leave no half-merged run behind
        lock.release()
        _remove_contents(out, keep_dir=existed)
        if isinstance(exc, OSError):
            raise storage_error(out, exc) from None
        raise
    lock.release()
    return record


def machines(record: RunRecord) -> dict[str, list[str]]:
    """Fingerprint digest -> shard labels measured under it (more than one key: many machines)."""
    out: dict[str, list[str]] = {}
    for entry in record.merged_from:
        for digest in entry.get("machines", []):
            out.setdefault(str(digest), []).append(str(entry.get("shard_label", "")))
    return out


def _entry(s: Shard) -> dict[str, object]:
    return {
        "run_id": s.record.run_id,
        "shard": {"index": s.index, "count": s.count},
        "shard_label": s.label,
        "dir": f"{SHARDS_DIR}/{s.label}",
        "status": s.record.status,
        "exit_code": s.record.exit_code,
        "planned": len(s.record.cases),
        "measured": len(latest_by_case(s.cases)),
        "machines": s.machines,
        "started_at": s.record.started_at,
        "finished_at": s.record.finished_at,
    }


def _rebased(worker: Mapping[str, object], s: Shard) -> dict[str, object]:
    """A worker entry whose log path points into the shard's copy."""
    out = dict(worker)
    if isinstance(out.get("log"), str):
        out["log"] = f"{SHARDS_DIR}/{s.label}/{out['log']}"
    return out


def _check_out(out: Path, shards: Sequence[Shard]) -> None:
    target = out.resolve()
    for s in shards:
        source = s.run_dir.resolve()
        if target == source or source in target.parents:
            raise ConfigError(
                f"--out {out}: is inside the input {s.run_dir}",
                "write the merged run to a new directory",
            )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"--out {out}: already exists and is not empty",
            "pass a new (or empty) directory for the merged run",
        )


def _copy_shard(s: Shard, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in sorted(s.run_dir.iterdir()):
        if item.name in _NOT_COPIED or item.is_symlink():
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, symlinks=True)
        else:
            shutil.copy2(item, dest / item.name)


def _remove_contents(out: Path, *, keep_dir: bool) -> None:
    """Undo a merge that stopped half-way (``out`` was new or empty before it started)."""
    if not keep_dir:
        shutil.rmtree(out, ignore_errors=True)
        return
    for item in out.iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def _short(text: str) -> str:
    return text[:12] if len(text) == 64 else repr(text)
