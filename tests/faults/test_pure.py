"""The pure pieces behind the fault fixes, on literal data (milliseconds)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from benchmarks.environment.secretshapes import is_allowed_name, scrub_shapes
from benchmarks.errors import ConfigError
from benchmarks.plan import limits
from benchmarks.report.safety import is_safe_href, relative_href, safe_id
from benchmarks.rundir import casecheck
from benchmarks.rundir.jsonio import append_line, set_aside_partial_line
from benchmarks.rundir.lock import RunDirBusyError, RunLock
from benchmarks.rundir.results import CaseResult

SAFE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@pytest.mark.parametrize("raw", ['"><script>x</script>', '" onload="x', "a b", "", "9lives", "é"])
def test_safe_id_alphabet_and_stability(raw: str) -> None:
    out = safe_id(raw)
    assert SAFE.fullmatch(out) and out == safe_id(raw)


def test_safe_ids_keep_safe_names_and_never_collide() -> None:
    assert safe_id("cell-mlp-eager-b1-cpu") == "cell-mlp-eager-b1-cpu"
    assert safe_id("a<b") != safe_id("a>b")


def test_hrefs_are_relative_and_encoded() -> None:
    assert relative_href(["javascript:alert(1)", "index.html"]) == (
        "./javascript%3Aalert%281%29/index.html"
    )
    assert relative_href(["..", "index.html"]) == ""
    assert not is_safe_href("javascript:alert(1)") and not is_safe_href("//evil/x")
    assert is_safe_href("#runs")


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_" + "a1B2" * 9,
        "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz12",
        "sk-" + "Ab1" * 10,
        "AKIAIOSFODNN7EXAMPLE",
        "xoxp-1234567890-abcdefghij",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk",
    ],
)
def test_token_shapes(secret: str) -> None:
    assert secret not in scrub_shapes(f"value {secret} end")


def test_credentials_without_a_name() -> None:
    assert "pw" not in scrub_shapes("user:pw@proxy:3128")
    assert "open sesame" not in scrub_shapes("https://u:open sesame@host/x")
    assert "dXNlcjpwdw==" not in scrub_shapes("Authorization: Basic dXNlcjpwdw==")


def test_what_is_kept() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    for text in (digest, "/usr/local/lib/python3.11/site-packages", "mlp-graph-b100-cpu"):
        assert scrub_shapes(text) == text


def test_env_allow_list_is_exact_for_tf() -> None:
    assert is_allowed_name("TF_CPP_MIN_LOG_LEVEL") and is_allowed_name("CUDA_VISIBLE_DEVICES")
    assert not is_allowed_name("TF_VAR_db_password") and not is_allowed_name("TF_TOKEN_app")


@pytest.mark.parametrize(
    ("field", "value"),
    [("batch_size", "ten"), ("median_s", float("nan")), ("workload", ["x"]), ("device", 7)],
)
def test_case_shape_problems_name_the_field(field: str, value: object) -> None:
    data = {"case_id": "c", "workload": "w", "mode": "m", "batch_size": 1, "device": "cpu"}
    data[field] = value
    problem = casecheck.problem(data, CaseResult)
    assert problem is not None and field in problem


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e300, 0.0])
def test_timing_bounds(value: float) -> None:
    with pytest.raises(ConfigError, match="timeout_s"):
        limits.check_timing_value("timeout_s", value, "m.toml: profiles.p")


def test_partial_line_is_set_aside_and_append_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": ')
    side = set_aside_partial_line(path)
    assert side is not None and side.read_bytes() == b'{"b": \n'
    append_line(path, '{"c": 3}')
    assert path.read_bytes() == b'{"a": 1}\n{"c": 3}\n'
    assert set_aside_partial_line(path) is None


def test_lock_refuses_a_second_holder_naming_the_pid(tmp_path: Path) -> None:
    with RunLock(tmp_path), pytest.raises(RunDirBusyError, match=f"pid {os.getpid()}"):
        RunLock(tmp_path).acquire()
    with RunLock(tmp_path):  # released: free again
        pass


def test_only_a_root_graphbench_made_is_marked(tmp_path: Path) -> None:
    from benchmarks.rundir.paths import is_reports_root, mark_reports_root

    assert mark_reports_root(tmp_path / "new") and is_reports_root(tmp_path / "new")
    repo_like = tmp_path / "reports"
    repo_like.mkdir()
    (repo_like / ".gitkeep").write_text("")
    assert mark_reports_root(repo_like)
    home_like = tmp_path / "home"
    home_like.mkdir()
    (home_like / "notes.txt").write_text("mine")
    assert not mark_reports_root(home_like) and not is_reports_root(home_like)
