"""Cross-validated accuracy of the GPU doctor over the real development logs.

Usage: python scripts/doctor_cv.py [--folds K] [--seed S] [--json] [--verbose] [--perturb]

The development logs are ``tune``, the old ``test`` split (read since round 2), the first
hold-out set ``holdout`` (scored once on the round-2 rules, read since round 3) and the second
``holdout2`` (scored once on the round-3 rules, read since round 4). A newer hold-out set is
never read here.

The rules are hand-written, so "training" a fold means writing rules while reading logs. A fold's
score is made honest by counting, for every log that prompted a rule change (``MOTIVATED`` below,
with the round of the change), a hit only when the rules *before that round* (``BASELINES``)
already got it right too: a log earns nothing from the change it motivated, while every other log
in the fold does show whether that change carried over (or broke something). Figures per fold:

- ``round1`` / ``round2``: the frozen rules of those rounds, every log counted as it scores;
- ``round2-blind``: the round-2 rules with the round-2 motivated logs blinded;
- ``round3`` / ``round3-blind``: the frozen round-3 rules, every log counted / with the round-2
  and round-3 motivated logs blinded (the figure to beat: what round 4 started from);
- ``current``: the rules in this worktree, every log counted as it scores;
- ``blind``: the current rules, with every motivated log (rounds 2, 3 and 4) blinded.

Folds are stratified by label (seeded, round-robin within each label).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "logs_real"
SPLITS = ("tune", "test", "holdout", "holdout2")  # the development logs; never a newer hold-out set
# The frozen rules before each round's changes: a log motivated in round N is judged against
# the rules of BASELINES[N] as well as the current ones.
BASELINES = {
    2: "85ceb7c",  # "rules frozen" (round 1) plus its docs commit
    3: "a91bdde",  # "doctor: rules frozen (round 2)", scored once on the hold-out set
    4: "22d1995",  # the round-3 freeze (2f55fa3) as merged, scored once on holdout2
}
HEALTHY = "healthy"

# Logs that prompted a rule change: id -> (round, the change). Their own hits do not count.
MOTIVATED: dict[str, tuple[int, str]] = {
    "tf60156-win11-tf211-not-cuda": (2, "answers written as comments; is_build_with_cuda typo"),
    "pycuda137-fork-cuinit": (2, "CUDA_ERROR_NOT_INITIALIZED in every spelling, PyCUDA's too"),
    "nvdocker1548-wsl2-ngc-banner-false": (2, "image banner under a --gpus run; zsh prompts"),
    "nvdocker464-caffe-1703-after-driver-upgrade": (2, "nvidia-smi GPU row with nothing after"),
    "tf1563-numa-benign": (2, "a NUMA read of a device with nothing after it"),
    "mumax167-suspend-unknown": (2, "CUDA_ERROR_UNKNOWN in any spelling at an init call"),
    # Round 3: every log whose miss was read while writing a change (none earns from it).
    "h51-sagiodev9": (3, "a quiet log: the GPU stack ran and only benign noise complains"),
    "h09-dallemini220": (3, "another program's GPU answer is no success for the failing one"),
    "h35-moscot56": (3, "read with h09: JAX's 'No GPU/TPU found' next to PyTorch"),
    "h40-tf62322": (3, "a printed label with an empty list: 'Is GPU Available: []'"),
    "h17-tf38990": (3, "an XLA_GPU device listed without a GPU device: libraries"),
    "h31-dfl264": (3, "'minimum required compute capability' wording"),
    "h02-nvbio7": (3, "modprobe cannot insert / find the nvidia_uvm module"),
    "h43-bumblebee623": (3, "'Module nvidia-uvm not found'; PyCUDA's 'cuInit failed: unknown'"),
    "h38-tf5473": (3, "read with h02: a uvm module failure while the driver is down"),
    "h19-llamacpp7218": (3, "'failed to initialize CUDA: unknown error' (llama.cpp's wording)"),
    "h29-gorgonia2": (3, "a bare 'Unknown' raised on an init stack (Go bindings)"),
    "h20-magiccastle276": (3, "'no MIG devices were found' / 'MIG mode is enabled' wording"),
    "h46-tf44869": (3, "no /proc/driver/nvidia inside a container: not exposed, not hidden"),
    "h32-monai7497": (3, "'invalid device ordinal': MIG as the second reading"),
    "mlcommons442-mig-invalid-ordinal": (3, "read with h32: invalid device ordinal, MIG second"),
    "h18-nccltests369": (3, "'GPUs are busy' as a wording of error 46"),
    # Round 4: every holdout2 miss read while writing a change (scored once on round 3 first).
    "h2b08-pytorch107300": (4, "a device count printed before a crash is no healthy start"),
    "h2b21-pytorch131650": (4, "read with h2b08: MIG Enabled in nvidia-smi's table + a crash"),
    "h2a13-nvidiadocker365": (4, "the driver itself down puts driver_missing above uvm"),
    "h2a18-pymoresane22": (4, "read with h2a13: nvidia-smi cannot reach the driver"),
    "h2a09-tensorflow1158": (4, "libcuda and kernel reported versions differ: a mismatch"),
    "h2a06-tensorflow41785": (4, "a failure belongs to the nearest docker run above it"),
    "h2a15-llamacpp17542": (4, "error 803 lists forward compatibility third; siblings"),
    "h2b23-mxnet19291": (4, "'CUDA: <result string>' (MXNet/Caffe) as the result code"),
    "h2b27-parallelizeml3": (4, "read with h2b23: 'CUDA: initialization error'"),
    "h2b15-tensorflow99592": (4, "CUDA_ERROR_INVALID_PTX (218): kernels, then driver"),
    "h2b25-tensorflow68236": (4, "a printed label 'built with CUDA?: False'"),
    "h2a07-llamacpppython904": (4, "'doesn't have valid Grid license' (CUDA error 102)"),
    "h2a30-tffasterrcnn7": (4, "TF's 'Ran out of memory': the memory family as HINTs"),
}


@dataclass(frozen=True)
class Entry:
    id: str
    label: str
    accepted: frozenset[str]


@dataclass
class FoldScore:
    n: int = 0
    top1: int = 0
    top3: int = 0
    healthy_called_failure: int = 0
    failure_called_healthy: int = 0


def entries() -> list[Entry]:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    return [
        Entry(e["id"], e["label"], frozenset({e["label"], *e["also"]}))
        for e in manifest
        if e["split"] in SPLITS
    ]


def folds(items: Sequence[Entry], k: int, seed: int) -> list[list[Entry]]:
    """Pure: stratified by label; each label's logs shuffled (seeded) then dealt round-robin."""
    by_label: dict[str, list[Entry]] = defaultdict(list)
    for e in sorted(items, key=lambda e: e.id):
        by_label[e.label].append(e)
    rng = random.Random(seed)
    out: list[list[Entry]] = [[] for _ in range(k)]
    start = 0
    for label in sorted(by_label):
        group = by_label[label]
        rng.shuffle(group)
        for i, e in enumerate(group):
            out[(start + i) % k].append(e)
        start += len(group)  # so small classes do not all land in fold 0
    return out


