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
    "rounds": (3, 1000),  # the matrix key of ``blocks``
    "processes": (1, 1000),
    "time_cap_s": (1.0, 86_400.0),
    "target_ci": (1e-12, 1 - 1e-12),  # a fraction (run.json); --target-ci checks the percent
}
MAX_BATCH_SIZE = 100_000_000
MAX_LIST = {
    "workloads": 64,
    "modes": 16,
    "calls": 16,
    "batch_sizes": 64,
    "devices": 16,
    "exclude": 1024,
}
MAX_PROFILES = 128
MAX_MODELS = 64  # [workloads.NAME] tables in one matrix file
MAX_NAME = 64  # characters of a workload name
MAX_INPUTS = 64  # named inputs of one model's input_shape
MAX_RANK = 8  # sizes after the batch dimension
MAX_DIM = 1_000_000  # one such size
MAX_TEXT = 4096  # a SPEC, signature or inputs path
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


def check_models(n: int, where: str) -> None:
    if n > MAX_MODELS:
        raise ConfigError(
            f"{where}: {n} [workloads.NAME] tables, more than {MAX_MODELS}", "split the file"
        )


def check_model_name(name: str, at: str) -> None:
    if len(name) > MAX_NAME:
        raise ConfigError(f"{at}: the name is over {MAX_NAME} characters", "use a shorter name")


def check_text(value: str, at: str) -> None:
    if len(value) > MAX_TEXT:
        raise ConfigError(f"{at}: over {MAX_TEXT} characters", "use a shorter value")


def check_input_shape(n_inputs: int, dims: Sized, biggest: int, at: str) -> None:
    if n_inputs > MAX_INPUTS or len(dims) > MAX_RANK or biggest > MAX_DIM:
        raise ConfigError(
            f"{at}: too large a shape",
            f"at most {MAX_INPUTS} inputs of at most {MAX_RANK} sizes, each <= {MAX_DIM:,}",
        )
