"""Fold the text model's ranking (textmodel.py) into the rules' ranked candidates.

Pure. The rules stay in charge: a class the text model proposes never outranks a rule's
candidate, with one exception: when no rule placed the log (its top is ``unexplained``) and
the model is sure (posterior at least ``SURE``), its first failure class is ranked first, at
``Level.POSSIBLE``, with ``unexplained`` kept just below it. Otherwise the model's classes are
only listed after every rule's candidate (at ``LISTED``, low confidence), so a user reading past
the rules' answer sees what logs with the same words turned out to be. ``healthy`` is never
proposed by the model (only a success line says that a GPU came up), a log the rules call
healthy gets no proposals (a start that came up needs no cause), and a class a rule ruled out
on a fact is never proposed again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.textmodel import TextModel

SURE = 0.9  # posterior from which the model's class goes above ``unexplained``
TAKEN = 3  # how many of the model's classes are listed
LISTED = Level.DOUBTFUL.step_down(5)  # low confidence; listed after every rule's candidate
WORDS = 4  # words quoted as the evidence of a proposed class


def combine(
    ranked: Sequence[Candidate],
    model: TextModel,
    feats: frozenset[str],
    *,
    excluded: frozenset[Code] = frozenset(),
    sure: float = SURE,
) -> list[Candidate]:
    """``ranked`` (the rules' order) with the model's classes folded in as described above;
    a class in ``excluded`` (one a rule ruled out on a fact) is never proposed."""
    out = list(ranked)
    if not out or out[0].code is Code.HEALTHY:
        return out  # a start that came up needs no cause
    skip = excluded | {c.code for c in out}
    proposals: list[tuple[Code, float, list[str]]] = []
    for code, p in model.rank_features(feats):
        if len(proposals) == TAKEN:
            break
        words = telling_words(model, feats, code) if code.is_failure and code not in skip else []
        if words:  # a class no word of the log favours is no proposal
            proposals.append((code, p, words))
    for n, (code, p, words) in enumerate(proposals):
        evidence = (f"words of real {code.value} logs (posterior {p:.2f}): {_quoted(words)}",)
        if n == 0 and out[0].code is Code.UNEXPLAINED and p >= sure:
            out.insert(0, Candidate(code, int(Level.POSSIBLE) + 1, evidence, _note(True)))
        else:
            out.append(Candidate(code, int(LISTED) - n, evidence, _note(False)))
    return out


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def _note(first: bool) -> str:
    if first:
        return (
            "No rule names a message of this log; its words are those of real logs of this class."
        )
    return "Listed because the log's words resemble real logs of this class."


def telling_words(model: TextModel, feats: frozenset[str], code: Code) -> list[str]:
    """The log's features that favour ``code`` most over the other classes (at most WORDS)."""
    i = model.classes.index(code)
    rows = [(f, row) for f in feats if (row := model.counts.get(f)) is not None and row[i]]
    if not rows:
        return []
    size = len(model.counts)
    logs = [math.log(t + model.alpha * size) for t in model.totals]
    lift: list[tuple[float, str]] = []
    for feat, row in rows:
        mine = math.log(row[i] + model.alpha) - logs[i]
        others = [math.log(n + model.alpha) - logs[j] for j, n in enumerate(row) if j != i]
        lift.append((mine - max(others), feat))
    lift.sort(key=lambda x: (-x[0], x[1]))
    return [feat for gain, feat in lift[:WORDS] if gain > 0]
