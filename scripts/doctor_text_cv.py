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
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import corpus_accuracy as accuracy  # noqa: E402
import doctor_text_train as training  # noqa: E402

from benchmarks.doctor import rulebook, similar, textmodel  # noqa: E402


def _fold(thread: str, folds: int, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}:{thread}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % folds


def evaluate(folds: int, seed: int, sure: float) -> dict[str, dict[str, accuracy.Score]]:
    """Per way (rules, text, both) and source set (and "all"): corpus_accuracy's figures."""
    manifest = json.loads((training.CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest if e["split"] in training.TRAIN_SETS]
    found, _ = training.examples()
    texts = [(training.CORPUS / e["file"]).read_text(encoding="utf-8") for e in entries]
    rules = [rulebook.ranked_by_rules(t) for t in texts]
    which = [_fold(e["source_url"], folds, seed) for e in entries]
    cases: dict[str, dict[str, list[accuracy.Case]]] = defaultdict(lambda: defaultdict(list))
    for k in range(folds):
        model = textmodel.train([ex for ex, f in zip(found, which, strict=True) if f != k])
        for i, entry in enumerate(entries):
            if which[i] != k:
                continue
            accepted = frozenset({entry["label"], *entry["also"]})
            both = similar.combine(rules[i], model, found[i].features, sure=sure)
            ways = {
                "rules": [c.code.value for c in rules[i]],
                "text": [c.value for c, _ in model.rank_features(found[i].features)],
                "both": [c.code.value for c in both[: rulebook.MAX_FINDINGS]],
            }
            for name, ranked in ways.items():
                case = accuracy.Case(entry["id"], entry["label"], accepted, tuple(ranked))
                for key in (entry["split"], "all"):
                    cases[name][key].append(case)
    return {
        name: {key: accuracy.score(f"{name} {key}", per[key]) for key in per}
        for name, per in cases.items()
    }


def render(result: dict[str, dict[str, accuracy.Score]]) -> str:
    order = (*training.TRAIN_SETS, "all")
    return accuracy.render([per[key] for per in result.values() for key in order if key in per])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sure", type=float, default=similar.SURE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = evaluate(args.folds, args.seed, args.sure)
    if args.json:
        figures = {n: {k: asdict(v) | {"misses": len(v.misses)} for k, v in per.items()}
                   for n, per in result.items()}  # fmt: skip
        print(json.dumps(figures, indent=1))
    else:
        print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
