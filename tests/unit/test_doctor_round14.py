"""Round 14 of the rules (issue 14): the general spellings behind the eleventh hold-out set's
remaining misses, written after it was scored (in-sample fixes: they count for nothing in its
figures; the twelfth set, collected blind while they were written, measures them). Each is
pinned both ways on the rules alone. The architecture readings are in
test_doctor_archfacts.py."""

from __future__ import annotations

import pytest

from tests.unit.doctor_lines import codes, first

TF_CUDNN_LOADED = "I tensorflow/stream_executor/cuda/cuda_dnn.cc:384] Loaded cuDNN version 8600\n"


@pytest.mark.parametrize(
    "line",
    [
        "Could not load library cudnn_cnn_infer64_8.dll. Error code 126",
        "F tensorflow/stream_executor/cuda/cuda_dnn.cc:222] Check failed: s.ok() could not find "
        "cudnnCreate in cudnn DSO; dlerror: undefined symbol: cudnnCreate",
        "\tlibcufft.so.6.5 => not found",
    ],
)
def test_a_cuda_library_that_did_not_load_after_the_first_one_did(line: str) -> None:
    # cuDNN's main library loaded (a success line), its sub-library or symbol did not
    assert first(f"{TF_CUDNN_LOADED}{line}\n") == "cuda_libs_missing_or_wrong_major"
    assert first(TF_CUDNN_LOADED) == "healthy"


def test_ldd_finding_a_library_is_no_failure() -> None:
    assert "cuda_libs_missing_or_wrong_major" not in codes(
        "\tlibcufft.so.10 => /usr/local/cuda/lib64/libcufft.so.10 (0x00007f)\n"
    )


def test_tensorrts_init_failure_35_is_a_driver_too_old() -> None:
    log = (
        "[11/05/2023-16:18:50] [I] [TRT] [MemUsageChange] Init CUDA: CPU +0, GPU +0, now: "
        "CPU 5, GPU 0 (MiB)\n"
        "[11/05/2023-16:18:50] [W] [TRT] CUDA initialization failure with error: 35. Please "
        "check your CUDA installation\n"
    )
    assert first(log) == "driver_too_old_for_cuda"
    assert "driver_missing_or_not_loaded" in codes(log)[:3]  # 35 also answers "no driver"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (
            'msg="unable to load cuda driver library" library=/usr/lib/x86_64-linux-gnu/'
            'libcuda.so.535.183.01 error="cuda driver library init failure: 802"',
            "fabric_manager_not_ready",
        ),
        ("nvbufsurftransform:cuInit failed : 804", "cuda_forward_compat_unsupported"),
        ("Cuda driver error 804 in call at file", "cuda_forward_compat_unsupported"),
    ],
)
def test_a_distinct_result_number_in_a_programs_own_words(line: str, code: str) -> None:
    assert first(f"{line}\n") == code
    assert first(f"{line.replace('80', '70')}\n") != code  # another number is not it


def test_a_device_created_with_almost_no_memory_outweighs_a_later_whole_one() -> None:
    created = (
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1244] Created TensorFlow device "
        "(/device:GPU:{i} with {mb} MB memory) -> physical GPU (device: {i}, name: Tesla T4)\n"
    )
    log = created.format(i=1, mb=69) + created.format(i=4, mb=13737)
    assert first(log) == "gpu_memory_held_by_other_process"
    whole = created.format(i=1, mb=14000) + created.format(i=4, mb=13737)
    assert first(whole) == "healthy"


def test_jax_listing_cuda_among_its_platforms_is_a_start() -> None:
    rocm_probe = (
        "I0820 16:10:25.575558 140208504612672 xla_bridge.py:353] Unable to initialize backend "
        "'rocm': NOT_FOUND: Could not find registered platform with name: \"rocm\". Available "
        "platform names are: Interpreter Host CUDA\n"
    )
    assert first(rocm_probe) == "healthy"
    cuda_failed = (
        "I0105 14:05:05.749943 140453630969664 xla_bridge.py:660] Unable to initialize backend "
        "'cuda': Found cuSOLVER version 11002, but JAX was built against version 11405\n"
    )
    assert first(cuda_failed + rocm_probe) != "healthy"
    assert first(rocm_probe.replace("Host CUDA", "Host")) != "healthy"
