"""The real ``python -m benchmarks fingerprint`` in a subprocess, with planted secrets.

Nothing is faked: the real TensorFlow child, the real NVML library lookup, the real host.
Secrets are planted in the environment and on the command line; none of their values may
appear in stdout, stderr, the -o file or a run directory written by ``fingerprint.write``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf  # skipped without TensorFlow, failed where GRAPHBENCH_REQUIRE_TF=1

REPO = Path(__file__).resolve().parents[2]
GITHUB_TOKEN = "ghp_" + "PlantedGithubToken0123456789abcdefXYZ"
AWS_SECRET = "aWsPlantedSecretKey/0123456789+abcdefghijKLMN"
TF_API_KEY = "tf-planted-api-key-5f3a9c"
URL_PASSWORD = "PlantedUrlPassw0rd"
URL_USER = "plantedurluser"
CLI_TOKEN = "cli-planted-token-77aa21"
SECRETS = (GITHUB_TOKEN, AWS_SECRET, TF_API_KEY, URL_PASSWORD, URL_USER, CLI_TOKEN)


def planted_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GITHUB_TOKEN=GITHUB_TOKEN,
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        TF_MY_API_KEY=TF_API_KEY,  # TF_ is no allow-list prefix (Terraform's TF_VAR_*): dropped
        CUDA_MY_API_KEY=TF_API_KEY,
        NCCL_SOME_URL=f"https://{URL_USER}:{URL_PASSWORD}@artifacts.example.org/simple",
        XLA_FLAGS=f"--xla_dump_to={Path.home()}/xla-dumps",
        CUDA_VISIBLE_DEVICES="0",
        PYTHONPATH=str(REPO),
        # as in a Nox session: the session's bin inside the checkout comes first
        PATH=f"{REPO}/.nox/bench/bin:{env.get('PATH', '/usr/bin')}",
    )
    return env


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "fingerprint", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_json_has_no_secret_and_says_why_nvidia_is_missing(tmp_path: Path) -> None:
    out_file = tmp_path / "fp.json"
    done = run_cli(["--json", "-o", str(out_file)], planted_env(tmp_path))
    assert done.returncode == 0, done.stderr
    for text in (done.stdout, done.stderr, out_file.read_text()):
        assert leaks(text) == []
    fp = json.loads(done.stdout)
    assert fp == json.loads(out_file.read_text()) | {"collected_at": fp["collected_at"]}
    assert fp["schema_version"] == 1
    assert set(fp) >= {"run", "host", "python", "tensorflow", "nvidia", "env"}
    # the allow-listed variables are there, masked or scrubbed
    assert "TF_MY_API_KEY" not in fp["env"]
    assert fp["env"]["CUDA_MY_API_KEY"] == "<redacted>"
    assert fp["env"]["NCCL_SOME_URL"] == "https://<redacted>@artifacts.example.org/simple"
    assert fp["env"]["XLA_FLAGS"] == "--xla_dump_to=~/xla-dumps"
    assert "GITHUB_TOKEN" not in fp["env"] and "AWS_SECRET_ACCESS_KEY" not in fp["env"]
    # TensorFlow facts came from the child process
    tf = fp["tensorflow"]
    assert tf["status"] == "ok", tf
    assert tf["version"].startswith("2.") and isinstance(tf["build_info"]["is_cuda_build"], bool)
    assert {"name": "/physical_device:CPU:0", "device_type": "CPU"} in tf["physical_devices"]
    # NVIDIA: unavailable on a machine without the library, with the exact reason
    nv = fp["nvidia"]
    if nv["status"] != "ok":
        assert nv["error"] and nv["error_kind"] != "unknown"
        if not Path("/proc/driver/nvidia/version").exists():
            assert nv["proc_driver_version"] is None
    # no host name, user name, home path or checkout path either
    text = done.stdout
    assert str(Path.home()) + "/" not in text
    assert str(REPO) not in text and fp["env"]["PATH"].startswith("<checkout>/.nox/bench/bin:")
    host = socket.gethostname()
    if len(host) >= 4:
        assert host not in text


def test_cli_summary_is_readable(tmp_path: Path) -> None:
    done = run_cli([], planted_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert leaks(done.stdout + done.stderr) == []
    assert "tensorflow" in done.stdout and "nvidia" in done.stdout
    assert done.stdout.startswith("fingerprint ")


def test_run_directory_from_a_command_line_with_secrets(tmp_path: Path) -> None:
    """What the runner will do: collect with its argv, write into the run directory."""
    run_dir = tmp_path / "reports" / "run-1"
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from benchmarks.environment import fingerprint
        argv = ["python", "-m", "benchmarks", "run", "--token", {CLI_TOKEN!r},
                "--index-url", "https://{URL_USER}:{URL_PASSWORD}@pypi.example/simple",
                "GITHUB_TOKEN={GITHUB_TOKEN}", "--note", {AWS_SECRET!r}]
        fp = fingerprint.collect(command=argv, matrix_digest="0" * 64)
        print(fingerprint.write(Path({str(run_dir)!r}), fp))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=planted_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert leaks(done.stdout + done.stderr) == []
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == ["fingerprint.json"]
    for path in files:
        assert leaks(path.read_text()) == [], path
    fp = json.loads((run_dir / "fingerprint.json").read_text())
    assert fp["run"]["command"][:6] == [
        "python",
        "-m",
        "benchmarks",
        "run",
        "--token",
        "<redacted>",
    ]
    assert fp["run"]["matrix_digest"] == "0" * 64
    assert len(done.stdout.strip()) == 64


def test_include_private_keeps_the_host_name_but_not_secrets(tmp_path: Path) -> None:
    done = run_cli(["--json", "--include-private"], planted_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert leaks(done.stdout) == []
    fp = json.loads(done.stdout)
    assert fp["host"]["hostname"] == socket.gethostname()
    assert fp["env"]["XLA_FLAGS"] == f"--xla_dump_to={Path.home()}/xla-dumps"
