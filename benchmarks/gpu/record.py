"""Record a real NVML reading as a replayable fixture (``python -m benchmarks.gpu.record``).

Tests replay recordings through a fake backend (``tests/nvml_fake.py``), so the fixture format is
"what each pynvml call returned": per device, function name -> value, with calls that take extra
arguments keyed by those arguments (``"1"`` for ``NVML_CLOCK_SM``) and failures stored as
``{"nvml_error": <code>}``. Recording runs the very :func:`benchmarks.gpu.nvml.read` the fingerprint
uses through a recording proxy, so a fixture holds exactly the calls the adapter makes. GPU/MIG
UUIDs are replaced before anything is written (they identify a physical board).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.gpu import nvml as _nvml


class _Handle:
    def __init__(self, real: Any, record: dict[str, Any]) -> None:
        self.real = real
        self.record = record


class _Recorder:
    """Looks like the pynvml module; forwards every call and notes its result."""

    def __init__(self, nv: Any) -> None:
        self._nv = nv
        self.NVMLError = nv.NVMLError
        self.fixture: dict[str, Any] = {"system": {}, "devices": []}

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._nv, name)

        def call(*args: Any) -> Any:
            where, real_args, key_args = self.fixture["system"], args, args
            if args and isinstance(args[0], _Handle):
                where, real_args, key_args = args[0].record, (args[0].real, *args[1:]), args[1:]
            key = ",".join(str(a) for a in key_args)
            try:
                value = fn(*real_args)
            except self.NVMLError as exc:
                if name == "nvmlInit":
                    self.fixture["init"] = {"nvml_error": exc.value}
                elif name == "nvmlDeviceGetHandleByIndex":  # keep devices[i] aligned with i
                    self.fixture["devices"].append({"nvml_error": exc.value})
                else:
                    self._note(where, name, key, {"nvml_error": exc.value})
                raise
            if name == "nvmlDeviceGetHandleByIndex":
                record: dict[str, Any] = {}
                self.fixture["devices"].append(record)
                return _Handle(value, record)
            if name == "nvmlDeviceGetMigDeviceHandleByIndex":
                mig: dict[str, Any] = {}
                where.setdefault("mig", {})[key] = mig
                return _Handle(value, mig)
            if name not in {"nvmlInit", "nvmlShutdown"}:
                self._note(where, name, key, to_json(value))
            return value

        return call

    @staticmethod
    def _note(where: dict[str, Any], name: str, key: str, value: Any) -> None:
        if name == "nvmlDeviceGetMigDeviceHandleByIndex":
            where.setdefault("mig", {})[key] = value
        elif key:
            where.setdefault(name, {})[key] = value
        else:
            where[name] = value


def to_json(value: Any) -> Any:
    """pynvml return values (ctypes structs, friendly objects, arrays) as plain JSON."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, ctypes.Structure):
        return {f[0]: to_json(getattr(value, f[0])) for f in value._fields_}
    if isinstance(value, (list, tuple, ctypes.Array)):
        return [to_json(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: to_json(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")


def scrub_uuids(fixture: Any) -> Any:
    """Replace every GPU-/MIG- UUID with a numbered stand-in (stable within one recording)."""
    seen: dict[str, str] = {}

    def fix(v: Any) -> Any:
        if isinstance(v, str):
            return _UUID.sub(
                lambda m: seen.setdefault(
                    m.group(0), f"{m.group(1)}-00000000-0000-0000-0000-{len(seen):012d}"
                ),
                v,
            )
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return fix(fixture)


def record(backend: Any = None, *, description: str = "") -> dict[str, Any]:
    """Run the adapter's full reading through a recorder; returns the fixture (UUIDs scrubbed)."""
    nv = _nvml.load_backend() if backend is None else backend
    rec = _Recorder(nv)
    reading = _nvml.read(rec, own=frozenset())
    fixture = {
        "description": description,
        "nvidia_ml_py_version": _package_version() if backend is None else None,
        **rec.fixture,
        "expected_status": reading["status"],
    }
    return dict(scrub_uuids(fixture))


def _package_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nvidia-ml-py")
    except PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu.record")
    parser.add_argument("output", help="fixture file to write (JSON)")
    parser.add_argument("--description", default="", help="what machine this is")
    args = parser.parse_args(argv)
    fixture = record(description=args.description)
    Path(args.output).write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {args.output}: {len(fixture['devices'])} device(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
