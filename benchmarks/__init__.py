"""graphbench: eager vs tf.function vs XLA, measured honestly.

Importing this package is cheap and side-effect free: TensorFlow, NVML and subprocesses are only
touched by the functions that need them (see docs/DESIGN.md, "Nothing runs at import time").
"""

from __future__ import annotations

__version__ = "0.1.0"