def _hits(e: Entry, ranked: Sequence[str]) -> tuple[bool, bool]:
    return bool(ranked) and ranked[0] in e.accepted, any(c in e.accepted for c in ranked[:3])


def score_fold(
    fold: Sequence[Entry],
    ranked: Mapping[str, Sequence[str]],
    baseline: Mapping[str, Sequence[str]] | None = None,
) -> FoldScore:
    """Pure: one fold's figures. ``baseline`` maps a motivated log to its ranking by the rules
    before its round; such a log must hit in both and is confused if either confused it."""
    s = FoldScore()
    for e in fold:
        r = ranked[e.id]
        h1, h3 = _hits(e, r)
        firsts = {r[0] if r else None}
        if baseline is not None and e.id in baseline:  # must be right before and after
            b1, b3 = _hits(e, baseline[e.id])
            h1, h3 = h1 and b1, h3 and b3
            firsts.add(baseline[e.id][0] if baseline[e.id] else None)
        s.n += 1
        s.top1 += h1
        s.top3 += h3
        s.healthy_called_failure += e.label == HEALTHY and firsts != {HEALTHY}
        s.failure_called_healthy += HEALTHY in firsts and HEALTHY not in e.accepted
    return s


def summary(scores: Sequence[FoldScore]) -> dict[str, float | int]:
    t1 = [s.top1 / s.n for s in scores]
    t3 = [s.top3 / s.n for s in scores]
    return {
        "n": sum(s.n for s in scores),
        "top1_mean": sum(t1) / len(t1),
        "top1_min": min(t1),
        "top3_mean": sum(t3) / len(t3),
        "top3_min": min(t3),
        "healthy_called_failure": sum(s.healthy_called_failure for s in scores),
        "failure_called_healthy": sum(s.failure_called_healthy for s in scores),
    }


def _read(e: Entry) -> str:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    path = next(str(x["file"]) for x in manifest if x["id"] == e.id)
    return (CORPUS / path).read_text(encoding="utf-8")


# The rules alone: since the text model joined (similar.py), ``diagnose`` also carries a model
# trained on these very logs, which scripts/doctor_text_cv.py cross-validates on its own.
_RANK_SNIPPET = """
import json, sys
from benchmarks.doctor import diagnose
try:
    from benchmarks.doctor.rulebook import MAX_FINDINGS, ranked_by_rules
except ImportError:  # the rules of a round before the text model
    def rank(text):
        return [f.code for f in diagnose(text)]
else:
    def rank(text):
        return [c.code.value for c in ranked_by_rules(text)[:MAX_FINDINGS]]
texts = json.load(sys.stdin)
print(json.dumps({k: rank(v) for k, v in texts.items()}))
"""


