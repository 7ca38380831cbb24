"""The names a matrix cell is made of: the modes, device names, the case-id format and its parse.

One home for these facts: the plan writes case ids, the runner and the report read them, and a
second spelling would drift. ``mlp-graph-b100-gpu0`` is workload ``mlp``, mode ``graph``, batch
100, device ``gpu:0``.
"""

from __future__ import annotations

import re

MODES = ("eager", "graph", "xla")
BASELINE_MODE = "eager"
COMPILED_MODES = tuple(m for m in MODES if m != BASELINE_MODE)
DEVICE_RE = re.compile(r"^(cpu|gpu)(?::(\d+))?$")
_CASE_ID = re.compile(r"^(?P<w>.+)-(?P<m>[a-z]+)-b(?P<b>\d+)-(?P<d>cpu|gpu\d*)$")


def mode_rank(mode: str) -> tuple[int, str]:
    """Sort key: the modes in MODES order, unknown ones after them by name."""
    return (MODES.index(mode) if mode in MODES else len(MODES), mode)


def device_token(device: str) -> str:
    """``"gpu:1"`` -> ``"gpu1"``: the device as it appears in a case id."""
    return device.replace(":", "")


def case_id(workload: str, mode: str, batch_size: int, device: str) -> str:
    return f"{workload}-{mode}-b{batch_size}-{device_token(device)}"


def parse_case_id(cid: str) -> tuple[str, str, int, str] | None:
    """``mlp-graph-b100-gpu0`` -> ("mlp", "graph", 100, "gpu:0"); None if it does not parse."""
    m = _CASE_ID.match(cid)
    if m is None:
        return None
    d = m["d"]
    device = d if d == "cpu" else f"gpu:{d[3:] or '0'}"
    return m["w"], m["m"], int(m["b"]), device
