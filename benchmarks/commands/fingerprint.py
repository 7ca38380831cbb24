"""``python -m benchmarks fingerprint``: what this machine would record for a run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.commands import _flags
from benchmarks.errors import EXIT_OK, ConfigError

HELP = "show the environment fingerprint (host, TensorFlow build, NVIDIA driver/GPU state)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _flags.add_json(parser, "the fingerprint")
    parser.add_argument(
        "--include-private",
        action="store_true",
        help="keep the host name, user name and home paths (secrets are always removed)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="also write the JSON to FILE"
    )


def main(args: argparse.Namespace) -> int:
    from benchmarks.environment import fingerprint  # imported here: `--help` must stay cheap

    if args.output is not None:
        _check_output(args.output)  # fail before spending seconds on the collection
    command = ["python", "-m", "benchmarks", *sys.argv[1:]]
    fp = fingerprint.collect(command=command, include_private=args.include_private)
    digest = fingerprint.digest(fp)
    if args.output is not None:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(fp, indent=2, sort_keys=True) + "\n", "utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot write {args.output}: {exc.strerror}", "choose a writable path for -o"
            ) from None
    if args.json:
        print(json.dumps(fp, indent=2, sort_keys=True))
    else:
        print(summary(fp, digest))
    return EXIT_OK


def _check_output(path: Path) -> None:
    if path.is_dir():
        raise ConfigError(
            f"-o {path}: is a directory", "give a file name, e.g. -o fingerprint.json"
        )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"-o {path}: {parent} is not writable", "choose a writable path for -o")


def summary(fp: dict[str, Any], digest: str) -> str:
    """A few lines a person reads before trusting (or not) the numbers from this machine."""
    run, host, py = fp.get("run") or {}, fp.get("host") or {}, fp.get("python") or {}
    tf, nv = fp.get("tensorflow") or {}, fp.get("nvidia") or {}
    lines = [f"fingerprint {digest[:12]}  (schema {fp.get('schema_version')})"]
    dirty = " (dirty)" if run.get("git_dirty") else ""
    lines.append(
        f"suite    graphbench {run.get('suite_version')}  git {run.get('git_sha') or '?'}{dirty}"
    )
    ci = run.get("ci")
    if ci:
        lines.append(
            f"ci       {ci.get('provider')} run {ci.get('run_id')}  {ci.get('run_url') or ''}"
        )
    cg = host.get("cgroup") or {}
    quota = cg.get("cpu_quota_cores")
    limit = cg.get("memory_limit_bytes")
    lines.append(f"host     {host.get('os')}, kernel {host.get('kernel')}, {host.get('libc')}")
    lines.append(
        f"cpu      {host.get('cpu_model')}: {host.get('cores_physical')} physical / "
        f"{host.get('cores_logical')} logical cores"
        + (f", cgroup quota {quota:g} cores" if quota else "")
        + f", governor {host.get('cpu_governor') or '?'}, turbo {_yn(host.get('turbo'))}"
    )
    mem = host.get("memory_total_bytes")
    lines.append(
        f"memory   {_gib(mem)}"
        + (f", cgroup limit {_gib(limit)}" if limit else "")
        + f"; load {host.get('loadavg')}"
    )
    box = host.get("container") or {}
    image = host.get("image") or {}
    lines.append(
        f"container {box.get('kind')}"
        + (f" ({'; '.join(box.get('evidence') or [])})" if box.get("in_container") else "")
        + (f"  image {image.get('reference')} {image.get('digest') or ''}" if image else "")
    )
    pkgs = ", ".join(f"{k} {v}" for k, v in (py.get("packages") or {}).items())
    lines.append(f"python   {py.get('implementation')} {py.get('version')}: {pkgs}")
    if tf.get("status") == "ok":
        bi = tf.get("build_info") or {}
        build = (
            f"CUDA {bi.get('cuda_version')}, cuDNN {bi.get('cudnn_version')}, "
            f"cc {','.join(bi.get('cuda_compute_capabilities') or [])}"
            if bi.get("is_cuda_build")
            else "CPU-only build"
        )
        devices = ", ".join(d.get("name", "?") for d in tf.get("physical_devices") or [])
        lines.append(f"tensorflow {tf.get('version')} ({build}); sees {devices or 'no devices'}")
    else:
        lines.append(f"tensorflow unavailable: {tf.get('error')}")
    if nv.get("status") == "ok":
        lines.append(
            f"nvidia   driver {nv.get('driver_version')}, "
            f"CUDA driver {nv.get('cuda_driver_version')}, {len(nv.get('gpus') or [])} GPU(s)"
        )
        for g in nv.get("gpus") or []:
            lines.append("  " + _gpu_line(g))
    else:
        lines.append(f"nvidia   unavailable ({nv.get('error_kind')}): {nv.get('error')}")
        proc = "present" if nv.get("proc_driver_version") else "absent"
        nodes = ", ".join(n["path"] for n in nv.get("device_nodes") or []) or "none"
        lines.append(f"         /proc/driver/nvidia/version: {proc}; device nodes: {nodes}")
    env = fp.get("env") or {}
    shown = (
        {k: v for k, v in env.items() if k not in {"PATH", "LD_LIBRARY_PATH"}}
        if isinstance(env, dict)
        else {}
    )
    lines.append(
        "env      "
        + (", ".join(f"{k}={v}" for k, v in shown.items()) or "(no allow-listed variables set)")
    )
    return "\n".join(lines)


def _gpu_line(g: dict[str, Any]) -> str:
    if g.get("status") == "unavailable":
        return f"GPU {g.get('index')}: unavailable: {g.get('error')}"
    clocks = g.get("clocks") or {}
    procs = g.get("processes") or []
    foreign = [p for p in procs if not p.get("ours")]
    mig = g.get("mig_mode") or {}
    return (
        f"GPU {g.get('index')}: {g.get('name')} cc {g.get('compute_capability')}, "
        f"{_gib(g.get('memory_used_bytes'))}/{_gib(g.get('memory_total_bytes'))} used, "
        f"{g.get('temperature_c')} C, SM {clocks.get('sm_mhz')}/{clocks.get('sm_max_mhz')} MHz, "
        f"{g.get('pstate')}, mode {g.get('compute_mode')}"
        + (", MIG on" if mig.get("current") else "")
        + (
            f", throttle: {','.join(g.get('throttle_reasons') or [])}"
            if g.get("throttle_reasons")
            else ""
        )
        + (f", {len(foreign)} foreign process(es)" if foreign else "")
    )


def _gib(n: Any) -> str:
    return f"{n / 2**30:.1f} GiB" if isinstance(n, (int, float)) else "?"


def _yn(v: Any) -> str:
    return "?" if v is None else ("on" if v else "off")
