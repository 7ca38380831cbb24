"""Round-2 evidence of the doctor (issue 14): general facts rather than one thread's wording.

Every log here is hand-made for this test from the message formats (TSL/absl prefixes, the
nvidia-smi table, CUresult names, PyCUDA's "<call> failed: <result string>"), not copied from
a thread. Each kind of evidence is checked both ways: where it decides and where it must not.
"""

from __future__ import annotations

from benchmarks.doctor.rulebook import MAX_FINDINGS, ranked_by_rules

NUMA_READ = (
    "2026-12-01 10:00:00.100000: I external/local_xla/xla/stream_executor/cuda/"
    "cuda_executor.cc:1001] successful NUMA node read from SysFS had negative value (-1), but "
    "there must be at least one NUMA node, so returning NUMA node zero.\n"
)
SMI_TABLE = (
    "| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |\n"
    "|   0  NVIDIA RTX A4000               Off |   00000000:65:00.0 Off |                  Off |\n"
    "| 41%   35C    P8             15W /  140W |       5MiB /  16376MiB |      0%      Default |\n"
)
LIBS_MISSING = (
    "2026-12-01 10:00:01.000000: W tensorflow/core/common_runtime/gpu/gpu_device.cc:2251] "
    "Cannot dlopen some GPU libraries. Please make sure the missing libraries mentioned above "
    "are installed properly if you would like to use GPU. Skipping registering GPU devices...\n"
)
CREATED = (
    "2026-12-01 10:00:02.000000: I tensorflow/core/common_runtime/gpu/gpu_device.cc:2020] "
    "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 14000 MB memory:  -> "
    "device: 0, name: NVIDIA RTX A4000, pci bus id: 0000:65:00.0, compute capability: 8.6\n"
)


def _codes(log: str) -> list[str]:
    """The rules' ranking: what each round's rules say, before the text model."""
    return [c.code.value for c in ranked_by_rules(log)[:MAX_FINDINGS]]


def test_a_numa_read_alone_means_a_device_was_enumerated() -> None:
    assert _codes(NUMA_READ)[0] == "healthy"
    unreadable = (
        "could not open file to read NUMA node: /sys/bus/pci/devices/0000:01:00.0/numa_node\n"
    )
    assert _codes(unreadable)[0] == "healthy"


def test_a_numa_read_followed_by_a_failure_is_not_success() -> None:
    assert _codes(NUMA_READ + LIBS_MISSING)[0] != "healthy"


def test_an_nvidia_smi_table_with_a_gpu_and_no_error_is_healthy() -> None:
    assert _codes(SMI_TABLE)[0] == "healthy"
    failing = SMI_TABLE + "RuntimeError: CUDA error: no kernel image is available for execution\n"
    assert _codes(failing)[0] != "healthy"


def test_an_enumerated_device_is_not_listed_against_a_standing_failure() -> None:
    busy = "Error selecting GPU: all CUDA-capable devices are busy or unavailable\n"
    codes = _codes(busy + SMI_TABLE.replace("Default |", "E. Process |"))
    assert codes[0] == "exclusive_compute_mode"
    assert "healthy" not in codes


def test_unknown_error_at_initialisation_in_any_program() -> None:
    go_panic = (
        "panic: CUDA_ERROR_UNKNOWN\n\ngoroutine 1 [running]:\nexample.com/cu.CtxCreate(0x0)\n"
    )
    assert _codes(go_panic)[0] == "uvm_device_node_or_suspend"
    at_launch = "kernel launch returned CUDA_ERROR_UNKNOWN\nstep 1200 of 5000\n"
    assert "uvm_device_node_or_suspend" not in _codes(at_launch)[:1]


def test_pycuda_spelling_of_not_initialized_is_fork() -> None:
    assert _codes("pycuda._driver.LogicError: cuCtxCreate failed: initialization error\n")[0] == (
        "fork_after_cuda_init"
    )
    engine = "nvidia-container-cli: initialization error: load library failed\n"
    assert "fork_after_cuda_init" not in _codes(engine)


def test_an_answer_written_as_a_comment_is_read() -> None:
    log = "print(tf.test.is_build_with_cuda())  # False\ntf.config.list_physical_devices('GPU') # []\n"
    assert _codes(log)[0] == "cpu_only_build_or_platform"
    # Another program seeing the GPU does not outrank TensorFlow's own build.
    assert _codes(log + "torch.cuda.is_available()  # True\n")[0] == "cpu_only_build_or_platform"
    assert _codes("torch.cuda.is_available()  # True\n")[0] == "healthy"


def test_the_image_banner_under_a_gpu_run_line_is_not_decisive() -> None:
    banner = (
        "WARNING: The NVIDIA Driver was not detected.  GPU functionality will not be available.\n"
    )
    with_gpus = "$ docker run --gpus all --rm nvcr.io/nvidia/tensorflow:24.01-tf2-py3 nvidia-smi\n"
    assert _codes(with_gpus + banner)[0] != "container_gpu_not_exposed"
    without = "$ docker run --rm nvcr.io/nvidia/tensorflow:24.01-tf2-py3 nvidia-smi\n"
    assert _codes(without + banner)[0] == "container_gpu_not_exposed"
    zsh = with_gpus.replace("$ ", "\u279c ")
    assert _codes(zsh + banner)[0] != "container_gpu_not_exposed"


def test_an_error_before_a_clear_success_was_outlived_but_not_one_after() -> None:
    assert _codes(LIBS_MISSING + CREATED)[0] == "healthy"
    assert _codes(CREATED + LIBS_MISSING)[0] != "healthy"


def test_noise_on_another_clock_after_success_is_not_a_slow_start() -> None:
    noise = (
        "E0000 00:00:1795611731.013700    48213 cuda_dnn.cc:8310] Unable to register cuDNN "
        "factory: Attempting to register factory for plugin cuDNN when one has already been "
        "registered\n"
    )
    assert _codes(CREATED + noise)[0] == "healthy"
    later = CREATED.replace("10:00:02", "10:09:30").replace(
        "I tensorflow/core/common_runtime/gpu/gpu_device.cc:2020] Created device",
        "I external/local_xla/xla/service/gpu/gpu_compiler.cc:1] compiled kernels for device",
    )
    assert _codes(CREATED + later)[0] == "no_kernel_image_for_arch"
