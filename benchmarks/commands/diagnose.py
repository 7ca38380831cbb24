"""``python -m benchmarks diagnose``: explain why the GPU did not come up.

Two inputs: a saved log (``--log FILE`` or ``-`` for stdin: a probe.log, a TensorFlow stderr, a
``docker run`` transcript, or a Jupyter notebook ``.ipynb``, read by ``doctor.inputs``) with an
optional ``--fingerprint``; or ``--probe``, which runs the GPU probe here and now. Output: a
readable cause / evidence / fix list, or ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.commands import _flags
from benchmarks.doctor.findings import Finding
from benchmarks.errors import EXIT_GPU_UNAVAILABLE, EXIT_OK
from benchmarks.rundir import userfile
from benchmarks.rundir.jsonio import read_json
from benchmarks.rundir.layout import PROBE_LOG

HELP = "explain a GPU start failure from a log (or probe the GPU now): cause, evidence, fix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--log",
        metavar="FILE",
        help="probe/TensorFlow log, docker run transcript or .ipynb notebook; '-' = stdin",
    )
    source.add_argument("--probe", action="store_true", help="run the GPU probe on this machine")
    parser.add_argument("--fingerprint", metavar="FILE", help="fingerprint.json of that run")
    parser.add_argument("--device", default="gpu", help="with --probe: e.g. gpu, gpu:1 (gpu)")
    parser.add_argument("--timeout", type=float, default=180.0, help="with --probe: seconds")
    _flags.add_json(parser, "the diagnosis")


def _read_log(spec: str) -> bytes:
    """The log's bytes, bounded (``/dev/zero`` or a huge file is refused by size)."""
    if spec == "-":
        return userfile.read_stdin_bounded(userfile.LOG_MAX_BYTES, "log")
    return userfile.read_bytes_bounded(Path(spec), userfile.LOG_MAX_BYTES, "log")


def no_gpu_start(raw: bytes) -> Finding | None:
    """An empty, blank or binary "log" shows no GPU start at all: say that, diagnose nothing."""
    if raw.strip() and not userfile.looks_binary(raw):
        return None
    what = "empty" if not raw.strip() else "binary, not text"
    return Finding(
        code="no_gpu_start",
        title="no GPU start in this log",
        confidence="high",
        evidence=(f"the log is {what} ({len(raw)} bytes)",),
        explanation="Nothing in it is output of a TensorFlow, CUDA, driver or container start, "
        "so there is nothing to diagnose.",
        fix="Pass the stderr of the failed start (e.g. a run's probe.log or the output of "
        "`docker run --gpus ...`), or run `python -m benchmarks diagnose --probe` here.",
    )


def main(args: argparse.Namespace) -> int:
    from benchmarks.doctor import diagnose, render_text, to_json_document
    from benchmarks.doctor.inputs import log_text as readable_log

    fingerprint: Mapping[str, Any] | None = None
    context: dict[str, Any] | None = None
    notes: list[str] = []
    if args.fingerprint:
        fingerprint = read_json(Path(args.fingerprint))
    if args.probe:
        from benchmarks.gpu.probe import run_probe

        with tempfile.TemporaryDirectory(prefix="graphbench-probe-") as tmp:
            result = run_probe(
                [args.device], log_path=Path(tmp) / PROBE_LOG, timeout_s=args.timeout
            )
        log_text, context = result.log_text, result.diagnosis_context()
        notes.append(f"probe: ok={result.ok} in {result.elapsed_s:.1f} s, devices {result.devices}")
        if fingerprint is None:
            from benchmarks.environment.fingerprint import collect

            fingerprint = collect()  # never raises: a failed section says why it is unavailable
        findings = diagnose(log_text, fingerprint, context=context)
    else:
        raw = _read_log(args.log)  # bounded, whatever kind of log it is
        empty = no_gpu_start(raw)
        if empty:
            findings = [empty]
        else:
            name = "" if args.log == "-" else args.log
            log_text = readable_log(raw.decode("utf-8", errors="replace"), name)
            findings = diagnose(log_text, fingerprint, context=context)
    if args.json:
        print(json.dumps(to_json_document(findings), indent=2))
    else:
        for note in notes:
            print(note, file=sys.stderr)
        sys.stdout.write(render_text(findings))
    top = findings[0].code if findings else "unexplained"
    return EXIT_OK if top == "healthy" or not args.probe else EXIT_GPU_UNAVAILABLE
