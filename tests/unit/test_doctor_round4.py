"""Round-4 structure of the doctor (issue 14): each change checked both ways.

Every line here is hand-made for this test from the message formats (TSL prefixes, nvidia-smi's
table, modprobe's and the programs' own wordings), not copied from a thread: one case where the
evidence decides and a close one where it must not.
"""

from __future__ import annotations

from benchmarks.doctor import diagnose
from benchmarks.doctor.codes import Code
from benchmarks.doctor.families import _PAIRS, siblings
from benchmarks.doctor.logfacts import crash_lines
from benchmarks.doctor.logscan import ScannedLog
from benchmarks.doctor.rulebook import MAX_FINDINGS, ranked_by_rules
from benchmarks.doctor.textmodel import TextModel

_CLASSES = tuple(c for c in Code if c is not Code.UNEXPLAINED)
NO_WORDS = TextModel(_CLASSES, {}, (0,) * len(_CLASSES))  # knows no word: proposes nothing

TSL = "2026-12-01 10:00:00.000000: "
COUNT = "Is CUDA available: True\nNumber of CUDA devices: 1\n"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 3, in <module>\n'
    "RuntimeError: CUDA error: something went wrong\n"
)
SMI_HEAD = (
    "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |\n"
    "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |\n"
    "|                                         |                        |               MIG M. |\n"
    "|=========================================+========================+======================|\n"
    "|   0  NVIDIA A100-SXM4-40GB          Off |   00000000:01:00.0 Off |                   On |\n"
    "| N/A   30C    P0             50W /  400W |      1MiB /  40960MiB |     N/A      Default |\n"
)
SMI_DOWN = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure "
    "that the latest NVIDIA driver is installed and running.\n"
)


def _codes(log: str) -> list[str]:
    """The rules' ranking: what each round's rules say, before the text model."""
    return [c.code.value for c in ranked_by_rules(log)[:MAX_FINDINGS]]


# --- a device count printed before a crash is no healthy start --------------------------------


def test_a_count_printed_before_a_crash_is_not_healthy() -> None:
    got = _codes(COUNT + TRACEBACK)
    assert got[0] == "unexplained" and "healthy" in got  # listed, below
    assert _codes(TRACEBACK + COUNT)[0] == "healthy"  # the crash came first: outlived


def test_crash_lines_are_tracebacks_exceptions_and_signals_after_a_line() -> None:
    log = ScannedLog("ok\nValueError: bad\nSegmentation fault (core dumped)\nan error word\n")
    assert [ln.text for ln in crash_lines(log)] == [
        "ValueError: bad",
        "Segmentation fault (core dumped)",
    ]
    assert [ln.text for ln in crash_lines(log, after=2)] == ["Segmentation fault (core dumped)"]


def test_mig_enabled_in_the_smi_table_with_a_crash_reads_as_mig() -> None:
    enabled = (
        SMI_HEAD
        + "|                                         |                        |              Enabled |\n"
    )
    assert _codes(COUNT + TRACEBACK + enabled)[0] == "mig_misconfigured"
    disabled = enabled.replace("Enabled", "Disabled")
    assert "mig_misconfigured" not in _codes(COUNT + TRACEBACK + disabled)[:1]


# --- siblings: driver down vs uvm, kernel vs DSO, the docker run a failure belongs to -----------


def test_the_driver_down_puts_driver_missing_above_uvm() -> None:
    uvm = "modprobe: FATAL: Module nvidia-uvm not found.\n"
    assert _codes(SMI_DOWN + uvm)[:2] == [
        "driver_missing_or_not_loaded",
        "uvm_device_node_or_suspend",
    ]
    assert _codes(uvm)[0] == "uvm_device_node_or_suspend"  # driver running: the module alone
    pycuda = "pycuda._driver.Error: cuInit failed: unknown error\n"
    assert _codes(pycuda + SMI_DOWN)[0] == "driver_missing_or_not_loaded"
    assert _codes(pycuda)[0] == "uvm_device_node_or_suspend"


DIAG = (
    f"{TSL}E tensorflow/stream_executor/cuda/cuda_driver.cc:406] failed call to cuInit: "
    "CUDA_ERROR_NO_DEVICE\n"
    f"{TSL}I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:189] libcuda reported version "
    "is: {dso}\n"
    f"{TSL}I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:193] kernel reported version "
    "is: {kernel}\n"
)


def test_libcuda_and_kernel_versions_that_differ_are_a_mismatch() -> None:
    assert _codes(DIAG.format(dso="470.82.0", kernel="470.57.2"))[0] == (
        "driver_library_version_mismatch"
    )
    same = _codes(DIAG.format(dso="470.57.0", kernel="470.57"))  # 470.57.0 is 470.57
    assert same[0] != "driver_library_version_mismatch"


