"""The lock files of the images: the ``uv pip compile`` command and its fixed resolver inputs."""

from __future__ import annotations

from benchmarks.containers.argv import check_flavor

# --- lock files --------------------------------------------------------------------------------
# The resolver inputs besides docker/requirements/*.in: fixed, so that `nox -s lock` run twice
# (or on another day) writes byte-identical files. Move LOCK_EXCLUDE_NEWER forward on purpose.
LOCK_UV_VERSION = "0.13.9"
LOCK_PYTHON = "3.11"  # Debian bookworm's python3, the images' interpreter
LOCK_PLATFORM = "x86_64-manylinux_2_28"
LOCK_EXCLUDE_NEWER = "2026-11-20T00:00:00Z"


def lock_argv(flavor: str, output: str, *, uv: str = "uv") -> tuple[str, ...]:
    """``uv pip compile`` for one image's lock file (hashes for linux x86_64, CPython 3.11)."""
    check_flavor(flavor)
    return (
        uv, "pip", "compile", f"docker/requirements/{flavor}.in",
        "--output-file", output,
        "--generate-hashes",
        "--python-platform", LOCK_PLATFORM,
        "--python-version", LOCK_PYTHON,
        "--exclude-newer", LOCK_EXCLUDE_NEWER,
        "--custom-compile-command", "nox -s lock",
        "--quiet",
    )  # fmt: skip
