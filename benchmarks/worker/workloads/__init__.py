"""Workload registry: name -> module, imported only when a worker builds the workload.

Each workload module defines ``build(batch_size, seed) -> Workload`` (see ``base.py``) and imports
TensorFlow inside ``build``; this file must stay importable without TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.worker.workloads.base import Workload

REGISTRY = {
    "mlp": "benchmarks.worker.workloads.mlp",
    "mlp_raw": "benchmarks.worker.workloads.mlp_raw",
    "mlp_train": "benchmarks.worker.workloads.mlp_train",
    "cnn": "benchmarks.worker.workloads.cnn",
    "mobilenet": "benchmarks.worker.workloads.mobilenet",
    "lstm": "benchmarks.worker.workloads.lstm",
    "transformer": "benchmarks.worker.workloads.transformer",
}
NAMES = tuple(REGISTRY)


def flops_per_sample() -> dict[str, int]:
    """Each workload's FLOPs per sample, its module's ``FLOPS_PER_SAMPLE`` (no TensorFlow import):
    the shard split's cost estimate (plan/shard.py) charges compute by them. A workload whose
    FLOPs only the worker's profiler can tell (``None``) is left out."""
    figures = {n: importlib.import_module(m).FLOPS_PER_SAMPLE for n, m in REGISTRY.items()}
    return {n: int(f) for n, f in figures.items() if f is not None}


def build(name: str, batch_size: int, seed: int) -> Workload:
    module = importlib.import_module(REGISTRY[name])
    workload: Workload = module.build(batch_size, seed)
    return workload
