"""Round 11 of the rules (issue 14): the general spellings behind the ninth hold-out set's
misses, read after it was scored once on the round-10 doctor (in-sample fixes: they count for
nothing in its figures; the tenth hold-out set measures them). Each is pinned both ways on the
rules alone."""

from __future__ import annotations

import pytest

from tests.unit.doctor_lines import assert_success_line, codes, first


@pytest.mark.parametrize(
    "line",
    [
        "Applied providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'], with options: "
        "{'CPUExecutionProvider': {}}",
        "(APIServer pid=1) INFO 05-24 15:04:18 [loggers.py:259] Engine 000: Avg prompt "
        "throughput: 14.0 tokens/s, Running: 1 reqs, GPU KV cache usage: 1.4%",
        "(EngineCore pid=59) INFO 05-07 04:51:48 [gpu_model_runner.py:4877] Using auxiliary "
        "layers from speculative config: (1, 16)",
        "W0404 16:40:48.373013 14840 device_context.cc:245] device: 0, cuDNN Version: 7.6.",
        "        1/8       2.8G     0.4452      1.629      1.087         18        704: 100%",
        "[01/01/1970-03:47:30] [I] [TRT] [MemUsageChange] Init CUDA: CPU +0, GPU +0, now: CPU 37",
        "[01/01/1970-03:47:30] [I] Selected Device: Orin",
    ],
)
def test_other_programs_saying_the_gpu_came_up(line: str) -> None:
    assert_success_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Applied providers: ['CPUExecutionProvider'], with options: {'CPUExecutionProvider': {}}",
        "        1/8         0G     0.4452      1.629      1.087         18        704: 100%",
        "[01/01/1970-03:47:30] [I] Selected Device: CPU",
    ],
)
def test_their_no_gpu_counterparts_are_no_success(line: str) -> None:
    assert first(f"{line}\n") != "healthy"


def test_paddle_opening_cudnn_after_saying_the_gpu_is_unsupported_is_no_success() -> None:
    cudnn = "W0520 15:27:38.243633 60927 gpu_resources.cc:164] device: 0, cuDNN Version: 9.7.\n"
    unsupported = (
        "W0520 15:27:38.243607 60927 gpu_resources.cc:106] The GPU compute capability in your "
        "current machine is 120, which is not supported by Paddle, it is recommended to install "
        "the corresponding wheel package\n"
    )
    assert first(cudnn) == "healthy"
    assert "healthy" not in codes(unsupported + cudnn)


def test_tf1_naming_the_numa_node_of_its_gpu_device_is_a_quiet_success() -> None:
    numa = (
        "E c:\\tf_jenkins\\home\\workspace\\release-win\\tensorflow\\core\\common_runtime\\gpu\\"
        "gpu_device.cc:586] Could not identify NUMA node of /job:localhost/replica:0/task:0/gpu:0,"
        " defaulting to 0.  Your kernel may not have been built with NUMA support.\n"
    )
    assert first(numa) == "healthy"
    assert first(numa + "E failed call to cuInit: CUDA_ERROR_NO_DEVICE\n") != "healthy"


# The generic success reader's veto reads words of a complaint, not words that look like one.
@pytest.mark.parametrize(
    ("quiet", "loud"),
    [
        ("(gym) sharon@host:~/gym/segmentation_gym$ python train.py",
         "Segmentation fault (core dumped)"),
        ('    "oom": 0,', '    "oom": 3,'),
        ("Cuda backend: Model version 8 useFP16 = false useNHWC = false",
         "CUDA available: False"),
        ("- **Embedded Python:** false", "False"),
        ("2024-02-28 18:02:22,589 Unable to initialize backend 'rocm': NOT_FOUND: Could not find "
         "registered platform with name: \"rocm\". Available platform names are: CUDA",
         "2024-02-28 18:02:22,589 Unable to initialize backend 'cuda': FAILED_PRECONDITION: No "
         "visible GPU devices."),
    ],
)  # fmt: skip
def test_the_generic_readers_veto_reads_complaints_not_lookalikes(quiet: str, loud: str) -> None:
    named = "Cuda backend: Found GPU GeForce GTX 1060 3GB memory 3221225472\n"
    assert first(f"{named}{quiet}\n") == "healthy"
    assert first(f"{named}{quiet}\n{loud}\n") != "healthy"


def test_a_docker_compose_prefix_is_a_container_and_its_lines_are_read() -> None:
    error = "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an GPU"
    bare = f'  File "/usr/lib/torch/cuda/__init__.py", line 170, in _lazy_init\n{error}\n'
    composed = "".join(f"qna-transformers_1  | {ln}\n" for ln in bare.splitlines())
    assert first(bare) == "driver_missing_or_not_loaded"
    assert first(composed) == "container_gpu_not_exposed"
    assert first(composed.replace("_1  |", "-1  |")) == "container_gpu_not_exposed"


def test_a_driver_without_a_device_node_reads_as_a_container_not_given_the_gpu() -> None:
    # TensorFlow checks /proc/driver/nvidia/version first: past it, the driver is loaded
    diag = "tensorflow/stream_executor/cuda/cuda_diagnostics.cc:163] "
    no_node = f"I {diag}no NVIDIA GPU device is present: /dev/nvidia0 does not exist\n"
    no_proc = (
        f"I {diag}kernel driver does not appear to be running on this host (x): "
        "/proc/driver/nvidia/version does not exist\n"
    )
    cuinit = "E tensorflow/stream_executor/cuda/cuda_driver.cc:313] failed call to cuInit: UNKNOWN ERROR (-1)\n"
    assert codes(cuinit + no_node)[:2] == [
        "container_gpu_not_exposed",
        "driver_missing_or_not_loaded",
    ]
    assert first(cuinit + no_proc) == "driver_missing_or_not_loaded"


def test_an_ipython_traceback_after_a_device_print_is_no_healthy_start() -> None:
    props = "_CudaDeviceProperties(name='GeForce GT 740', major=3, minor=0, total_memory=1991MB)\n"
    crash = (
        "RuntimeError                              Traceback (most recent call last)\n"
        "----> 7 print(torch.tensor([1.0, 2.0]).cuda())\n"
    )
    assert first(props) == "healthy"
    assert first(props + crash) != "healthy"
