"""The kinds of evidence the doctor reads besides TensorFlow 2.21's own lines (issue 14).

Every log here is hand-made for this test, written from the message formats in
shared/research/gpu-failure-classes.md and the programs' sources, not copied from a thread.
"""

from __future__ import annotations

import pytest

from benchmarks.doctor import diagnose

# Success said other than by TF2's 'Created device' line.
SUCCESS = [
    pytest.param(
        ">>> tf.config.list_physical_devices('GPU')\n[PhysicalDevice(name='/physical_device:GPU:0', device_type='GPU')]\n",
        "healthy",
        id="tf2-list-gpu",
    ),
    pytest.param(
        "Num GPUs Available:  1\n",
        "healthy",
        id="num-gpus-1",
    ),
    pytest.param(
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:885] Creating TensorFlow device (/gpu:0) -> (device: 0, name: GeForce GTX 1080, pci bus id: 0000:01:00.0)\n",
        "healthy",
        id="tf1-creating",
    ),
    pytest.param(
        "2018-01-01 10:00:00.000000: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1195] Creating TensorFlow device (/device:GPU:0 with 7535 MB memory) -> physical GPU (device: 0, name: GeForce GTX 1080)\n",
        "healthy",
        id="tf1.5-creating-mem",
    ),
    pytest.param(
        "I tensorflow/core/common_runtime/gpu/gpu_init.cc:102] Found device 0 with properties:\nname: Tesla K80\nmajor: 3 minor: 7\n",
        "healthy",
        id="found-only",
    ),
    pytest.param(
        ">>> jax.devices()\n[CudaDevice(id=0)]\n",
        "healthy",
        id="jax-gpu",
    ),
    pytest.param(
        "2024-01-01 10:00:00.000000: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1886] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 22000 MB memory:  -> device: 0, name: NVIDIA A100, pci bus id: 0000:01:00.0, compute capability: 8.0\n2024-01-01 10:00:03.000000: I external/local_xla/xla/stream_executor/cuda/cuda_dnn.cc:454] Loaded cuDNN version 8906\nEpoch 1/10\n2024-01-01 10:30:00.000000: W tensorflow/core/kernels/data/cache_dataset_ops.cc:858] The calling iterator did not fully read the dataset\n",
        "healthy",
        id="not-slow-training",
    ),
]

# Platform and build facts in the log itself.
PLATFORM = [
    pytest.param(
        "Num GPUs Available:  0\n",
        "cpu_only_build_or_platform",
        id="num-gpus-0",
    ),
    pytest.param(
        "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python310\\lib\\site-packages\\tensorflow\\__init__.py\n>>> tf.__version__\n'2.12.0'\n>>> tf.config.list_physical_devices('GPU')\n[]\n",
        "cpu_only_build_or_platform",
        id="win-tf212-list-empty",
    ),
    pytest.param(
        ">>> tf.test.is_built_with_cuda()\nFalse\n",
        "cpu_only_build_or_platform",
        id="built-with-cuda-false",
    ),
    pytest.param(
        "/Users/me/miniforge3/lib/python3.9/site-packages/tensorflow/python/framework/ops.py:1: UserWarning\n>>> tf.config.list_physical_devices('GPU')\n[]\n",
        "cpu_only_build_or_platform",
        id="mac",
    ),
    pytest.param(
        "$ pip install tensorflow[and-cuda]==2.16.1\n>>> tf.config.list_physical_devices('GPU')\n[]\n",
        "cuda_libs_missing_or_wrong_major",
        id="tf216-pip-empty",
    ),
    pytest.param(
        "ImportError: libcublas.so.9.0: cannot open shared object file: No such file or directory\n",
        "cuda_libs_missing_or_wrong_major",
        id="tf1-importerror",
    ),
    pytest.param(
        "ImportError: Could not find 'cudart64_90.dll'. TensorFlow requires that this DLL be installed in a directory that is named in your %PATH% environment variable.\n",
        "cuda_libs_missing_or_wrong_major",
        id="win-tf1-dll",
    ),
]

