"""Writes the hand-built run directories under tests/data/runs/ (and synthetic runs for timing).

They follow the shared contract exactly (run.json = RunRecord, cases.jsonl = CaseResult lines,
fingerprint.json, diagnosis.json) with deterministic, plausible timings: t(b) = t0 + c*b per mode
with a few % noise from a seeded generator. Regenerate with::

    python3 tests/data/make_fixtures.py

then re-bless the golden pages::

    GRAPHBENCH_BLESS=1 python3 -m pytest tests/unit/test_report_golden.py
"""

from __future__ import annotations

import copy
import random
import shutil
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.plan.matrix import Case  # noqa: E402
from benchmarks.run import outcome  # noqa: E402
from benchmarks.rundir.jsonio import write_json_atomic  # noqa: E402
from benchmarks.rundir.results import CaseResult, RunRecord  # noqa: E402

RUNS = Path(__file__).resolve().parent / "runs"
MLP_FLOPS = 668_672
PROCESSES = 3  # fresh processes per cell (schema 2)
ROUNDS = 5  # rounds per process
CNN_FLOPS = 4_200_000
SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(document.domain)">'

# (t0 seconds, c seconds per sample) per workload x mode x device kind
MODEL = {
    ("mlp", "eager", "cpu"): (3.1e-4, 7.2e-6),
    ("mlp", "graph", "cpu"): (9.0e-5, 6.6e-6),
    ("mlp", "xla", "cpu"): (5.5e-5, 6.1e-6),
    ("cnn", "eager", "cpu"): (6.0e-4, 4.4e-5),
    ("cnn", "graph", "cpu"): (2.2e-4, 4.1e-5),
    ("cnn", "xla", "cpu"): (1.4e-4, 3.6e-5),
    ("mlp", "eager", "gpu"): (4.2e-4, 2.0e-9),
    ("mlp", "graph", "gpu"): (1.1e-4, 1.9e-9),
    ("mlp", "xla", "gpu"): (4.0e-5, 1.5e-9),
}


def fingerprint(
    *,
    gpu: str | None = None,
    env_extra: dict[str, str] | None = None,
    cpu: str = "AMD EPYC 9R14 96-Core Processor",
    tf: str = "2.21.0",
    digest: str = "sha256:" + "ab" * 32,
) -> dict[str, Any]:
    fp: dict[str, Any] = {
        "schema_version": 1,
        "collected_at": "2026-11-20T09:00:00Z",
        "run": {
            "suite_version": "0.1.0",
            "git_sha": "e6dc2ac0a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "git_dirty": False,
            "matrix_digest": "sha256:5f1c0e",
            "command": ["python", "-m", "benchmarks", "run", "--profile", "default"],
            "ci": None,
        },
        "host": {
            "os": "Debian GNU/Linux 12 (bookworm)",
            "kernel": "6.1.0-28-amd64",
            "libc": "glibc 2.36",
            "cpu_model": cpu,
            "cores_physical": 1,
            "cores_logical": 2,
            "memory_total_bytes": 25_769_803_776,
            "cgroup": {"cpu_quota_cores": None, "memory_limit_bytes": None},
            "cpu_governor": None,
            "turbo": None,
            "loadavg": [0.42, 0.51, 0.6],
            "container": {"in_container": True, "kind": "docker", "evidence": ["/.dockerenv"]},
            "image": {"reference": "graphbench:cpu", "digest": digest},
        },
        "python": {
            "version": "3.11.2",
            "implementation": "CPython",
            "packages": {"tensorflow": tf, "keras": "3.15.0", "numpy": "2.1.3"},
        },
        "tensorflow": {
            "status": "ok",
            "error": None,
            "version": tf,
            "git_version": "v2.21.0-rc0-1",
            "build_info": {
                "is_cuda_build": gpu is not None,
                "cuda_version": "12.5" if gpu else None,
                "cudnn_version": "9" if gpu else None,
                "cuda_compute_capabilities": ["sm_90"] if gpu else [],
            },
            "physical_devices": [{"name": "/physical_device:CPU:0", "device_type": "CPU"}],
            "onednn": True,
            "threads": {"intra_op": 0, "inter_op": 0},
            "xla_flags": None,
            "tf32": None,
        },
        "nvidia": {
            "status": "unavailable",
            "error": "NVML Shared Library Not Found",
            "error_kind": "library_not_found",
            "proc_driver_version": None,
            "device_nodes": [],
            "gpus": [],
        },
        "env": {"CUDA_VISIBLE_DEVICES": None, "TF_CPP_MIN_LOG_LEVEL": "0"},
    }
    if gpu is not None:
        fp["nvidia"] = {
            "status": "ok",
            "error": None,
            "error_kind": None,
            "driver_version": "580.65.06",
            "cuda_driver_version": "13.0",
            "nvml_version": "13.580.65.06",
            "proc_driver_version": "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06",
            "device_nodes": [
                {"path": "/dev/nvidia0", "mode": "crw-rw-rw-", "readable": True, "writable": True}
            ],
            "gpus": [_gpu(gpu)],
        }
        fp["tensorflow"]["physical_devices"].append(
            {"name": "/physical_device:GPU:0", "device_type": "GPU"}
        )
    fp["env"].update(env_extra or {})
    return fp


