"""Run every rule, merge and rank their candidates, and word them as findings.

Pure: text and mappings in, findings out, so the same log and fingerprint always give the same
diagnosis and the tests run in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks.doctor import rules_container, rules_device, rules_memory, rules_platform
from benchmarks.doctor.catalog import CATALOG, ORDER
from benchmarks.doctor.findings import Candidate, Finding, confidence_for
from benchmarks.doctor.logscan import ScannedLog, quote
from benchmarks.doctor.signals import (
    created_device_lines,
    probe_gpu_failed_lines,
    probe_gpu_ok_lines,
)
from benchmarks.environment.view import FingerprintView

MIN_SCORE = 12
MAX_FINDINGS = 6
RULES = rules_platform.RULES + rules_container.RULES + rules_memory.RULES + rules_device.RULES


def _merge(candidates: list[Candidate]) -> list[Candidate]:
    by_code: dict[str, Candidate] = {}
    for cand in candidates:
        old = by_code.get(cand.code)
        if old is None:
            by_code[cand.code] = cand
            continue
        best, other = (cand, old) if cand.score > old.score else (old, cand)
        evidence = tuple(dict.fromkeys(best.evidence + other.evidence))
        note = best.note or other.note
        by_code[cand.code] = Candidate(best.code, best.score, evidence, note)
    return list(by_code.values())


def _health(log: ScannedLog, failures: list[Candidate]) -> Candidate | None:
    created = created_device_lines(log)
    ok = probe_gpu_ok_lines(log)
    if not (created or ok) or probe_gpu_failed_lines(log):
        return None
    strong_failure = any(c.score >= 45 for c in failures)
    score = 50 if strong_failure else 85
    return Candidate("healthy", score, quote(created + ok))


def _unexplained(log: ScannedLog) -> Candidate:
    problems = probe_gpu_failed_lines(log) + log.problems()
    evidence = quote(sorted(set(problems), key=lambda ln: ln.number), limit=5)
    if not evidence:
        evidence = ("no GPU device was created and no known failure signature was found",)
    return Candidate("unexplained", 50, evidence)


def diagnose(
    log_text: str,
    fingerprint: Mapping[str, Any] | None = None,
    *,
    context: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Explain a GPU start from its log (and, when given, the fingerprint and probe context).

    Returns findings ranked most likely first; never empty: ``healthy`` or ``unexplained`` when
    no failure class applies.
    """
    log = ScannedLog(log_text)
    facts = FingerprintView(fingerprint, context)
    candidates = _merge([c for rule in RULES for c in rule(log, facts)])
    failures = [c for c in candidates if c.score >= MIN_SCORE]
    health = _health(log, failures)
    if health is not None:
        failures.append(health)
    elif not any(c.score >= 45 for c in failures):
        failures.append(_unexplained(log))
    failures = _merge(failures)
    failures.sort(key=lambda c: (-c.score, ORDER.index(c.code)))
    return [_finding(c) for c in failures[:MAX_FINDINGS]]


def _finding(cand: Candidate) -> Finding:
    entry = CATALOG[cand.code]
    explanation = entry.explanation + (f" {cand.note}" if cand.note else "")
    return Finding(
        code=cand.code,
        title=entry.title,
        confidence=confidence_for(cand.score),
        evidence=cand.evidence,
        explanation=explanation,
        fix=entry.fix,
    )