def rank_at(ref: str | None, texts: Mapping[str, str]) -> dict[str, list[str]]:
    """Rankings by the rules at git ``ref`` (None: this worktree), in a separate interpreter."""
    with tempfile.TemporaryDirectory(prefix="doctor-cv-") as tmp:
        tree = str(ROOT)
        if ref is not None:
            archive = Path(tmp) / "tree.tar"
            with archive.open("wb") as fh:
                subprocess.run(
                    ["git", "-C", str(ROOT), "archive", ref, "benchmarks"], check=True, stdout=fh
                )
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            tree = tmp
        done = subprocess.run(
            [sys.executable, "-c", _RANK_SNIPPET],
            input=json.dumps(dict(texts)),
            capture_output=True,
            text=True,
            check=True,
            cwd=tree,
            env={"PYTHONPATH": tree, "PATH": "/usr/bin:/bin"},
        )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


_TSL_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?: ", re.MULTILINE)
# Rewrites a paste goes through that must not change the diagnosis (format, not content).
_NOISE = [
    ln
    for ln in (ROOT / "tests" / "data" / "harmless_noise.txt").read_text().splitlines()
    if "NUMA" not in ln  # a NUMA read says a device was enumerated: content, not noise
]
PERTURBATIONS: dict[str, Callable[[str], str]] = {
    "quoted": lambda t: "".join(f"> {ln}\n" for ln in t.splitlines()),
    "fenced": lambda t: f"```\n{t.rstrip()}\n```\n",
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "indented": lambda t: "".join(f"    {ln}\n" for ln in t.splitlines()),
    "noise-first": lambda t: "\n".join(_NOISE) + "\n" + t,
    "noise-last": lambda t: t.rstrip("\n") + "\n" + "\n".join(_NOISE) + "\n",
    "no-stamps": lambda t: _TSL_STAMP.sub("", t),  # "E tensorflow/...cc:12] ..." (TF 1 style)
}


def stability(
    texts: Mapping[str, str], ranked: Mapping[str, Sequence[str]], ref: str | None = None
) -> dict[str, Any]:
    """Per rewrite: how many logs keep their top-1 code (rules at ``ref``), and which do not."""
    out: dict[str, Any] = {}
    for name, rewrite in PERTURBATIONS.items():
        moved = rank_at(ref, {k: rewrite(v) for k, v in texts.items()})
        changed = sorted(k for k in texts if moved[k][:1] != list(ranked[k][:1]))
        out[name] = {"kept": len(texts) - len(changed), "n": len(texts), "changed": changed}
    return out


def _fmt(name: str, s: Mapping[str, float | int]) -> str:
    return (
        f"{name:12} top-1 mean {s['top1_mean']:.0%} min {s['top1_min']:.0%} | "
        f"top-3 mean {s['top3_mean']:.0%} min {s['top3_min']:.0%} | "
        f"healthy->failure {s['healthy_called_failure']} failure->healthy "
        f"{s['failure_called_healthy']}"
    )


def blinded(
    rankings: Mapping[str, Mapping[str, Sequence[str]]], rounds: Sequence[int]
) -> dict[str, Sequence[str]]:
    """Pure: each log motivated in one of ``rounds`` -> its ranking by the rules before that
    round (``rankings`` maps a git ref to its rankings)."""
    return {log: rankings[BASELINES[r]][log] for log, (r, _) in MOTIVATED.items() if r in rounds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list the current misses")
    parser.add_argument("--perturb", action="store_true", help="top-1 stability under rewrites")
    args = parser.parse_args()
    items = entries()
    texts = {e.id: _read(e) for e in items}
    current = rank_at(None, texts)
    at = {ref: rank_at(ref, texts) for ref in BASELINES.values()}
    round1, round2, round3 = at[BASELINES[2]], at[BASELINES[3]], at[BASELINES[4]]
    parts = folds(items, args.folds, args.seed)
    report = {
        "round1": summary([score_fold(f, round1) for f in parts]),
        "round2": summary([score_fold(f, round2) for f in parts]),
        "round2-blind": summary([score_fold(f, round2, blinded(at, [2])) for f in parts]),
        "round3": summary([score_fold(f, round3) for f in parts]),
        "round3-blind": summary([score_fold(f, round3, blinded(at, [2, 3])) for f in parts]),
        "current": summary([score_fold(f, current) for f in parts]),
        "blind": summary([score_fold(f, current, blinded(at, [2, 3, 4])) for f in parts]),
    }
    stable = stability(texts, current) if args.perturb else None
    stable_before = stability(texts, round2, BASELINES[3]) if args.perturb else None
    if args.json:
        extra = {"stable": stable, "stable_round2": stable_before}
        print(json.dumps({"folds": args.folds, "seed": args.seed, **report, **extra}))
    else:
        print(f"{args.folds}-fold CV over {len(items)} real logs ({' + '.join(SPLITS)})")
        for name, s in report.items():
            print(_fmt(name, s))
        for which, table in (("round2", stable_before), ("current", stable)):
            for name, st in (table or {}).items():
                changed = " ".join(st["changed"])
                print(f"{which:9} rewrite {name:12} top-1 kept {st['kept']}/{st['n']} {changed}")
    if args.verbose:
        for e in items:
            if not _hits(e, current[e.id])[0]:
                print(f"  miss {e.id}: label {e.label}, got {current[e.id][:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
