"""The part of the host environment handed to a container: CI facts and TensorFlow settings."""

from __future__ import annotations

from collections.abc import Mapping

# Variables the fingerprint reads to describe the CI job and TensorFlow's settings; everything
# else (tokens above all) stays outside the container.
PASSED_ENV = (
    "CI", "GITHUB_ACTIONS", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT", "GITHUB_WORKFLOW", "GITHUB_REF", "RUNNER_OS", "RUNNER_ARCH",
    "RUNNER_ENVIRONMENT", "RUNNER_NAME", "GITLAB_CI", "CI_JOB_ID", "CI_JOB_URL",
    "CI_PIPELINE_ID", "CI_PIPELINE_URL", "CI_PIPELINE_SOURCE", "CI_COMMIT_REF_NAME",
    "CI_RUNNER_DESCRIPTION", "CI_RUNNER_TAGS", "JENKINS_URL", "BUILD_NUMBER", "BUILD_URL",
    "NODE_NAME", "XLA_FLAGS", "TF_XLA_FLAGS", "TF_CPP_MIN_LOG_LEVEL", "TF_CPP_MAX_VLOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS", "TF_GPU_ALLOCATOR", "TF_FORCE_GPU_ALLOW_GROWTH",
)  # fmt: skip


def passed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed part of the host environment handed to the container."""
    return {k: environ[k] for k in PASSED_ENV if k in environ}
