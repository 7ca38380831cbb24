"""Run directories for the history tests, built by the report fixtures' builders (real outcome
construction from simulated worker answers: t(b) = t0 + c*b with seeded noise)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.data import make_fixtures as mf

BATCHES = (1, 10, 100)
MODES = ("eager", "graph", "xla")


def make_run(
    root: Path,
    n: int,
    *,
    slow: tuple[str, int] | None = None,
    factor: float = 2.0,
    tf: str = "2.21.0",
    cpu: str = "AMD EPYC 9R14 96-Core Processor",
    scale_all: float = 1.0,
) -> Path:
    """Run number ``n`` (one day apart) of the mlp x 3 modes x 3 batches CPU matrix; the cell
    ``slow = (mode, batch)`` is ``factor`` times slower, every cell ``scale_all`` times."""
    rng = random.Random(1000 + n)
    day = f"2026-11-{n + 1:02d}"
    cases = [
        mf.case(rng, "mlp", m, b, "cpu", scale=scale_all * (factor if slow == (m, b) else 1.0),
                t=f"{day}T09:01:00Z")
        for b in BATCHES
        for m in MODES
    ]  # fmt: skip
    run_id = f"{day}T0900Z-cpu-{n}"
    rec = mf.record(
        run_id, cases, ["cpu"], status="complete", exit_code=0,
        started=f"{day}T09:00:00Z", finished=f"{day}T09:04:00Z", total=240.0,
    )  # fmt: skip
    return mf.write(root / run_id, rec, cases, mf.fingerprint(tf=tf, cpu=cpu))
