"""The terminal wording of a diagnosis (pure text; the HTML report renders the JSON itself)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from benchmarks.doctor.findings import Finding

MAX_EVIDENCE_CHARS = 300


def render_text(findings: Sequence[Finding], *, width: int = 100) -> str:
    """One block per finding, most likely first: title, cause, evidence, fix."""
    lines: list[str] = []
    for i, f in enumerate(findings, start=1):
        lines.append(f"{i}. [{f.confidence}] {f.title}  ({f.code})")
        lines += textwrap.wrap(
            f.explanation, width, initial_indent="   cause: ", subsequent_indent="          "
        )
        for ev in f.evidence:
            if len(ev) > MAX_EVIDENCE_CHARS:
                ev = ev[: MAX_EVIDENCE_CHARS - 3] + "..."
            lines.append(f"   evidence: {ev}")
        lines += textwrap.wrap(
            f.fix, width, initial_indent="   fix:   ", subsequent_indent="          "
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def skip_reason(findings: Sequence[Finding]) -> str:
    """The reason GPU cells are skipped with: the top finding's title and code."""
    if not findings:
        return "GPU unavailable (no diagnosis)"
    top = findings[0]
    return f"GPU unavailable: {top.title} ({top.code})"
