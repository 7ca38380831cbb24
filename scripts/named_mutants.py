"""Proof that the unit tests catch the wrong numbers named in issue 16, one mutant at a time.

    python3 scripts/named_mutants.py [--list] [--only NAME ...]

Each mutant below is one hand-written change to the package (a stopped-too-early clock, a
wrong interval, a wrong weight...). For each, the package and the tests are copied to a temp
directory, the change is applied there (never to the checkout), and the fast unit tests run
*without* the golden-page test: a mutant counts as killed only when a test that asserts a
number fails. Prints one line per mutant with the test that caught it (``--every``: all the
tests that fail, slower); exits 1 if any
mutant survives, 2 if a mutant no longer applies (the code moved: re-point it here).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = "tests/unit/test_report_golden.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to the repository root
    old: str
    new: str
    count: int = 1  # how many times ``old`` must occur (all are replaced); 0: at least once
    alt: tuple[tuple[str, str], ...] = ()  # the same mutant in another shape of the code


TIMING = "benchmarks/worker/timing.py"
STATS = "benchmarks/stats.py"
ANALYSIS = "benchmarks/analysis.py"

MUTANTS = (
    Mutant(
        "block clock stopped before sync(out)",
        TIMING,
        "        out = call()\n    sync(out)\n    return clock() - start\n",
        "        out = call()\n    elapsed = clock() - start\n    sync(out)\n    return elapsed\n",
    ),
    Mutant(
        "first-call time taken before its sync",
        TIMING,
        "    first_output = call()\n    sync(first_output)\n    first_ns = clock() - start\n",
        "    first_output = call()\n    first_ns = clock() - start\n    sync(first_output)\n",
        alt=(  # timing.first_call (the interleaved-rounds worker of issue 10)
            (
                "    out = call()\n    sync(out)\n    return clock() - start, out\n",
                "    out = call()\n    elapsed = clock() - start\n    sync(out)\n"
                "    return elapsed, out\n",
            ),
        ),
    ),
    Mutant(
        "bootstrap CI replaced by (min, max)",
        STATS,
        "    return _interval(_resampled_medians(samples, rng, resamples), confidence)\n",
        "    return float(min(samples)), float(max(samples))\n",
    ),
    Mutant(
        "CoV as sd / median",
        STATS,
        "cov=sd / mean if mean > 0 else 0.0,",
        "cov=sd / statistics.median(s) if mean > 0 else 0.0,",
    ),
    Mutant("CoV guard at 0.02", STATS, "COV_LIMIT = 0.10\n", "COV_LIMIT = 0.02\n"),
    Mutant("CoV guard at 0.20", STATS, "COV_LIMIT = 0.10\n", "COV_LIMIT = 0.20\n"),
    Mutant(
        "CoV guard >= instead of >",
        STATS,
        "if summary.cov > COV_LIMIT:",
        "if summary.cov >= COV_LIMIT:",
    ),
    Mutant(
        "outlier guard against the mean instead of the median",
        STATS,
        "summary.max > OUTLIER_LIMIT * summary.median:",
        "summary.max > OUTLIER_LIMIT * summary.mean:",
    ),
    Mutant(
        "resampling means instead of medians",
        STATS,
        "np.median(x[idx], axis=1)",
        "np.mean(x[idx], axis=1)",
    ),
    Mutant(
        "a 90 % interval labelled 95 %",
        STATS,
        "    alpha = (1 - confidence) / 2\n",
        "    alpha = (1 - confidence + 0.05) / 2\n",
    ),
    Mutant(
        "a 90 % interval by default (every CI)",
        STATS,
        "confidence: float = 0.95,",
        "confidence: float = 0.90,",
        count=0,
    ),
    Mutant(
        "ratio CI that ignores the denominator's noise",
        STATS,
        "lo, hi = _interval(num / den, confidence)",
        "lo, hi = _interval(num / statistics.median(denominator), confidence)",
    ),
    Mutant(
        "overhead fit weights 1/t instead of 1/t^2",
        STATS,
        "w = [1.0 / (t * t) for _, t in pts]",
        "w = [1.0 / t for _, t in pts]",
    ),
    Mutant(
        "unweighted residuals in R^2",
        STATS,
        "ss_res = sum(wi * (t - (t0 + c * b)) ** 2 for wi, (b, t) in zip(w, pts, strict=True))",
        "ss_res = sum((t - (t0 + c * b)) ** 2 for b, t in pts)",
    ),
    Mutant(
        "unweighted R^2 throughout",
        STATS,
        "    mean_y = sy / sw\n"
        "    ss_tot = sum(wi * (t - mean_y) ** 2 for wi, (_, t) in zip(w, pts, strict=True))\n"
        "    ss_res = sum(wi * (t - (t0 + c * b)) ** 2 for wi, (b, t) in zip(w, pts, strict=True))"
        "\n",
        "    mean_y = sum(t for _, t in pts) / len(pts)\n"
        "    ss_tot = sum((t - mean_y) ** 2 for _, t in pts)\n"
        "    ss_res = sum((t - (t0 + c * b)) ** 2 for b, t in pts)\n",
    ),
    Mutant(
        "r2 = 1.0",
        STATS,
        "    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 1.0\n",
        "    r2 = 1.0\n",
    ),
    Mutant(
        "overhead fits that mix CPU and GPU cells",
        ANALYSIS,
        "groups[(r.workload, r.mode, r.device)].append(r)",
        'groups[(r.workload, r.mode, "cpu")].append(r)',
    ),
)


def _checkout_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a fresh clone plus new work holds."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [f for f in listing.stdout.splitlines() if (ROOT / f).is_file()]


def _copy_tree(dest: Path, files: list[str]) -> None:
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest / f)


def _apply(tree: Path, m: Mutant) -> str | None:
    """Apply ``m`` in ``tree``; the reason it cannot, or None."""
    path = tree / m.path
    if not path.exists():
        return f"{m.path} does not exist"
    text = path.read_text()
    for old, new in ((m.old, m.new), *m.alt):
        found = text.count(old)
        if found == m.count or (m.count == 0 and found > 0):
            path.write_text(text.replace(old, new))
            return None
    wanted = "at least once" if m.count == 0 else f"{m.count} times"
    return f"{m.path}: the original text does not occur {wanted}"


# the reference and exact tests, run on their own first, so that a killed mutant stops within
# seconds (given with their directory in one pytest call they run in the directory's order,
# after the doctor's corpus tests: 45 s per mutant)
FIRST = (
    "tests/unit/test_timing_boundaries.py",
    "tests/unit/test_stats_reference.py",
    "tests/unit/test_analysis_reference.py",
    "tests/unit/test_outcome_exact.py",
    "tests/unit/test_hierarchical.py",
)


def _run_tests(tree: Path, timeout_s: float, every: bool) -> subprocess.CompletedProcess[str]:
    """The fast unit tests on ``tree``: with ``every`` all of them in one run, else FIRST and
    then the rest, each stopping at its first failure."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    env["GRAPHBENCH_REQUIRE_GIT"] = "0"  # the copy is no git checkout; tests/ checks git itself
    argv = [sys.executable, "-m", "pytest", f"--ignore={GOLDEN}", "-q",
            "-rf", "-p", "no:cacheprovider", "--no-header", "-o", "addopts="]  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv, *args], cwd=tree, env=env, capture_output=True, text=True,
            timeout=timeout_s, check=False,
        )  # fmt: skip

    if every:
        return run("tests/unit")
    first = run("-x", *FIRST)
    if first.returncode != 0:
        return first
    return run("-x", "tests/unit", *(f"--ignore={f}" for f in FIRST))


