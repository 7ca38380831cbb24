"""The site: ``<root>/index.html`` over every run directory found under a root.

Runs from several machines (a CI matrix of runners, each uploading its run directory) simply sit
side by side under the root, at any depth up to three; they are grouped by *machine class* (CPU
model + GPU model), so a trend line never mixes an A100 with an H100. For every machine class the
latest run is compared with the previous one, and its regressions are listed.

A site rendered from a history branch (``benchmarks.history.site``) also carries ``HistoryMarks``:
the regressions its detector found over each cell's whole series, each linking the two runs,
and the series breaks. They are display values here; this module does not detect anything.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import ConfigError, ResultsError
from benchmarks.plan.names import mode_rank
from benchmarks.report import DEFAULT_THRESHOLD, display
from benchmarks.report.charts import MODE_COLORS
from benchmarks.report.compare import CellChange, Comparison, compare_loaded
from benchmarks.report.safety import relative_href
from benchmarks.report.svg import Chart, Point, Series, fmt_seconds, xy_chart
from benchmarks.rundir import paths
from benchmarks.rundir.jsonio import utc_stamp, write_text_atomic
from benchmarks.rundir.layout import ROOT_MARKER, RUN_FILE, SITE_PAGE
from benchmarks.rundir.load import LoadedRun, load_run
from benchmarks.rundir.results import CaseResult, latest_by_case

MAX_DEPTH = 3


@dataclass(frozen=True)
class SiteRun:
    run_id: str
    href: str  # relative link to the run page ("" when the page was not rendered)
    date: str
    machine_class: str
    devices: str
    tf_version: str
    status: str
    status_css: str
    gpu_status: str
    cells: str  # "ok / total"
    merged_into: str = ""  # a shard whose cells a merged run of this site holds (its run id)


@dataclass(frozen=True)
class MachineRegressions:
    machine_class: str
    comparison: Comparison
    flagged: tuple[CellChange, ...]


@dataclass(frozen=True)
class MarkedRegression:
    case_id: str
    machine: str
    before: str
    after: str
    change: str
    before_run: str
    before_href: str
    run: str
    href: str


@dataclass(frozen=True)
class MarkedBreak:
    cells: str  # the case ids whose series restart here
    count: int
    machine: str
    run: str
    href: str
    changes: str


@dataclass(frozen=True)
class HistoryMarks:
    method: str
    regressions: tuple[MarkedRegression, ...]
    breaks: tuple[MarkedBreak, ...]
    flagged_runs: tuple[str, ...]  # run ids where a regression starts
    json_href: str
    feed_href: str


@dataclass(frozen=True)
class SiteView:
    runs: tuple[SiteRun, ...]  # newest first
    trends: tuple[Chart, ...]
    regressions: tuple[MachineRegressions, ...]
    skipped: tuple[str, ...]  # directories that look like runs but could not be read
    generated_at: str
    history: HistoryMarks | None = None


def refusal(root: Path) -> str | None:
    """Why the site page must not be written into ``root``, or None when it may.

    The page goes only into a reports root graphbench made (it carries ``.graphbench-reports``)
    and never over an ``index.html`` graphbench did not write.
    """
    if not paths.is_reports_root(root):
        return f"{root}: not a graphbench reports root (no {ROOT_MARKER}); site not refreshed"
    if not paths.owned_or_absent(root / SITE_PAGE):
        return f"{root / SITE_PAGE}: not created by graphbench; left alone, site not refreshed"
    return None


def _check_root(root: Path) -> None:
    why = refusal(root)
    if why:
        raise ConfigError(why, "run with --reports-root DIR to make DIR a reports root")


def find_run_dirs(root: Path) -> list[Path]:
    """Directories under ``root`` (depth 1..3) holding a run.json, sorted by path."""
    found: list[Path] = []
    level = [root]
    for _ in range(MAX_DEPTH):
        nxt: list[Path] = []
        for d in level:
            for child in sorted(p for p in d.iterdir() if p.is_dir() and not p.is_symlink()):
                (found if (child / RUN_FILE).is_file() else nxt).append(child)
        level = nxt
    return found


def _status_css(status: str) -> str:
    return {"complete": "ok", "cells_failed": "warn", "running": "warn"}.get(status, "bad")


def _gpu_status(run: LoadedRun) -> str:
    if not any(d.startswith("gpu") for d in run.record.devices):
        return "not requested"
    ok = any(r.status == "ok" and r.device.startswith("gpu") for r in run.cases)
    return "ok" if ok and run.record.status != "gpu_unavailable" else "failed"


def _site_run(
    root: Path, run: LoadedRun, rendered: Collection[Path], merged_into: str = ""
) -> SiteRun:
    latest = latest_by_case(run.cases)
    total = len(set(run.record.cases) | set(latest))
    ok = sum(1 for r in latest.values() if r.status == "ok")
    href = relative_href([*run.run_dir.relative_to(root).parts, SITE_PAGE])
    if run.run_dir not in rendered:
        href = ""
    return SiteRun(
        run_id=display.public(run.record.run_id),
        href=href,
        date=display.text(run.record.started_at),
        machine_class=display.machine_class(run.fingerprint),
        devices=", ".join(run.record.devices),
        tf_version=display.tf_version(run.fingerprint, run.record) or "unknown",
        status=run.record.status,
        status_css=_status_css(run.record.status),
        gpu_status=_gpu_status(run),
        cells=f"{ok} / {total}",
        merged_into=display.public(merged_into),
    )


def merged_shards(runs: Sequence[LoadedRun]) -> dict[str, str]:
    """Run id of each shard that a merged run among ``runs`` holds -> that merged run's id.

    The shards stay listed (their pages show what each machine did) but their cells are the
    merged run's: counted once, in the trends and the regressions, through the merged run."""
    out: dict[str, str] = {}
    for run in runs:
        for entry in run.record.merged_from:
            shard = entry.get("run_id")
            if isinstance(shard, str) and shard != run.record.run_id:
                out[shard] = run.record.run_id
    return out


