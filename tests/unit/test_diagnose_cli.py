"""``python -m benchmarks diagnose`` on saved logs: JSON shape, readable text, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
LOG46 = DATA / "logs" / "exclusive_compute_mode" / "tf221_probe_runtime_init_46.log"


def test_json_with_fingerprint(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "diagnose",
            "--log",
            str(LOG46),
            "--fingerprint",
            str(DATA / "fingerprints" / "vgpu_unlicensed.json"),
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["schema_version"] == 1
    assert out["findings"][0]["code"] == "vgpu_unlicensed"


def test_text_output_has_cause_evidence_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose", "--log", str(LOG46)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. [medium] GPU in an exclusive/prohibited compute mode")
    assert "   cause: " in out and "   evidence: " in out and "   fix:   " in out
    assert "busy or unavailable" in out


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(
            'docker: Error response from daemon: could not select device driver "" with '
            "capabilities: [[gpu]].\n"
        ),
    )
    assert main(["diagnose", "--log", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"][0]["code"] == "container_gpu_not_exposed"


@pytest.mark.parametrize("which", ["log", "fingerprint"])
def test_missing_files_are_usage_errors(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["diagnose", "--log", str(LOG46)]
    if which == "log":
        args = ["diagnose", "--log", str(tmp_path / "nope.log")]
    else:
        args += ["--fingerprint", str(tmp_path / "nope.json")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\nhint: " in err and "Traceback" not in err


def test_bad_fingerprint_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "fp.json"
    bad.write_text("{not json")
    assert main(["diagnose", "--log", str(LOG46), "--fingerprint", str(bad)]) == 2
    assert "fp.json: cannot be read as JSON" in capsys.readouterr().err


def test_log_or_probe_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["diagnose"])
    assert exc.value.code == 2
