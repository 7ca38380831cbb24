"""Accuracy of the GPU doctor on its labelled sets: hand-written, real tune, test and hold-outs.

Usage: python scripts/corpus_accuracy.py [--sets SET,...] [--verbose [--misses SET ...]] [--json]

Per set it prints top-1 and top-3 (a hit when the ranked code is the label or one of the entry's
``also`` alternatives), how many healthy starts were called a failure (top-1 not ``healthy``) and
how many failures were called healthy (top-1 ``healthy`` where ``healthy`` is not acceptable).

Sets:
- ``hand``: tests/data/logs (written from the message formats), read with its fingerprint and
  probe context where the manifest gives them, as the doctor sees them in a run;
- ``hand-log``: the same logs alone;
- ``tune`` / ``test`` / ``holdout`` ... ``holdout13``: the real logs of tests/data/logs_real, log
  text alone (their ``context`` is prose for people, not probe facts).

``--sets`` (comma-separated, default all) picks the sets to load and score; a set that is not
named is never read, so ``--sets hand,hand-log,tune`` tunes rules without running the doctor on
the held-out logs or printing their figures.

``--verbose`` lists the misses of the sets named by ``--misses`` (default: every set scored).
Since round 2 the old ``test`` split is development data like ``tune``; ``holdout`` was collected
after round 2 and scored once, by the lead, on the frozen round-2 rules, and is development data
since; ``holdout2`` was collected after round 2 by helpers who never read the rules, scored once
on the frozen round-3 rules, and is development data since round 4; ``holdout3``, collected
after round 3 the same way, was scored once on the frozen round-4 rules and is development data
since round 5 (the text model is trained on it); ``holdout4``, collected after round 4 by
helpers who read neither the rules nor the text model, was scored once on the frozen round-5
doctor and is development data since round 6; ``holdout5``, collected the same way after round
5, was scored once on the frozen round-6 doctor and is development data since round 7;
``holdout6``, collected the same way after round 6, was scored once on the frozen round-7
doctor and is development data since round 8; ``holdout7``, collected the same way after round
8, was scored once on the round-8 doctor and is development data since round 9; ``holdout8``,
collected the same way after round 9, was scored once on the round-9 doctor and is
development data since round 10; ``holdout9``, collected the same way after round 10, was scored
once on the round-10 doctor with the generic success reader and is development data since;
``holdout10``, collected the same way after round 11, was scored once on the round-11 doctor and
is development data since round 12; ``holdout11``, collected the same way after round 12, was
scored once on the round-12 doctor and is development data since; ``holdout12``, collected the
same way while round 14 was written, was scored once on the round-14 doctor and is development
data since; ``holdout13``, collected the same way while round 15 was written, was scored once on
the round-15 doctor and is development data since (tests/data/logs_real/README.md).
``scripts/doctor_cv.py`` gives the cross-validated figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import split_real_logs as split  # noqa: E402

from benchmarks.doctor import diagnose  # noqa: E402

DATA = ROOT / "tests" / "data"
HEALTHY = "healthy"
SETS = ("hand", "hand-log", *split.SPLITS)


@dataclass(frozen=True)
class Case:
    """One labelled log: what is acceptable and what the doctor ranked."""

    name: str
    label: str
    accepted: frozenset[str]
    ranked: tuple[str, ...]


@dataclass
class Score:
    name: str
    n: int = 0
    top1: int = 0
    top3: int = 0
    healthy_called_failure: int = 0
    failure_called_healthy: int = 0
    misses: list[str] = field(default_factory=list)


def score(name: str, cases: Iterable[Case]) -> Score:
    """Pure: the figures for one set."""
    result = Score(name)
    for case in cases:
        result.n += 1
        first = case.ranked[0] if case.ranked else None
        hit1 = first in case.accepted
        result.top1 += hit1
        result.top3 += any(code in case.accepted for code in case.ranked[:3])
        if case.label == HEALTHY and first != HEALTHY and not hit1:
            result.healthy_called_failure += 1
        if first == HEALTHY and HEALTHY not in case.accepted:
            result.failure_called_healthy += 1
        if not hit1:
            result.misses.append(f"  {case.name}: label {case.label}, got {list(case.ranked[:3])}")
    return result


def _codes(text: str, fingerprint: Any = None, context: Any = None) -> tuple[str, ...]:
    return tuple(f.code for f in diagnose(text, fingerprint, context=context))


def hand_cases(*, with_facts: bool) -> list[Case]:
    manifest = json.loads((DATA / "logs" / "manifest.json").read_text(encoding="utf-8"))
    cases = []
    for entry in manifest:
        text = (DATA / "logs" / entry["log"]).read_text(encoding="utf-8")
        fingerprint = context = None
        if with_facts:
            if entry.get("fingerprint"):
                fp_path = DATA / "fingerprints" / entry["fingerprint"]
                fingerprint = json.loads(fp_path.read_text(encoding="utf-8"))
            context = entry.get("context")
        label = entry["expected"]
        ranked = _codes(text, fingerprint, context)
        cases.append(Case(entry["log"], label, frozenset({label}), ranked))
    return cases


def real_cases(split: str) -> list[Case]:
    corpus = DATA / "logs_real"
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    cases = []
    for entry in manifest:
        if entry["split"] != split:
            continue
        text = (corpus / entry["file"]).read_text(encoding="utf-8")
        accepted = frozenset({entry["label"], *entry["also"]})
        cases.append(Case(entry["id"], entry["label"], accepted, _codes(text)))
    return cases


LOADERS: dict[str, Callable[[], list[Case]]] = {
    "hand": partial(hand_cases, with_facts=True),
    "hand-log": partial(hand_cases, with_facts=False),
    **{name: partial(real_cases, name) for name in split.SPLITS},
}


def parse_sets(text: str) -> tuple[str, ...]:
    """``hand,tune`` -> ("hand", "tune") in the order of SETS; unknown names are a usage error."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SETS))
    if unknown or not names:
        known = ",".join(SETS)
        raise argparse.ArgumentTypeError(f"unknown set(s) {','.join(unknown)!r}; known: {known}")
    return tuple(name for name in SETS if name in names)


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} = {k / n:.0%}" if n else "0/0"


def render(scores: Sequence[Score]) -> str:
    lines = [
        f"{'set':9} {'top-1':>14} {'top-3':>14} {'healthy->failure':>17} {'failure->healthy':>17}"
    ]
    for s in scores:
        lines.append(
            f"{s.name:9} {_pct(s.top1, s.n):>14} {_pct(s.top3, s.n):>14} "
            f"{s.healthy_called_failure:>17} {s.failure_called_healthy:>17}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets",
        type=parse_sets,
        default=SETS,
        metavar="SET,SET,...",
        help=f"sets to score, comma-separated (default: {','.join(SETS)})",
    )
    parser.add_argument("--verbose", action="store_true", help="list the misses too")
    parser.add_argument("--misses", nargs="*", choices=SETS, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    scores = [score(name, LOADERS[name]()) for name in args.sets]
    if args.json:
        print(json.dumps([{k: v for k, v in asdict(s).items() if k != "misses"} for s in scores]))
        return 0
    print(render(scores))
    for s in scores:
        if args.verbose and (args.misses is None or s.name in args.misses) and s.misses:
            print(f"\nmisses in {s.name}:")
            print("\n".join(s.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
