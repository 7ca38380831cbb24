"""Round 15 of the rules (issue 14): the general readings behind the twelfth hold-out set's
misses, written after it was scored once on the round-14 doctor (in-sample fixes: they count
for nothing in its figures; the thirteenth set, collected blind while they were written,
measures them). Each is pinned both ways on the rules alone."""

from __future__ import annotations

import pytest

from benchmarks.doctor.logscan import LogLine, quote
from tests.unit.doctor_lines import assert_success_line, first

ORDINAL = (
    "E0213 11:13:22.586922 35184372402816 error_handling.py:75] Error recorded from "
    "training_loop: Invalid device ordinal value (1). Valid range is [0, 0].\n"
)
XLA_UP = (
    "2020-02-13 11:13:22.586386: I tensorflow/compiler/xla/service/service.cc:176]   "
    "StreamExecutor device (0): Tesla V100-SXM2-16GB, Compute Capability 7.0\n"
)
XLA_ORDINAL = (
    "2020-02-13 11:13:22.583169: W tensorflow/compiler/xla/service/platform_util.cc:256] "
    "unable to create StreamExecutor for CUDA:{n}: failed initializing StreamExecutor for CUDA "
    "device ordinal {n}: Internal: failed call to cuDevicePrimaryCtxRetain: "
    "CUDA_ERROR_INVALID_DEVICE: invalid device ordinal\n"
)


def _line(n: int) -> LogLine:
    return LogLine(n, f"line {n}", "", "", f"line {n}", False)


def test_quote_keeps_the_last_of_many_lines() -> None:
    lines = [_line(n) for n in range(1, 8)]
    assert quote(lines, 2) == ("line 1", "line 7")
    assert quote(lines[:2], 2) == ("line 1", "line 2")
    assert quote(lines, 1) == ("line 1",)


def test_a_failure_that_recurs_after_the_success_line_stands() -> None:
    # the ordinal errors of ranks 4 and 5 came before XLA's device line, rank 1's after it
    log = XLA_ORDINAL.format(n=5) + XLA_ORDINAL.format(n=4) + XLA_UP + ORDINAL
    assert first(log) == "cuda_visible_devices_hidden"
    assert first(XLA_ORDINAL.format(n=5) + XLA_ORDINAL.format(n=4) + XLA_UP) == "healthy"


def test_a_diagnostic_tools_success_does_not_outlive_an_earlier_failure() -> None:
    failure = (
        "F0116 13:10:31.227303  3447 parallel.cpp:130] Check failed: error == cudaSuccess "
        "(10 vs. 0)  invalid device ordinal\n"
    )
    device_query = "Detected 1 CUDA Capable device(s)\n"
    assert first(failure + device_query) == "cuda_visible_devices_hidden"
    assert first(device_query) == "healthy"
    # the failing program's own success after its error still outlives it
    created = (
        "2019-05-12 01:33:28.638170: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1115] "
        "Created TensorFlow device (/job:localhost/replica:0/task:0/device:GPU:0 with 3014 MB "
        "memory) -> physical GPU (device: 0, name: GeForce GTX 1050 Ti)\n"
    )
    assert first(failure + created) == "healthy"


ADDING = (
    "2022-11-07 18:00:03.756144: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1858] "
    "Adding visible gpu devices: 0\n"
)
INTERCONNECT = (
    "2022-11-07 18:{t}: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1257] Device "
    "interconnect StreamExecutor with strength 1 edge matrix:\n"
)


def test_minutes_to_create_the_gpu_context_is_ptx_jit() -> None:
    slow = ADDING + INTERCONNECT.format(t="01:55.707808")
    assert first(slow) == "no_kernel_image_for_arch"
    assert first(ADDING + INTERCONNECT.format(t="00:05.107808")) != "no_kernel_image_for_arch"


@pytest.mark.parametrize(
    "line",
    [
        "2015-11-03 I tensorflow/stream_executor/dso_loader.cc:105] Couldn't open CUDA library "
        "libcuda.so.1. LD_LIBRARY_PATH: /usr/local/nvidia/lib:/usr/local/nvidia/lib64:",
        "Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open "
        "shared object file: No such file or directory; LD_LIBRARY_PATH: "
        "/opt/env/lib:/.singularity.d/libs",
    ],
)
def test_a_container_images_loader_path_says_container(line: str) -> None:
    assert first(f"{line}\n") == "container_gpu_not_exposed"
    bare = line.replace("/usr/local/nvidia", "/usr/local/cuda").replace(".singularity.d", "x")
    assert first(f"{bare}\n") != "container_gpu_not_exposed"


@pytest.mark.parametrize(
    "line",
    [
        "device cuda",
        "                  DeviceSelected: 1",
        "llama_kv_cache_init: offloading v cache to GPU",
        "llama_new_context_with_model: total VRAM used: 9169,21 MiB (model: 8694,21 MiB)",
        "2024-03-26 15:31:22,626 [INFO] ** TORCH CUDA version installed and working. **",
        "02:18:16 SUCCESS  Initialized CUDA. Active GPU is #0: NVIDIA GeForce RTX 3070 [86]",
        "+++ Using GPU PhysX",
        "Physics Device: cuda:0",
        "Initializing Device 0 on core 0...Done.",
        "Info: Found HEVC encoder: hevc_nvenc [nvenc]",
    ],
)
def test_more_programs_saying_the_gpu_is_in_use(line: str) -> None:
    assert_success_line(line)


def test_near_misses_of_the_new_success_wordings() -> None:
    assert first("device cpu\n") != "healthy"
    assert first("DeviceSelected: 0\n") != "healthy"
    assert first("llama_new_context_with_model: total VRAM used: 0,00 MiB\n") != "healthy"