def _gpu(name: str) -> dict[str, Any]:
    return {
        "index": 0,
        "name": name,
        "uuid_hash": "3f9a1c",
        "pci_bus_id": "00000000:19:00.0",
        "compute_capability": "9.0",
        "memory_total_bytes": 85_520_809_984,
        "memory_used_bytes": 611_319_808,
        "utilization_gpu_pct": 0,
        "temperature_c": 31,
        "power_draw_w": 71.2,
        "power_limit_w": 700.0,
        "clocks": {"sm_mhz": 345, "sm_max_mhz": 1980, "mem_mhz": 2619, "mem_max_mhz": 2619},
        "pstate": "P0",
        "throttle_reasons": [],
        "persistence_mode": True,
        "compute_mode": "Default",
        "mig_mode": {"current": False, "pending": False},
        "mig_devices": [],
        "ecc": {"enabled": True, "uncorrected_volatile": 0, "corrected_volatile": 0},
        "virtualization_mode": "None",
        "vgpu_license": None,
        "processes": [],
    }


def case(
    rng: random.Random,
    workload: str,
    mode: str,
    b: int,
    device: str,
    *,
    status: str = "ok",
    reason: str | None = None,
    scale: float = 1.0,
    warnings: list[dict[str, str]] | None = None,
    noise: float = 0.02,
    gpu_state: dict[str, Any] | None = None,
    t: str = "2026-11-20T09:01:00Z",
) -> CaseResult:
    dev_id = device.replace(":", "")
    cid = f"{workload}-{mode}-b{b}-{dev_id}"
    kind = "gpu" if device.startswith("gpu") else "cpu"
    flops = MLP_FLOPS if workload.startswith("mlp") else CNN_FLOPS
    base = dict(
        case_id=cid,
        workload=workload,
        mode=mode,
        batch_size=b,
        device=device,
        started_at=t,
        finished_at=t,
        fingerprint_digest="sha256:fp01",
        gpu_state=gpu_state,
    )
    if status != "ok":
        worker: dict[str, Any] = {}
        if status == "crashed":
            worker = {
                "pid": 4242,
                "signal": 11,
                "stderr_tail": "Fatal Python error: Segmentation fault",
            }
        return CaseResult(
            status=status,
            reason=reason,
            worker=worker,
            warnings=warnings or [],
            **base,  # type: ignore[arg-type]
        )
    t0, c = MODEL.get((workload.split("_")[0], mode, kind), (2e-4, 5e-6))
    mean = (t0 + c * b) * scale
    first = mean * (1 if mode == "eager" else 40 if mode == "graph" else 400) + 0.05
    runs = []
    for p in range(PROCESSES):  # each fresh process lands a little apart from the others
        level = mean * (1 + rng.gauss(0, noise / 2))
        samples = [round(level * (1 + rng.gauss(0, noise)), 12) for _ in range(ROUNDS)]
        raw = {  # what a worker would answer; the real outcome code makes the result of it
            "status": "ok",
            "samples_s": samples,
            "iters_per_block": max(1, int(0.08 / mean)),
            "first_call_s": round(first, 6),
            "traces": None if mode == "eager" else 1,
            "traces_after_warmup": None if mode == "eager" else 1,
            "flops_per_sample": flops,
            "output_device": f"/job:localhost/replica:0/task:0/device:{kind.upper()}:0",
            "max_abs_diff": 0.0 if mode == "eager" else 1.2e-7,
            "output_match": True,
            "phases_s": {
                "build": 0.4,
                "first_call": round(first, 6),
                "warmup": 0.2,
                "measure": 0.3,
            },
            "stop": "rounds",
        }
        runs.append(outcome.ProcessRun(p, 4100 + p, raw))
    result = outcome.from_processes(Case(workload, mode, b, device), runs, PROCESSES)
    return replace(
        result,
        reason=reason,
        warnings=[*result.warnings, *(warnings or [])],
        **{  # type: ignore[arg-type]
            k: v
            for k, v in base.items()
            if k not in ("case_id", "workload", "mode", "batch_size", "device")
        },
    )


