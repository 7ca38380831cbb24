"""Flags that several sub-commands share: one spelling, one default, one help text."""

from __future__ import annotations

import argparse

from benchmarks.errors import ConfigError
from benchmarks.report import DEFAULT_THRESHOLD


def add_threshold(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"smallest change flagged as regression/improvement "
        f"(default {DEFAULT_THRESHOLD:.2f} = {DEFAULT_THRESHOLD * 100:.0f}%%)",
    )


def check_threshold(threshold: float) -> None:
    """``--threshold`` is a fraction: 0.10 flags a change of 10 %."""
    if not 0 <= threshold < 10:
        raise ConfigError(
            f"--threshold {threshold} is out of range", "use a fraction, e.g. 0.10 for 10 %"
        )


def add_json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")
