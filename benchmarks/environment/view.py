"""The one reader of ``fingerprint.json`` (plus the GPU probe's context), for the doctor and
the report alike.

Every key may be missing (a collector that failed writes ``{"status": "unavailable"}``) or of an
odd shape, so nothing here raises: every accessor answers ``None`` for "unknown", which the
doctor's rules treat differently from a known ``False``, and the report shows as a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def dig(data: Any, *keys: str | int) -> Any:
    """``data[k1][k2]...`` or None when any step is missing or of the wrong type."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(data, list) or not -len(data) <= key < len(data):
                return None
            data = data[key]
        elif isinstance(data, Mapping):
            data = data.get(key)
        else:
            return None
    return data


def _version_tuple(text: Any) -> tuple[int, ...] | None:
    if not isinstance(text, str | int | float):
        return None
    parts = []
    for piece in str(text).strip().split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts) or None


@dataclass(frozen=True)
class Gpu:
    index: int
    raw: Mapping[str, Any]

    def get(self, *keys: str) -> Any:
        return dig(self.raw, *keys)

    def path(self, key: str) -> str:
        return f"nvidia.gpus[{self.index}].{key}"

    def foreign_processes(self) -> list[Mapping[str, Any]]:
        procs = self.raw.get("processes")
        if not isinstance(procs, list):
            return []
        return [p for p in procs if isinstance(p, Mapping) and not p.get("ours", False)]

    def memory_fraction_used(self) -> float | None:
        used, total = self.raw.get("memory_used_bytes"), self.raw.get("memory_total_bytes")
        if isinstance(used, int | float) and isinstance(total, int | float) and total > 0:
            return float(used) / float(total)
        return None


