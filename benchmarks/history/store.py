"""The history branch (git through ``environment/gitrepo``) and the layout of its data.

The branch holds only what re-renders a run, never rendered HTML::

    README.md
    runs/<machine-slug>/<run-id>/{run.json, cases.jsonl, fingerprint.json, diagnosis.json,
                                  probe.log, engine.log, logs/* (each trimmed to its last 64 KiB)}

Published text passes through ``redact`` first (the branch is as public as the Pages site).
A push that another job beat is not an error: fetch the branch again, reset to it, copy the runs
again (a copy is idempotent), commit, push; five tries. git never prompts (``GIT_TERMINAL_PROMPT
=0``): a repository that wants a password it was not given is reported as unreachable.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import _proc
from benchmarks.environment import gitrepo, redact
from benchmarks.errors import ConfigError, HostError
from benchmarks.history.series import machine_slug
from benchmarks.rundir import derived
from benchmarks.rundir.jsonio import storage_error, write_text_atomic
from benchmarks.rundir.layout import (
    CASES_FILE,
    DIAGNOSIS_FILE,
    ENGINE_LOG,
    FINGERPRINT_FILE,
    LOGS_DIR,
    PROBE_LOG,
    RUN_FILE,
)
from benchmarks.rundir.load import LoadedRun, read_cases_tolerant
from benchmarks.rundir.lock import RunLock

DEFAULT_BRANCH = "bench-history"
RUNS_DIR = "runs"
JSON_FILES = (RUN_FILE, FINGERPRINT_FILE, DIAGNOSIS_FILE)
TEXT_LOGS = (PROBE_LOG, ENGINE_LOG)
LOG_TAIL_BYTES = 64 * 1024
ATTEMPTS = 5
AUTHOR = ("graphbench", "graphbench@users.noreply.github.com")
_RETRYABLE = re.compile(
    r"\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref|"
    r"stale info|incorrect old value",
    re.IGNORECASE,
)
BRANCH_README = """\
# graphbench history

