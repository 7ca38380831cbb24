"""The names a matrix cell is made of: the modes, device names, the case-id format and its parse.

One home for these facts: the plan writes case ids, the runner and the report read them, and a
second spelling would drift. ``mlp-graph-b100-gpu0`` is workload ``mlp``, mode ``graph``, batch
100, device ``gpu:0``. A call path other than the default is written after the workload with a
dot, ``embed.predict-graph-b32-cpu``: the *series* ``embed.predict`` is what results, the report
and the analysis group by (``parse_case_id`` returns it in the workload slot), so each call path
gets its own eager/graph/XLA speedups and default case ids stay as they were.
"""

from __future__ import annotations

import re

MODES = ("eager", "graph", "xla")
BASELINE_MODE = "eager"
COMPILED_MODES = tuple(m for m in MODES if m != BASELINE_MODE)
CALL_PATHS = ("call", "predict_on_batch", "predict")  # see benchmarks/worker/callpaths.py
DEFAULT_CALL = "call"
DEVICE_RE = re.compile(r"^(cpu|gpu)(?::(\d+))?$")
_CASE_ID = re.compile(r"^(?P<w>.+)-(?P<m>[a-z]+)-b(?P<b>\d+)-(?P<d>cpu|gpu\d*)$")


def mode_rank(mode: str) -> tuple[int, str]:
    """Sort key: the modes in MODES order, unknown ones after them by name."""
    return (MODES.index(mode) if mode in MODES else len(MODES), mode)


def device_token(device: str) -> str:
    """``"gpu:1"`` -> ``"gpu1"``: the device as it appears in a case id."""
    return device.replace(":", "")


def series(workload: str, call: str = DEFAULT_CALL) -> str:
    """``("embed", "predict")`` -> ``"embed.predict"``; the default call path adds nothing."""
    return workload if call == DEFAULT_CALL else f"{workload}.{call}"


def split_series(label: str) -> tuple[str, str]:
    """``"embed.predict"`` -> ``("embed", "predict")``; ``"mlp"`` -> ``("mlp", "call")``."""
    workload, dot, call = label.rpartition(".")
    if dot and call in CALL_PATHS:
        return workload, call
    return label, DEFAULT_CALL


def case_id(
    workload: str, mode: str, batch_size: int, device: str, call: str = DEFAULT_CALL
) -> str:
    return f"{series(workload, call)}-{mode}-b{batch_size}-{device_token(device)}"


def group_id(workload: str, batch_size: int, device: str, call: str = DEFAULT_CALL) -> str:
    """``mlp-*-b100-cpu``: a cell group (every mode of one workload x call path x batch size x
    device, measured together in one worker and always on one shard) as the glob of its case
    ids, which ``--only`` takes. The runner's groups and the shard split both key on it."""
    return case_id(workload, "*", batch_size, device, call)


def parse_case_id(cid: str) -> tuple[str, str, int, str] | None:
    """``mlp-graph-b100-gpu0`` -> ("mlp", "graph", 100, "gpu:0"); None if it does not parse.

    The first item is the series (``embed.predict`` for a non-default call path; ``split_series``
    separates it).
    """
    m = _CASE_ID.match(cid)
    if m is None:
        return None
    d = m["d"]
    device = d if d == "cpu" else f"gpu:{d[3:] or '0'}"
    return m["w"], m["m"], int(m["b"]), device