def test_with_error_804_differing_versions_leave_forward_compat_first() -> None:
    log = (
        f"{TSL}E xla/stream_executor/cuda/cuda_platform.cc:51] failed call to cuInit: "
        "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE: forward compatibility was attempted on non "
        "supported HW\n"
        + "\n".join(DIAG.format(dso="560.35.3", kernel="535.183.1").split("\n")[1:])
    )
    assert _codes(log)[:2] == ["cuda_forward_compat_unsupported", "driver_library_version_mismatch"]


def test_a_failure_belongs_to_the_docker_run_above_it() -> None:
    failure = (
        f"{TSL}I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:163] no NVIDIA GPU device "
        "is present: /dev/nvidia0 does not exist\n"
    )
    bare = "$ docker run -it tensorflow/tensorflow:latest-gpu python train.py\n"
    gpus = "$ docker run --gpus all nvidia/cuda:12.2.0-base-ubuntu22.04 nvidia-smi\n"
    assert _codes(bare + failure + gpus)[0] == "container_gpu_not_exposed"
    assert _codes(gpus + failure + bare)[0] != "container_gpu_not_exposed"


# --- message families: result strings, error 218, 803, licences, labels, OOM --------------------


def test_cuda_colon_result_string_is_the_result_code() -> None:
    mxnet = "Check failed: e == cudaSuccess || e == cudaErrorCudartUnloading: CUDA: initialization error\n"
    assert _codes(mxnet)[0] == "fork_after_cuda_init"
    engine = "nvidia-container-cli: initialization error: nvml error: driver not loaded\n"
    assert "fork_after_cuda_init" not in _codes(engine)


def test_invalid_ptx_lists_kernels_then_driver() -> None:
    line = (
        "W tensorflow/compiler/mlir/tools/kernel_gen/tf_gpu_runtime_wrappers.cc:40] "
        "'cuModuleLoadData(&module, data)' failed with 'CUDA_ERROR_INVALID_PTX'\n"
    )
    assert _codes(line)[:2] == ["no_kernel_image_for_arch", "driver_too_old_for_cuda"]
    handle = line.replace("INVALID_PTX", "INVALID_HANDLE")
    assert "no_kernel_image_for_arch" not in _codes(handle)


def test_error_803_lists_forward_compat_after_mismatch_and_too_old() -> None:
    line = "failed to initialize CUDA: system has unsupported display driver / cuda driver combination\n"
    assert _codes(line)[:3] == [
        "driver_library_version_mismatch",
        "driver_too_old_for_cuda",
        "cuda_forward_compat_unsupported",
    ]
    assert "cuda_forward_compat_unsupported" not in _codes("CUDA error: out of memory\n")


def test_a_missing_grid_license_is_vgpu() -> None:
    assert _codes("CUDA error 102 at x.cu:1: device doesn't have valid Grid license\n")[0] == (
        "vgpu_unlicensed"
    )
    assert _codes("the device has an invalid vGPU license\n")[0] == "vgpu_unlicensed"
    assert "vgpu_unlicensed" not in _codes("running in a VM with a valid GRID license\n")


def test_a_printed_built_with_cuda_label_is_an_answer() -> None:
    asked = "Is GPU available? []\n"
    assert _codes(asked + "Is TensorFlow built with CUDA?: False\n")[0] == (
        "cpu_only_build_or_platform"
    )
    assert _codes(asked + "Is TensorFlow built with CUDA?: True\n")[0] != (
        "cpu_only_build_or_platform"
    )


def test_tf_running_out_of_memory_lists_the_memory_family() -> None:
    oom = "W tensorflow/core/common_runtime/bfc_allocator.cc:275] Ran out of memory trying to allocate 392.00MiB.\n"
    assert _codes(oom)[:3] == [
        "unexplained",
        "gpu_memory_held_by_other_process",
        "tf_allocator_oom_handle_failure",
    ]
    handle = (
        oom
        + "E tensorflow/stream_executor/cuda/cuda_dnn.cc:1] Could not create cudnn handle: CUDNN_STATUS_INTERNAL_ERROR\n"
    )
    assert _codes(handle)[0] == "tf_allocator_oom_handle_failure"


# --- the sibling table itself ------------------------------------------------------------------


def test_sibling_pairs_are_distinct_failure_classes_listed_once() -> None:
    seen = set()
    for a, b, telling in _PAIRS:
        assert a.is_failure and b.is_failure and a != b and telling
        assert frozenset((a, b)) not in seen
        seen.add(frozenset((a, b)))
    assert (Code.DRIVER_MISSING_OR_NOT_LOADED, _PAIRS[0][2]) in siblings(
        Code.CONTAINER_GPU_NOT_EXPOSED
    )  # read both ways
    assert siblings(Code.FABRIC_MANAGER_NOT_READY) == []