def record(
    run_id: str,
    cases: list[CaseResult],
    devices: list[str],
    *,
    status: str,
    exit_code: int,
    profile: str = "default",
    started: str = "2026-11-20T09:00:00Z",
    finished: str = "2026-11-20T09:08:31Z",
    total: float = 511.0,
) -> RunRecord:
    argv = [
        "python",
        "-m",
        "benchmarks",
        "run",
        "--profile",
        profile,
        "--device",
        ",".join(devices),
        "--out",
        f"reports/{run_id}",
    ]
    return RunRecord(
        run_id=run_id,
        command=argv,
        profile=profile,
        matrix_source="benchmarks/matrix.toml",
        matrix_digest="sha256:5f1c0e",
        cases=[c.case_id for c in cases],
        devices=devices,
        timing={
            "blocks": ROUNDS,
            "processes": PROCESSES,
            "min_block_s": 0.08,
            "warmup_s": 0.2,
            "warmup_calls": 10,
            "timeout_s": 300,
            "time_cap_s": 30.0,
            "target_ci": None,
        },
        started_at=started,
        finished_at=finished,
        status=status,
        exit_code=exit_code,
        wall_s={"total": total, "import": 2.1, "measure": total - 30},
        image={"reference": "graphbench:cpu", "digest": "sha256:" + "ab" * 32},
        suite_version="0.1.0",
        # as a run writes it: asdict(Case), the call path included
        plan=[asdict(Case(c.workload, c.mode, c.batch_size, c.device)) for c in cases],
        seed=1234,
        threads=2,
        workers=[
            {
                "kind": "cpu",
                "pid": 4100 + p,
                "pass": p,
                "tensorflow": "2.21.0",
                "keras": "3.15.1",
                "import_s": 2.1,
                "end": "exited with code 0",
            }
            for p in range(PROCESSES)
        ],
    )


def write(
    run_dir: Path,
    rec: RunRecord,
    cases: list[CaseResult],
    fp: dict[str, Any],
    diagnosis: dict[str, Any] | None = None,
    probe_log: str | None = None,
) -> Path:
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    write_json_atomic(run_dir / "run.json", asdict(rec))
    (run_dir / "cases.jsonl").write_text("".join(c.to_json() + "\n" for c in cases))
    write_json_atomic(run_dir / "fingerprint.json", fp)
    if diagnosis is not None:
        write_json_atomic(run_dir / "diagnosis.json", diagnosis)
    if probe_log is not None:
        (run_dir / "probe.log").write_text(probe_log)
    return run_dir


