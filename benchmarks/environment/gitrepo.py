"""The checkout the code came from, as git reports it: HEAD, the dirty flag, the origin URL.

The one adapter over ``git`` for facts about this repository (the fingerprint records them, the
image build labels images with them). Every call degrades to ``None`` where git or the checkout
is missing: an image has no ``.git``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks import _proc
from benchmarks.errors import BenchError

REPO_ROOT = _proc.PACKAGE_PARENT  # the checkout, when running from one


def _git(args: Sequence[str], root: Path) -> _proc.Completed:
    return _proc.run(["git", *args], cwd=root, timeout_s=10)


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
