"""Round 8 of the rules (issue 14): the general spellings behind the sixth hold-out set's
misses, read after it was scored once on the round-7 doctor (in-sample fixes: they count for
nothing in its figures, and no fresh set has measured them). Each is pinned both ways on the
rules alone."""

from __future__ import annotations

import pytest

from tests.unit.doctor_lines import assert_success_line, codes, first

TF = "2018-08-29 13:36:29.582988: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1484] "
CREATED = (
    "2018-08-29 13:36:29.714691: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1097] "
    "Created TensorFlow device (/job:localhost/replica:0/task:0/device:GPU:0 with 9492 MB "
    "memory) -> physical GPU (device: 0, name: GeForce GTX 1080 Ti)\n"
)


@pytest.mark.parametrize(
    "line",
    [
        "whisper_backend_init: using CUDA backend",
        "XLA backend type: gpu",
        'time=2024-03-22T20:48:20.624Z level=INFO source=gpu.go:119 msg="CUDA Compute '
        'Capability detected: 8.6"',
        'level=DEBUG source=gpu.go:137 msg="detected GPUs" count=1 library=/usr/lib/libcuda.so',
        "INFO 12-13 02:10:29 distributed_gpu_executor.py:58] # GPU blocks: 189945, # CPU blocks: 1",
        "host:105927:106732 [0] NCCL INFO ncclCommInitRank comm 0x4630a9c0 rank 0 nranks 2 "
        "cudaDev 0 nvmlDev 0 busId 18000 - Init START",
        "1 device(s):",
        "* Device #01: NVIDIA GeForce RTX 4080, 15698/15943 MB, 76MCU",
    ],
)
def test_other_programs_saying_the_gpu_came_up(line: str) -> None:
    assert_success_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "XLA backend type: cpu",
        'level=DEBUG source=gpu.go:137 msg="detected GPUs" count=0 library=/usr/lib/libcuda.so',
        "INFO distributed_gpu_executor.py:58] # GPU blocks: 0, # CPU blocks: 21845",
        "0 device(s):",
        "* Device #05: cpu-haswell-12th Gen Intel(R) Core(TM) i7-12700K, skipped",
    ],
)
def test_their_no_gpu_counterparts_are_no_success(line: str) -> None:
    assert first(f"{line}\n") != "healthy"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("numba.cuda.cudadrv.error.CudaDriverError: CUDA initialized before forking", "fork"),
        ("WARN: NVML: can't get GPU #0, error code 15", "gpu_fell_off_bus"),
        ("WARN: NVML: can't get GPU #0, error code 3", "unexplained"),
        ("No PTX compilation provider is available. Neither ptxas/nvlink nor nvjtlink is "
         "available.", "xla_toolchain"),
        ("ERROR: Detected NVIDIA Tesla K80 GPU, which is not supported by this container",
         "compute_capability"),
        ("Mon Apr 22 22:12:41 2024:<1>:Valid GRID license not found. GPU features and "
         "performance will be restricted.", "vgpu"),
        ("Mon Apr 22 22:12:41 2024:<1>:Valid GRID license found.", "unexplained"),
        ("Unable to load any of {libcudnn_cnn.so.9.1.0, libcudnn_cnn.so.9.1, libcudnn_cnn.so}",
         "cuda_libs"),
        ("terminate called after throwing an instance of 'std::runtime_error'\n"
         "  what():  Invalid device ids", "cuda_visible"),  # beyond the visible ones; MIG 2nd
    ],
)  # fmt: skip
def test_wordings_of_other_programs(line: str, code: str) -> None:
    assert first(f"{line}\n").startswith(code)


def test_a_second_device_setup_after_a_pause_is_a_new_session_not_a_slow_start() -> None:
    later = "2018-08-29 13:47:16.037951: I tensorflow/core/common_runtime/gpu/gpu_device.cc:"
    again = (
        f"{TF}Adding visible gpu devices: 0\n{CREATED}{later}1484] Adding visible gpu devices: 0\n"
    )
    assert codes(again) == ["healthy"]
    work = f"{TF}Adding visible gpu devices: 0\n{CREATED}{later}640] cuDNN kernels launched\n"
    assert first(work) == "no_kernel_image_for_arch"  # the first op came minutes later


def test_a_cuda_error_on_macos_is_a_mac_from_the_cuda_era_not_a_cpu_build() -> None:
    mac = "MacOS v10.11.6\nGraphics: NVIDIA GeForce GT 750M 2048MB\n"
    error = "Cannot get number of CUDA devices!: CUDA driver version is insufficient for CUDA "
    assert first(f"{mac}{error}runtime version.\n") == "driver_too_old_for_cuda"
    assert first(f"{mac}Traceback (most recent call last):\nValueError: no GPU\n") == (
        "cpu_only_build_or_platform"
    )