def _headline_batch(runs: Sequence[LoadedRun], workload: str, device: str) -> int | None:
    """The batch size measured by most runs (the smallest on a tie): the trend's headline."""
    counts: Counter[int] = Counter()
    for run in runs:
        counts.update(
            {
                r.batch_size
                for r in run.cases
                if r.workload == workload and r.device == device and r.status == "ok"
            }
        )
    if not counts:
        return None
    return min(counts, key=lambda b: (-counts[b], b))


def _model_sha(r: CaseResult) -> str:
    """A user model's identity (short sha256): a changed model starts a trend of its own."""
    return str((r.model or {}).get("sha256") or "")[:12]


def _trend_charts(runs: Sequence[LoadedRun]) -> list[Chart]:
    """One chart per machine class x workload x device at the headline batch, a line per mode."""
    by_class: dict[str, list[LoadedRun]] = defaultdict(list)
    for run in runs:
        by_class[display.machine_class(run.fingerprint)].append(run)
    charts = []
    for n, (machine, group) in enumerate(sorted(by_class.items())):
        group = sorted(group, key=lambda r: (r.record.started_at, r.record.run_id))
        dates = [r.record.started_at[:10] for r in group]
        keys = sorted({(r.workload, r.device, _model_sha(r)) for run in group for r in run.cases})
        for w, d, sha in keys:
            b = _headline_batch(group, w, d)
            if b is None:
                continue
            lines: dict[str, list[Point]] = defaultdict(list)
            for i, run in enumerate(group):
                for r in latest_by_case(run.cases).values():
                    if (r.workload, r.device, r.batch_size, r.status, _model_sha(r)) == (
                        w,
                        d,
                        b,
                        "ok",
                        sha,
                    ) and r.median_s:
                        lines[r.mode].append(Point(i, r.median_s, r.ci_low_s, r.ci_high_s))
            if not lines:
                continue
            title = f"{w} · {d} · batch {b} on {machine}" + (f" · model {sha}" if sha else "")
            charts.append(
                xy_chart(
                    f"trend-{n}-{w}-{d.replace(':', '')}-b{b}" + (f"-{sha}" if sha else ""),
                    title,
                    f"Median time per call of {w} at batch {b} on {d}, one point per run of this "
                    f"machine class ({len(group)} run(s), oldest left), with 95 % CI bars.",
                    [
                        Series(m, tuple(p), MODE_COLORS.get(m, ""))
                        for m, p in sorted(lines.items(), key=lambda kv: mode_rank(kv[0]))
                    ],
                    x_label="run (start date)",
                    y_label="time per call",
                    x_fmt=functools.partial(_date_at, dates),
                    y_fmt=fmt_seconds,
                    log_x=False,
                    x_zero=False,
                )
            )
    return charts


