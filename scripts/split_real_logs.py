"""Seeded, stratified tune/test split of the real GPU-start logs in tests/data/logs_real.

Usage:
    python scripts/split_real_logs.py            # apply the draw: set "split"/"file", move files
    python scripts/split_real_logs.py --check    # exit 1 if the manifest differs from the draw
    python scripts/split_real_logs.py --table    # print the per-class counts as a Markdown table

Entries whose ``split`` is a hold-out set (``holdout``, collected after round 1; ``holdout2``,
collected after round 2, ``holdout3``, after round 3, by helpers who never read the rules, and
``holdout4`` ... ``holdout13``, after rounds 4, 5, 6, 8, 9, 10, 11, 12, 14 and 15, by helpers
who never read the rules or the text model) are not part of the draw: the script never moves
them, leaves them out of the per-label shuffle (so the tune/test assignment is exactly what it
was before they were added), and ``--check`` only verifies that their ``file`` is
``<set>/<id>.log`` and that no source URL is shared between the sets.

The draw, per label (the manifest's ``label``): sort the ids, shuffle them with
``random.Random(f"{SEED}:{label}")`` and send the first ``ceil(TEST_FRACTION * n)`` to ``test``
(none when the class has a single log). Seeding per label keeps each class's draw independent of
the others, so adding a log to one class never moves a log of another class. Because of the
ceiling, every class with at least two logs has at least one test log, and the test share is at
least ``TEST_FRACTION`` of the classes that have two or more logs.

Only the standard library; it reads and writes nothing outside tests/data/logs_real.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "logs_real"
MANIFEST = CORPUS / "manifest.json"
SEED = 20261201
TEST_FRACTION = 0.25
# Hold-out sets: collected, never drawn, one per measurement. SCORED ones were scored once on
# frozen code and are development data since (the text model trains on them); a new set goes to
# PENDING until its one scoring. The one home of the set names: the scorer and the trainer read
# them from here.
SCORED = (
    "holdout",
    "holdout2",
    "holdout3",
    "holdout4",
    "holdout5",
    "holdout6",
    "holdout7",
    "holdout8",
    "holdout9",
    "holdout10",
    "holdout11",
    "holdout12",
    "holdout13",
)
PENDING: tuple[str, ...] = ()
HOLDOUTS = (*SCORED, *PENDING)
SPLITS = ("tune", "test", *HOLDOUTS)


def test_count(n: int) -> int:
    """How many of a class's ``n`` logs go to the test split."""
    return 0 if n < 2 else math.ceil(TEST_FRACTION * n)


def is_holdout(entry: dict[str, Any]) -> bool:
    return entry.get("split") in HOLDOUTS


def draw(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Map every drawn id to tune/test; pure and deterministic for a given set of (id, label).

    Hold-out entries are skipped, so adding them never moves a tune or test log.
    """
    by_label: dict[str, list[str]] = {}
    for entry in entries:
        if is_holdout(entry):
            continue
        by_label.setdefault(entry["label"], []).append(entry["id"])
    split: dict[str, str] = {}
    for label, ids in sorted(by_label.items()):
        order = sorted(ids)
        random.Random(f"{SEED}:{label}").shuffle(order)
        k = test_count(len(order))
        for i, entry_id in enumerate(order):
            split[entry_id] = "test" if i < k else "tune"
    return split


def load() -> list[dict[str, Any]]:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise SystemExit(f"error: {MANIFEST} is not a JSON list")
    return data


def apply(entries: list[dict[str, Any]]) -> int:
    """Set split and file per the draw and move the log files; returns how many moved."""
    split = draw(entries)
    moved = 0
    for entry in entries:
        if is_holdout(entry):
            continue
        want = split[entry["id"]]
        new_rel = f"{want}/{entry['id']}.log"
        old = CORPUS / entry["file"]
        new = CORPUS / new_rel
        if old != new:
            new.parent.mkdir(parents=True, exist_ok=True)
            old.rename(new)
            moved += 1
        entry["split"] = want
        entry["file"] = new_rel
    entries.sort(key=lambda e: (e["label"], e["id"]))
    MANIFEST.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return moved


def mismatches(entries: list[dict[str, Any]]) -> list[str]:
    split = draw(entries)
    bad = []
    for entry in entries:
        if is_holdout(entry):
            if entry.get("file") != f"{entry['split']}/{entry['id']}.log":
                bad.append(
                    f"{entry['id']}: a hold-out log must be {entry['split']}/{entry['id']}.log"
                )
            continue
        want = split[entry["id"]]
        if entry.get("split") != want or entry.get("file") != f"{want}/{entry['id']}.log":
            bad.append(f"{entry['id']}: manifest says {entry.get('split')}, draw says {want}")
    bad.extend(shared_sources(entries))
    return bad


def shared_sources(entries: list[dict[str, Any]]) -> list[str]:
    """Source threads that a hold-out set shares with the drawn splits or another hold-out set
    (must be none)."""
    drawn = {e["source_url"] for e in entries if not is_holdout(e)}
    sets: dict[str, set[str]] = {}
    for e in entries:
        if is_holdout(e):
            sets.setdefault(e["source_url"], set()).add(e["split"])
    return [
        f"{e['id']}: hold-out log from a thread already in another split: {e['source_url']}"
        for e in entries
        if is_holdout(e) and (e["source_url"] in drawn or len(sets[e["source_url"]]) > 1)
    ]


def table(entries: list[dict[str, Any]]) -> str:
    counts = Counter((e["label"], e["split"]) for e in entries)
    labels = sorted({e["label"] for e in entries})
    lines = [f"| class | {' | '.join(SPLITS)} | total |", "|---|" + "---:|" * (len(SPLITS) + 1)]
    for label in labels:
        row = [counts[(label, split)] for split in SPLITS]
        cells = " | ".join(str(n) for n in row)
        lines.append(f"| `{label}` | {cells} | {sum(row)} |")
    totals = [sum(1 for e in entries if e["split"] == split) for split in SPLITS]
    cells = " | ".join(str(n) for n in totals)
    lines.append(f"| **all** | {cells} | {len(entries)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="verify, change nothing")
    group.add_argument("--table", action="store_true", help="print per-class counts")
    args = parser.parse_args()
    entries = load()
    if args.check:
        bad = mismatches(entries)
        n_drawn = sum(1 for e in entries if not is_holdout(e))
        ok = f"ok: {n_drawn} logs follow the seeded draw, {len(entries) - n_drawn} held out"
        print("\n".join(bad) if bad else ok)
        return 1 if bad else 0
    if args.table:
        print(table(entries))
        return 0
    moved = apply(entries)
    n_tune, n_test, n_hold = (sum(1 for e in entries if e["split"] == s) for s in SPLITS)
    print(f"{len(entries)} logs: {n_tune} tune, {n_test} test, {n_hold} holdout ({moved} moved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
