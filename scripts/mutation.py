"""Mutation testing of the pure core with mutmut; fails when the survival budget is broken.

    python3 scripts/mutation.py [--budget 90] [--jobs N] [--keep DIR]

Which modules are mutated and which tests may kill a mutant are ``[tool.mutmut]`` in
pyproject.toml (fast unit tests only, never the golden pages). The checkout (tracked and new
files) is copied to a temp directory and mutmut runs there, so nothing is written into the
checkout. Prints the score and every surviving mutant with its diff; the survivors that
docs/mutation.md writes off (by name) are marked so. Exit 0 when the score (killed + timed out
over all mutants; mutants no test reaches count as survivors) is at least the budget, 1 when
it is below, 2 when mutmut itself failed.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITE_OFFS = ROOT / "docs" / "mutation.md"
DETECTED = ("killed", "timeout")


def _checkout_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [f for f in listing.stdout.splitlines() if (ROOT / f).is_file()]


def _mutmut() -> list[str]:
    exe = shutil.which("mutmut") or str(Path(sys.executable).with_name("mutmut"))
    return [exe]


def _written_off() -> set[str]:
    """Mutant names listed in docs/mutation.md as ``| `name` | ... |`` table rows."""
    if not WRITE_OFFS.exists():
        return set()
    return set(re.findall(r"^\| `([\w.]+__mutmut_\d+)` \|", WRITE_OFFS.read_text(), flags=re.M))


def _statuses(tree: Path) -> dict[str, str]:
    """Each mutant's verdict, read from mutmut's own result files (``mutmut results`` reads the
    same files but takes minutes for ~1600 mutants)."""
    from mutmut.stats import status_by_exit_code  # mutmut is pinned (pyproject test extra)

    out: dict[str, str] = {}
    for meta in sorted((tree / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        out.update({name: status_by_exit_code[code] for name, code in codes.items()})
    return out


def _functions(path: Path, cache: dict[Path, dict[str, str]]) -> dict[str, str]:
    """Source of every function in a mutated file, by name (mutmut keeps each mutant and the
    original as ``x_<func>__mutmut_<n>`` / ``x_<func>__mutmut_orig``)."""
    if path not in cache:
        text = path.read_text() if path.exists() else ""
        lines = text.splitlines()
        cache[path] = {
            node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno])
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
    return cache[path]


def _diff(tree: Path, name: str, cache: dict[Path, dict[str, str]]) -> list[str]:
    """The changed lines of mutant ``name`` (e.g. benchmarks.stats.x_quantile__mutmut_2)."""
    module, _, func = name.rpartition(".")
    base = func.rsplit("__mutmut_", 1)[0]
    sources = _functions(tree / "mutants" / Path(*module.split(".")).with_suffix(".py"), cache)
    old = sources.get(f"{base}__mutmut_orig", "").splitlines()
    new = sources.get(func, "").splitlines()
    return [
        ln
        for ln in difflib.unified_diff(old, new, lineterm="", n=0)
        if ln[:1] in "+-" and not ln.startswith(("+++", "---")) and "__mutmut_" not in ln
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=90.0, help="minimum score in percent")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel mutants")
    ap.add_argument("--keep", type=Path, help="run in this (new) directory and keep it")
    ap.add_argument(
        "--no-run", action="store_true", help="with --keep DIR: only summarize DIR's last run"
    )
    args = ap.parse_args(argv)

    tmp = None
    if args.no_run and not args.keep:
        ap.error("--no-run needs --keep DIR")
    if args.keep:
        tree = args.keep.resolve()
        tree.mkdir(parents=True, exist_ok=args.no_run)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="mutation-")
        tree = Path(tmp.name)
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("HYPOTHESIS_PROFILE", "mutation")  # tests/unit/test_properties.py
        env["GRAPHBENCH_REQUIRE_GIT"] = "0"  # the copy is no git checkout; tests/ checks git
        started = time.monotonic()
        run = subprocess.CompletedProcess[str]([], 0, "", "")
        if not args.no_run:
            for f in _checkout_files():
                (tree / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, tree / f)
            run = subprocess.run(
                [*_mutmut(), "run", "--max-children", str(args.jobs)],
                cwd=tree, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
        took = time.monotonic() - started
        status = _statuses(tree)
        counts = Counter(status.values())
        if not status or counts["not checked"]:
            tail = (run.stdout + run.stderr)[-3000:]
            print(f"mutmut did not check every mutant (exit {run.returncode}):\n{tail}")
            return 2
        total = len(status)
        detected = sum(counts[k] for k in DETECTED)
        score = 100.0 * detected / total if total else 0.0
        survivors = sorted(n for n, s in status.items() if s.strip() not in DETECTED)
        off = _written_off()
        print(f"mutmut: {total} mutants in {took:.0f} s; " + ", ".join(
            f"{k} {v}" for k, v in sorted(counts.items())))  # fmt: skip
        cache: dict[Path, dict[str, str]] = {}
        for name in survivors:
            mark = "written off" if name in off else "NOT WRITTEN OFF"
            print(f"\n{name}: {status[name]} [{mark}]")
            for line in _diff(tree, name, cache):
                print(f"    {line}")
        unlisted = [n for n in survivors if n not in off]
        print(
            f"\nmutation score {score:.1f} % ({detected}/{total}); budget {args.budget:g} %; "
            f"{len(survivors)} survivors, {len(unlisted)} not written off in docs/mutation.md"
        )
        if score < args.budget:
            print(f"error: mutation score {score:.1f} % is below the budget of {args.budget:g} %")
            print("hint: kill the survivors above with a test (or write one off, with its reason)")
            return 1
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
