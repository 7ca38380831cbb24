from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def tiny_matrix(
    tmp_path: Path, body: str, *, blocks: int = 3, min_block_s: float = 0.01, timeout_s: float = 120
) -> Path:
    """A matrix file with fast timing settings, so integration tests measure real TF quickly."""
    path = tmp_path / "matrix.toml"
    path.write_text(
        f"""
[defaults]
modes = ["eager", "graph", "xla"]
devices = ["cpu"]
blocks = {blocks}
min_block_s = {min_block_s}
warmup_s = 0.01
warmup_calls = 3
timeout_s = {timeout_s}
{body}
"""
    )
    return path


def bench_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks", *args]


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def run_bench(
    *args: str, timeout: float = 600, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        bench_argv(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**bench_env(), **(extra_env or {})},
        cwd=REPO,
        check=False,
    )


def ci_note(line: str) -> None:
    """A measured figure: printed, and appended to $GRAPHBENCH_CI_NOTES (.ci/run shows it)."""
    print(f"\n{line}")
    notes = os.environ.get("GRAPHBENCH_CI_NOTES")
    if notes:
        with Path(notes).open("a") as fh:
            fh.write(line + "\n")
