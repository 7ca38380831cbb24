"""The Markdown that ``publish`` appends to ``$GITHUB_STEP_SUMMARY`` under GitHub Actions.

Pure text. Cell text is escaped for a Markdown table (``|``, backticks, angle brackets): the
case ids and machine names come from the data, and a job summary renders HTML.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.analysis import format_seconds
from benchmarks.history.detect import Regression, Settings
from benchmarks.history.series import Break, group_breaks

MAX_ROWS = 50


def _cell(text: str) -> str:
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")
    return out.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def markdown(
    *,
    published: Sequence[str],
    runs_in_history: int,
    regressions: Sequence[Regression],
    breaks: Sequence[Break],
    skipped: Sequence[str],
    settings: Settings,
    site_url: str = "",
) -> str:
    lines = ["## graphbench history", ""]
    lines.append(
        f"Published {len(published)} run(s); the history holds {runs_in_history} run(s). "
        f"Detection: `{settings.method}`, practical threshold {settings.threshold:.0%}."
    )
    if site_url:
        lines.append(f"Site: {site_url}")
    lines.append("")
    if regressions:
        lines += [
            f"### {len(regressions)} regression(s)",
            "",
            "| cell | machine | before | after | ratio | run |",
            "|---|---|---:|---:|---:|---|",
        ]
        for r in regressions[:MAX_ROWS]:
            lines.append(
                f"| {_cell(r.key.case_id)} | {_cell(r.key.machine)} | "
                f"{format_seconds(r.before)} | {format_seconds(r.after)} | {r.ratio:.2f}x | "
                f"{_cell(r.before_run_id)} → {_cell(r.run_id)} |"
            )
        if len(regressions) > MAX_ROWS:
            lines.append(f"| … {len(regressions) - MAX_ROWS} more in regressions.json | | | | | |")
    else:
        lines.append("No regression.")
    if breaks:
        lines += ["", f"### {len(breaks)} series break(s) (not compared across)", ""]
        for g in group_breaks(breaks)[:MAX_ROWS]:
            lines.append(
                f"- {_cell(g.machine)} from run {_cell(g.run_id)}: {_cell(g.changes)} "
                f"({len(g.case_ids)} cell(s): {_cell(', '.join(g.case_ids))})"
            )
    if skipped:
        lines += ["", f"### {len(skipped)} run(s) in the history could not be read", ""]
        lines += [f"- {_cell(s)}" for s in skipped[:MAX_ROWS]]
    return "\n".join(lines) + "\n"
