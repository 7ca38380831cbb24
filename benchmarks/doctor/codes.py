"""The doctor's vocabulary: one ``Code`` per class and named score levels.

``Code`` values are the strings ``diagnosis.json`` has always carried (``code``), so a reader of
old documents and a rule written today agree. ``Level`` names how sure a rule is; a rule never
writes a bare number, so "a signature only this class prints" means the same in every rule.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Code(str, Enum):
    """The 23 failure classes of shared/research/gpu-failure-classes.md, plus two outcomes."""

    CPU_ONLY_BUILD_OR_PLATFORM = "cpu_only_build_or_platform"
    CUDA_VISIBLE_DEVICES_HIDDEN = "cuda_visible_devices_hidden"
    CONTAINER_GPU_NOT_EXPOSED = "container_gpu_not_exposed"
    DRIVER_MISSING_OR_NOT_LOADED = "driver_missing_or_not_loaded"
    CONTAINER_LOST_GPU_ACCESS = "container_lost_gpu_access"
    DRIVER_LIBRARY_VERSION_MISMATCH = "driver_library_version_mismatch"
    CUDA_FORWARD_COMPAT_UNSUPPORTED = "cuda_forward_compat_unsupported"
    FABRIC_MANAGER_NOT_READY = "fabric_manager_not_ready"
    DRIVER_TOO_OLD_FOR_CUDA = "driver_too_old_for_cuda"
    CUDA_LIBS_MISSING_OR_WRONG_MAJOR = "cuda_libs_missing_or_wrong_major"
    CUDNN_VERSION_MISMATCH = "cudnn_version_mismatch"
    MIG_MISCONFIGURED = "mig_misconfigured"
    UVM_DEVICE_NODE_OR_SUSPEND = "uvm_device_node_or_suspend"
    EXCLUSIVE_COMPUTE_MODE = "exclusive_compute_mode"
    VGPU_UNLICENSED = "vgpu_unlicensed"
    GPU_MEMORY_HELD_BY_OTHER_PROCESS = "gpu_memory_held_by_other_process"
    TF_ALLOCATOR_OOM_HANDLE_FAILURE = "tf_allocator_oom_handle_failure"
    GPU_FELL_OFF_BUS_HW_FAULT = "gpu_fell_off_bus_hw_fault"
    ECC_UNCORRECTABLE = "ecc_uncorrectable"
    COMPUTE_CAPABILITY_BELOW_MINIMUM = "compute_capability_below_minimum"
    NO_KERNEL_IMAGE_FOR_ARCH = "no_kernel_image_for_arch"
    FORK_AFTER_CUDA_INIT = "fork_after_cuda_init"
    XLA_TOOLCHAIN_MISSING = "xla_toolchain_missing"
    HEALTHY = "healthy"
    UNEXPLAINED = "unexplained"

    def __str__(self) -> str:
        return self.value

    @property
    def is_failure(self) -> bool:
        return self not in (Code.HEALTHY, Code.UNEXPLAINED)


class Level(IntEnum):
    """How strongly a piece of evidence points at a class (higher ranks first).

    A rule picks the level that describes its evidence; facts from the fingerprint move a
    candidate up (confirm) or down (rule out) by whole levels.
    """

    CERTAIN = 95  # a fingerprint fact settles it, usually together with a signature
    DECISIVE = 90  # a message that only this class prints
    STRONG = 85  # a message that this class prints nearly always, or two agreeing hints
    CLEAR = 80  # the lowest level reported with high confidence
    LIKELY = 70  # the most common reading of a message that several classes share
    PROBABLE = 60  # a reading the log supports, with a competitor left open
    POSSIBLE = 50  # one of several readings; the lowest with medium confidence
    HINT = 40  # circumstantial: worth checking, not a diagnosis
    WEAK = 30  # a fact argues against it, but it is not ruled out
    DOUBTFUL = 20  # kept in the list only so the user sees it was considered
    RULED_OUT = 10  # dropped from the findings

    def step_down(self, steps: int) -> int:
        """A score just below this level, for an ordered checklist of equal standing."""
        return int(self) - steps


HIGH_FROM = Level.CLEAR
MEDIUM_FROM = Level.POSSIBLE


def raised(score: int) -> int:
    """One level up from ``score`` (a confirming fact), at most ``Level.CERTAIN``."""
    above = [int(level) for level in Level if level > score]
    return min(above) if above else int(Level.CERTAIN)
