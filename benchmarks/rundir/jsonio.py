"""How a run directory's files are written and read: atomic JSON and text, UTC time stamps.

A reader may look at a run while it is written (the report of a running run, a second
``--resume``), so whole files are replaced atomically (write ``NAME.tmp``, then rename).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.errors import ResultsError
from benchmarks.rundir.layout import TMP_SUFFIX


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_json_atomic(
    path: Path, data: Any, *, sort_keys: bool = True, allow_nan: bool = False
) -> None:
    """``data`` as indented JSON; NaN and infinity are refused unless ``allow_nan``."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys, allow_nan=allow_nan) + "\n"
    write_text_atomic(path, text)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or a :class:`ResultsError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: not found", "is this a graphbench run directory?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(
            f"{path}: cannot be read as JSON ({exc})", "the file is damaged"
        ) from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object", "the file is damaged")
    return data


def utc_stamp(*, millis: bool = False) -> str:
    """Now in UTC, ISO 8601 with a ``Z``: ``2026-12-01T18:22:45Z`` (or ``…45.123Z``)."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    if millis:
        stamp += f".{int(now * 1000) % 1000:03d}"
    return stamp + "Z"


def run_id_stamp() -> str:
    """``20261201-182245``: the time part of a new run's directory name."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())
