"""The one adapter over ``git``, and the checkout the code came from as git reports it.

``git`` runs any git command the same way everywhere (never prompting, C locale, no system-wide
config, a timeout): the history store (``history/store.py``) drives clones, commits and pushes
through it. ``head``, ``dirty`` and ``origin_url`` are facts about this repository (the
fingerprint records them, the image build labels images with them); they degrade to ``None``
where git or the checkout is missing: an image has no ``.git``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks import _proc
from benchmarks.errors import BenchError

REPO_ROOT = _proc.PACKAGE_PARENT  # the checkout, when running from one


GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"}


def git(args: Sequence[str], cwd: Path | None, *, timeout_s: float = 120.0) -> _proc.Completed:
    """``git ARGS`` in ``cwd``; raises HostError when git cannot be started."""
    return _proc.run(["git", *args], cwd=cwd, env=_proc.child_env(GIT_ENV), timeout_s=timeout_s)


def _git(args: Sequence[str], root: Path) -> _proc.Completed:
    return git(args, root, timeout_s=10)


def head(root: Path = REPO_ROOT) -> tuple[str | None, str | None]:
    """``(sha, None)``, or ``(None, why)`` when there is no commit to name."""
    try:
        done = _git(["rev-parse", "HEAD"], root)
    except BenchError as exc:
        return None, exc.message
    if done.ok:
        return done.stdout.strip(), None
    lines = done.stderr.strip().splitlines()
    return None, lines[-1] if lines else "git failed"


def dirty(root: Path = REPO_ROOT, paths: Sequence[str] = ()) -> bool | None:
    """Uncommitted changes (under ``paths`` when given); None where git cannot tell."""
    try:
        done = _git(["status", "--porcelain", *(("--", *paths) if paths else ())], root)
    except BenchError:
        return None
    return bool(done.stdout.strip()) if done.ok else None


def origin_url(root: Path = REPO_ROOT) -> str:
    try:
        done = _git(["config", "--get", "remote.origin.url"], root)
    except BenchError:
        return ""
    return done.stdout.strip() if done.ok else ""
