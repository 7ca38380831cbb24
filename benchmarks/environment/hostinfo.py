"""Host facts read from ``/proc``, ``/sys`` and ``/dev``: CPU, memory limits, container, driver.

Why a module of its own: these are file reads with a parser each, and a benchmark number depends
on them (a cgroup CPU quota of 2 cores on a 64-core box explains a flat scaling curve). Every
reader takes a ``root`` so tests point it at a directory holding recorded real file contents; the
parsers are pure. Anything unreadable is ``None`` (we report what we know, never guess).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path("/")
_UNLIMITED_V1 = 1 << 62  # cgroup v1 prints ~9223372036854771712 for "no limit"


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


# ---------------------------------------------------------------------------- cgroup


def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` (``"max 100000"`` or ``"200000 100000"``) as cores, None = no limit."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    return int(parts[0]) / int(parts[1])


def parse_memory_max(text: str) -> int | None:
    value = text.strip()
    if value in {"", "max"}:
        return None
    n = int(value)
    return None if n >= _UNLIMITED_V1 else n


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """``/proc/self/cgroup`` as controller -> path (``""`` is the v2 unified hierarchy)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for ctrl in parts[1].split(",") if parts[1] else [""]:
                out[ctrl] = parts[2]
    return out


def cgroup_limits(root: Path = ROOT) -> dict[str, Any]:
    """CPU quota (cores) and memory limit of this process's cgroup, v2 first, then v1."""
    fs = root / "sys/fs/cgroup"
    own = parse_proc_cgroup(read_text(root / "proc/self/cgroup") or "")
    if (fs / "cgroup.controllers").exists():
        for base in _candidates(fs, own.get("", "/")):
            cpu, mem = read_text(base / "cpu.max"), read_text(base / "memory.max")
            if cpu is not None or mem is not None:
                return {
                    "version": 2,
                    "cpu_quota_cores": parse_cpu_max(cpu) if cpu else None,
                    "memory_limit_bytes": parse_memory_max(mem) if mem else None,
                }
        return {"version": 2, "cpu_quota_cores": None, "memory_limit_bytes": None}
    quota_cores = None
    for base in _candidates(fs / "cpu", own.get("cpu", "/")):
        quota, period = read_text(base / "cpu.cfs_quota_us"), read_text(base / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            q, p = int(quota), int(period)
            quota_cores = q / p if q > 0 and p > 0 else None
            break
    memory = None
    for base in _candidates(fs / "memory", own.get("memory", "/")):
        limit = read_text(base / "memory.limit_in_bytes")
        if limit is not None:
            memory = parse_memory_max(limit)
            break
    version = 1 if (fs / "cpu").exists() or (fs / "memory").exists() else None
    return {"version": version, "cpu_quota_cores": quota_cores, "memory_limit_bytes": memory}


def usable_cpus(root: Path = ROOT) -> int:
    """CPUs this process may run on (affinity), capped by its cgroup CPU quota: the thread count
    TensorFlow should get so it neither idles cores nor oversubscribes a container's quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    quota = cgroup_limits(root)["cpu_quota_cores"]
    return min(n, max(1, round(quota))) if quota else n


def oom_kills(root: Path = ROOT) -> int:
    """The cgroup v2 ``oom_kill`` counter of our cgroup (0 where unreadable): a worker killed by
    SIGKILL while it rose was ended by the kernel's OOM killer."""
    own = parse_proc_cgroup(read_text(root / "proc/self/cgroup") or "")
    for base in _candidates(root / "sys/fs/cgroup", own.get("", "/")):
        for line in (read_text(base / "memory.events") or "").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    return 0


def _candidates(base: Path, rel: str) -> list[Path]:
    """Our own cgroup directory first (host view), then the mount root (cgroup namespace)."""
    own = base / rel.lstrip("/")
    return [own, base] if own != base else [base]


# ---------------------------------------------------------------------------- CPU


def cpu_model(root: Path = ROOT) -> str | None:
    text = read_text(root / "proc/cpuinfo") or ""
    for key in ("model name", "Model", "Hardware", "cpu model"):
        m = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE)
        if m:
            return m.group(1).strip()
    return None


def cpu_governor(root: Path = ROOT) -> str | None:
    """The scaling governor(s) in use: one name, or ``a,b`` when CPUs differ."""
    found = {
        t.strip()
        for p in sorted(
            (root / "sys/devices/system/cpu").glob("cpu[0-9]*/cpufreq/scaling_governor")
        )
        if (t := read_text(p))
    }
    return ",".join(sorted(found)) or None