def _failed_tests(output: str) -> list[str]:
    return sorted(set(re.findall(r"^FAILED (\S+?)(?: - |$)", output, flags=re.M)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--only", action="append", default=[], help="run mutants whose name has this")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per test run")
    ap.add_argument(
        "--every", action="store_true", help="run all tests per mutant and list every failure"
    )
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(o in m.name for o in args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.name}  ({m.path})")
        return 0
    with tempfile.TemporaryDirectory(prefix="named-mutants-") as tmp:
        files = _checkout_files()
        clean = Path(tmp) / "clean"
        _copy_tree(clean, files)
        baseline = _run_tests(clean, args.timeout, every=True)
        if baseline.returncode != 0:
            print("the unmutated tests fail; fix them first:\n" + baseline.stdout[-3000:])
            return 2
        survived, stale = [], []
        for i, m in enumerate(chosen):
            tree = Path(tmp) / f"m{i}"
            _copy_tree(tree, files)
            why = _apply(tree, m)
            if why is not None:
                stale.append(m.name)
                print(f"STALE     {m.name}: {why}")
                continue
            t0 = time.monotonic()
            proc = _run_tests(tree, args.timeout, args.every)
            took = time.monotonic() - t0
            failed = _failed_tests(proc.stdout)
            if proc.returncode == 0 or not failed:  # passed, or broke without a failing test
                survived.append(m.name)
                print(f"SURVIVED  {m.name} ({took:.1f} s, pytest exit {proc.returncode})")
            else:
                shown = ", ".join(f.split("::", 1)[-1] for f in failed[:4])
                more = f" (+{len(failed) - 4} more)" if len(failed) > 4 else ""
                print(f"killed    {m.name} by {len(failed)} tests ({took:.1f} s): {shown}{more}")
            shutil.rmtree(tree, ignore_errors=True)
    print(f"{len(chosen) - len(survived) - len(stale)}/{len(chosen)} named mutants killed")
    if stale:
        return 2
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
