"""archfacts: whether the GPU a log names fits the CUDA its program was built with. Pure logic
on short real-format excerpts; each reading is pinned both ways (a near miss that must not
fire), since a wrong architecture claim would turn a healthy start into a failure."""

from __future__ import annotations

import pytest

from benchmarks.doctor import archfacts
from benchmarks.doctor.logscan import ScannedLog
from tests.unit.doctor_lines import first

COLLECT_ENV = (
    "PyTorch version: 1.4.0\n"
    "CUDA used to build PyTorch: {cuda}\n"
    "ROCM used to build PyTorch: N/A\n"
    "Is CUDA available: True\n"
    "GPU models and configuration:\n"
    "GPU 0: {gpu}\n"
)
TF1_FOUND = (
    "2019-12-06 06:26:10.892782: I tensorflow/stream_executor/platform/default/"
    "dso_loader.cc:44] Successfully opened dynamic library cudart64_{dll}.dll\n"
    "2019-12-06 06:26:55.473908: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1618] "
    "Found device 0 with properties:\n"
    "name: {name} major: {major} minor: {minor} memoryClockRate(GHz): 1.7\n"
)


def _gaps(text: str) -> list[tuple[bool, tuple[int, int]]]:
    return [(g.too_new, g.capability) for g in archfacts.gaps(ScannedLog(text))]


@pytest.mark.parametrize(
    ("cuda", "target"),
    [
        ((9, 0), (7, 0)),
        ((10, 1), (7, 5)),
        ((11, 0), (8, 0)),
        ((11, 2), (8, 6)),
        ((11, 8), (9, 0)),
        ((12, 4), (9, 0)),
        ((12, 8), (12, 0)),
        ((11, -1), (9, 0)),  # only the major known: the newest release of it
        ((7, 5), (99, 9)),  # before CUDA 8: no claim
    ],
)
def test_the_newest_architecture_each_cuda_release_builds_for(
    cuda: tuple[int, int], target: tuple[int, int]
) -> None:
    assert archfacts.newest_target(cuda) == target


def test_a_newer_major_architecture_than_the_build_knows_has_no_kernels() -> None:
    log = COLLECT_ENV.format(cuda="10.1", gpu="A100-SXM4-40GB")
    assert _gaps(log) == [(True, (8, 0))]
    assert first(log) == "no_kernel_image_for_arch"  # though "Is CUDA available: True"
    # the same GPU with a CUDA 11.0 build, and a newer minor of a known major, both fit
    assert _gaps(COLLECT_ENV.format(cuda="11.0", gpu="A100-SXM4-40GB")) == []
    assert _gaps(COLLECT_ENV.format(cuda="11.7", gpu="NVIDIA GeForce RTX 4090")) == []
    assert first(COLLECT_ENV.format(cuda="11.0", gpu="A100-SXM4-40GB")) == "healthy"


def test_tensorflows_loaded_runtime_names_its_build() -> None:
    log = TF1_FOUND.format(dll="100", name="GeForce RTX 3090", major=8, minor=6)
    assert _gaps(log) == [(True, (8, 6))]
    # TF 2.5+ loads cudart64_110.dll for every 11.x: the minor is unknown, an 8.6 GPU fits
    assert _gaps(TF1_FOUND.format(dll="110", name="GeForce RTX 3090", major=8, minor=6)) == []


def test_a_blackwell_gpu_with_a_wheel_older_than_cuda_12_8() -> None:
    log = "torch 2.5.1+cu124\nDevice: cuda:0 NVIDIA GeForce RTX 5090 : cudaMallocAsync\n"
    assert _gaps(log) == [(True, (12, 0))]
    assert _gaps(log.replace("cu124", "cu128")) == []


def test_pytorchs_cuda_12_8_wheels_dropped_pascal() -> None:
    log = "- **PyTorch Version:** 2.8.0+cu129\n- **Name:** cuda:0 NVIDIA GeForce GTX 1070\n"
    assert _gaps(log) == [(False, (6, 1))]
    assert first(log) == "compute_capability_below_minimum"
    assert _gaps(log.replace("cu129", "cu126")) == []  # the cu126 wheels still have Pascal
    assert _gaps(log.replace("GTX 1070", "RTX 2080")) == []


def test_fermi_only_against_a_cuda_9_era_build() -> None:
    # CUDA 5's deviceQuery on a GTX 460 was a healthy start in its day
    old = "CUDA Capability Major/Minor version number:    2.1\nDetected 1 CUDA Capable device(s)\n"
    assert _gaps(old) == []
    assert _gaps(old + "import tensorflow as tf\n") == [(False, (2, 1))]


def test_kepler_below_what_cuda_12_builds_support() -> None:
    log = "torch 2.1.0+cu121\nname: Tesla K80 major: 3 minor: 7 memoryClockRate(GHz): 0.82\n"
    assert _gaps(log) == [(False, (3, 7))]
    assert _gaps(log.replace("cu121", "cu118")) == []


def test_a_capability_a_program_asks_for_is_not_the_gpus() -> None:
    log = "torch 2.1.0+cu121\nFlashAttention requires compute capability 8.0 or higher\n"
    assert archfacts.capabilities(ScannedLog(log)) == []


def test_rocm_logs_say_nothing_about_nvidia_architectures() -> None:
    rocm = (
        "Found GPU0 Ellesmere [Radeon RX 470/480/570/570X/580/580X] which is of cuda "
        "capability 3.0.\n    PyTorch no longer supports this GPU because it is too old.\n"
        "tensor([9], device='cuda:0')\n"
    )
    assert archfacts.is_rocm(ScannedLog(rocm))
    assert first(rocm) == "healthy"  # the warning is about HIP's stand-in capability
    assert not archfacts.is_rocm(ScannedLog(COLLECT_ENV.format(cuda="10.1", gpu="T4")))