# Messages of other CUDA programs, nvidia-smi and docker, read with their context.
OTHER_PROGRAMS = [
    pytest.param(
        "UserWarning: CUDA initialization: CUDA unknown error - this may be due to an incorrectly set up environment\n",
        "uvm_device_node_or_suspend",
        id="torch-unknown",
    ),
    pytest.param(
        "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 7.93 GiB total capacity; 0 bytes already allocated; 5.06 MiB free; 0 bytes reserved in total by PyTorch)\n",
        "gpu_memory_held_by_other_process",
        id="torch-oom-idle",
    ),
    pytest.param(
        "UserWarning: NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.\n",
        "no_kernel_image_for_arch",
        id="torch-sm120",
    ),
    pytest.param(
        "Unable to determine the device handle for GPU0000:01:00.0: Unknown Error\n",
        "gpu_fell_off_bus_hw_fault",
        id="smi-lost",
    ),
    pytest.param(
        "tensorflow.python.framework.errors_impl.InternalError: CUDA runtime implicit initialization on GPU:0 failed. Status: all CUDA-capable devices are busy or unavailable\n| N/A   34C    P0    25W / 250W |      0MiB / 16280MiB |      0%   E. Process |\n",
        "exclusive_compute_mode",
        id="46-smi-eprocess",
    ),
    pytest.param(
        "tensorflow.python.framework.errors_impl.InternalError: CUDA runtime implicit initialization on GPU:0 failed. Status: all CUDA-capable devices are busy or unavailable\n| N/A   34C    P0    25W / 250W |      0MiB / 16280MiB |      0%      Default |\n",
        "vgpu_unlicensed",
        id="46-smi-default",
    ),
    pytest.param(
        "CUDA_VISIBLE_DEVICES=MIG-GPU-3d1ae5e1-1c31-4d2f/1/0\nE tensorflow/stream_executor/cuda/cuda_driver.cc:351] failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected\n",
        "mig_misconfigured",
        id="mig-uuid",
    ),
    pytest.param(
        "$ docker run --rm tensorflow/tensorflow:latest-gpu python -c 'import tensorflow as tf; print(tf.config.list_physical_devices(\"GPU\"))'\n2024-01-01 10:00:00.000000: E external/local_xla/xla/stream_executor/cuda/cuda_driver.cc:282] failed call to cuInit: UNKNOWN ERROR (303)\n[]\n",
        "container_gpu_not_exposed",
        id="docker-no-gpus",
    ),
    pytest.param(
        "pycuda._driver.Error: cuCtxCreate failed: out of memory\n",
        "gpu_memory_held_by_other_process",
        id="pycuda-ctx-oom",
    ),
    pytest.param(
        "cupy_backends.cuda.api.runtime.CUDARuntimeError: cudaErrorInsufficientDriver: CUDA "
        "driver version is insufficient for CUDA runtime version\n",
        "driver_too_old_for_cuda",
        id="cupy-driver-old",
    ),
    pytest.param(
        "F0101 00:00:00.000000 1 common.cpp:1] Check failed: error == cudaSuccess (8 vs. 0)  "
        "invalid device function\n",
        "no_kernel_image_for_arch",
        id="caffe-invalid-device-function",
    ),
    pytest.param(
        "CUDA failure 804: forward compatibility was attempted on non supported HW ; GPU=0\n",
        "cuda_forward_compat_unsupported",
        id="onnxruntime-804",
    ),
    pytest.param(
        "Torch not compiled with CUDA enabled\n",
        "cpu_only_build_or_platform",
        id="torch-cpu-build",
    ),
    pytest.param(
        "$ nvidia-smi\nNVRM: API mismatch: the client has the version 550.54, but this kernel "
        "module has the version 535.161\n",
        "driver_library_version_mismatch",
        id="dmesg-api-mismatch",
    ),
]


@pytest.mark.parametrize(("log", "expected"), SUCCESS + PLATFORM + OTHER_PROGRAMS)
def test_top_finding(log: str, expected: str) -> None:
    findings = diagnose(log)
    assert findings[0].code == expected, [(f.code, f.evidence) for f in findings]


@pytest.mark.parametrize(("log", "expected"), PLATFORM + OTHER_PROGRAMS)
def test_failures_are_never_called_healthy(log: str, expected: str) -> None:
    assert "healthy" not in [f.code for f in diagnose(log)][:1]


def test_slow_first_op_is_degraded_not_healthy() -> None:
    log = SUCCESS[-1].values[0].replace("10:00:03", "10:09:00")  # type: ignore[union-attr]
    findings = diagnose(log)
    assert findings[0].code == "no_kernel_image_for_arch"
    assert "minutes" in findings[0].explanation
    assert any(" s between these two lines" in e for e in findings[0].evidence)


def test_found_device_followed_by_a_warning_is_not_success() -> None:
    log = SUCCESS[4].values[0] + (  # type: ignore[operator]
        "W tensorflow/stream_executor/cuda/cuda_driver.cc:1] failed to allocate 10G\n"
    )
    assert diagnose(log)[0].code != "healthy"


def test_benign_error_level_noise_keeps_a_healthy_start_healthy() -> None:
    noise = (
        "E0000 00:00:1795619700.1 1 cuda_dnn.cc:8310] Unable to register cuDNN factory: "
        "Attempting to register factory for plugin cuDNN when one has already been registered\n"
        "2026-12-01 10:00:00.1: E external/local_xla/xla/stream_executor/gpu/gpu_timer.cc:1] "
        "Delay kernel timed out: measured time has sub-optimal accuracy.\n"
    )
    assert diagnose(noise + SUCCESS[0].values[0])[0].code == "healthy"  # type: ignore[operator]


def test_pytorch_arch_message_is_read_both_ways() -> None:
    msg = (
        "UserWarning: NVIDIA GeForce GTX 780 with CUDA capability sm_35 is not compatible with "
        "the current PyTorch installation.\nThe current PyTorch install supports CUDA "
        "capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n"
    )
    assert diagnose(msg)[0].code == "compute_capability_below_minimum"
    newer = msg.replace("GTX 780", "RTX 5090").replace("sm_35", "sm_120")
    assert diagnose(newer)[0].code == "no_kernel_image_for_arch"


def test_no_supported_devices_reads_mig_context() -> None:
    line = "Internal: no supported devices found for platform CUDA\n"
    alone = [f.code for f in diagnose(line)]
    assert "mig_misconfigured" in alone[:3]
    with_mig = "CUDA_VISIBLE_DEVICES=MIG-4b8c1e2a-77d1-5f0e-9c1b-1d2e3f4a5b6c\n" + line
    assert diagnose(with_mig)[0].code == "mig_misconfigured"
