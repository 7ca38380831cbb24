"""Sibling classes: pairs that share messages, and the fact that tells them apart.

Source: the "Rule out" lines of shared/research/gpu-failure-classes.md (section 2) that point
at another class, its decision order (steps that read the same message) and the error-46
sub-procedure of section 1. A log that points at one class of a pair often fits the other just
as well when the telling fact is not in the log, so the rulebook lists the siblings of its top
finding just below every rule's candidates: each with the lines that put the top finding there
and the fact that settles which of the two it is. The pairs are the taxonomy's, not any log's.
"""

from __future__ import annotations

from benchmarks.doctor.codes import Code

_PAIRS: tuple[tuple[Code, Code, str], ...] = (
    (
        Code.DRIVER_MISSING_OR_NOT_LOADED,
        Code.CONTAINER_GPU_NOT_EXPOSED,
        "inside a container (/.dockerenv, a 12-hex host name) the engine did not pass the GPU "
        "in; on the host itself the driver is missing",
    ),
    (
        Code.DRIVER_MISSING_OR_NOT_LOADED,
        Code.UVM_DEVICE_NODE_OR_SUSPEND,
        "nvidia-smi works when only /dev/nvidia-uvm is missing; it fails when the driver is",
    ),
    (
        Code.DRIVER_MISSING_OR_NOT_LOADED,
        Code.DRIVER_LIBRARY_VERSION_MISMATCH,
        "/proc/driver/nvidia/version exists when the module is loaded but differs from libcuda",
    ),
    (
        Code.DRIVER_MISSING_OR_NOT_LOADED,
        Code.DRIVER_TOO_OLD_FOR_CUDA,
        "the runtime's 'driver version is insufficient' (35) also answers a machine with no "
        "NVIDIA driver or GPU at all: nvidia-smi failing or missing means the driver is missing",
    ),
    (
        Code.DRIVER_LIBRARY_VERSION_MISMATCH,
        Code.CUDA_FORWARD_COMPAT_UNSUPPORTED,
        "kernel module and libcuda versions differ after an upgrade without reboot; cuda-compat "
        "libraries on the loader path of a GeForce/Quadro GPU are forward compatibility",
    ),
    (
        Code.DRIVER_LIBRARY_VERSION_MISMATCH,
        Code.DRIVER_TOO_OLD_FOR_CUDA,
        "error 803 comes from both: nvidia-smi's 'CUDA Version' below the build's CUDA means "
        "the driver is too old",
    ),
    (
        Code.CUDA_FORWARD_COMPAT_UNSUPPORTED,
        Code.DRIVER_TOO_OLD_FOR_CUDA,
        "an image newer than the host driver: compat libraries work only on datacenter GPUs, "
        "else the host driver must be upgraded",
    ),
    (
        Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE,
        Code.DRIVER_TOO_OLD_FOR_CUDA,
        "'possibly insufficient driver version' next to the handle error means the driver",
    ),
    (
        Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE,
        Code.CUDNN_VERSION_MISMATCH,
        "'Loaded runtime CuDNN library' with another version means the cuDNN libraries",
    ),
    (
        Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE,
        Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
        "other PIDs in nvidia-smi's process list hold the memory; only our own: TF's "
        "pre-allocation",
    ),
    (
        Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR,
        Code.CPU_ONLY_BUILD_OR_PLATFORM,
        "tf.test.is_built_with_cuda() is False for a CPU-only build",
    ),
    (
        Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR,
        Code.CUDNN_VERSION_MISMATCH,
        "a cuDNN that loads but has another version than the build's is the cuDNN mismatch",
    ),
    (
        Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR,
        Code.XLA_TOOLCHAIN_MISSING,
        "ptxas/libdevice missing only under XLA (jit_compile) is the toolchain",
    ),
    (
        Code.CONTAINER_LOST_GPU_ACCESS,
        Code.CONTAINER_GPU_NOT_EXPOSED,
        "a container that failed from its very first start never had the GPU",
    ),
    (
        Code.CUDA_VISIBLE_DEVICES_HIDDEN,
        Code.MIG_MISCONFIGURED,
        "nvidia-smi's 'MIG M.' column Enabled: the process sees MIG instances only",
    ),
    (
        Code.CUDA_VISIBLE_DEVICES_HIDDEN,
        Code.CONTAINER_GPU_NOT_EXPOSED,
        "NVIDIA_VISIBLE_DEVICES=void/none in the image hides the GPU; no /dev/nvidia0 in the "
        "container means it was not passed in",
    ),
    (
        Code.COMPUTE_CAPABILITY_BELOW_MINIMUM,
        Code.NO_KERNEL_IMAGE_FOR_ARCH,
        "a compute capability below the build's minimum is too old; one above its newest "
        "kernels needs PTX JIT or a newer build",
    ),
    (
        Code.GPU_FELL_OFF_BUS_HW_FAULT,
        Code.ECC_UNCORRECTABLE,
        "Xid 79 is the bus; Xid 48 or 214 and ECC counters are uncorrectable ECC",
    ),
    (
        Code.EXCLUSIVE_COMPUTE_MODE,
        Code.VGPU_UNLICENSED,
        "nvidia-smi's 'Compute M.' column; a GRID/-Q product name with License Status Unlicensed",
    ),
    (
        Code.EXCLUSIVE_COMPUTE_MODE,
        Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
        "another process on an Exclusive_Process GPU; in Default mode it holds memory",
    ),
)


def siblings(code: Code) -> list[tuple[Code, str]]:
    """The classes that share messages with ``code``, each with the fact that tells them
    apart, in the order of the pairs above."""
    out: list[tuple[Code, str]] = []
    for a, b, telling in _PAIRS:
        if code == a:
            out.append((b, telling))
        elif code == b:
            out.append((a, telling))
    return out
