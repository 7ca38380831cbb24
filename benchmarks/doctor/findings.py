"""The values the doctor produces: a ranked ``Finding`` per plausible cause.

A rule proposes a ``Candidate`` (code, score, evidence, note); the engine ranks candidates and
turns them into ``Finding`` values with the catalog's title, explanation and fix, so that the
wording of a class lives in one place and the rules stay short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from benchmarks.doctor.codes import HIGH_FROM, MEDIUM_FROM, Code

Confidence = Literal["high", "medium", "low"]
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One explained cause: what, how sure, the exact lines/facts used, why, and what to do."""

    code: str
    title: str
    confidence: Confidence
    evidence: tuple[str, ...]
    explanation: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "explanation": self.explanation,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Candidate:
    """A rule's proposal. ``score`` (a ``codes.Level``, or just below one in an ordered
    checklist) ranks it; ``note`` adds case-specific explanation (for instance which fact would
    settle an ambiguous message)."""

    code: Code
    score: int
    evidence: tuple[str, ...] = ()
    note: str = ""


def confidence_for(score: int) -> Confidence:
    if score >= HIGH_FROM:
        return "high"
    if score >= MEDIUM_FROM:
        return "medium"
    return "low"


def to_json_document(findings: Sequence[Finding]) -> dict[str, Any]:
    """The ``diagnosis.json`` document (shared contract, see BRIEF/DESIGN)."""
    return {"schema_version": SCHEMA_VERSION, "findings": [f.to_dict() for f in findings]}


def fact(path: str, value: object) -> str:
    """Evidence quoting the fingerprint: ``nvidia.gpus[0].compute_mode = Exclusive_Process``."""
    return f"{path} = {value}"


def checklist(
    top: int, evidence: tuple[str, ...], steps: Sequence[tuple[Code, str]]
) -> list[Candidate]:
    """Candidates for a message with several causes, in the order to check them: the first at
    ``top``, each next one a step below, each with the note that says which fact settles it."""
    return [Candidate(code, int(top) - i, evidence, note) for i, (code, note) in enumerate(steps)]
