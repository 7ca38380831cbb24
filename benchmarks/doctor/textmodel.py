"""A second reader for what the rules cannot place: a naive Bayes model over a log's words.

The rules name messages they know. A log from a program or in a wording no rule names ends as
``unexplained`` although its words often say which class it is ("insufficient driver",
"no CUDA-capable device", "MIG", "license"). This model is trained on the labelled real logs of
tests/data/logs_real (``scripts/doctor_text_train.py`` writes ``textmodel.json``) and ranks the
classes by how well a log's words fit the logs of each class.

Method (pure, deterministic): the features of a log are the set of its words (lower case,
letters first, 3-30 characters, at most two digits) and adjacent word pairs, from every line the
scanner does not mark harmless. Training keeps the features that occur in logs of at least two
different threads, so one thread's paths and host names cannot be learnt. Each class's
probability of a feature is its Laplace-smoothed share of the class's feature occurrences (a
binarized multinomial naive Bayes); classes start equal, so that a class with many logs does not
win on its count alone. The score of a class is the sum of the log-probabilities of the log's
known features; ``rank_features`` turns the scores into posteriors.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from benchmarks.doctor.codes import Code
from benchmarks.doctor.logscan import ScannedLog

FORMAT = 1
ALPHA = 0.5  # Laplace smoothing of every feature count
MIN_THREADS = 2  # a feature must occur in logs of this many threads to be learnt
MODEL_FILE = "textmodel.json"

_WORD = re.compile(r"[a-z][a-z0-9_]{2,29}")


def _word(token: str) -> bool:
    return sum(ch.isdigit() for ch in token) <= 2


def features(text: str) -> frozenset[str]:
    """A log's words and adjacent word pairs, harmless lines left out."""
    return log_features(ScannedLog(text))


def log_features(log: ScannedLog) -> frozenset[str]:
    """``features`` of a log the caller has scanned already (the rulebook has)."""
    found: set[str] = set()
    for line in log.lines:
        if line.harmless:
            continue
        words = [w for w in _WORD.findall(line.message.lower()) if _word(w)]
        found.update(words)
        found.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return frozenset(found)


@dataclass(frozen=True)
class Example:
    """One labelled log as training sees it: its features, its class and its thread."""

    features: frozenset[str]
    label: Code
    thread: str


@dataclass(frozen=True)
class TextModel:
    """Per-class feature counts; ``totals`` is each class's sum of counts."""

    classes: tuple[Code, ...]
    counts: Mapping[str, tuple[int, ...]]
    totals: tuple[int, ...]
    alpha: float = ALPHA

    def scores(self, feats: Iterable[str]) -> list[float]:
        """Each class's log-likelihood of the known features (unknown ones are skipped)."""
        rows = [row for row in map(self.counts.get, feats) if row is not None]
        out = [0.0] * len(self.classes)
        if not rows:
            return out  # nothing known: every class alike
        size = len(self.counts)
        denominators = [math.log(t + self.alpha * size) for t in self.totals]
        for row in rows:
            for i, n in enumerate(row):
                out[i] += math.log(n + self.alpha) - denominators[i]
        return out

    def rank_features(self, feats: Iterable[str]) -> list[tuple[Code, float]]:
        """Every class with its posterior, most likely first; ties go to the class order."""
        raw = self.scores(feats)
        top = max(raw)
        weights = [math.exp(s - top) for s in raw]
        total = sum(weights)
        pairs = [(code, w / total) for code, w in zip(self.classes, weights, strict=True)]
        order = {code: i for i, code in enumerate(self.classes)}
        return sorted(pairs, key=lambda p: (-p[1], order[p[0]]))


def train(examples: Sequence[Example], *, alpha: float = ALPHA) -> TextModel:
    """Count each feature per class over ``examples`` (features of one thread only are dropped)."""
    classes: tuple[Code, ...] = tuple(c for c in Code if c is not Code.UNEXPLAINED)
    index: dict[Code, int] = {code: i for i, code in enumerate(classes)}
    threads: dict[str, set[str]] = {}
    for ex in examples:
        for feat in ex.features:
            threads.setdefault(feat, set()).add(ex.thread)
    kept = sorted(f for f, seen in threads.items() if len(seen) >= MIN_THREADS)
    rows = {f: [0] * len(classes) for f in kept}
    for ex in examples:
        i = index[ex.label]
        for feat in ex.features:
            row = rows.get(feat)
            if row is not None:
                row[i] += 1
    counts = {f: tuple(row) for f, row in rows.items()}
    totals = tuple(sum(row[i] for row in counts.values()) for i in range(len(classes)))
    return TextModel(classes, counts, totals, alpha)


def to_document(model: TextModel, trained_on: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of ``model``: counts stored sparse, as {class index: count}."""
    return {
        "format": FORMAT,
        "alpha": model.alpha,
        "min_threads": MIN_THREADS,
        "trained_on": dict(trained_on),
        "classes": [c.value for c in model.classes],
        "counts": {
            f: {str(i): n for i, n in enumerate(row) if n} for f, row in model.counts.items()
        },
    }


def from_document(doc: Mapping[str, Any]) -> TextModel:
    """Read what ``to_document`` wrote; a document of another format is an error."""
    if doc.get("format") != FORMAT:
        raise ValueError(f"text model format {doc.get('format')!r}, expected {FORMAT}")
    classes = tuple(Code(c) for c in doc["classes"])
    counts: dict[str, tuple[int, ...]] = {}
    for feat, sparse in doc["counts"].items():
        row = [0] * len(classes)
        for i, n in sparse.items():
            row[int(i)] = int(n)
        counts[feat] = tuple(row)
    totals = tuple(sum(row[i] for row in counts.values()) for i in range(len(classes)))
    return TextModel(classes, counts, totals, float(doc["alpha"]))


@lru_cache(maxsize=1)
def packaged() -> TextModel:
    """The model shipped with the package (trained by scripts/doctor_text_train.py)."""
    text = resources.files("benchmarks.doctor").joinpath(MODEL_FILE).read_text("utf-8")
    return from_document(json.loads(text))
