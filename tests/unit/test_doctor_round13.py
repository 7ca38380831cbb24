"""Round 13 of the rules (issue 14): the general spellings behind the eleventh hold-out set's
misses, read after it was scored once on the round-12 doctor (in-sample fixes: they count for
nothing in its figures; no later set measures them yet). Each is pinned both ways on the rules
alone."""

from __future__ import annotations

import pytest

from tests.unit.doctor_lines import assert_success_line, codes, first

SMI_MIG_ON = (
    "|   0  NVIDIA A100 80G...  Off  | 00000000:05:00.0 Off |                   On |\n"
    "| N/A   44C    P0    66W / 300W |     48MiB / 81920MiB |     N/A      Default |\n"
    "|                               |                      |              Enabled |\n"
)
SMI_MIG_OFF = SMI_MIG_ON.replace("Enabled", "Disabled").replace("  On |", " Off |")
MIG_INSTANCE = (
    "|  0    1   0   0  |     19MiB / 40192MiB  | 42      0 |  3   0    2    0    0 |\n"
    "|                  |   0MiB / 65535MiB     |           |                       |\n"
    "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-5d8b7d30-5a1c-3f71-9f3a-2e4d1b2c3a4f)\n"
    "  MIG 3g.40gb     Device  0: (UUID: MIG-1a2b3c4d-0000-1111-2222-333344445555)\n"
)


def test_an_nvidia_smi_table_with_mig_on_and_no_instance_reads_mig_not_healthy() -> None:
    # with MIG mode on nvidia-smi lists the parent GPU whatever CUDA sees: no instance, no device
    assert first(SMI_MIG_ON) == "mig_misconfigured"
    assert first(SMI_MIG_OFF) == "healthy"  # the same table with MIG off: the GPU is listed
    assert first(SMI_MIG_ON + MIG_INSTANCE) != "mig_misconfigured"  # an instance exists


@pytest.mark.parametrize(
    "line",
    [
        "cudaGetDeviceCount returned 35",
        "[h264_nvenc @ 0x559ac46d6a40] Driver does not support the required nvenc API version. "
        "Required: 11.1 Found: 11.0",
        "Minimum required Nvidia driver is 570.0 or newer",
    ],
)
def test_a_driver_older_than_the_runtime_or_the_encoder_api_in_other_words(line: str) -> None:
    assert first(f"{line}\n") == "driver_too_old_for_cuda"


def test_nvencs_driver_minimum_after_a_missing_encoder_library_is_no_old_driver() -> None:
    # FFmpeg prints the minimum driver after any load failure: in a container given the GPU
    # without the video capability, libnvidia-encode is simply not there
    lines = (
        "[h264_nvenc @ 0x55688b625f40] Cannot load libnvidia-encode.so.1\n"
        "[h264_nvenc @ 0x55688b625f40] The minimum required Nvidia driver for nvenc is 418.30 or "
        "newer\n"
    )
    assert "driver_too_old_for_cuda" not in codes(lines)
    assert first("cudaGetDeviceCount returned 3\n") != "driver_too_old_for_cuda"


def test_paddles_cpu_fallback_is_a_no_gpu_answer_not_a_healthy_start() -> None:
    line = (
        '"You are using GPU version Paddle, but your CUDA device is not set properly. CPU device '
        'will be used by default."\n'
    )
    assert "healthy" not in codes(line)
    assert first("You are using GPU version Paddle.\n") != "cpu_only_build_or_platform"


@pytest.mark.parametrize(
    "line",
    [
        "I tensorflow/core/common_runtime/gpu/pool_allocator.cc:256] Raising pool_size_limit_ "
        "from 100 to 110",
        "[22:55:42 - Predict] Found a GPU.",
        "[22:55:42 - ModelLoad] GPU available: building model with cudnn optimization",
        "GPU #0: P104-100 - 35.07 MH/s, [T:59C, P:158W, F:76%, E:268kH/W]",
    ],
)
def test_other_programs_saying_the_gpu_came_up(line: str) -> None:
    assert_success_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "I tensorflow/core/common_runtime/pool_allocator.cc:256] Raising pool_size_limit_ from 1",
        "[22:55:42 - Predict] Found no GPU.",
        "GPU #0: P104-100 - 0.00 MH/s, [T:40C, P:58W, F:30%]",  # a zero rate: nothing mined
    ],
)
def test_their_near_misses_are_no_success(line: str) -> None:
    assert first(f"{line}\n") != "healthy"


def test_tf1s_context_warning_of_a_multi_gpu_start_is_benign() -> None:
    found = (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:885] Found device 4 with properties:\n"
        "name: Tesla K40m\n"
    )
    warning = (
        "W tensorflow/stream_executor/cuda/cuda_driver.cc:590] creating context when one is "
        "currently active; existing: 0xcad55b0\n"
    )
    assert first(warning + found) == "healthy"
    assert "exclusive_compute_mode" not in codes(warning)
    # the driver's own error for a context already in use still reads as exclusive mode
    assert first("CUDA_ERROR_CONTEXT_ALREADY_IN_USE\n") == "exclusive_compute_mode"