# --- rewrites: a quote before an indented line; a quiet log with an out-of-memory line ----------


def test_a_quote_before_an_indented_docker_run_is_still_a_docker_run() -> None:
    failure = (
        f"{TSL}I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:163] no NVIDIA GPU device "
        "is present: /dev/nvidia0 does not exist\n"
    )
    log = "    docker run -it tensorflow/tensorflow:latest-gpu\n" + failure
    quoted = "".join(f"> {ln}\n" for ln in log.splitlines())
    assert _codes(quoted)[0] == _codes(log)[0] == "container_gpu_not_exposed"


def test_running_out_of_memory_is_a_complaint_in_a_quiet_log() -> None:
    stack = f"{TSL}I tensorflow/stream_executor/platform/default/dso_loader.cc:53] Successfully opened dynamic library libcudart.so.11.0\n"
    assert _codes(stack + "epoch 1 done\n")[0] == "healthy"  # quiet: the program went on
    oom = "tensorflow/core/common_runtime/bfc_allocator.cc:275] Ran out of memory trying to allocate 1.0GiB.\n"
    assert _codes(stack + oom + "Command exited with non-zero status 1\n")[0] != "healthy"


# --- weak cues: the context of a failure that no message explains -----------------------------

SEGV = "Segmentation fault (core dumped)\n"


def test_a_forked_worker_next_to_a_crash_lists_fork_as_a_weak_cue() -> None:
    worker = "Process ForkPoolWorker-1:\n"
    got = diagnose(worker + SEGV, model=NO_WORDS)  # the rules' cue, not the text model's guess
    assert [f.code for f in got][:2] == ["unexplained", "fork_after_cuda_init"]
    assert got[1].confidence == "low" and got[1].evidence == (worker.strip(), SEGV.strip())
    assert "fork_after_cuda_init" not in _codes(worker + "done\n")  # no failure: no cue


def test_wsl_container_vgpu_and_mig_context_are_cues_next_to_a_failure() -> None:
    cases = {
        "Linux host 5.15.90.1-microsoft-standard-WSL2 x86_64\n": "driver_missing_or_not_loaded",
        "$ docker run -it tensorflow/tensorflow:latest-gpu python x.py\n": (
            "container_gpu_not_exposed"
        ),
        "|   0  GRID T4-4Q                     On |   00000000:02:00.0 Off |": "vgpu_unlicensed",
        "GPU 0: NVIDIA H100 80GB HBM3\n": "mig_misconfigured",
    }
    for context, code in cases.items():
        assert code in _codes(context + "\n" + SEGV)[1:], context
        assert code not in _codes(context + "\nall good\n"), context


def test_a_users_own_error_after_a_printed_count_stays_healthy() -> None:
    own = 'Traceback (most recent call last):\n  File "train.py", line 9\nValueError: bad shape\n'
    assert _codes(COUNT + own)[0] == "healthy"
    assert _codes(COUNT + own.replace("bad shape", "CUDA error: unspecified"))[0] != "healthy"


# --- the edges of the health check (what the mutation run found untested) ---------------------

CREATED = (
    TSL + "I tensorflow/core/common_runtime/gpu/gpu_device.cc:1928] Created device "
    "/job:localhost/replica:0/task:0/device:GPU:0 with 14780 MB memory:  -> device: 0, "
    "name: Tesla T4, pci bus id: 0000:00:04.0, compute capability: 7.5\n"
)


def test_a_created_device_outlives_a_later_crash_but_a_printed_count_does_not() -> None:
    strong = diagnose(CREATED + TRACEBACK)  # TF made the device: the crash is the program's
    assert (strong[0].code, strong[0].confidence) == ("healthy", "high")
    weak = {f.code: f for f in diagnose(COUNT + TRACEBACK)}
    assert weak["healthy"].confidence == "low"
    assert weak["healthy"].evidence == ("Is CUDA available: True",)  # what was printed, quoted


def test_a_quiet_log_is_healthy_without_an_unexplained_beside_it() -> None:
    quiet = (
        TSL + "E external/local_xla/xla/stream_executor/cuda/cuda_dnn.cc:9261] Unable to "
        "register cuDNN factory: Attempting to register factory for plugin cuDNN when one has "
        "already been registered\nEpoch 1/10\n100/100 - 3s - loss: 0.5\n"
    )
    got = diagnose(quiet)
    assert [(f.code, f.confidence) for f in got] == [("healthy", "medium")]
