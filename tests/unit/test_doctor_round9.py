"""Round 9 of the rules (issue 14): the general spellings behind the seventh hold-out set's
misses, read after it was scored once on the round-8 doctor (in-sample fixes: they count for
nothing in its figures; the eighth hold-out set measures them). Each is pinned both ways on the
rules alone: the wording gives its class, and a near miss of it does not."""

from __future__ import annotations

import pytest

from tests.unit.doctor_lines import assert_no_class_of, assert_success_line, codes, first


@pytest.mark.parametrize(
    "line",
    [
        "INFO 01-24 10:31:54 worker.py:237] the current vLLM instance can use total_gpu_memory "
        "(23.58GiB) x gpu_memory_utilization (0.99) = 23.35GiB",
        "INFO 05-01 model_runner.py:146] Loading model weights took 13.4966 GB",
        "INFO 11-02 executor_base.py:110] # cuda blocks: 2048, # CPU blocks: 512",
        "INFO selector.py:51] Cannot use FlashAttention-2 backend for Volta and Turing GPUs.",
        "#  Rank  0 Group  0 Pid  12345 on   node01 device  0 [0x07] NVIDIA A100-SXM4-80GB",
        "PaddlePaddle works well on 1 GPU.",
        "  0: NVIDIA GeForce RTX 3080 (sm_86, 9.312 GiB / 10.000 GiB available)",
        "  Name...........: NVIDIA GeForce RTX 3090",
        "Set vram state to: NORMAL_VRAM",
        "['/device:CPU:0', '/device:GPU:0']",
    ],
)
def test_other_programs_saying_the_gpu_came_up(line: str) -> None:
    assert_success_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "INFO executor_base.py:110] # cuda blocks: 0, # CPU blocks: 512",
        "PaddlePaddle works well on 0 GPU.",
        "Set vram state to: DISABLED",  # ComfyUI on the CPU
        "  Name...........: Intel(R) Core(TM) i7-12700K",  # hashcat's OpenCL CPU device
        "['/device:CPU:0']",
    ],
)
def test_their_no_gpu_counterparts_are_no_success(line: str) -> None:
    assert first(f"{line}\n") != "healthy"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("cudf.utils.gpu_utils.UnsupportedCUDAError: A GPU with NVIDIA Volta (Compute "
         "Capability 7.0) or newer architecture is required.", "compute_capability"),
        ("Found Tesla P40 which is too old to be supported by the triton GPU compiler, which "
         "is used as the backend.", "compute_capability"),
        ('level=INFO source=gpu.go:230 msg="[0] CUDA GPU is too old. Compute Capability '
         'detected: 3.0"', "compute_capability"),
        ("CUDAError: cuInit(0) returned 999", "uvm"),
        ("ERROR: cuInit(0) returned 804", "cuda_forward_compat"),
        ("nvidia-docker | 2017/09/27 22:08:44 Error: Could not load UVM kernel module. Is "
         "nvidia-modprobe installed?", "uvm"),
        ("UserWarning: Specified provider 'CUDAExecutionProvider' is not in available provider "
         "names.Available providers: 'AzureExecutionProvider, CPUExecutionProvider'", "cpu_only"),
        ("[LightGBM] [Fatal] GPU Tree Learner was not enabled in this build.", "cpu_only"),
        ("AttributeError: module 'faiss' has no attribute 'StandardGpuResources'", "cpu_only"),
        ("[ WARN:0] DNN module was not built with CUDA backend; switching to CPU", "cpu_only"),
        ("INFO:    Could not find any NVIDIA binaries on this host!", "container_gpu_not_exposed"),
        ("ValueError: Free memory on device (7.34/139.72 GiB) on startup is less than desired "
         "GPU memory utilization (0.9, 125.75 GiB).", "gpu_memory_held"),
        ("RuntimeError: CUDA error: out of memory", "gpu_memory_held"),
        ("RuntimeError: cuDNN error: CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH", "cudnn"),
        ("nvml vram init failure: 18", "driver_library_version_mismatch"),
        ("cudaErrorUnsupportedPtxVersion: the provided PTX was compiled", "driver_too_old"),
        ("ERROR: This container was built for NVIDIA Driver Release 530.30 or later, but "
         "version 470.82 was detected", "driver_too_old"),
        ("nvrtc: error: failed to open libnvrtc-builtins.so.11.1.", "cuda_libs"),
        ("* Device #1: CUDA SDK Toolkit installation NOT detected.", "cuda_libs"),
        ("ptxas fatal   : Unsupported .version 8.6; current version is '8.4'", "xla_toolchain"),
        ("MisconfigurationException: You requested gpu: [1]\n But your machine only has: [0]",
         "cuda_visible_devices_hidden"),
    ],
)  # fmt: skip
def test_failure_wordings_name_their_class(line: str, code: str) -> None:
    assert first(f"{line}\n").startswith(code)


