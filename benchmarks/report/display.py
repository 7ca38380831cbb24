"""Fingerprint facts as the report shows them: display text, defaults, the comparable-environment
table. Reading is :class:`~benchmarks.environment.view.FingerprintView`'s job; this adds words.

Also the scrubbing every published string goes through: reports are public, so home paths and
user names must not reach them even if a command line carried one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks.environment import redact
from benchmarks.environment.view import FingerprintView
from benchmarks.rundir.results import RunRecord


def text(value: Any, default: str = "") -> str:
    """A value as display text; None becomes ``default``."""
    if value is None:
        return default
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value)
    return public(str(value))


def public(value: str) -> str:
    """Published text: secrets, home directories, user and host names removed (``redact``)."""
    return redact.scrub_text(value)


def cpu_model(fp: Mapping[str, Any]) -> str:
    return text(FingerprintView(fp).cpu_model(), "unknown CPU")


def gpus(fp: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [g.raw for g in FingerprintView(fp).gpus()]


def gpu_names(fp: Mapping[str, Any]) -> str:
    names = sorted({text(g.get("name"), "GPU") for g in gpus(fp)})
    return ", ".join(names)


def nvidia_status(fp: Mapping[str, Any]) -> str:
    return text(FingerprintView(fp).nvidia_status(), "not collected")


def driver(fp: Mapping[str, Any]) -> str:
    return text(FingerprintView(fp).driver_version())


def tf_version(fp: Mapping[str, Any], record: RunRecord | None = None) -> str:
    """From the fingerprint, else from what the run's workers reported at start-up."""
    found = text(FingerprintView(fp).tf_version())
    if not found and record is not None:
        found = ", ".join(
            sorted(
                {
                    text(w.get("tensorflow"))
                    for w in record.workers
                    if isinstance(w, Mapping) and w.get("tensorflow")
                }
            )
        )
    return found


def image(fp: Mapping[str, Any], run_image: Mapping[str, str]) -> tuple[str, str]:
    """(reference, digest) of the container image, from run.json first, else the fingerprint."""
    fp_ref, fp_digest = FingerprintView(fp).image()
    ref = run_image.get("reference") or text(fp_ref)
    digest = run_image.get("digest") or text(fp_digest)
    return public(ref), public(digest)


def lock_hash(fp: Mapping[str, Any], run_image: Mapping[str, str]) -> str:
    """The lock-file hash when some collector recorded one (not part of schema 1: optional)."""
    return text(run_image.get("lock_sha256") or FingerprintView(fp).lock_hash())


def machine_class(fp: Mapping[str, Any]) -> str:
    """What a trend line is keyed on: the CPU model plus the GPU model(s), if any."""
    names = gpu_names(fp)
    return f"{cpu_model(fp)} + {names}" if names else cpu_model(fp)


def environment(fp: Mapping[str, Any], record: RunRecord) -> dict[str, str]:
    """The facts that must match for two runs' timings to be comparable."""
    return {
        "CPU model": cpu_model(fp),
        "GPU model": gpu_names(fp) or "none",
        "NVIDIA driver": driver(fp) or "none",
        "TensorFlow version": tf_version(fp, record) or "unknown",
        "image digest": image(fp, record.image)[1] or "none",
        # schema 1 timed each cell alone in one process; schema 2 pairs rounds over processes
        "measurement method": record.method,
    }


def flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested JSON as sorted ``(dotted.key, text)`` rows, for the environment tables."""
    rows: list[tuple[str, str]] = []
    if isinstance(data, Mapping):
        if not data and prefix:
            rows.append((prefix, "{}"))
        for key in sorted(data, key=str):
            rows += flatten(data[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) and not data:
        rows.append((public(prefix), "[]"))
    elif isinstance(data, list) and any(isinstance(v, (Mapping, list)) for v in data):
        for i, v in enumerate(data):
            rows += flatten(v, f"{prefix}[{i}]")
    else:
        rows.append((public(prefix), text(data, "null")))
    return rows