def turbo(root: Path = ROOT) -> bool | None:
    """Turbo/boost enabled? intel_pstate's ``no_turbo`` or the generic cpufreq ``boost``."""
    no_turbo = read_text(root / "sys/devices/system/cpu/intel_pstate/no_turbo")
    if no_turbo is not None and no_turbo.strip() in {"0", "1"}:
        return no_turbo.strip() == "0"
    boost = read_text(root / "sys/devices/system/cpu/cpufreq/boost")
    if boost is not None and boost.strip() in {"0", "1"}:
        return boost.strip() == "1"
    return None


def os_name(root: Path = ROOT) -> str | None:
    text = read_text(root / "etc/os-release") or read_text(root / "usr/lib/os-release") or ""
    m = re.search(r'^PRETTY_NAME="?([^"\n]*)"?$', text, re.MULTILINE)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------- container

_CGROUP_HINTS = (
    ("kubernetes", re.compile(r"kubepods")),
    ("docker", re.compile(r"/docker[/-]|docker-[0-9a-f]{12,}")),
    ("podman", re.compile(r"libpod")),
    ("lxc", re.compile(r"/lxc[/.]|lxc\.payload")),
    ("containerd", re.compile(r"containerd|cri-containerd")),
)


def detect_container(env: Mapping[str, str], root: Path = ROOT) -> dict[str, Any]:
    """In a container? Which kind? Each conclusion keeps the evidence that led to it."""
    evidence: list[str] = []
    kinds: list[str] = []
    if env.get("KUBERNETES_SERVICE_HOST"):
        evidence.append("KUBERNETES_SERVICE_HOST is set")
        kinds.append("kubernetes")
    if (root / "run/.containerenv").exists():
        evidence.append("/run/.containerenv exists")
        kinds.append("podman")
    if (root / ".dockerenv").exists():
        evidence.append("/.dockerenv exists")
        kinds.append("docker")
    if env.get("container"):
        evidence.append(f"container={env['container']} in the environment")
        if env["container"] in {"podman", "docker", "lxc"}:
            kinds.append(env["container"])
    for label, path in (
        ("/proc/1/cgroup", "proc/1/cgroup"),
        ("/proc/self/cgroup", "proc/self/cgroup"),
    ):
        text = read_text(root / path) or ""
        for kind, pattern in _CGROUP_HINTS:
            if pattern.search(text):
                evidence.append(f"{label} mentions {kind}")
                kinds.append("docker" if kind == "containerd" else kind)
                break
    mounts = read_text(root / "proc/self/mountinfo") or ""
    if "/docker/containers/" in mounts:
        evidence.append("/proc/self/mountinfo mounts files from /docker/containers/")
        kinds.append("docker")
    order = ("kubernetes", "podman", "docker", "lxc")
    kind = next((k for k in order if k in kinds), "none" if not evidence else "unknown")
    return {"in_container": bool(evidence), "kind": kind, "evidence": evidence}


# ---------------------------------------------------------------------------- NVIDIA files


def nvidia_driver_files(root: Path = ROOT) -> dict[str, Any]:
    """What the kernel side shows even when NVML cannot start (the GPU doctor's ground truth)."""
    version = read_text(root / "proc/driver/nvidia/version")
    return {
        "proc_driver_version": version.strip() if version else None,
        "proc_gpus": _proc_gpus(root),
        "device_nodes": device_nodes(root),
    }


def _proc_gpus(root: Path) -> list[dict[str, str]]:
    out = []
    for info in sorted((root / "proc/driver/nvidia/gpus").glob("*/information")):
        text = read_text(info) or ""
        fields = dict(re.findall(r"^([A-Za-z][A-Za-z .]*?):\s*(.*)$", text, re.MULTILINE))
        out.append(
            {
                "bus_id": info.parent.name,
                "model": fields.get("Model", ""),
                "irq": fields.get("IRQ", ""),
            }
        )
    return out


def device_nodes(root: Path = ROOT) -> list[dict[str, Any]]:
    """``/dev/nvidia*`` (and WSL's ``/dev/dxg``) with mode and whether *we* may open them."""
    dev = root / "dev"
    paths = sorted({*dev.glob("nvidia*"), *dev.glob("nvidia-caps/*"), *dev.glob("dxg")})
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            continue
        shown = "/" + str(p.relative_to(root)) if root != ROOT else str(p)
        out.append(
            {
                "path": shown,
                "mode": stat.filemode(st.st_mode),
                "readable": os.access(p, os.R_OK),
                "writable": os.access(p, os.W_OK),
            }
        )
    return out
