"""Cross-validated accuracy of the doctor's text model, alone and folded into the rules.

Usage: python scripts/doctor_text_cv.py [--folds K] [--seed S] [--sure P] [--json]

Folds are grouped by thread (two logs of one thread never sit in different folds) and drawn
from every log of ``doctor_text_train.TRAIN_SETS``. For each fold a model is trained on the
other folds and each held-out log is ranked three ways:

- ``rules``: the rules alone (``rulebook.ranked_by_rules``);
- ``text``: the fold's text model alone (its failure classes and ``healthy``);
- ``both``: the rules with the fold's model folded in (``similar.combine``, as ``diagnose``).

The rules were written while reading most of these logs, so ``rules`` and ``both`` are
optimistic for them; the text model's share of ``both`` is honest (it never saw the held-out
fold). Figures per source set: top-1, top-3, healthy called failure, failure called healthy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import doctor_text_train as training  # noqa: E402

from benchmarks.doctor import rulebook, similar, textmodel  # noqa: E402

HEALTHY = "healthy"


def _fold(thread: str, folds: int, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}:{thread}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % folds


def evaluate(folds: int, seed: int, sure: float) -> dict[str, Any]:
    manifest = json.loads((training.CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest if e["split"] in training.TRAIN_SETS]
    found, _ = training.examples()
    texts = [(training.CORPUS / e["file"]).read_text(encoding="utf-8") for e in entries]
    rules = [rulebook.ranked_by_rules(t) for t in texts]
    which = [_fold(e["source_url"], folds, seed) for e in entries]
    tallies: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 5))
    for k in range(folds):
        model = textmodel.train([ex for ex, f in zip(found, which, strict=True) if f != k])
        for i, entry in enumerate(entries):
            if which[i] != k:
                continue
            accepted = {entry["label"], *entry["also"]}
            ranked_rules = [c.code.value for c in rules[i]]
            text_only = [c.value for c, _ in model.rank_features(found[i].features)]
            both = similar.combine(rules[i], model, found[i].features, sure=sure)
            ranked_both = [c.code.value for c in both[: rulebook.MAX_FINDINGS]]
            for name, ranked in (
                ("rules", ranked_rules),
                ("text", text_only),
                ("both", ranked_both),
            ):
                for key in (entry["split"], "all"):
                    _tally(tallies[name][key], ranked, accepted, entry["label"])
    return {name: dict(per) for name, per in tallies.items()}


def _tally(row: list[int], ranked: list[str], accepted: set[str], label: str) -> None:
    first = ranked[0] if ranked else None
    row[0] += 1
    row[1] += first in accepted
    row[2] += any(c in accepted for c in ranked[:3])
    row[3] += label == HEALTHY and first not in accepted
    row[4] += first == HEALTHY and HEALTHY not in accepted


def render(result: dict[str, Any]) -> str:
    lines = [f"{'way':6} {'set':9} {'n':>4} {'top-1':>7} {'top-3':>7} {'h->f':>5} {'f->h':>5}"]
    for name, per in result.items():
        for key in (*training.TRAIN_SETS, "all"):
            if key not in per:
                continue
            n, t1, t3, hf, fh = per[key]
            lines.append(
                f"{name:6} {key:9} {n:>4} {100 * t1 / n:>6.0f}% {100 * t3 / n:>6.0f}% "
                f"{hf:>5} {fh:>5}"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sure", type=float, default=similar.SURE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = evaluate(args.folds, args.seed, args.sure)
    print(json.dumps(result, indent=1) if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
