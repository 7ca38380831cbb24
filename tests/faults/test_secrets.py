"""Items 7-8 of issue 15: secrets of every shape planted in the environment, the command line
and a worker's stderr; after a real run and its report, none is found anywhere under the
reports root (run directory, logs, pages), nor an absolute --out path in the pages."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from tests.faults.helpers import bench, tiny_matrix

pytestmark = pytest.mark.tf

_RANDOM = base64.b64encode(secrets.token_bytes(33)).decode().replace("/", "A").replace("+", "b")

# shape -> (where it is planted, the secret text that must not appear)
SHAPES: dict[str, str] = {
    "github": "ghp_" + "Zq3" * 12,
    "github_pat": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "aws_access_key": "AKIAIOSFODNN7QXZ1234",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq3Rk9Lm2Q",
    "huggingface": "hf_" + "kLmN0pQrStUvWxYz" * 2,
    "openai": "sk-proj-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8",
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJncmFwaGJlbmNoIn0.c2lnbmF0dXJlX3ZhbHVlXzEyMzQ",
    "basic_auth": "Z3JhcGhiZW5jaDpodW50ZXIy",
    "url_userinfo_spaces": "open sesame 42",
    "proxy_no_scheme": "hunter2pw",
    "high_entropy": _RANDOM,
    "terraform_var": "tfvar-db-password-value",
    "xla_flag_token": "xlaTok3nValue99",
}


def _environment() -> dict[str, str]:
    s = SHAPES
    return {
        # values whose names look harmless, in variables the fingerprint records
        "GRAPHBENCH_NOTE": f"{s['github']} {s['huggingface']} {s['openai']} {s['slack']}",
        "NCCL_COMMENT": f"{s['aws_access_key']} {s['aws_secret']} {s['jwt']}",
        "CUDA_NOTE": f"Authorization: Basic {s['basic_auth']} entropy {s['high_entropy']}",
        "OMP_PROXY": f"https://alice:{s['url_userinfo_spaces']}@proxy.corp:8080/path",
        "NCCL_PROXY": f"bob:{s['proxy_no_scheme']}@proxy:3128",
        "CUDA_PAT": s["github_pat"],
        "XLA_FLAGS": f"--api_token={s['xla_flag_token']}",
        "TF_VAR_db_password": s["terraform_var"],
        # a worker's stderr: Python reports every bad -W entry, secret included, at start-up
        "PYTHONWARNINGS": ",".join(
            f"ignore::{s[k]}" for k in ("github", "huggingface", "openai", "slack", "jwt")
        ),
    }


def test_no_planted_secret_reaches_the_run_directory_or_the_site(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    matrix_dir = tmp_path / SHAPES["github"]  # a secret in a path on the command line
    matrix_dir.mkdir()
    matrix = tiny_matrix(matrix_dir)
    r = bench(
        "run",
        "--matrix",
        matrix,
        "--profile",
        "tiny",
        "--reports-root",
        root,
        "--only",
        "mlp-eager-*",
        extra_env=_environment(),
    )
    assert r.returncode == 0, r.stderr
    run_dirs = [p for p in root.iterdir() if p.is_dir()]
    assert len(run_dirs) == 1
    run = run_dirs[0]
    assert (root / "index.html").is_file() and (run / "index.html").is_file()
    assert any((run / "logs").glob("worker-*.log"))
    log_text = "".join(p.read_text() for p in (run / "logs").glob("*.log"))
    assert "Invalid -W option ignored" in log_text, "the planted worker stderr is there"
    files = [p for p in root.rglob("*") if p.is_file()]
    found = {
        (shape, str(p.relative_to(root)))
        for p in files
        for shape, value in SHAPES.items()
        if value.encode() in p.read_bytes()
    }
    assert not found, f"secrets leaked: {sorted(found)}"
    for p in files:
        assert b"TF_VAR_" not in p.read_bytes(), p
    # an absolute --out never reaches a page (reproduce shows it relative)
    out = tmp_path / "abs-out" / "run2"
    r2 = bench(
        "run", "--matrix", matrix, "--profile", "tiny", "--out", out, "--only", "mlp-eager-b1-*"
    )
    assert r2.returncode == 0, r2.stderr
    for page in (out / "index.html", out / "run.json"):
        assert str(tmp_path) not in page.read_text(), page
