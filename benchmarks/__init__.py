"""graphbench: eager vs tf.function vs XLA, measured honestly.

Importing this package is cheap and side-effect free: TensorFlow, NVML and subprocesses are only
touched by the functions that need them (see docs/DESIGN.md, "Nothing runs at import time").

Public API: ``benchmarks.Workload``, what an entry point given to ``run --model
pkg.module:function`` may return (docs/own-model.md); ``benchmarks.rundir.results.load``.
"""

from __future__ import annotations

from benchmarks.worker.workloads.base import Workload

__version__ = "0.1.0"
__all__ = ["Workload", "__version__"]
