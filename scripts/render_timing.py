"""Measure how long the report takes to render a large run (a measurement, not a timed test).

    python3 scripts/render_timing.py [--cells 200] [--repeat 5]

Builds a synthetic run directory with N cells (tests/data/make_fixtures.synthetic), renders it
``repeat`` times in this process and prints the best and median wall time, plus the time of a
cold render in a fresh interpreter (imports included), which is what ``python -m benchmarks
report`` costs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report.render import render_run  # noqa: E402
from tests.data.make_fixtures import synthetic  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = synthetic(Path(tmp) / "run", args.cells)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            page = render_run(run_dir, generated_at="")
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "benchmarks", "report", str(run_dir), "--no-site"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        cold = time.perf_counter() - t
        size = page.stat().st_size
    print(
        f"{args.cells} cells: render best {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s"
        f" (n={args.repeat}); cold CLI incl. imports {cold:.3f} s; page {size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
