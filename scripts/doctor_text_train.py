"""Train the GPU doctor's text model (benchmarks/doctor/textmodel.py) on the read real logs.

Usage: python scripts/doctor_text_train.py [--check]

Reads the real logs of ``TRAIN_SETS`` (tests/data/logs_real, every split that has been read)
and writes ``benchmarks/doctor/textmodel.json``. A hold-out set that has not been scored yet is
never in ``TRAIN_SETS``. ``--check`` writes nothing and exits 1 when the packaged model is not
what training gives today (the unit tests run the same comparison).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import split_real_logs as split  # noqa: E402

from benchmarks.doctor import textmodel  # noqa: E402
from benchmarks.doctor.codes import Code  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "logs_real"
OUT = ROOT / "benchmarks" / "doctor" / textmodel.MODEL_FILE
TRAIN_SETS = ("tune", "test", *split.SCORED)  # never a hold-out set still to be scored


def examples(sets: tuple[str, ...] = TRAIN_SETS) -> tuple[list[textmodel.Example], str]:
    """The labelled examples of ``sets`` and a digest of the entries and log bytes read."""
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256()
    out = []
    for entry in manifest:
        if entry["split"] not in sets:
            continue
        raw = (CORPUS / entry["file"]).read_bytes()
        digest.update(entry["id"].encode() + b"\0" + entry["label"].encode() + b"\0" + raw)
        feats = textmodel.features(raw.decode("utf-8"))
        out.append(textmodel.Example(feats, Code(entry["label"]), entry["source_url"]))
    return out, digest.hexdigest()


def document() -> dict[str, Any]:
    found, digest = examples()
    model = textmodel.train(found)
    trained_on = {"sets": list(TRAIN_SETS), "logs": len(found), "sha256": digest}
    return textmodel.to_document(model, trained_on)


def encode(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = encode(document())
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("packaged text model is current" if same else "packaged text model is stale")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
