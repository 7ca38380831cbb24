"""``python -m benchmarks diagnose``: explain why the GPU did not come up.

Two inputs: a saved log (``--log FILE`` or ``-`` for stdin, e.g. a probe.log or the stderr of a
failed ``docker run --gpus``) with an optional ``--fingerprint``; or ``--probe``, which runs the
GPU probe here and now. Output: a readable cause / evidence / fix list, or ``--json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.errors import EXIT_GPU_UNAVAILABLE, EXIT_OK, ConfigError

HELP = "explain a GPU start failure from a log (or probe the GPU now): cause, evidence, fix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--log", metavar="FILE", help="probe/TensorFlow/docker log, '-' = stdin")
    source.add_argument("--probe", action="store_true", help="run the GPU probe on this machine")
    parser.add_argument("--fingerprint", metavar="FILE", help="fingerprint.json of that run")
    parser.add_argument("--device", default="gpu", help="with --probe: e.g. gpu, gpu:1 (gpu)")
    parser.add_argument("--timeout", type=float, default=180.0, help="with --probe: seconds")
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON")


def _read_log(spec: str) -> str:
    if spec == "-":
        return sys.stdin.read()
    path = Path(spec)
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ConfigError(f"log file not found: {spec}", "give the path of a probe.log") from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise ConfigError(
            f"cannot read log {spec}: {exc.strerror or exc}", "check the path and permissions"
        ) from None


def _read_fingerprint(spec: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(spec).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"fingerprint file not found: {spec}", "use the fingerprint.json of the same run"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read fingerprint {spec}: {exc}", "check the path") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"fingerprint {spec} is not JSON: {exc.msg} (line {exc.lineno})",
            "pass the fingerprint.json written by `python -m benchmarks fingerprint`",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"fingerprint {spec} is not a JSON object", "pass a fingerprint.json")
    return data


def _collect_fingerprint() -> tuple[dict[str, Any] | None, str | None]:
    """The fingerprint collector lives in another module; degrade clearly without it."""
    try:
        module = importlib.import_module("benchmarks.fingerprint")
    except ImportError as exc:
        return None, f"fingerprint collector not available ({exc}); diagnosing from the log only"
    collect = getattr(module, "collect", None)
    if not callable(collect):
        return None, "benchmarks.fingerprint.collect missing; diagnosing from the log only"
    try:
        data = collect()
    except Exception as exc:  # a broken collector must not hide the diagnosis
        return None, f"fingerprint collection failed ({exc}); diagnosing from the log only"
    if hasattr(data, "to_dict"):
        data = data.to_dict()
    return (data if isinstance(data, dict) else None), None


def main(args: argparse.Namespace) -> int:
    from benchmarks.diagnose import diagnose, render_text, to_json_document

    fingerprint: Mapping[str, Any] | None = None
    context: dict[str, Any] | None = None
    notes: list[str] = []
    if args.fingerprint:
        fingerprint = _read_fingerprint(args.fingerprint)
    if args.probe:
        from benchmarks.probe import run_probe

        with tempfile.TemporaryDirectory(prefix="graphbench-probe-") as tmp:
            result = run_probe(
                [args.device], log_path=Path(tmp) / "probe.log", timeout_s=args.timeout
            )
        log_text, context = result.log_text, result.diagnosis_context()
        notes.append(f"probe: ok={result.ok} in {result.elapsed_s:.1f} s, devices {result.devices}")
        if fingerprint is None:
            fingerprint, note = _collect_fingerprint()
            if note:
                notes.append(note)
    else:
        log_text = _read_log(args.log)
    findings = diagnose(log_text, fingerprint, context=context)
    if args.json:
        print(json.dumps(to_json_document(findings), indent=2))
    else:
        for note in notes:
            print(note, file=sys.stderr)
        sys.stdout.write(render_text(findings))
    top = findings[0].code if findings else "unexplained"
    return EXIT_OK if top == "healthy" or not args.probe else EXIT_GPU_UNAVAILABLE
