"""Render the whole site of a history checkout into a directory, by the report's own code.

The history holds run directories (``runs/<machine>/<run-id>/``), so the site is the report's
site over copies of them: each run's data is copied into ``DIR/runs/...``, its page rendered
there by ``report.render.render_run``, and ``DIR/index.html`` by ``report.site``, with the
history's regressions and series breaks marked. ``regressions.json`` and ``feed.atom`` sit next
to it. A run that cannot be read is left out with a warning; the rest still renders.

Pages are incremental: a page whose inputs (the data files, graphbench's version, the templates)
have not changed since it was rendered into the same DIR is kept (``.page-digest``); the rest
are rendered in parallel worker processes when there are many.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

from benchmarks import __version__
from benchmarks.analysis import format_seconds
from benchmarks.errors import ConfigError, ResultsError
from benchmarks.history import feed
from benchmarks.history.detect import Regression, Settings, find_regressions
from benchmarks.history.series import Break, HistoryRun, build_series, group_breaks, live
from benchmarks.history.store import RUNS_DIR
from benchmarks.report import display
from benchmarks.report.render import TEMPLATES, render_run
from benchmarks.report.safety import relative_href
from benchmarks.report.site import (
    HistoryMarks,
    MarkedBreak,
    MarkedRegression,
    write_site,
)
from benchmarks.rundir import paths
from benchmarks.rundir.jsonio import utc_stamp, write_text_atomic
from benchmarks.rundir.layout import LOGS_DIR, PAGE
from benchmarks.rundir.load import LoadedRun, load_run

STAMP = ".page-digest"
PARALLEL_FROM = 8  # pages; below this a process pool costs more than it saves


@dataclass(frozen=True)
class Rendered:
    index: Path
    runs: tuple[HistoryRun, ...]
    regressions: tuple[Regression, ...]
    breaks: tuple[Break, ...]
    skipped: tuple[str, ...]
    pages_rendered: int


@lru_cache(maxsize=1)
def _templates_digest() -> str:
    h = hashlib.sha256(__version__.encode())
    for p in sorted(TEMPLATES.rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def _data_files(run_dir: Path) -> list[Path]:
    files = [p for p in sorted(run_dir.iterdir()) if p.is_file() and not p.is_symlink()]
    logs = run_dir / LOGS_DIR
    if logs.is_dir() and not logs.is_symlink():
        files += [p for p in sorted(logs.iterdir()) if p.is_file() and not p.is_symlink()]
    return files


def _sync(src: Path, dest: Path) -> str:
    """Copy a history run's data files into the site; return the digest of what was copied."""
    h = hashlib.sha256(_templates_digest().encode())
    for f in _data_files(src):
        rel = f.relative_to(src)
        data = f.read_bytes()
        h.update(rel.as_posix().encode() + b"\0" + hashlib.sha256(data).digest())
        target = dest / rel
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return h.hexdigest()


def _render_one(run_dir: str) -> LoadedRun | str:
    """Read one run and render its page in a worker: the run as read (the caller's series need
    it too, so each run is read once), or the error text instead of raising (it crosses
    processes).

    Any exception: a run in the history was written by some other version, or damaged, and one
    such run must not take the site of all the others down with it (it is listed as skipped).
    """
    try:
        run = load_run(Path(run_dir))
        render_run(Path(run_dir), loaded=run)
    except ResultsError as exc:
        return exc.message
    except OSError as exc:
        return str(exc)
    except Exception as exc:
        return f"its page could not be rendered ({type(exc).__name__}: {exc})"
    return run


class PageRenderer:
    """Renders run pages as the caller finds them stale: in one process for a few, in worker
    processes once there are ``PARALLEL_FROM`` (the pool starts then, so its start-up overlaps
    the copying of the remaining runs instead of following it)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        self.pool: ProcessPoolExecutor | None = None
        self.waiting: list[Path] = []  # not handed to a worker (yet, or ever)
        self.futures: dict[Path, Future[LoadedRun | str]] = {}

    def add(self, run_dir: Path) -> None:
        self.waiting.append(run_dir)
        if self.pool is None and self.jobs > 1 and len(self.waiting) >= PARALLEL_FROM:
            try:
                self.pool = ProcessPoolExecutor(self.jobs, mp_context=get_context("spawn"))
            except OSError as exc:
                self._serial(exc)
        if self.pool is None:
            return
        try:
            while self.waiting:
                d = self.waiting[0]
                self.futures[d] = self.pool.submit(_render_one, str(d))
                self.waiting.pop(0)
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            self._serial(exc)

    def _serial(self, exc: BaseException) -> None:
        if self.jobs > 1:  # said once
            print(f"warning: rendering pages in one process ({exc})", file=sys.stderr)
        self.jobs = 1
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def results(self) -> dict[Path, LoadedRun | str]:
        """Every added run as read, or why it could not be read or rendered."""
        out: dict[Path, LoadedRun | str] = {}
        for d, future in self.futures.items():
            try:
                out[d] = future.result()
            except (BrokenProcessPool, CancelledError, OSError) as exc:  # the same, here
                self._serial(exc)
                out[d] = _render_one(str(d))
        for d in self.waiting:
            out[d] = _render_one(str(d))
        if self.pool is not None:
            self.pool.shutdown()
        return out


def _marks(found: Sequence[Regression], breaks: Sequence[Break], method: str) -> HistoryMarks:
    return HistoryMarks(
        method=method,
        regressions=tuple(
            MarkedRegression(
                case_id=r.key.case_id,
                machine=r.key.machine,
                before=format_seconds(r.before),
                after=format_seconds(r.after),
                change=f"{(r.ratio - 1) * 100:+.1f} % ({r.ratio:.2f}x)",
                before_run=r.before_run_id,
                before_href=_href(feed.page_of(r.before_path)),
                run=r.run_id,
                href=_href(feed.page_of(r.path)),
            )
            for r in found
        ),
        breaks=_grouped(breaks),
        flagged_runs=tuple(sorted({r.run_id for r in found})),
        json_href=feed.REGRESSIONS_FILE,  # constants: safe as they are
        feed_href=feed.FEED_FILE,
    )


def _href(path: str) -> str:
    """A site link through the report's one check (relative, percent-encoded; "" if unsafe)."""
    return relative_href(path.split("/"))