@pytest.mark.parametrize(
    "line",
    [
        "A GPU with NVIDIA Volta architecture is required.",  # no capability read
        "CUDAError: cuInit(0) returned 0",
        "Could not load the kernel module list",
        "Available providers: 'CUDAExecutionProvider, CPUExecutionProvider'",
        "[LightGBM] [Info] GPU Tree Learner enabled",
        "Free memory on device: 70.1 GiB",
        "nvml vram init failure: 1",  # NVML_ERROR_UNINITIALIZED is not a version mismatch
        "This container was built for the Ampere architecture",
        "nvrtc: error: invalid value for --gpu-architecture",
    ],
)
def test_near_misses_are_not_those_classes(line: str) -> None:
    assert_no_class_of(
        line,
        ("compute_capability", "uvm", "cuda_forward_compat", "cpu_only", "gpu_memory_held",
         "driver_library_version_mismatch", "driver_too_old", "cuda_libs"),
    )  # fmt: skip


def test_llama_cpp_offload_is_no_success_when_cuda_failed() -> None:
    offload = "llm_load_tensors: offloaded 29/29 layers to GPU\n"
    assert first(offload) == "healthy"
    failed = "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected\n"
    assert "healthy" not in codes(failed + offload)


ORDINAL = (
    '  File "{path}/torch/cuda/__init__.py", line 292, in set_device\n'
    "    torch._C._cuda_setDevice(device)\n"
    "RuntimeError: cuda runtime error (101) : invalid device ordinal\n"
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/home/ioannis/anaconda3/lib/python3.7/site-packages", "cuda_visible_devices_hidden"),
        ("/home/qfy/.conda/envs/torch1.1/lib/python3.6/site-packages", "cuda_visible_devices_hidden"),
        (r"C:\Users\me\miniconda3\Lib\site-packages", "cuda_visible_devices_hidden"),
        ("/usr/local/lib/python3.10/dist-packages", "mig_misconfigured"),
        # since round 12 only a system python reads as a data centre (conda images do not)
        ("/opt/conda/lib/python3.8/site-packages", "cuda_visible_devices_hidden"),
    ],
)  # fmt: skip
def test_an_ordinal_error_reads_hidden_devices_first_on_a_workstation(
    path: str, expected: str
) -> None:
    got = codes(ORDINAL.format(path=path))
    assert got[0] == expected
    assert {"cuda_visible_devices_hidden", "mig_misconfigured"} <= set(got[:2])


def test_a_container_host_name_alone_is_only_a_hint() -> None:
    numa = (
        "2023-05-01 10:00:00.000000: I tensorflow/compiler/xla/stream_executor/cuda/"
        "cuda_gpu_executor.cc:982] successful NUMA node read from SysFS had negative value (-1)\n"
    )
    prompt = "root@3f2a9c1b7d4e:/workspace# python train.py\n"
    assert first(prompt + numa) == "healthy"
    failed = "RuntimeError: Found no NVIDIA driver on your system.\n"
    assert "container_gpu_not_exposed" in codes(prompt + failed)
