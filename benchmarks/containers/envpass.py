"""The part of the host environment handed to a container: CI facts and TensorFlow settings."""

from __future__ import annotations

from collections.abc import Mapping

from benchmarks.environment.ci import CI_VARIABLES

# TensorFlow's own settings, which change what is measured: the fingerprint records them.
TF_SETTINGS = (
    "XLA_FLAGS",
    "TF_XLA_FLAGS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_CPP_MAX_VLOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_GPU_ALLOCATOR",
    "TF_FORCE_GPU_ALLOW_GROWTH",
)
# Everything else (tokens above all) stays outside the container.
PASSED_ENV = (*CI_VARIABLES, *TF_SETTINGS)


def passed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed part of the host environment handed to the container."""
    return {k: environ[k] for k in PASSED_ENV if k in environ}
