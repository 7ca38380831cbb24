"""CUDA driver/runtime result codes the doctor and the libcuda adapter both need to name.

Kept in the core (stdlib only) so that ``_libcuda`` can name a code even when ``cuGetErrorName``
itself fails (a stub libcuda answers CUDA_ERROR_STUB_LIBRARY to every call), and so the rules can
read ``UNKNOWN ERROR (303)`` the way XLA prints codes it could not name.
Values: CUDA driver API ``CUresult`` (cuda.h) and runtime ``cudaError`` docs.
"""

from __future__ import annotations

CURESULT_NAMES: dict[int, str] = {
    0: "CUDA_SUCCESS",
    1: "CUDA_ERROR_INVALID_VALUE",
    2: "CUDA_ERROR_OUT_OF_MEMORY",
    3: "CUDA_ERROR_NOT_INITIALIZED",
    4: "CUDA_ERROR_DEINITIALIZED",
    34: "CUDA_ERROR_STUB_LIBRARY",
    46: "CUDA_ERROR_DEVICE_UNAVAILABLE",
    100: "CUDA_ERROR_NO_DEVICE",
    101: "CUDA_ERROR_INVALID_DEVICE",
    200: "CUDA_ERROR_INVALID_IMAGE",
    201: "CUDA_ERROR_INVALID_CONTEXT",
    209: "CUDA_ERROR_NO_BINARY_FOR_GPU",
    214: "CUDA_ERROR_ECC_UNCORRECTABLE",
    216: "CUDA_ERROR_CONTEXT_ALREADY_IN_USE",
    222: "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
    303: "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED",
    304: "CUDA_ERROR_OPERATING_SYSTEM",
    400: "CUDA_ERROR_INVALID_HANDLE",
    719: "CUDA_ERROR_LAUNCH_FAILED",
    802: "CUDA_ERROR_SYSTEM_NOT_READY",
    803: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
    804: "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
    999: "CUDA_ERROR_UNKNOWN",
}

CURESULT_STRINGS: dict[int, str] = {
    0: "no error",
    2: "out of memory",
    3: "initialization error",
    34: "CUDA driver is a stub library",
    46: "CUDA-capable device(s) is/are busy or unavailable",
    100: "no CUDA-capable device is detected",
    101: "invalid device ordinal",
    200: "device kernel image is invalid",
    209: "no kernel image is available for execution on the device",
    214: "uncorrectable ECC error encountered",
    216: "exclusive-thread device already in use by a different thread",
    222: "the provided PTX was compiled with an unsupported toolchain.",
    303: "shared object initialization failed",
    802: "system not yet initialized",
    803: "system has unsupported display driver / cuda driver combination",
    804: "forward compatibility was attempted on non supported HW",
    999: "unknown error",
}

NAME_TO_CODE: dict[str, int] = {name: code for code, name in CURESULT_NAMES.items()}


def curesult_name(code: int) -> str:
    """The CUresult name for ``code``, or ``CUresult(<code>)`` when unknown."""
    return CURESULT_NAMES.get(code, f"CUresult({code})")
