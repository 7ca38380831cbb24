"""Round 12 of the rules (issue 14): the general spellings behind the tenth hold-out set's
misses, read after it was scored once on the round-11 doctor (in-sample fixes: they count for
nothing in its figures; the eleventh hold-out set measures them). Each is pinned both ways on
the rules alone."""

from __future__ import annotations

import pytest

from tests.unit.doctor_lines import assert_success_line, codes, first


@pytest.mark.parametrize(
    "line",
    [
        "[2025-03-27 21:33:31 TP0] KV Cache is allocated. #tokens: 834615, K size: 54.12 GB",
        "[2025-03-27 21:33:31 TP0] Capture cuda graph begin. This can take up to several minutes.",
        "[04/26/2025-01:22:49] [TRT-LLM] [I] Compute capability: (10, 0)",
        "[2023-05-31 22:15:56.264] [debug] Auto batch size: GPU memory available: 50.09GB",
        "  Rank  0 Pid 1821213 on AI-A100-Beethoven01 device  0 [0x00] NVIDIA A100-SXM4-40GB",
        "# Avg bus bandwidth    : 221.4",
        "  - CUDA0   : NVIDIA GeForce RTX 3070 (8191 MiB, 7114 MiB free)",
        "I tensorflow/core/common_runtime/gpu/pool_allocator.cc:247] PoolAllocator: After 24059 "
        "get requests, put_count=50233 evicted_count=16000 eviction_rate=0.318516",
    ],
)
def test_other_programs_saying_the_gpu_came_up(line: str) -> None:
    assert_success_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "[2025-03-27 21:33:31 TP0] KV Cache is allocated. #tokens: 0, K size: 0 GB",
        "  - CPU   : AMD Ryzen 9 (64000 MiB)",
        "Is CUDA available: False",
        "Is CUDA available: No",
    ],
)
def test_their_no_gpu_counterparts_are_no_success(line: str) -> None:
    assert first(f"{line}\n") != "healthy"


@pytest.mark.parametrize(
    "report",
    [
        "Is CUDA available: True\nGPU models and configuration: GPU 0: NVIDIA A100-SXM4-80GB\n"
        "Clang version: Could not collect\n",
        "GPU 0                   NVIDIA Tesla T4 (arch=7.5)\n"
        "wget: /opt/lib/libuuid.so.1: no version information available (required by wget)\n",
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:972] DMA: 0 1\n"
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:982] 0:   Y Y\n",
    ],
)
def test_environment_reports_say_the_gpu_is_there_but_not_over_an_error(report: str) -> None:
    assert first(report) == "healthy"
    error = (
        "RuntimeError: CUDA out of memory. Tried to allocate 60.00 MiB (GPU 0; 11.17 GiB total)\n"
    )
    # an issue template puts the error above the report: the report does not outlive it
    assert first(error + report) != "healthy"
    assert "healthy" in codes(error + report)


def test_paddles_cudnn_warning_names_the_mismatch_over_its_cudnn_line() -> None:
    cudnn = "W0608 17:24:46.596577 14489 device_context.cc:422] device: 0, cuDNN Version: 7.4.\n"
    warning = (
        "W0608 17:24:55.806937 14489 device_context.h:360] WARNING: device: 0. The installed "
        "Paddle is compiled with CUDNN 7.6, but CUDNN version in your machine is 7.4, which may "
        "cause serious incompatible bug.\n"
    )
    assert first(cudnn) == "healthy"
    assert first(cudnn + warning) == "cudnn_version_mismatch"


def test_grappler_cost_noise_is_no_complaint() -> None:
    named = "Cuda backend: Found GPU GeForce GTX 1060 3GB memory 3221225472\n"
    noise = (
        "W tensorflow/core/grappler/costs/op_level_cost_estimator.cc:689] Error in PredictCost() "
        'for the op: op: "Softmax"\n'
    )
    assert first(named + noise) == "healthy"
    assert first(named + "W tensorflow/core/foo.cc:1] Error in the op\n") != "healthy"


@pytest.mark.parametrize(
    ("setting", "mig_first"),
    [
        ("", False),
        ('  File "/home/ana/venv/lib/python3.10/site-packages/torch/cuda/__init__.py", line 1\n',
         False),
        ('  File "/usr/local/lib/python3.10/dist-packages/torch/cuda/__init__.py", line 404\n',
         True),
        ("  Warning  Failed  2m  kubelet  Error: failed to start container\n", True),
    ],
)  # fmt: skip
def test_an_invalid_ordinal_reads_mig_first_only_in_a_data_centre_setting(
    setting: str, mig_first: bool
) -> None:
    log = f"{setting}RuntimeError: CUDA error: invalid device ordinal\n"
    expected = ["mig_misconfigured", "cuda_visible_devices_hidden"]
    assert codes(log)[:2] == (expected if mig_first else expected[::-1])