class FingerprintView:
    """What the fingerprint and the probe context say, with ``None`` for unknown."""

    def __init__(
        self, fingerprint: Mapping[str, Any] | None, context: Mapping[str, Any] | None = None
    ) -> None:
        self.fp: Mapping[str, Any] = fingerprint or {}
        self.ctx: Mapping[str, Any] = context or {}

    @property
    def present(self) -> bool:
        return bool(self.fp)

    # -- host / container ---------------------------------------------------------------
    def in_container(self) -> bool | None:
        if isinstance(self.ctx.get("in_container"), bool):
            return bool(self.ctx["in_container"])
        value = dig(self.fp, "host", "container", "in_container")
        return value if isinstance(value, bool) else None

    def container_kind(self) -> str | None:
        kind = dig(self.fp, "host", "container", "kind")
        return kind if isinstance(kind, str) else None

    def cpu_model(self) -> str | None:
        v = dig(self.fp, "host", "cpu_model")
        return str(v) if v else None

    def image(self) -> tuple[str | None, str | None]:
        """(reference, digest) of the container image the fingerprint recorded."""
        ref, digest = (
            dig(self.fp, "host", "image", "reference"),
            dig(self.fp, "host", "image", "digest"),
        )
        return (str(ref) if ref else None), (str(digest) if digest else None)

    def lock_hash(self) -> str | None:
        """The lock-file hash when some collector recorded one (optional in schema 1)."""
        for keys in (("run", "lock_sha256"), ("run", "lock_hash"), ("python", "lock_sha256")):
            v = dig(self.fp, *keys)
            if v:
                return str(v)
        return None

    # -- nvidia ---------------------------------------------------------------------------
    def nvidia(self) -> Mapping[str, Any]:
        nv = self.fp.get("nvidia")
        return nv if isinstance(nv, Mapping) else {}

    def nvidia_known(self) -> bool:
        return bool(self.nvidia())

    def nvidia_status(self) -> str | None:
        status = self.nvidia().get("status")
        return str(status) if status is not None else None

    def nvidia_ok(self) -> bool | None:
        status = self.nvidia().get("status")
        return None if status is None else status == "ok"

    def nvidia_error(self) -> str | None:
        err = self.nvidia().get("error")
        return err if isinstance(err, str) and err else None

    def nvidia_error_kind(self) -> str | None:
        kind = self.nvidia().get("error_kind")
        return kind if isinstance(kind, str) else None

    def device_nodes(self) -> list[Mapping[str, Any]] | None:
        nodes = self.nvidia().get("device_nodes", self.ctx.get("device_nodes"))
        if not isinstance(nodes, list):
            return None
        return [n for n in nodes if isinstance(n, Mapping)]

    def node(self, path: str) -> Mapping[str, Any] | None:
        for n in self.device_nodes() or []:
            if n.get("path") == path:
                return n
        return None

    def has_gpu_nodes(self) -> bool | None:
        nodes = self.device_nodes()
        if nodes is None:
            return None
        return any(str(n.get("path", "")).rstrip("0123456789") == "/dev/nvidia" for n in nodes)

    def proc_driver_version(self) -> str | None:
        text = self.nvidia().get("proc_driver_version", self.ctx.get("proc_driver_version"))
        return text if isinstance(text, str) and text.strip() else None

    def proc_driver_known(self) -> bool:
        return "proc_driver_version" in self.nvidia() or "proc_driver_version" in self.ctx

    def gpu_intended(self) -> bool:
        """Signs that this environment was set up for a GPU (a CUDA build, NVIDIA env vars):
        in a container they separate 'GPU not passed in' from 'no GPU anywhere'."""
        if self.is_cuda_build():
            return True
        for var in ("NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"):
            value = self.env(var)
            if value is not None and value.strip().lower() not in ("", "none", "void"):
                return True
        return False

    def driver_version(self) -> str | None:
        v = self.nvidia().get("driver_version")
        return str(v) if v else None

    def cuda_driver_version(self) -> tuple[int, ...] | None:
        return _version_tuple(self.nvidia().get("cuda_driver_version"))

    def gpus(self) -> list[Gpu]:
        gpus = self.nvidia().get("gpus")
        if not isinstance(gpus, list):
            return []
        return [
            Gpu(int(g.get("index", i)) if isinstance(g.get("index", i), int) else i, g)
            for i, g in enumerate(gpus)
            if isinstance(g, Mapping)
        ]

    # -- tensorflow -----------------------------------------------------------------------
    def is_cuda_build(self) -> bool | None:
        v = dig(self.fp, "tensorflow", "build_info", "is_cuda_build")
        if v is None:
            v = self.ctx.get("is_cuda_build")
        return v if isinstance(v, bool) else None

    def build_cuda_version(self) -> tuple[int, ...] | None:
        return _version_tuple(dig(self.fp, "tensorflow", "build_info", "cuda_version"))

    def build_cudnn_version(self) -> str | None:
        v = dig(self.fp, "tensorflow", "build_info", "cudnn_version")
        return str(v) if v else None

    def build_compute_capabilities(self) -> list[tuple[int, int]]:
        caps = dig(self.fp, "tensorflow", "build_info", "cuda_compute_capabilities")
        out: list[tuple[int, int]] = []
        for cap in caps if isinstance(caps, list) else []:
            digits = "".join(ch for ch in str(cap) if ch.isdigit() or ch == ".")
            if "." in digits:
                major, _, minor = digits.partition(".")
                if major.isdigit() and minor[:1].isdigit():
                    out.append((int(major), int(minor[:1])))
            elif len(digits) >= 2:
                out.append((int(digits[:-1]), int(digits[-1])))
        return out

    def tf_version(self) -> str | None:
        """TensorFlow's own word, else the installed package's version."""
        v = dig(self.fp, "tensorflow", "version") or dig(
            self.fp, "python", "packages", "tensorflow"
        )
        return str(v) if v else None

    def package(self, name: str) -> str | None:
        v = dig(self.fp, "python", "packages", name)
        return str(v) if v else None

    def env(self, name: str) -> str | None:
        env = self.fp.get("env")
        if isinstance(env, Mapping) and name in env and env[name] is not None:
            return str(env[name])
        return None

    def env_known(self) -> bool:
        return isinstance(self.fp.get("env"), Mapping)

    # -- probe context --------------------------------------------------------------------
    def start_method(self) -> str | None:
        v = self.ctx.get("start_method")
        return v if isinstance(v, str) else None

    def probe_elapsed_s(self) -> float | None:
        v = self.ctx.get("probe_elapsed_s")
        return float(v) if isinstance(v, int | float) else None
