"""Bad input ends in one 'error:' line with a hint and exit code 2 - never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.rundir.results import SCHEMA_VERSION


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


def assert_one_line_error(err: str, *needles: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0].startswith("error: "), err
    assert lines[1].startswith("hint: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[profiles.default\n", ["bad.toml", "malformed TOML", "line 1"]),
        (
            '[profiles.default]\nworkloads=["vgg"]\nmodes=["eager"]\nbatch_sizes=[1]\ndevices=["cpu"]',
            ["bad.toml", "workloads[0]", "'vgg'"],
        ),
        (
            '[profiles.default]\nworkloads=["mlp"]\nmodes=["eager"]\nbatch_sizes=[0]\ndevices=["cpu"]',
            ["bad.toml", "batch_sizes[0]", "got 0"],
        ),
    ],
)
def test_bad_matrix_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needles: list[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    code, err = run_cli(capsys, "run", "--matrix", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2
    assert_one_line_error(err, *needles)
    assert not (tmp_path / "r").exists()


def test_unknown_device_and_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(capsys, "run", "--device", "tpu", "--out", str(tmp_path / "r"))
    assert code == 2
    assert_one_line_error(err, "unknown device 'tpu'")
    code, err = run_cli(capsys, "run", "--profile", "nightly", "--out", str(tmp_path / "r"))
    assert code == 2
    assert_one_line_error(err, "no profile 'nightly'")


def test_unknown_mode_flag_is_an_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--bogus"])
    assert info.value.code == 2


def test_resume_refuses_a_corrupt_cases_file_and_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    record = {
        "schema_version": SCHEMA_VERSION,
        "run_id": "run",
        "command": [],
        "profile": "smoke",
        "matrix_source": "m",
        "matrix_digest": "d",
        "cases": ["mlp-eager-b1-cpu"],
        "plan": [{"workload": "mlp", "mode": "eager", "batch_size": 1, "device": "cpu"}],
        "devices": ["cpu"],
        "timing": {"blocks": 9},
        "started_at": "x",
    }
    (run / "run.json").write_text(json.dumps(record))
    corrupt = '{"case_id": "a"}\nGARBAGE\n{}\n'
    (run / "cases.jsonl").write_text(corrupt)
    code, err = run_cli(capsys, "run", "--resume", str(run))
    assert code == 2
    assert_one_line_error(err, "cases.jsonl:1")
    assert (run / "cases.jsonl").read_text() == corrupt
    assert json.loads((run / "run.json").read_text()) == record


def test_out_dir_holding_a_run_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cases.jsonl").write_text("keep me\n")
    code, err = run_cli(capsys, "run", "--out", str(tmp_path))
    assert code == 2
    assert_one_line_error(err, "already holds a run")
    assert (tmp_path / "cases.jsonl").read_text() == "keep me\n"


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_threshold_out_of_range_is_a_usage_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs = ["a", "b"] if command == "compare" else ["a"]
    for d in dirs:
        (tmp_path / d).mkdir()
    code, err = run_cli(capsys, command, *(str(tmp_path / d) for d in dirs), "--threshold", "12")
    assert code == 2
    assert_one_line_error(err, "--threshold 12.0 is out of range")
    assert "use a fraction, e.g. 0.10 for 10 %" in err