def cpu_all_statuses(root: Path) -> Path:
    rng = random.Random(1)
    odd = {
        ("mlp", "xla", 1000): dict(
            status="failed",
            reason="XLA compilation failed: INTERNAL: ptxas exited with non-zero error code",
        ),
        ("cnn", "graph", 1000): dict(
            status="crashed", reason="worker died with SIGSEGV (signal 11) during the first call"
        ),
        ("cnn", "xla", 1000): dict(
            status="timeout", reason="no result after 300 s (timeout_s); worker killed"
        ),
        ("cnn", "eager", 1000): dict(
            status="oom",
            reason="ResourceExhaustedError: OOM when allocating tensor with shape[1000,26,26,32]",
        ),
        ("cnn", "xla", 1): dict(
            status="skipped", reason="excluded for this device by the profile (exclude rule 1)"
        ),
        ("mlp", "graph", 10): dict(
            warnings=[{"code": "retraced", "detail": "3 traces after warm-up (expected 1)"}]
        ),
        ("mlp", "eager", 100): dict(noise=0.2),
        ("cnn", "graph", 10): dict(
            warnings=[{"code": "high_load", "detail": "loadavg 3.1 on 2 cores"}]
        ),
        ("cnn", "xla", 100): dict(
            warnings=[{"code": "output_mismatch", "detail": "max |diff| 3.2e-3 > 1e-4"}]
        ),
    }
    cases = [
        case(rng, w, m, b, "cpu", **odd.get((w, m, b), {}))  # type: ignore[arg-type]
        for w in ("mlp", "cnn")
        for b in (1, 10, 100, 1000)
        for m in ("eager", "graph", "xla")
    ]
    rec = record("2026-11-20T0900Z-cpu", cases, ["cpu"], status="cells_failed", exit_code=1)
    return write(root / "cpu-all-statuses", rec, cases, fingerprint())


PROBE_LOG = """\
2026-11-20 09:00:03.118201: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
2026-11-20 09:00:05.412774: E external/local_xla/xla/stream_executor/cuda/cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
2026-11-20 09:00:05.412851: I external/local_xla/xla/stream_executor/cuda/cuda_diagnostics.cc:160] env: CUDA_VISIBLE_DEVICES="0"
2026-11-20 09:00:05.412902: I external/local_xla/xla/stream_executor/cuda/cuda_diagnostics.cc:171] kernel driver does not appear to be running on this host (runner-7): /proc/driver/nvidia/version does not exist
"""

DIAG_DRIVER = {
    "schema_version": 1,
    "findings": [
        {
            "code": "driver_missing_or_not_loaded",
            "title": "No NVIDIA kernel driver is loaded on this host",
            "confidence": "high",
            "evidence": [
                "failed call to cuInit: INTERNAL: CUDA error: "
                "Failed call to cuInit: UNKNOWN ERROR (303)",
                "kernel driver does not appear to be running on this host: "
                "/proc/driver/nvidia/version does not exist",
                "NVML: NVML Shared Library Not Found",
                "no /dev/nvidia* device nodes",
            ],
            "explanation": "TensorFlow found no CUDA driver: either this machine has no NVIDIA GPU "
            "or the kernel module is not installed/loaded.",
            "fix": "Install the NVIDIA driver for this kernel and reboot (or rebuild its DKMS "
            "module); on a CPU-only node, run with --device cpu.",
        },
        {
            "code": "container_gpu_not_exposed",
            "title": "The container was started without GPUs",
            "confidence": "low",
            "evidence": ["/.dockerenv exists"],
            "explanation": "Inside a container, the GPU must be passed with --gpus.",
            "fix": "docker run --gpus all ...",
        },
    ],
}


def gpu_failed(root: Path) -> Path:
    rng = random.Random(2)
    cpu = [case(rng, "mlp", m, b, "cpu") for b in (1, 10, 100) for m in ("eager", "graph", "xla")]
    gpu = [
        case(
            rng,
            "mlp",
            m,
            b,
            "gpu:0",
            status="skipped",
            reason="GPU unavailable: no GPU device initialised (see diagnosis)",
        )
        for b in (1, 10, 100)
        for m in ("eager", "graph", "xla")
    ]
    rec = record(
        "2026-11-20T1000Z-gpu-failed",
        cpu + gpu,
        ["cpu", "gpu:0"],
        status="gpu_unavailable",
        exit_code=3,
        profile="smoke",
        started="2026-11-20T10:00:00Z",
        finished="2026-11-20T10:01:12Z",
        total=72.0,
    )
    fp = fingerprint(env_extra={"CUDA_VISIBLE_DEVICES": "0"})
    return write(root / "gpu-failed", rec, cpu + gpu, fp, DIAG_DRIVER, PROBE_LOG)


