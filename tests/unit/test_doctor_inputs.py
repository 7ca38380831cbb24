"""``diagnose --log`` on Jupyter notebooks and ``docker run`` transcripts (hand-made inputs in
tests/data/doctor_inputs, see its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.doctor import diagnose
from benchmarks.doctor.inputs import log_text, notebook_text, transcript_text
from benchmarks.errors import ConfigError

INPUTS = Path(__file__).resolve().parent.parent / "data" / "doctor_inputs"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notebook_healthy.ipynb", "healthy"),
        ("notebook_cuda_libs.ipynb", "cuda_libs_missing_or_wrong_major"),
        ("notebook_busy_exclusive.ipynb", "exclusive_compute_mode"),
        ("docker_run_without_gpus.txt", "container_gpu_not_exposed"),
        ("docker_run_no_toolkit.txt", "container_gpu_not_exposed"),
    ],
)
def test_cli_reads_notebooks_and_transcripts(
    name: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagnose", "--log", str(INPUTS / name), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings[0]["code"] == expected, findings


def test_notebook_keeps_sources_outputs_and_errors_but_not_markdown() -> None:
    text = notebook_text((INPUTS / "notebook_healthy.ipynb").read_text(), "nb")
    assert ">>> tf.config.list_physical_devices('GPU')" in text
    assert "[PhysicalDevice(name='/physical_device:GPU:0', device_type='GPU')]" in text
    assert "Unable to register cuDNN factory" in text  # the stderr stream
    assert "markdown is not read" not in text
    busy = notebook_text((INPUTS / "notebook_busy_exclusive.ipynb").read_text(), "nb")
    assert "\x1b" not in busy  # terminal colours of the traceback are gone
    assert "InternalError: CUDA runtime implicit initialization on GPU:0 failed." in busy


def test_notebook_evidence_quotes_the_output_lines() -> None:
    text = log_text((INPUTS / "notebook_cuda_libs.ipynb").read_text(), "x.ipynb")
    top = diagnose(text)[0]
    assert any("Could not load dynamic library 'libcudnn.so.8'" in e for e in top.evidence)


def test_notebook_is_recognised_without_its_suffix() -> None:
    raw = (INPUTS / "notebook_cuda_libs.ipynb").read_text()
    assert log_text(raw, "-") == notebook_text(raw, "x")


def test_transcript_drops_pull_progress_only() -> None:
    raw = (INPUTS / "docker_run_without_gpus.txt").read_text()
    text = transcript_text(raw)
    assert "Pull complete" not in text
    assert text.startswith("$ docker run --rm -it tensorflow/tensorflow:2.15.0-gpu")
    assert "failed call to cuInit: UNKNOWN ERROR (303)" in text


def test_docker_run_with_gpus_is_not_blamed_for_a_missing_flag() -> None:
    raw = (INPUTS / "docker_run_without_gpus.txt").read_text()
    with_flag = raw.replace("docker run --rm", "docker run --gpus all --rm", 1)
    findings = diagnose(transcript_text(with_flag))
    top = findings[0]
    assert not (top.code == "container_gpu_not_exposed" and "no --gpus" in top.explanation)


@pytest.mark.parametrize(
    "raw", ['{"cells": [\n', '{"nbformat": 4, "cells": "x"}', "[1, 2]"], ids=str
)
def test_broken_notebooks_are_usage_errors(raw: str) -> None:
    with pytest.raises(ConfigError) as err:
        notebook_text(raw, "bad.ipynb")
    assert err.value.hint


def test_cli_broken_notebook_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose", "--log", str(INPUTS / "notebook_broken.ipynb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\nhint: " in err
