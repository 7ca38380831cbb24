"""Evidence that the GPU came up: TensorFlow's success lines in every wording, and the probe.

Kept apart from the failure rules because "healthy" is decided against all of them: a success
line counts only when no failure outranks it (see rulebook).
"""

from __future__ import annotations

from benchmarks.doctor.logscan import LogLine, ScannedLog
from benchmarks.doctor.signals import created_device_lines, probe_gpu_ok_lines


def success_lines(log: ScannedLog) -> list[LogLine]:
    """Lines saying a GPU is usable, in log order."""
    return sorted(created_device_lines(log) + probe_gpu_ok_lines(log), key=lambda ln: ln.number)
