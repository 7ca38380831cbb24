"""Bounds on a matrix: finite numbers, sane sizes and counts, safe profile names. Pure.

A matrix is user input. ``inf`` or ``1e300`` seconds, a batch of 10**20 samples or a million
batch sizes must end in a one-line ``ConfigError`` naming the key, before anything is planned
or written (the parser in ``matrix.py`` calls these checks).
"""

from __future__ import annotations

import math
from collections.abc import Sized

from benchmarks.errors import ConfigError
from benchmarks.rundir.paths import ID_RULE, is_safe_id

# (low, high) inclusive: the widest range that still means something on any machine.
TIMING_RANGE: dict[str, tuple[float, float]] = {
    "blocks": (3, 1000),
    "min_block_s": (1e-4, 60.0),
    "warmup_s": (1e-4, 600.0),
    "warmup_calls": (1, 1_000_000),
    "timeout_s": (1.0, 86_400.0),
}
MAX_BATCH_SIZE = 100_000_000
MAX_LIST = {"workloads": 64, "modes": 16, "batch_sizes": 64, "devices": 16, "exclude": 1024}
MAX_PROFILES = 128
MAX_CELLS = 10_000


def check_timing_value(key: str, value: float | int, where: str) -> None:
    low, high = TIMING_RANGE[key]
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(
            f"{where}.{key}: {value!r} is out of range",
            f"use a finite number from {low:g} to {high:g}",
        )


def check_batch_size(value: int, where: str) -> None:
    if value > MAX_BATCH_SIZE:
        raise ConfigError(
            f"{where}: batch size {value} is too large",
            f"use at most {MAX_BATCH_SIZE:,} samples per call",
        )


def check_list_length(key: str, items: Sized, where: str) -> None:
    limit = MAX_LIST.get(key)
    if limit is not None and len(items) > limit:
        raise ConfigError(
            f"{where}: {len(items)} entries in {key!r}, more than {limit}",
            f"a profile takes at most {limit} {key}; split it into several profiles",
        )


def check_profiles(names: Sized, source: str) -> None:
    if len(names) > MAX_PROFILES:
        raise ConfigError(
            f"{source}: {len(names)} profiles, more than {MAX_PROFILES}", "split the file"
        )


def check_profile_name(name: str, source: str) -> None:
    if not is_safe_id(name):
        raise ConfigError(f"{source}: profile name {name!r} is not a valid name", f"use {ID_RULE}")


def check_cell_count(n: int, profile: str, source: str) -> None:
    if n > MAX_CELLS:
        raise ConfigError(
            f"{source}: profile {profile!r} expands to {n:,} cells, more than {MAX_CELLS:,}",
            "use fewer workloads, modes, batch sizes or devices",
        )


def check_not_emptied(n: int, profile: str, source: str) -> None:
    if n == 0:
        raise ConfigError(
            f"{source}: profile {profile!r}: its exclude rules remove every cell",
            "remove or narrow an [[exclude]] rule",
        )
