"""Run every registered rule, merge and rank their candidates, and word them as findings.

Pure: text and mappings in, findings out, so the same log and fingerprint always give the same
diagnosis and the tests run in milliseconds. The rules live in ``RULE_MODULES`` and register
themselves with ``registry.rule``; ties between equal scores go to the catalog's order.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from benchmarks.doctor import similar, textmodel
from benchmarks.doctor.catalog import CATALOG, ORDER
from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.families import siblings
from benchmarks.doctor.findings import Candidate, Finding, confidence_for
from benchmarks.doctor.logfacts import gpu_crash_lines
from benchmarks.doctor.logscan import ScannedLog, quote
from benchmarks.doctor.registry import REGISTRY, Rule
from benchmarks.doctor.signals import probe_gpu_failed_lines
from benchmarks.doctor.success import from_diagnostic_tool, success_lines
from benchmarks.doctor.textmodel import TextModel
from benchmarks.environment.view import FingerprintView

RULE_MODULES = (
    "benchmarks.doctor.rules_build",
    "benchmarks.doctor.rules_platform",
    "benchmarks.doctor.rules_container",
    "benchmarks.doctor.rules_memory",
    "benchmarks.doctor.rules_device",
    "benchmarks.doctor.rules_others",
    "benchmarks.doctor.rules_context",
)
MAX_FINDINGS = 6


def rules() -> tuple[Rule, ...]:
    """Every registered rule (importing the rule modules registers them)."""
    for name in RULE_MODULES:
        importlib.import_module(name)
    return tuple(REGISTRY.values())


def _merge(candidates: list[Candidate]) -> list[Candidate]:
    by_code: dict[Code, Candidate] = {}
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
    """``healthy`` at the success lines' level, or capped at POSSIBLE while a failure of a
    known class stands: one that rests on a fact, or on a line after the last success line
    (an error before a clear success was outlived by it; TF went on to use the GPU)."""
    level, ok = success_lines(log)
    if not ok or probe_gpu_failed_lines(log):
        return None
    if level < Level.STRONG and gpu_crash_lines(log, ok[-1].number):
        # A device list or count printed before a crash of the GPU stack says the driver
        # enumerated the GPU, not that the start succeeded: listed, below what explains it.
        return Candidate(Code.HEALTHY, Level.HINT, quote(ok))
    programs = [ln for ln in ok if not from_diagnostic_tool(ln)]
    last_ok = programs[-1].number if level >= Level.CLEAR and programs else 0
    standing = [c for c in failures if c.score >= Level.POSSIBLE and _after(log, c, last_ok)]
    if standing and level < Level.LIKELY:
        return None  # a device enumerated is no answer to a failure that stands
    score = min(level, Level.POSSIBLE) if standing else level
    return Candidate(Code.HEALTHY, score, quote(ok))


def _after(log: ScannedLog, cand: Candidate, line_number: int) -> bool:
    """Whether any of the candidate's evidence is a fact or a line at or after ``line_number``
    (a success line can itself be the evidence: a device created with 69 MB)."""
    where = {ln.text: ln.number for ln in log.lines}
    return any(where.get(ev, line_number) >= line_number for ev in cand.evidence)


def _unexplained(log: ScannedLog) -> Candidate:
    problems = probe_gpu_failed_lines(log) + log.problems()
    evidence = quote(sorted(set(problems), key=lambda ln: ln.number), limit=5)
    if not evidence:
        evidence = ("no GPU device was created and no known failure signature was found",)
    return Candidate(Code.UNEXPLAINED, Level.POSSIBLE, evidence)


def diagnose(
    log_text: str,
    fingerprint: Mapping[str, Any] | None = None,
    *,
    context: Mapping[str, Any] | None = None,
    model: TextModel | None = None,
) -> list[Finding]:
    """Explain a GPU start from its log (and, when given, the fingerprint and probe context).

    Returns findings ranked most likely first; never empty: ``healthy`` or ``unexplained`` when
    no failure class applies. The rules rank first; the text model (``model``, by default the
    packaged one) then adds the classes whose real logs share the log's words (similar.py).
    """
    log = ScannedLog(log_text)
    ranked, ruled_out = _rank(log, FingerprintView(fingerprint, context))
    text_model = textmodel.packaged() if model is None else model
    feats = textmodel.log_features(log)
    ranked = similar.combine(ranked, text_model, feats, excluded=ruled_out)
    return [_finding(c) for c in ranked[:MAX_FINDINGS]]


def ranked_by_rules(
    log_text: str,
    fingerprint: Mapping[str, Any] | None = None,
    *,
    context: Mapping[str, Any] | None = None,
) -> list[Candidate]:
    """The rules' candidates, ranked (their siblings included), before the text model."""
    return _rank(ScannedLog(log_text), FingerprintView(fingerprint, context))[0]


def _rank(log: ScannedLog, facts: FingerprintView) -> tuple[list[Candidate], frozenset[Code]]:
    """The ranked candidates and the classes a rule ruled out (no other reader may list them)."""
    candidates = _merge([c for r in rules() for c in r.run(log, facts)])
    ruled_out = frozenset(c.code for c in candidates if c.score <= Level.RULED_OUT)
    failures = [c for c in candidates if c.score > Level.RULED_OUT]
    health = _health(log, failures)
    if health is not None:
        failures.append(health)
    if not any(c.score >= Level.POSSIBLE for c in failures):  # health included
        failures.append(_unexplained(log))
    failures = _merge(failures)
    failures.sort(key=lambda c: (-c.score, ORDER.index(c.code)))
    return failures + _siblings(failures), ruled_out


def _siblings(ranked: list[Candidate]) -> list[Candidate]:
    """The top failure's siblings (families.py) that no rule proposed, just below every rule's
    candidate: the same lines fit them when the telling fact is not in the log."""
    top = ranked[0] if ranked else None
    if top is None or not top.code.is_failure:
        return []
    listed = {c.code for c in ranked}
    score = Level.DOUBTFUL.step_down(1)
    found = [
        Candidate(code, score, top.evidence, f"Listed as a sibling of {top.code}: {telling}.")
        for code, telling in siblings(top.code)
        if code not in listed
    ]
    return sorted(found, key=lambda c: ORDER.index(c.code))


def _finding(cand: Candidate) -> Finding:
    entry = CATALOG[cand.code]
    explanation = entry.explanation + (f" {cand.note}" if cand.note else "")
    return Finding(
        code=cand.code.value,
        title=entry.title,
        confidence=confidence_for(cand.score),
        evidence=cand.evidence,
        explanation=explanation,
        fix=entry.fix,
    )