def gpu_injection(root: Path) -> Path:
    """A healthy H100 run whose free-text fields carry markup: it must render as text."""
    rng = random.Random(3)
    snap = {
        "taken_at": "2026-11-20T11:00:01Z",
        "gpus": [
            {
                "index": 0,
                "memory_used_bytes": 1_611_319_808,
                "utilization_gpu_pct": 3,
                "temperature_c": 33,
                "power_draw_w": 120.5,
                "clocks": {
                    "sm_mhz": 1980,
                    "sm_max_mhz": 1980,
                    "mem_mhz": 2619,
                    "mem_max_mhz": 2619,
                },
                "pstate": "P0",
                "throttle_reasons": [],
                "processes": [
                    {"pid": 777, "name": SCRIPT, "used_memory_bytes": 1_000_000_000, "ours": False}
                ],
            }
        ],
    }
    after = copy.deepcopy(snap)
    after["gpus"][0]["processes"][0]["name"] = IMG  # type: ignore[index]
    state = {"before": snap, "after": after}
    cases = [
        case(
            rng,
            "mlp",
            m,
            b,
            "gpu:0",
            gpu_state=state,
            warnings=[{"code": "foreign_gpu_process", "detail": f"pid 777 {SCRIPT}"}],
        )
        for b in (1, 100, 10000)
        for m in ("eager", "graph", "xla")
    ]
    cases.append(case(rng, "mlp", "eager", 1, "cpu", status="failed", reason=f"ValueError: {IMG}"))
    rec = record(
        "2026-11-20T1100Z-h100",
        cases,
        ["gpu:0", "cpu"],
        status="cells_failed",
        exit_code=1,
        started="2026-11-20T11:00:00Z",
        finished="2026-11-20T11:05:00Z",
    )
    fp = fingerprint(
        gpu="NVIDIA H100 80GB HBM3",
        env_extra={"TF_XLA_FLAGS": IMG, "NVIDIA_VISIBLE_DEVICES": SCRIPT},
    )
    diag = {
        "schema_version": 1,
        "findings": [
            {
                "code": "healthy",
                "title": "GPU initialised",
                "confidence": "high",
                "evidence": [
                    f"Created device /job:localhost/replica:0/task:0/device:GPU:0 {SCRIPT}"
                ],
                "explanation": IMG,
                "fix": "nothing to fix",
            }
        ],
    }
    return write(root / "gpu-h100-injection", rec, cases, fp, diag)


def compare_pair(root: Path) -> tuple[Path, Path]:
    out = []
    for name, day, changes in (
        ("compare-base", "21", {}),
        ("compare-new", "22", {("graph", 1): 1.25, ("xla", 100): 0.8, ("eager", 10): 1.04}),
    ):
        rng = random.Random(10 + int(day))
        cases = [
            case(
                rng,
                "mlp",
                m,
                b,
                "cpu",
                scale=changes.get((m, b), 1.0),
                noise=0.01,
                t=f"2026-11-{day}T09:01:00Z",
            )
            for b in (1, 10, 100, 1000)
            for m in ("eager", "graph", "xla")
        ]
        rec = record(
            f"2026-11-{day}T0900Z-cpu",
            cases,
            ["cpu"],
            status="complete",
            exit_code=0,
            started=f"2026-11-{day}T09:00:00Z",
            finished=f"2026-11-{day}T09:04:00Z",
            total=240.0,
        )
        out.append(write(root / name, rec, cases, fingerprint()))
    return out[0], out[1]


def synthetic(run_dir: Path, n_cells: int) -> Path:
    """A large run (for render timing): n_cells cells over workloads x modes x batches x devices."""
    rng = random.Random(99)
    cases: list[CaseResult] = []
    batches = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
    i = 0
    while len(cases) < n_cells:
        w = f"mlp_{i // (3 * len(batches))}"
        b = batches[(i // 3) % len(batches)]
        m = ("eager", "graph", "xla")[i % 3]
        status = "failed" if i % 37 == 5 else "ok"
        cases.append(
            case(
                rng,
                w,
                m,
                b,
                "cpu",
                status=status,
                reason="synthetic failure" if status != "ok" else None,
            )
        )
        i += 1
    rec = record("synthetic", cases, ["cpu"], status="cells_failed", exit_code=1)
    return write(run_dir, rec, cases, fingerprint())


def main() -> None:
    cpu_all_statuses(RUNS)
    gpu_failed(RUNS)
    gpu_injection(RUNS)
    compare_pair(RUNS)
    print(f"wrote fixtures under {RUNS}")


if __name__ == "__main__":
    main()