def _date_at(dates: Sequence[str], x: float) -> str:
    i = round(x)
    return dates[i] if abs(x - i) < 1e-9 and 0 <= i < len(dates) else ""


def _regressions(runs: Sequence[LoadedRun], threshold: float) -> list[MachineRegressions]:
    by_class: dict[str, list[LoadedRun]] = defaultdict(list)
    for run in runs:
        by_class[display.machine_class(run.fingerprint)].append(run)
    out = []
    for machine, group in sorted(by_class.items()):
        if len(group) < 2:
            continue
        prev, last = sorted(group, key=lambda r: (r.record.started_at, r.record.run_id))[-2:]
        cmp = compare_loaded(prev, last, threshold)
        out.append(MachineRegressions(machine, cmp, cmp.regressions))
    return out


def build_site_view(
    root: Path,
    runs: Sequence[LoadedRun],
    *,
    skipped: Sequence[str] = (),
    rendered: Collection[Path] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    generated_at: str = "",
    history: HistoryMarks | None = None,
) -> SiteView:
    """``rendered``: the run directories that have a page (None: all of them)."""
    have = {r.run_dir for r in runs} if rendered is None else rendered
    ordered = sorted(runs, key=lambda r: (r.record.started_at, r.record.run_id), reverse=True)
    shards = merged_shards(runs)
    counted = [r for r in runs if r.record.run_id not in shards]
    return SiteView(
        runs=tuple(_site_run(root, r, have, shards.get(r.record.run_id, "")) for r in ordered),
        trends=tuple(_trend_charts(counted)),
        regressions=tuple(_regressions(counted, threshold)),
        skipped=tuple(skipped),
        generated_at=generated_at,
        history=history,
    )


def render_site(
    root: Path, *, threshold: float = DEFAULT_THRESHOLD, generated_at: str | None = None
) -> Path:
    """Write ``root/index.html`` over every readable run under ``root``; return its path.

    Only into a reports root graphbench made (:func:`refusal`): a ConfigError otherwise.
    """
    _check_root(root)
    runs, skipped = [], []
    for d in find_run_dirs(root):
        try:
            runs.append(load_run(d))
        except ResultsError as exc:
            rel = d.relative_to(root).as_posix()
            message = exc.message.replace(str(d), rel).replace(str(d.absolute()), rel)
            skipped.append(f"{rel}: {display.public(message)}")
    return write_site(root, runs, skipped=skipped, threshold=threshold, generated_at=generated_at)


def write_site(
    root: Path,
    runs: Sequence[LoadedRun],
    *,
    skipped: Sequence[str] = (),
    threshold: float = DEFAULT_THRESHOLD,
    generated_at: str | None = None,
    history: HistoryMarks | None = None,
) -> Path:
    """Write ``root/index.html`` over runs already loaded (their directories under ``root``).

    The same rule as :func:`render_site`: only into a marked root, never over a foreign page.
    """
    from benchmarks import __version__
    from benchmarks.report.render import environment

    _check_root(root)
    view = build_site_view(
        root,
        runs,
        skipped=skipped,
        rendered={r.run_dir for r in runs if (r.run_dir / SITE_PAGE).is_file()},
        threshold=threshold,
        generated_at=utc_stamp() if generated_at is None else generated_at,
        history=history,
    )
    html = environment().get_template("site.html.j2").render(s=view, version=__version__)
    page = root / SITE_PAGE
    write_text_atomic(page, html, durable=False)
    return page