This branch is written by `python -m benchmarks publish`: one directory per run under
`runs/<machine>/<run-id>/` (the run's data, no rendered pages). Render it with
`python -m benchmarks publish --history <this repository> --site DIR` (see docs/continuous.md).
"""


@dataclass(frozen=True)
class Checkout:
    path: Path
    repo: str
    branch: str


def _why(done: _proc.Completed) -> str:
    if done.timed_out:
        return f"timed out after {done.elapsed_s:.0f} s"
    lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
    return redact.scrub_text(lines[-1]) if lines else f"exit status {done.returncode}"


def _must(args: Sequence[str], cwd: Path | None, what: str) -> _proc.Completed:
    done = gitrepo.git(args, cwd)
    if not done.ok:
        raise HostError(f"git {what} failed: {_why(done)}", "run the same git command by hand")
    return done


def repo_argument(repo: str) -> str:
    """A local path made absolute (git runs in the clone); a URL as given."""
    path = Path(repo)
    return str(path.resolve()) if "://" not in repo and path.exists() else repo


def open_history(repo: str, branch: str, dest: Path) -> Checkout:
    """Clone ``branch`` of ``repo`` into ``dest`` (new, empty), or start it there when missing."""
    url = repo_argument(repo)
    heads = gitrepo.git(
        ["ls-remote", "--heads", "--", url, f"refs/heads/{branch}"], None, timeout_s=60
    )
    if not heads.ok:
        raise ConfigError(
            f"{redact.scrub_text(repo)}: git cannot reach this repository ({_why(heads)})",
            "pass a repository path or URL that `git ls-remote` can read (credentials through "
            "a credential helper or the checkout's token, never typed in)",
        )
    if heads.stdout.strip():
        _must(
            ["clone", "--quiet", "--no-tags", "--single-branch", "--depth", "1",
             "--branch", branch, "--", url, str(dest)],
            None, "clone",
        )  # fmt: skip
    else:
        _must(["init", "--quiet", str(dest)], None, "init")
        _must(["checkout", "--quiet", "--orphan", branch], dest, "checkout --orphan")
        _must(["remote", "add", "origin", url], dest, "remote add")
    return Checkout(dest, url, branch)


def _scrub_json_text(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return redact.scrub_text(text)  # damaged: published as text, still scrubbed
    return json.dumps(redact.scrub_tree(data), indent=2, sort_keys=True) + "\n"


def _scrub_jsonl(text: str) -> str:
    out = []
    lines = text.split("\n")
    if lines and lines[-1].strip() and not _parses(lines[-1]):
        lines[-1] = ""  # an incomplete last line (a run killed mid-write) is not published
    for line in lines:
        try:
            data: Any = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            out.append(redact.scrub_text(line))
            continue
        out.append(line if data is None else json.dumps(redact.scrub_tree(data), sort_keys=True))
    return "\n".join(out)


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _read_text(path: Path, tail: int | None = None) -> str:
    raw = path.read_bytes()
    if tail is not None and len(raw) > tail:
        raw = raw[-tail:]
        raw = raw[raw.find(b"\n") + 1 :] if b"\n" in raw else raw
    return raw.decode("utf-8", errors="replace")


def run_name(run: LoadedRun) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", redact.scrub_text(run.record.run_id)).strip(".-")
    return name[:100] or "run"


def target_of(run: LoadedRun) -> str:
    """Where a run lives in the history: ``runs/<machine-slug>/<run-id>``."""
    return f"{RUNS_DIR}/{machine_slug(run.fingerprint)}/{run_name(run)}"


def place(run: LoadedRun, root: Path) -> str:
    """``target_of(run)``, unless another run (another start time) already holds that name in
    the checkout ``root``: then the name gets a short hash of this run's start, so two runs that
    happen to share an id both stay. The same run published again lands on itself."""
    rel = target_of(run)
    try:
        there = json.loads((root / rel / RUN_FILE).read_text(encoding="utf-8")).get("started_at")
    except (OSError, ValueError, AttributeError):
        return rel  # nothing there, or a damaged copy: this run replaces it
    if there == run.record.started_at:
        return rel
    return f"{rel}-{hashlib.sha256(run.record.started_at.encode()).hexdigest()[:8]}"


def copy_run(run: LoadedRun, root: Path) -> str:
    """Copy one run's data (scrubbed, logs trimmed) under ``root``; return its relative path.

    A run still being written (its ``run.lock`` held) is refused; a full disk is ``error:``.
    """
    RunLock(run.run_dir).check_idle()
    rel = place(run, root)
    dest = root / rel
    src = run.run_dir
    try:
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
    except OSError as exc:
        raise storage_error(dest, exc) from None
    for name in JSON_FILES:
        if (src / name).is_file():
            write_text_atomic(dest / name, _scrub_json_text(_read_text(src / name)))
    if (src / CASES_FILE).is_file():
        write_text_atomic(dest / CASES_FILE, _scrub_jsonl(_read_text(src / CASES_FILE)))
        derived.write(
            dest, read_cases_tolerant(dest)[0]
        )  # the site renders without rebootstrapping
    for name in TEXT_LOGS:
        if (src / name).is_file():
            text = redact.scrub_text(_read_text(src / name, LOG_TAIL_BYTES))
            write_text_atomic(dest / name, text)
    logs = src / LOGS_DIR
    if logs.is_dir() and not logs.is_symlink():
        for log in sorted(p for p in logs.iterdir() if p.is_file() and not p.is_symlink()):
            (dest / LOGS_DIR).mkdir(exist_ok=True)
            text = redact.scrub_text(_read_text(log, LOG_TAIL_BYTES))
            write_text_atomic(dest / LOGS_DIR / log.name, text)
    return rel


def commit_message(runs: Sequence[LoadedRun], paths: Sequence[str]) -> str:
    ids = ", ".join(run_name(r) for r in runs)
    body = "\n".join(
        f"- {p} ({r.record.status}, {len(r.cases)} cell line(s))"
        for r, p in zip(runs, paths, strict=True)
    )
    return f"history: add {len(runs)} run(s): {ids}"[:200] + "\n\n" + body + "\n"


def _commit(co: Checkout, runs: Sequence[LoadedRun]) -> tuple[bool, tuple[str, ...]]:
    """Copy the runs into the checkout and commit; (False, ...) when nothing changed."""
    readme = co.path / "README.md"
    if not readme.exists():
        readme.write_text(BRANCH_README, encoding="utf-8")
    paths = tuple(copy_run(run, co.path) for run in runs)
    refresh_derived(co.path)
    _must(["add", "--all", "--", RUNS_DIR, "README.md"], co.path, "add")
    if gitrepo.git(["diff", "--cached", "--quiet"], co.path).returncode == 0:
        return False, paths
    ident: list[str] = []
    if not gitrepo.git(["config", "user.email"], co.path).ok:
        ident = ["-c", f"user.name={AUTHOR[0]}", "-c", f"user.email={AUTHOR[1]}"]
    _must(
        [*ident, "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify",
         "-m", commit_message(runs, paths)],
        co.path, "commit",
    )  # fmt: skip
    return True, paths


def refresh_derived(root: Path) -> list[Path]:
    """Store the speedups again for every run of the checkout ``root`` whose ``speedups.json``
    is missing or no longer valid (published by an older graphbench, whose statistics code had
    another digest): once per upgrade, here, instead of on every render of the site."""
    refreshed = []
    for cases in sorted((root / RUNS_DIR).glob(f"*/*/{CASES_FILE}")):
        run_dir = cases.parent
        if derived.read(run_dir) is None:
            derived.write(run_dir, read_cases_tolerant(run_dir)[0])
            refreshed.append(run_dir)
    return refreshed


def _refetch(co: Checkout) -> None:
    remote = f"refs/remotes/origin/{co.branch}"
    _must(
        ["fetch", "--quiet", "--no-tags", "--depth", "1", "origin",
         f"+refs/heads/{co.branch}:{remote}"],
        co.path, "fetch",
    )  # fmt: skip
    _must(["reset", "--quiet", "--hard", remote], co.path, "reset")
    _must(["clean", "--quiet", "-fdx"], co.path, "clean")


@dataclass(frozen=True)
class Published:
    paths: tuple[str, ...]
    committed: bool
    attempts: int


def publish(co: Checkout, runs: Sequence[LoadedRun], *, attempts: int = ATTEMPTS) -> Published:
    """Add ``runs`` to the branch and push; on a rejected push re-fetch and re-apply."""
    for attempt in range(1, attempts + 1):
        committed, paths = _commit(co, runs)
        if not committed:
            return Published(paths, False, attempt)
        done = gitrepo.git(
            ["push", "--quiet", "origin", f"HEAD:refs/heads/{co.branch}"], co.path, timeout_s=300
        )
        if done.ok:
            return Published(paths, True, attempt)
        if not _RETRYABLE.search(done.stderr + done.stdout) or attempt == attempts:
            raise HostError(
                f"git push to {redact.scrub_text(co.repo)} failed: {_why(done)}",
                "the token needs contents: write on this repository; a branch protection rule "
                "may forbid pushes to the history branch",
            )
        time.sleep(random.uniform(0.1, 0.6) * attempt)
        _refetch(co)
    raise AssertionError("unreachable")
