"""NVIDIA GPUs: the NVML adapter and its recorder, the libcuda probe, GPU state, the init probe."""
