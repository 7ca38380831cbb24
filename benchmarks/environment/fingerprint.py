"""The environment fingerprint: what machine, software and GPU state a run's numbers came from.

``collect`` assembles small ``collect_*`` sections. Each one degrades softly: a failure becomes
``{"status": "unavailable", "error": "<exact message>"}`` in its section, never an exception,
because a missing driver or an unreadable cgroup is itself a fact (the GPU doctor needs it).
The whole record then passes through :mod:`benchmarks.environment.redact`, since it is published.
Format and redaction policy: docs/fingerprint.md (``SCHEMA_VERSION`` below).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import __version__, _proc
from benchmarks.environment import gitrepo, hostinfo, redact
from benchmarks.environment.ci import ci_metadata
from benchmarks.errors import BenchError
from benchmarks.gpu import nvml as _nvml
from benchmarks.rundir.jsonio import utc_stamp, write_json_atomic
from benchmarks.rundir.layout import FINGERPRINT_FILE

SCHEMA_VERSION = 1
TF_TIMEOUT_S = 60.0
PACKAGES = ("tensorflow", "tensorflow-cpu", "tf-keras", "keras", "numpy", "nvidia-ml-py")
# Left out of the digest: they change from one collection to the next on an unchanged machine.
VOLATILE: tuple[tuple[str, ...], ...] = (
    ("collected_at",),
    ("collect_s",),
    ("run", "command"),
    ("run", "ci", "run_id"),
    ("run", "ci", "run_url"),
    ("host", "loadavg"),
    ("tensorflow", "import_s"),
    ("tensorflow", "elapsed_s"),
    ("tensorflow", "stderr_tail"),
)
GPU_VOLATILE = (*_nvml.DYNAMIC_FIELDS[1:], "ecc", "mig_devices", "errors")
REPO_ROOT = gitrepo.REPO_ROOT


def collect(
    *,
    command: Sequence[str] = (),
    matrix_digest: str | None = None,
    image: Mapping[str, str] | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """Collect every section (TensorFlow's child process runs while the rest is read)."""
    start = time.monotonic()
    env = dict(os.environ)
    ctx = redact.PrivacyContext.current(keep_private=include_private, fresh=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        tf_future = pool.submit(_soft, collect_tensorflow)
        fp: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "collected_at": utc_stamp(),
            "run": _soft(
                collect_run, command=command, matrix_digest=matrix_digest, env=env, ctx=ctx
            ),
            "host": _soft(collect_host, env=env, image=image),
            "python": _soft(collect_python),
            "tensorflow": None,
            "nvidia": _soft(collect_nvidia),
            "env": _soft(collect_env, env=env, ctx=ctx),
        }
        fp["tensorflow"] = tf_future.result()
    fp["collect_s"] = round(time.monotonic() - start, 3)
    scrubbed: dict[str, Any] = redact.scrub_tree(fp, ctx)
    return scrubbed


def _soft(fn: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """A section that raised becomes ``unavailable`` with the exact message."""
    try:
        return fn(**kwargs)
    except Exception as exc:
        message = exc.message if isinstance(exc, BenchError) else str(exc)
        return {"status": "unavailable", "error": message or type(exc).__name__}


# ---------------------------------------------------------------------------- sections


def collect_run(
    *,
    command: Sequence[str] = (),
    matrix_digest: str | None = None,
    env: Mapping[str, str] | None = None,
    ctx: redact.PrivacyContext | None = None,
) -> dict[str, Any]:
    env = os.environ if env is None else env
    sha, dirty, git_error = _git_state(env)
    out: dict[str, Any] = {
        "suite_version": __version__,
        "git_sha": sha,
        "git_dirty": dirty,
        "matrix_digest": matrix_digest,
        "command": redact.scrub_argv(list(command), ctx),
        "ci": ci_metadata(env),
    }
    if git_error:
        out["git_error"] = git_error
    lock = env.get("GRAPHBENCH_LOCK_FILE")  # set by the images: the lock their venv came from
    if lock:
        try:
            out["lock_sha256"] = hashlib.sha256(Path(lock).read_bytes()).hexdigest()
        except OSError as exc:
            out["lock_error"] = f"{lock}: {exc.strerror}"
    return out


def _git_state(env: Mapping[str, str]) -> tuple[str | None, bool | None, str | None]:
    """HEAD and dirty flag of the checkout; inside an image (no .git) the Nox session may pass
    ``GRAPHBENCH_GIT_SHA`` / ``GRAPHBENCH_GIT_DIRTY`` instead."""
    sha, error = gitrepo.head()
    if sha is not None:
        return sha, gitrepo.dirty(), None
    if env.get("GRAPHBENCH_GIT_SHA"):
        dirty_text = env.get("GRAPHBENCH_GIT_DIRTY", "").lower()
        dirty = {"1": True, "true": True, "0": False, "false": False}.get(dirty_text)
        return env["GRAPHBENCH_GIT_SHA"], dirty, None
    return None, None, error


def collect_host(
    *, env: Mapping[str, str] | None = None, image: Mapping[str, str] | None = None
) -> dict[str, Any]:
    import psutil

    env = os.environ if env is None else env
    libc_name, libc_version = platform.libc_ver()
    if image is None and (env.get("GRAPHBENCH_IMAGE") or env.get("GRAPHBENCH_IMAGE_DIGEST")):
        image = {
            "reference": env.get("GRAPHBENCH_IMAGE", ""),
            "digest": env.get("GRAPHBENCH_IMAGE_DIGEST", ""),
        }
    return {
        "hostname": platform.node(),  # replaced by <host> unless --include-private
        "os": hostinfo.os_name() or platform.platform(),
        "system": platform.system(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "libc": f"{libc_name} {libc_version}".strip() or None,
        "cpu_model": hostinfo.cpu_model() or platform.processor() or None,
        "cores_physical": psutil.cpu_count(logical=False),
        "cores_logical": os.cpu_count(),
        "cores_usable": hostinfo.usable_cpus(),
        "memory_total_bytes": psutil.virtual_memory().total,
        "cgroup": hostinfo.cgroup_limits(),
        "cpu_governor": hostinfo.cpu_governor(),
        "turbo": hostinfo.turbo(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "container": hostinfo.detect_container(env),
        "image": None
        if image is None
        else {"reference": image.get("reference") or None, "digest": image.get("digest") or None},
    }


def collect_python() -> dict[str, Any]:
    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        # PEP 503 normalisation: the wheel of tensorflow-cpu names itself "tensorflow_cpu"
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
        if name in PACKAGES or name.startswith("nvidia-"):
            packages[name] = dist.version
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": dict(sorted(packages.items())),
    }


def collect_tensorflow() -> dict[str, Any]:
    """Run ``python -m benchmarks.worker.tfinfo`` in a child; parse stdout, keep stderr's tail."""
    import sys

    done = _proc.run(
        [sys.executable, "-m", "benchmarks.worker.tfinfo"],
        timeout_s=TF_TIMEOUT_S,
        cwd=REPO_ROOT,
    )
    tail = done.stderr.strip().splitlines()[-20:]
    if done.timed_out:
        return {
            "status": "unavailable",
            "error": f"tfinfo timed out after {TF_TIMEOUT_S:.0f} s",
            "stderr_tail": tail,
        }
    try:
        out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        reason = tail[-1] if tail else f"exit status {done.returncode}, no output"
        return {"status": "unavailable", "error": reason, "stderr_tail": tail}
    if isinstance(out.get("onednn"), dict):
        out["onednn"]["log_says_on"] = any(
            "oneDNN custom operations are on" in line for line in tail
        )
    out["elapsed_s"] = round(done.elapsed_s, 3)
    out["stderr_tail"] = tail
    return out


def collect_nvidia() -> dict[str, Any]:
    """NVML's reading plus the kernel-side files, which stay readable when NVML fails."""
    reading = _nvml.read()
    files = hostinfo.nvidia_driver_files()
    base: dict[str, Any] = {
        "status": reading["status"],
        "error": reading.get("error"),
        "error_kind": reading.get("error_kind"),
        "driver_version": None,
        "cuda_driver_version": None,
        "nvml_version": None,
        "nvidia_smi": _proc.which("nvidia-smi"),
    }
    return {**base, **reading, **files, "gpus": reading.get("gpus", [])}


def collect_env(
    *, env: Mapping[str, str] | None = None, ctx: redact.PrivacyContext | None = None
) -> dict[str, Any]:
    return redact.scrub_env(os.environ if env is None else env, ctx)


# ---------------------------------------------------------------------------- digest, write


def stable_view(fp: Mapping[str, Any]) -> dict[str, Any]:
    """The fingerprint without the fields that change on an unchanged machine."""
    view: dict[str, Any] = json.loads(json.dumps(fp, default=str))
    for path in VOLATILE:
        node: Any = view
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    nvidia = view.get("nvidia")
    for gpu in nvidia.get("gpus") or [] if isinstance(nvidia, dict) else []:
        if isinstance(gpu, dict):
            for key in GPU_VOLATILE:
                if key == "clocks" and isinstance(gpu.get("clocks"), dict):
                    gpu["clocks"] = {
                        k: v for k, v in gpu["clocks"].items() if k.endswith("_max_mhz")
                    }
                elif key != "clocks":
                    gpu.pop(key, None)
    return view


def digest(fp: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of :func:`stable_view` (same machine, same digest)."""
    canonical = json.dumps(
        stable_view(fp), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def write(run_dir: Path, fp: Mapping[str, Any]) -> str:
    """Write ``fingerprint.json`` into ``run_dir`` (atomically) and return its digest."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / FINGERPRINT_FILE
    write_json_atomic(target, fp, allow_nan=True)  # as before the move: NaN kept, not refused
    return digest(fp)
