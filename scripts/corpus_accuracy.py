"""Top-1 / top-3 accuracy of the GPU doctor on the labelled corpus in tests/data/logs.

Usage: python scripts/corpus_accuracy.py [--verbose]
Two passes: the log alone, then the log with its fingerprint and probe context (where the
manifest gives them). Misses are listed so a rule change shows what it broke.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.doctor import diagnose  # noqa: E402

DATA = ROOT / "tests" / "data"


def load_manifest() -> list[dict[str, Any]]:
    data = json.loads((DATA / "logs" / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def ranked(entry: dict[str, Any], *, with_facts: bool) -> list[str]:
    text = (DATA / "logs" / entry["log"]).read_text(encoding="utf-8")
    fingerprint = context = None
    if with_facts:
        if entry.get("fingerprint"):
            fp_path = DATA / "fingerprints" / entry["fingerprint"]
            fingerprint = json.loads(fp_path.read_text(encoding="utf-8"))
        context = entry.get("context")
    return [f.code for f in diagnose(text, fingerprint, context=context)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    manifest = load_manifest()
    for with_facts in (False, True):
        top1 = top3 = 0
        misses: list[str] = []
        for entry in manifest:
            codes = ranked(entry, with_facts=with_facts)
            hit1 = codes[:1] == [entry["expected"]]
            hit3 = entry["expected"] in codes[:3]
            top1 += hit1
            top3 += hit3
            if not hit1:
                misses.append(f"  {entry['log']}: expected {entry['expected']}, got {codes[:3]}")
        n = len(manifest)
        label = "log + fingerprint/context" if with_facts else "log alone"
        print(f"{label:26} top-1 {top1}/{n} = {top1 / n:.0%}   top-3 {top3}/{n} = {top3 / n:.0%}")
        if args.verbose and misses:
            print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