def _grouped(breaks: Sequence[Break]) -> tuple[MarkedBreak, ...]:
    return tuple(
        MarkedBreak(", ".join(g.case_ids), len(g.case_ids), g.machine, g.run_id,
                    _href(feed.page_of(g.path)), g.changes)
        for g in group_breaks(breaks)
    )  # fmt: skip


def render_history(
    history: Path,
    site: Path,
    settings: Settings,
    *,
    generated_at: str | None = None,
    base_url: str = "",
    jobs: int | None = None,
) -> Rendered:
    """Render every run of the history checkout ``history`` and the site index into ``site``."""
    stamp = utc_stamp() if generated_at is None else generated_at
    claim_site(site)
    root = history / RUNS_DIR
    order: list[Path] = []  # the run copies, in the history's order
    read: dict[Path, LoadedRun | str] = {}  # each copy as read, or why it could not be
    stale: dict[Path, str] = {}  # copies whose page must be rendered -> their digest
    pages = PageRenderer(jobs)
    for src in history_run_dirs(root):
        dest = site / RUNS_DIR / src.relative_to(root)
        order.append(dest)
        try:
            digest = _sync(src, dest)
        except OSError as exc:
            read[dest] = str(exc)
            continue
        if not (dest / PAGE).is_file() or _read(dest / STAMP) != digest:
            stale[dest] = digest  # read by the worker that renders it
            pages.add(dest)
        else:
            read[dest] = _load(dest)
    read |= pages.results()
    loaded: list[HistoryRun] = []
    skipped: list[str] = []
    for dest in order:
        got = read[dest]
        rel = dest.relative_to(site).as_posix()
        if isinstance(got, str):
            skipped.append(f"{rel}: {display.public(got.replace(str(site) + '/', ''))}")
            shutil.rmtree(dest, ignore_errors=True)
            continue
        if dest in stale:  # stamped only once its page is there
            write_text_atomic(dest / STAMP, stale[dest], durable=False)
        loaded.append(HistoryRun(rel, got))
    _prune(site, {site / h.path for h in loaded})
    for line in skipped:
        print(f"warning: history run skipped: {line}", file=sys.stderr)
    series, breaks = build_series(loaded)
    found = find_regressions(live(series), settings)
    write_text_atomic(site / feed.REGRESSIONS_FILE, feed.regressions_json(found), durable=False)
    started = {h.run_id: h.started_at for h in loaded}
    write_text_atomic(
        site / feed.FEED_FILE,
        feed.atom_feed(found, updated=stamp, started=started, base_url=base_url),
        durable=False,
    )
    index = write_site(
        site,
        [h.run for h in loaded],
        skipped=skipped,
        generated_at=stamp,
        history=_marks(found, breaks, settings.method),
    )
    return Rendered(index, tuple(loaded), tuple(found), tuple(breaks), tuple(skipped), len(stale))


def _load(run_dir: Path) -> LoadedRun | str:
    try:
        return load_run(run_dir)
    except ResultsError as exc:
        return exc.message
    except OSError as exc:
        return str(exc)


def claim_site(site: Path, *, dry: bool = False) -> None:
    """Make ``site`` (the directory the user named) graphbench's, or refuse it: the site is
    written only into a new or empty directory, or one graphbench rendered into before.
    ``dry``: only check (nothing is created), as ``publish`` does before it pushes."""
    if not (paths.may_mark(site) if dry else paths.mark_reports_root(site)):
        raise ConfigError(
            f"--site {site}: holds files graphbench did not write",
            "name a new or empty directory (or one a previous publish rendered into)",
        )


def history_run_dirs(root: Path) -> list[Path]:
    """Every ``<machine>/<run>`` directory under the history's ``runs/``: by the layout, each is
    a run, so one without a readable ``run.json`` is reported, not silently passed over."""
    if not root.is_dir():
        return []
    return [
        d
        for machine in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
        for d in sorted(p for p in machine.iterdir() if p.is_dir() and not p.is_symlink())
    ]


def _prune(site: Path, keep: set[Path]) -> None:
    """Remove run copies this renderer made earlier (they have a stamp) that left the history."""
    for stamp in site.glob(f"{RUNS_DIR}/*/*/{STAMP}"):
        if stamp.parent not in keep:
            shutil.rmtree(stamp.parent, ignore_errors=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
