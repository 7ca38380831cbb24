"""The options of the container sessions (``nox -s build-cpu|bench-gpu|… -- OPTIONS``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence


def parse(
    prog: str, argv: Sequence[str], *, bench: bool, environ: Mapping[str, str] = os.environ
) -> argparse.Namespace:
    """Parse ``argv`` (a session's posargs); ``bench`` adds the run options of bench-cpu/gpu."""
    p = argparse.ArgumentParser(prog=prog, add_help=True)
    p.add_argument(
        "--base-image",
        default=environ.get("GRAPHBENCH_BASE_IMAGE"),
        help="base image reference (default: the Dockerfile's pinned one; env "
        "GRAPHBENCH_BASE_IMAGE)",
    )
    p.add_argument(
        "--ca-bundle",
        default=environ.get("GRAPHBENCH_CA_BUNDLE"),
        help="CA bundle for pip inside the build, behind a TLS-intercepting proxy "
        "(env GRAPHBENCH_CA_BUNDLE); never left in the image",
    )
    p.add_argument("--tag", help="image tag (default graphbench:cpu / graphbench:gpu)")
    p.add_argument(
        "--build-network",
        help="network for RUN steps (default: host when the "
        "engine has no bridge network, else the engine's default)",
    )
    if bench:
        p.add_argument("--profile", default="default", help="matrix profile: smoke|default|full")
        p.add_argument("--matrix", help="matrix TOML file on the host (mounted read-only)")
        p.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="GLOB",
            help="run only matching cells (repeatable)",
        )
        p.add_argument("--baseline", help="run directory to compare against in the report")
        p.add_argument("--shard", metavar="K/N", help="run shard K of N (docs/scale-out.md)")
        p.add_argument(
            "--gpus",
            default=environ.get("GRAPHBENCH_GPUS", "all"),
            help="GPUs for bench-gpu: all, 0, 0,1 or UUIDs (env GRAPHBENCH_GPUS)",
        )
        p.add_argument(
            "--network", default="none", help="container network during the run (default none)"
        )
        p.add_argument("--reports", default="reports", help="host folder for run directories")
        p.add_argument("--no-build", action="store_true", help="use the existing image as is")
        p.add_argument("--no-report", action="store_true", help="skip the host-side report")
    return p.parse_args(list(argv))
