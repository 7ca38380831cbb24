"""Shared pieces of the fault-injection suite: the real CLI, a tiny real matrix, run checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

TINY = """
schema_version = 1
[profiles.tiny]
workloads = ["mlp"]
modes = ["eager", "graph"]
batch_sizes = [1, 2]
devices = ["cpu"]
blocks = 3
min_block_s = {min_block_s}
warmup_s = 0.001
warmup_calls = 1
timeout_s = 120
"""


def tiny_matrix(directory: Path, *, min_block_s: float = 0.001, body: str | None = None) -> Path:
    """Four real cells (mlp eager/graph at batch 1 and 2 on the CPU), timed as briefly as allowed."""
    path = directory / "tiny.toml"
    path.write_text(body if body is not None else TINY.format(min_block_s=min_block_s))
    return path


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), e.get("PYTHONPATH", "")) if p)
    e.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    e.update(extra)
    return e


def argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks", *(str(a) for a in args)]


def bench(
    *args: str | Path,
    timeout: float = 300,
    extra_env: dict[str, str] | None = None,
    cwd: Path = REPO,
    stdin: Any = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv(*(str(a) for a in args)),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(**(extra_env or {})),
        cwd=cwd,
        stdin=stdin,
        check=False,
    )


def case_lines(run_dir: Path) -> list[dict[str, Any]]:
    text = (run_dir / "cases.jsonl").read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "cases.jsonl must end with a whole line"
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_record(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return data


def assert_complete_once(run_dir: Path) -> None:
    """run.json says complete and every planned cell has exactly one line."""
    rec = run_record(run_dir)
    counts = Counter(c["case_id"] for c in case_lines(run_dir))
    assert rec["status"] == "complete", rec["status"]
    assert sorted(counts) == sorted(rec["cases"]), (sorted(counts), rec["cases"])
    assert set(counts.values()) == {1}, counts


def one_line_error(stderr: str) -> None:
    """A user error: 'error: ...' (and maybe 'hint: ...'), never a traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith(("error:", "hint:"))]
    assert lines and lines[0].startswith("error:"), stderr


def leftover_tmp(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]
