"""Where graphbench may write: safe run ids, the marked reports root, pages it owns.

Promise (README, "Results"): a run writes only inside its own directory, and the site page is
written only into a reports root that graphbench made and marked (``.graphbench-reports``),
never over a file graphbench did not create. Pure checks plus three tiny file probes.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.errors import ConfigError, ResultsError
from benchmarks.rundir.jsonio import storage_error
from benchmarks.rundir.layout import ROOT_MARKER, RUN_FILE

MARKER_TEXT = (
    "This directory is a graphbench reports root: run directories sit below it and\n"
    "graphbench keeps index.html here up to date. Delete this file to stop that.\n"
)
# Every page graphbench writes carries this tag; a file without it is not ours to replace.
GENERATOR_TAG = '<meta name="generator" content="graphbench">'
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
ID_RULE = "letters, digits, '.', '_', '+', '-'; starting with a letter or digit; at most 128"


def is_safe_id(text: str) -> bool:
    return bool(_ID.fullmatch(text)) and ".." not in text


def check_id(text: str, what: str) -> str:
    """``text`` if it is a safe id (a run id, a profile name), else a ConfigError naming it."""
    if not isinstance(text, str) or not is_safe_id(text):
        raise ConfigError(f"{what} {text!r}: not a valid name", f"use {ID_RULE}")
    return text


def check_out_dir(out: Path) -> Path:
    """The run directory for ``--out``: absolute, no '..', its name a safe run id."""
    if any(part == ".." for part in out.parts):
        raise ConfigError(
            f"--out {out}: must not contain '..'",
            "name the run directory itself, e.g. reports/run1",
        )
    resolved = out.expanduser().absolute()
    if str(out) in (".", "") or resolved == Path.cwd():
        raise ConfigError(
            f"--out {out}: the current directory cannot be a run directory",
            "name a new directory, e.g. --out reports/run1",
        )
    check_id(resolved.name, "--out: run directory name")
    return resolved


def check_stored_run_id(run_id: object, where: Path) -> str:
    if not isinstance(run_id, str) or not is_safe_id(run_id):
        raise ResultsError(
            f"{where}: run_id {run_id!r} is not a valid run id", "the file is damaged"
        )
    return run_id


def mark_reports_root(root: Path) -> bool:
    """Create ``root`` if needed and mark it as graphbench's; False when it is somebody's.

    Marked: a root graphbench creates now, one already marked, or one holding nothing but
    ``.gitkeep``/``README.md`` and run directories (this repository's ``reports/``). A
    directory with other content (``--reports-root ~``) gets its run but no site page.
    """
    try:
        if is_reports_root(root):
            return True
        if root.exists() and not _only_runs(root):
            return False
        root.mkdir(parents=True, exist_ok=True)
        (root / ROOT_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        raise storage_error(root / ROOT_MARKER, exc) from None
    return True


def may_mark(root: Path) -> bool:
    """Whether :func:`mark_reports_root` would accept ``root``; creates and writes nothing."""
    try:
        return not root.exists() or is_reports_root(root) or (root.is_dir() and _only_runs(root))
    except OSError:
        return False


def _only_runs(root: Path) -> bool:
    for child in root.iterdir():
        if child.name in _HARMLESS:
            continue
        if not (child.is_dir() and (child / RUN_FILE).is_file()):
            return False
    return True


_HARMLESS = frozenset({".gitkeep", "README.md", ".gitignore"})


def is_reports_root(root: Path) -> bool:
    return (root / ROOT_MARKER).is_file()


def owned_or_absent(page: Path) -> bool:
    """True when ``page`` does not exist or is a page graphbench wrote (it may replace it)."""
    try:
        with page.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return GENERATOR_TAG.encode() in head
