"""Items 10-13 of issue 15: bad input ends in one line and a documented exit code, never a
traceback; on the real CLI (no TensorFlow needed: every case is refused before measuring)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.faults.helpers import REPO, argv, bench, env, one_line_error

RUNS = REPO / "tests" / "data" / "runs"

MATRIX_HEAD = 'schema_version = 1\n[profiles.p]\nworkloads = ["mlp"]\nmodes = ["eager"]\n'


def _matrix(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('batch_sizes = [1]\ndevices = ["cpu"]\ntimeout_s = inf\n', "timeout_s"),
        ('batch_sizes = [1]\ndevices = ["cpu"]\nmin_block_s = 1e300\n', "min_block_s"),
        ('batch_sizes = [1]\ndevices = ["cpu"]\nwarmup_s = nan\n', "warmup_s"),
        ('batch_sizes = [1]\ndevices = ["cpu"]\nwarmup_s = 1e300\n', "warmup_s"),
        ('batch_sizes = [100000000000000000000]\ndevices = ["cpu"]\n', "batch_sizes"),
        ('batch_sizes = [1]\ndevices = ["cpu"]\nblocks = 100000000000\n', "blocks"),
        (
            'batch_sizes = [1]\ndevices = ["cpu"]\n[[profiles.p.exclude]]\nworkload = "mlp"\n',
            "remove every cell",
        ),
        (
            "batch_sizes = ["
            + ", ".join(str(i) for i in range(1, 2001))
            + ']\ndevices = ["cpu"]\n',
            "batch_sizes",
        ),
    ],
)
def test_matrix_values_out_of_bounds(tmp_path: Path, body: str, named: str) -> None:
    out = tmp_path / "run1"
    r = bench(
        "run", "--matrix", _matrix(tmp_path, MATRIX_HEAD + body), "--profile", "p", "--out", out
    )
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert named in r.stderr.splitlines()[0]
    assert not out.exists(), "nothing is written for a refused matrix"


def test_profile_name_cannot_escape_the_reports_root(tmp_path: Path) -> None:
    text = (
        'schema_version = 1\n[profiles."../../../../tmp/escaped"]\nworkloads = ["mlp"]\n'
        'modes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu"]\n'
    )
    root = tmp_path / "reports"
    r = bench(
        "run",
        "--matrix",
        _matrix(tmp_path, text),
        "--profile",
        "../../../../tmp/escaped",
        "--reports-root",
        root,
    )
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert not Path("/tmp/escaped").exists() or not any(Path("/tmp/escaped").iterdir())
    assert not root.exists()


@pytest.mark.parametrize("source", ["/dev/zero", "big"])
def test_huge_matrix_and_dev_zero_are_refused_by_size(tmp_path: Path, source: str) -> None:
    path = Path(source)
    if source == "big":
        path = tmp_path / "big.toml"
        path.write_text(
            MATRIX_HEAD + "batch_sizes = [" + "1, " * 2_000_000 + '1]\ndevices = ["cpu"]\n'
        )
    r = bench("run", "--matrix", path, "--profile", "p", "--out", tmp_path / "r", timeout=60)
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert "larger than" in r.stderr


def test_diagnose_refuses_dev_zero() -> None:
    r = bench("diagnose", "--log", "/dev/zero", timeout=60)
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)


def test_diagnose_stdin_closed() -> None:
    r = subprocess.run(
        [*argv("diagnose", "--log", "-")],
        capture_output=True,
        text=True,
        env=env(),
        cwd=REPO,
        check=False,
        stdin=None,
        preexec_fn=lambda: __import__("os").close(0),
    )
    assert r.returncode == 2, r.stderr
    one_line_error(r.stderr)
    assert "standard input is closed" in r.stderr


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff" * 1000, b"\n\n  \n"])
def test_empty_or_binary_log_is_no_gpu_start(tmp_path: Path, content: bytes) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(content)
    r = bench("diagnose", "--log", log, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["findings"][0]["code"] == "no_gpu_start", doc
    text = bench("diagnose", "--log", log)
    assert "no GPU start in this log" in text.stdout


BAD_VALUES = [
    ("batch_size", "ten"),
    ("median_s", "fast"),
    ("workload", ["mlp"]),
    ("device", 7),
    ("samples_s", "x"),
    ("warnings", [3]),
    ("ci_low_s", {"a": 1}),
    ("phases_s", [1, 2]),
    ("batch_size", -5),
    ("mode", None),
]


@pytest.mark.parametrize(("key", "value"), BAD_VALUES)
def test_a_malformed_case_line_is_skipped_with_a_warning(
    tmp_path: Path, key: str, value: object
) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (root / ".graphbench-reports").write_text("x")
    run = root / "cpu-all-statuses"
    shutil.copytree(RUNS / "cpu-all-statuses", run)
    shutil.copytree(RUNS / "compare-base", root / "compare-base")
    path = run / "cases.jsonl"
    lines = path.read_text().splitlines()
    bad = json.loads(lines[2])
    bad[key] = value
    lines[2] = json.dumps(bad)
    path.write_text("\n".join(lines) + "\n")
    r = bench("report", run)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "cases.jsonl:3" in r.stderr and "line skipped" in r.stderr
    assert (root / "index.html").is_file()
    # the other runs under the root still render, and so does a report of any of them
    again = bench("report", root / "compare-base")
    assert again.returncode == 0, again.stderr


def _run_with(tmp_path: Path, name: str, keep: int) -> Path:
    dst = tmp_path / name
    shutil.copytree(RUNS / "compare-new", dst)
    lines = (dst / "cases.jsonl").read_text().splitlines()[:keep]
    (dst / "cases.jsonl").write_text("\n".join(lines) + ("\n" if lines else ""))
    return dst


def test_compare_fails_on_missing_cells_and_lists_them(tmp_path: Path) -> None:
    new = _run_with(tmp_path, "new", keep=8)
    r = bench("compare", RUNS / "compare-base", new, "--fail-on-regression")
    assert r.returncode == 1, r.stdout + r.stderr
    missing = [
        json.loads(ln)["case_id"]
        for ln in (RUNS / "compare-new/cases.jsonl").read_text().splitlines()[8:]
    ]
    for cid in missing:
        assert cid in r.stdout + r.stderr
    assert "missing" in (r.stdout + r.stderr).lower()


def test_compare_with_no_common_cells_fails(tmp_path: Path) -> None:
    new = _run_with(tmp_path, "new", keep=0)
    r = bench("compare", RUNS / "compare-base", new, "--fail-on-regression")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
