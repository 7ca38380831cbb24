"""Docker command lines for graphbench's images, and what the engine's errors mean.

Pure: every function here maps values to an argv tuple or an explanation, so the exact command
a user would type is unit-tested without an engine, and ``engine.py`` stays a thin I/O shell.
Why each flag is there:

* ``--network none`` on runs: a benchmark needs no network, and a measurement should not be
  disturbed by (or leak to) one.
* ``--user UID:GID`` on runs: results land in the host's ``reports/`` owned by whoever invoked
  the session, not by root or by the image's ``bench`` user.
* ``GRAPHBENCH_IMAGE`` / ``GRAPHBENCH_IMAGE_DIGEST``: the container cannot see which image it runs
  in; the fingerprint records what the host passes (``host.image``).
* ``--gpus``: Docker's NVIDIA device request; several devices need the quoted CSV form
  ``"device=0,1"`` (the flag value is itself parsed as CSV).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

FLAVORS = ("cpu", "gpu")
CONTAINER_REPORTS = "/reports"
CONTAINER_MATRIX = "/opt/graphbench/matrix-input.toml"
DEFAULT_NETWORK = "none"


@dataclass(frozen=True)
class BuildSpec:
    """One ``docker build`` of a graphbench image."""

    flavor: str  # "cpu" | "gpu"
    tag: str
    context: str = "."
    base_image: str | None = None  # None: the Dockerfile's pinned default
    network: str | None = None  # "host" where the daemon has no bridge (see ENVIRONMENT.md)
    revision: str = "unknown"  # the commit the code comes from
    dirty: bool | None = None  # uncommitted changes in the build context's code
    created: str = "unknown"
    source: str = ""
    pull: bool = False

    @property
    def dockerfile(self) -> str:
        return f"docker/Dockerfile.{self.flavor}"


@dataclass(frozen=True)
class RunSpec:
    """One ``docker run`` of the suite inside an image."""

    image: str
    args: tuple[str, ...]  # the argv after ``python -m benchmarks``
    reports_dir: str  # absolute host path, mounted read-write at CONTAINER_REPORTS
    image_digest: str | None = None
    user: tuple[int, int] | None = None  # (uid, gid) of the invoking host user
    gpus: str | None = None  # None: no GPU; "all", "0", "0,1", "GPU-uuid"
    network: str = DEFAULT_NETWORK
    matrix_file: str | None = None  # absolute host path, mounted read-only at CONTAINER_MATRIX
    env: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    entrypoint: str | None = None
    remove: bool = True


def check_flavor(flavor: str) -> str:
    if flavor not in FLAVORS:
        raise ValueError(f"unknown image flavor {flavor!r} (expected one of {FLAVORS})")
    return flavor


def default_tag(flavor: str) -> str:
    return f"graphbench:{check_flavor(flavor)}"


def build_argv(spec: BuildSpec, *, docker: str = "docker") -> tuple[str, ...]:
    """The ``docker build`` command for ``spec`` (run from the repository root)."""
    check_flavor(spec.flavor)
    argv = [docker, "build", "--file", spec.dockerfile, "--tag", spec.tag]
    if spec.base_image:
        argv += ["--build-arg", f"BASE_IMAGE={spec.base_image}"]
    argv += [
        "--build-arg",
        f"REVISION={spec.revision}",
        "--build-arg",
        f"DIRTY={'' if spec.dirty is None else str(spec.dirty).lower()}",
        "--build-arg",
        f"CREATED={spec.created}",
        "--build-arg",
        f"SOURCE={spec.source}",
        "--label",
        f"io.graphbench.flavor={spec.flavor}",
    ]
    if spec.network:
        argv += ["--network", spec.network]
    if spec.pull:
        argv.append("--pull")
    argv.append(spec.context)
    return tuple(argv)


def gpus_value(selection: str) -> str:
    """Docker's ``--gpus`` value for a user's selection: ``all``, ``2`` indices or UUIDs, CSV.

    >>> gpus_value("0,1")
    '"device=0,1"'
    """
    sel = selection.strip()
    if not sel:
        raise ValueError("empty GPU selection")
    if sel == "all":
        return "all"
    if sel.startswith(("device=", "count=", '"')):
        return sel  # already Docker syntax: pass it through untouched
    items = [s.strip() for s in sel.split(",")]
    if any(not re.fullmatch(r"[0-9]+|GPU-[0-9A-Fa-f-]+|MIG-[0-9A-Za-z/-]+", s) for s in items):
        raise ValueError(f"bad GPU selection {selection!r}: use 'all', '0', '0,1' or GPU UUIDs")
    value = "device=" + ",".join(items)
    return f'"{value}"' if len(items) > 1 else value


def run_argv(spec: RunSpec, *, docker: str = "docker") -> tuple[str, ...]:
    """The ``docker run`` command for ``spec``; ``spec.args`` go to ``python -m benchmarks``."""
    argv = [docker, "run"]
    if spec.remove:
        argv.append("--rm")
    if spec.name:
        argv += ["--name", spec.name]
    argv += ["--network", spec.network]
    if spec.user is not None:
        uid, gid = spec.user
        argv += ["--user", f"{uid}:{gid}"]
    if spec.gpus is not None:
        argv += ["--gpus", gpus_value(spec.gpus)]
    # TensorFlow's eager/graph/XLA cells share tensors through /dev/shm in some paths; Docker's
    # 64 MB default is too small for large batches.
    argv += ["--shm-size", "1g"]
    argv += ["--volume", f"{spec.reports_dir}:{CONTAINER_REPORTS}:rw"]
    if spec.matrix_file:
        argv += ["--volume", f"{spec.matrix_file}:{CONTAINER_MATRIX}:ro"]
    env = {"GRAPHBENCH_IMAGE": spec.image, "GRAPHBENCH_IMAGE_DIGEST": spec.image_digest or ""}
    env.update(spec.env)
    for key in sorted(env):
        argv += ["--env", f"{key}={env[key]}"]
    if spec.entrypoint is not None:
        argv += ["--entrypoint", spec.entrypoint]
    argv.append(spec.image)
    argv += list(spec.args)
    return tuple(argv)


def bench_args(
    *,
    profile: str,
    devices: str,
    only: Sequence[str] = (),
    matrix: bool = False,
    allow_gpu_failure: bool = False,
    extra: Sequence[str] = (),
) -> tuple[str, ...]:
    """``python -m benchmarks run ...`` arguments as seen from inside the container."""
    args = ["run", "--profile", profile, "--device", devices, "--reports-root", CONTAINER_REPORTS]
    for pattern in only:
        args += ["--only", pattern]
    if matrix:
        args += ["--matrix", CONTAINER_MATRIX]
    if allow_gpu_failure:
        args.append("--allow-gpu-failure")
    return (*args, *extra)
