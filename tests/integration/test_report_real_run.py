"""A real (tiny) TensorFlow run with the GPU also requested, rendered by the report.

On a machine without a GPU the page must show the CPU values and say the GPU did not run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks.errors import EXIT_GPU_UNAVAILABLE
from benchmarks.report.render import render_run
from benchmarks.report.site import render_site
from benchmarks.rundir.paths import mark_reports_root
from tests.integration.conftest import bench_argv, bench_env, tiny_matrix

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def test_real_cpu_gpu_run_renders(tmp_path: Path) -> None:
    if Path("/proc/driver/nvidia/version").exists():
        pytest.skip("this machine has an NVIDIA driver: the GPU would not fail here")
    m = tiny_matrix(tmp_path, '[profiles.t]\nworkloads = ["mlp"]\nbatch_sizes = [1, 16]')
    out = tmp_path / "reports" / "real"
    argv = bench_argv("run", "--matrix", str(m), "--profile", "t", "--device", "cpu,gpu",
                      "--out", str(out), "--no-report")  # fmt: skip
    proc = subprocess.run(argv, env=bench_env(), capture_output=True, text=True, timeout=400)
    # CPU cells measured, GPU cells skipped: the run says "GPU unavailable" (exit 3), not ok
    assert proc.returncode == EXIT_GPU_UNAVAILABLE, proc.stdout + proc.stderr
    assert (out / "run.json").exists(), proc.stdout + proc.stderr
    page = render_run(out, generated_at="").read_text()
    assert 'id="cell-mlp-graph-b16-cpu" data-status="ok"' in page
    assert page.count('data-status="ok"') == 6  # every CPU cell has a value
    assert 'id="gpu-status">unavailable' in page  # and the GPU did not run
    assert page.count("<svg") >= 3
    if (out / "diagnosis.json").exists():  # the engine ran the GPU doctor: its finding leads
        assert '<section id="gpu" class="callout bad">' in page and "<h3>Evidence</h3>" in page
    mark_reports_root(out.parent)  # the site goes only into a reports root graphbench made
    assert "real" in render_site(out.parent, generated_at="").read_text()
