"""Title, cause and fix of every class (source: shared/research/gpu-failure-classes.md).

One place for the words, so the terminal, ``diagnosis.json`` and the HTML report agree.
``ENTRIES`` is written in the research note's decision order; ``ORDER`` (which breaks ties
between equal scores) is derived from it, so the order is stated once.
"""

from __future__ import annotations

from typing import NamedTuple

from benchmarks.doctor.codes import Code


class Entry(NamedTuple):
    code: Code
    title: str
    explanation: str
    fix: str


ENTRIES: tuple[Entry, ...] = (
    Entry(
        Code.CPU_ONLY_BUILD_OR_PLATFORM,
        "TensorFlow build cannot use CUDA",
        "The installed TensorFlow was built without CUDA (tensorflow-cpu, a CPU conda "
        "variant, macOS, or native Windows with TF >= 2.11), so it never looks for a GPU.",
        "Linux/WSL2: pip install 'tensorflow[and-cuda]' (or use the graphbench GPU image); "
        "native Windows: use WSL2 or TF 2.10; conda: pick a cuda* build string.",
    ),
    Entry(
        Code.CUDA_VISIBLE_DEVICES_HIDDEN,
        "The GPU is hidden by CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES",
        "The driver works, but the process was told to see no GPU (CUDA_VISIBLE_DEVICES empty, "
        "-1 or naming a device that does not exist; NVIDIA_VISIBLE_DEVICES=none/void; a "
        "scheduler allocation without GPUs).",
        "Unset or correct CUDA_VISIBLE_DEVICES (indices follow CUDA order; prefer GPU UUIDs); "
        "request GPUs from the scheduler (e.g. Slurm --gres=gpu:1).",
    ),
    Entry(
        Code.CONTAINER_GPU_NOT_EXPOSED,
        "The container was started without GPU access",
        "Inside a container there are no /dev/nvidia* device nodes or driver libraries: it was "
        "not started with the NVIDIA runtime (--gpus / CDI), the NVIDIA container toolkit is "
        "missing or not registered with the engine, or the pod requested no GPU.",
        "Install nvidia-container-toolkit, run `nvidia-ctk runtime configure --runtime=docker` "
        "and restart the engine; start with `docker run --gpus all ...` (podman: "
        "`--device nvidia.com/gpu=all`); Kubernetes: set resources.limits nvidia.com/gpu.",
    ),
    Entry(
        Code.DRIVER_MISSING_OR_NOT_LOADED,
        "No NVIDIA driver is loaded (or no NVIDIA GPU is present)",
        "libcuda.so.1 cannot be loaded or the kernel module is not running: there is no "
        "/proc/driver/nvidia/version and no /dev/nvidia* node. Either the machine has no NVIDIA "
        "GPU, the driver is not installed, or its module did not load (kernel update without a "
        "DKMS rebuild, Secure Boot, nouveau bound).",
        "On a CPU-only machine run with --device cpu (nothing is broken). Otherwise install or "
        "repair the NVIDIA driver and reboot (rebuild DKMS for the running kernel; sign the "
        "module for Secure Boot). WSL2: install the Windows driver only and keep "
        "/usr/lib/wsl/lib on the loader path.",
    ),
    Entry(
        Code.CONTAINER_LOST_GPU_ACCESS,
        "The running container lost access to the GPU",
        "The GPU worked when the container started, then a systemd daemon-reload on the host "
        "re-applied device-cgroup rules without the NVIDIA devices; NVML now says "
        "'Unknown Error' inside the container while the host is fine.",
        "Recreate the container. Permanent fix on the host: `nvidia-ctk system "
        "create-dev-char-symlinks --create-all` plus its udev rule, the cgroupfs driver, or a "
        "newer toolkit / GPU operator.",
    ),
    Entry(
        Code.DRIVER_LIBRARY_VERSION_MISMATCH,
        "Kernel driver and user-space driver libraries differ (upgrade without reboot)",
        "The driver packages were upgraded while the old kernel module stayed loaded (or two "
        "installs were mixed), so libcuda/NVML refuse to talk to the module.",
        "Reboot (or stop all GPU users and reload the nvidia modules); purge duplicate driver "
        "installs; on benchmark hosts hold the driver package (apt-mark hold).",
    ),
    Entry(
        Code.CUDA_FORWARD_COMPAT_UNSUPPORTED,
        "CUDA forward-compatibility libraries used on an unsupported GPU",
        "A cuda-compat user-space driver (e.g. /usr/local/cuda/compat in an image) was loaded, "
        "but forward compatibility only works on datacenter GPUs.",
        "Upgrade the host driver to a branch that natively supports the image's CUDA, or drop "
        "the compat directory from LD_LIBRARY_PATH and use an image matching the host driver.",
    ),
    Entry(
        Code.FABRIC_MANAGER_NOT_READY,
        "NVSwitch system without a running, matching Fabric Manager",
        "On NVSwitch (HGX/DGX SXM) systems CUDA refuses to start until nvidia-fabricmanager of "
        "exactly the driver's version is running.",
        "Install nvidia-fabricmanager-<exact driver version> and `systemctl enable --now "
        "nvidia-fabricmanager`; check `nvidia-smi -q` Fabric State is Completed.",
    ),
    Entry(
        Code.DRIVER_TOO_OLD_FOR_CUDA,
        "The NVIDIA driver is too old for this TensorFlow's CUDA",
        "The CUDA runtime or PTX that TensorFlow ships needs a newer driver than the one "
        "installed (minor-version compatibility does not cover new PTX).",
        "Upgrade the NVIDIA driver (on the host, for containers) to one that supports the CUDA "
        "version TensorFlow was built with, or use a TensorFlow built for an older CUDA.",
    ),
    Entry(
        Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR,
        "CUDA runtime/math libraries or cuDNN missing, or of the wrong major version",
        "TensorFlow could not dlopen the CUDA libraries it was built against (libcudart, "
        "cuBLAS, cuFFT, cuSOLVER, cuSPARSE, cuDNN, nvJitLink), so it skipped registering GPU "
        "devices. 'Could not find cuda drivers on your machine' is printed when libcudart (the "
        "runtime, not the driver) is missing.",
        "pip install 'tensorflow[and-cuda]' (installs matching nvidia-*-cu12 wheels), or install "
        "the CUDA/cuDNN versions from TensorFlow's tested-build table and put them on "
        "LD_LIBRARY_PATH; in containers use a -gpu image.",
    ),
    Entry(
        Code.CUDNN_VERSION_MISMATCH,
        "cuDNN older than the one TensorFlow was built with",
        "An older libcudnn is first on the loader path (often another framework's bundled copy "
        "or a stale system install); TensorFlow needs the same major and >= minor version.",
        "Install cuDNN >= the build version within the same major and put it first on "
        "LD_LIBRARY_PATH; do not import another framework's cuDNN before TensorFlow.",
    ),
    Entry(
        Code.MIG_MISCONFIGURED,
        "MIG is enabled but no usable MIG instance is visible",
        "With MIG enabled CUDA sees only MIG devices: none were created, or the process was "
        "given the parent GPU or several MIG devices (a process can use one).",
        "Create GPU/compute instances (`nvidia-smi mig -cgi <profile> -C`) and set "
        "CUDA_VISIBLE_DEVICES=MIG-<uuid>, one per process; or disable MIG "
        "(`nvidia-smi -i N -mig 0` and reset the GPU).",
    ),
    Entry(
        Code.UVM_DEVICE_NODE_OR_SUSPEND,
        "/dev/nvidia-uvm missing or unusable (nvidia_uvm not loaded, permissions, suspend)",
        "cuInit fails with CUDA_ERROR_UNKNOWN while nvidia-smi works: the nvidia_uvm module or "
        "its device node is missing, not accessible to this user (nodes are created lazily by "
        "root), or broken after a suspend/resume.",
        "`sudo modprobe nvidia_uvm` (or `sudo nvidia-modprobe -u -c=0`), or "
        "`sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm` after resume, or reboot; enable the "
        "nvidia-suspend/resume services; LXC: create the nodes on the host first.",
    ),
    Entry(
        Code.EXCLUSIVE_COMPUTE_MODE,
        "GPU in an exclusive/prohibited compute mode and already in use",
        "The GPU allows one CUDA context (Exclusive_Process) or none (Prohibited), and another "
        "process - or another library in this process - already holds it.",
        "Stop the other owner or pick an idle GPU (CUDA_VISIBLE_DEVICES=<idle index>); admins: "
        "`nvidia-smi -i N -c 0` (Default). Do not create a second context in one job.",
    ),
    Entry(
        Code.VGPU_UNLICENSED,
        "NVIDIA vGPU guest without a valid license",
        "vGPU guest drivers restrict CUDA when unlicensed; nvidia-smi looks normal and the GPU "
        "is even listed, but contexts are refused.",
        "Restore licensing (gridd.conf / license server / cloud provider), or use the "
        "provider's supported GRID driver; nothing to change in TensorFlow.",
    ),
    Entry(
        Code.GPU_MEMORY_HELD_BY_OTHER_PROCESS,
        "GPU memory is held by other processes",
        "Another process (a previous run, a notebook kernel, another TensorFlow process that "
        "pre-allocated nearly all memory) holds the GPU memory, so context creation or "
        "TensorFlow's allocator cannot get any.",
        "Stop or wait for the other process, or choose an idle GPU; when sharing on purpose set "
        "TF_FORCE_GPU_ALLOW_GROWTH=true or a per-process memory limit.",
    ),
    Entry(
        Code.TF_ALLOCATOR_OOM_HANDLE_FAILURE,
        "TensorFlow's own pre-allocation starved cuDNN/cuBLAS",
        "The device was created, but TensorFlow's allocator had taken almost all memory, so "
        "cuDNN/cuBLAS could not create their handles or workspaces at the first op.",
        "Enable memory growth (TF_FORCE_GPU_ALLOW_GROWTH=true or "
        "tf.config.experimental.set_memory_growth) or lower the memory fraction.",
    ),
    Entry(
        Code.GPU_FELL_OFF_BUS_HW_FAULT,
        "GPU hardware/PCIe fault (GPU lost, fell off the bus)",
        "The GPU stopped responding (Xid 79/48/62/119, 'GPU has fallen off the bus'): power, "
        "thermal, PCIe or firmware trouble. Not fixable from TensorFlow.",
        "Reboot or reset the GPU to recover; reseat card and power cables, check PSU and "
        "cooling, update SBIOS/driver; RMA if it recurs.",
    ),
    Entry(
        Code.ECC_UNCORRECTABLE,
        "Uncorrectable ECC memory error on the GPU",
        "A double-bit memory error poisoned the GPU; contexts fail until it is reset.",
        "Reset the GPU (`nvidia-smi -r`) or reboot; if it recurs drain the node and RMA. "
        "Disabling ECC is not a fix.",
    ),
    Entry(
        Code.COMPUTE_CAPABILITY_BELOW_MINIMUM,
        "GPU too old for this TensorFlow build",
        "TensorFlow skips GPUs whose compute capability is below the minimum it was compiled for.",
        "Use a newer GPU, an older TensorFlow that supported this architecture, or build "
        "TensorFlow from source with TF_CUDA_COMPUTE_CAPABILITIES including it.",
    ),
    Entry(
        Code.NO_KERNEL_IMAGE_FOR_ARCH,
        "No compiled kernels for this GPU architecture (PTX JIT or failure)",
        "The build has no SASS for this GPU; kernels are JIT-compiled from PTX (minutes-long "
        "start) or, without suitable PTX, fail with 'device kernel image is invalid'.",
        "Use a TensorFlow build that includes this architecture; keep the CUDA JIT cache "
        "(CUDA_CACHE_MAXSIZE, no CUDA_CACHE_DISABLE) and warm it before timing; graphbench "
        "excludes the first call from measurements.",
    ),
    Entry(
        Code.FORK_AFTER_CUDA_INIT,
        "CUDA used in a process forked after CUDA was initialised",
        "CUDA state cannot cross fork(): a child forked from a parent that had touched the GPU "
        "gets CUDA_ERROR_NOT_INITIALIZED.",
        "Use the spawn start method (multiprocessing.set_start_method('spawn')), keep the parent "
        "CUDA-free and initialise TensorFlow only in workers.",
    ),
    Entry(
        Code.XLA_TOOLCHAIN_MISSING,
        "XLA cannot find ptxas/libdevice",
        "The GPU works, but XLA (jit_compile=True) needs ptxas and libdevice from the CUDA "
        "toolkit, which runtime-only installs lack.",
        "pip install 'tensorflow[and-cuda]' (brings nvidia-cuda-nvcc) or install cuda-nvcc; "
        "export XLA_FLAGS=--xla_gpu_cuda_data_dir=<dir containing nvvm/libdevice>.",
    ),
    Entry(
        Code.HEALTHY,
        "GPU initialised and computed correctly",
        "TensorFlow created the GPU device and a small matmul ran on it; error-level lines in "
        "the log are known harmless noise.",
        "Nothing to fix.",
    ),
    Entry(
        Code.UNEXPLAINED,
        "GPU failure not matched by any known class",
        "The GPU did not come up, but no known signature or fact explains it.",
        "Read the quoted lines; check `dmesg | grep -E 'NVRM|Xid'`, `nvidia-smi -q`, and "
        "nvidia-persistenced; reboot or reset the GPU, then run `python -m benchmarks diagnose "
        "--probe` again.",
    ),
)

CATALOG: dict[Code, Entry] = {entry.code: entry for entry in ENTRIES}
ORDER: tuple[Code, ...] = tuple(entry.code for entry in ENTRIES)
FAILURE_CODES: tuple[Code, ...] = tuple(code for code in ORDER if code.is_failure)
