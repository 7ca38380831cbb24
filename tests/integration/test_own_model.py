"""The user's own models through the real CLI: eager, graph and XLA agree, identity is recorded.

The models are made at test time by a child (``own_models``), so this process never imports
TensorFlow and at most one TensorFlow process runs at a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import REPO, bench_argv, bench_env, tiny_matrix

pytestmark = [pytest.mark.tf]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    subprocess.run(
        [sys.executable, "-m", "tests.integration.own_models", str(d)],
        env=bench_env(),
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return d


def run_bench(*args: str, timeout: float, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    argv = bench_argv(*args)
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=bench_env(), cwd=cwd
    )


def _cases(run_dir: Path) -> dict[str, dict[str, object]]:
    lines = (run_dir / "cases.jsonl").read_text().splitlines()
    return {c["case_id"]: c for c in map(json.loads, lines)}


def _assert_modes_agree(cases: dict[str, dict[str, object]], ids: list[str]) -> None:
    for cid in ids:
        c = cases[cid]
        assert c["status"] == "ok", (cid, c["reason"])
        codes = [w["code"] for w in c["warnings"]]  # type: ignore[attr-defined]
        assert "output_mismatch" not in codes, (cid, c["max_abs_diff"])
        assert "retraced" not in codes, cid


def test_keras_file_with_embedding_ids_runs_in_every_mode(models: Path, tmp_path: Path) -> None:
    m = tiny_matrix(tmp_path, '[profiles.t]\nworkloads = ["mlp"]\nbatch_sizes = [3]')
    out = tmp_path / "run"
    spec = str(models / "embed.keras")
    proc = run_bench("run", "--matrix", str(m), "--profile", "t", "--out", str(out),
                     "--no-report", "--model", spec, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cases = _cases(out)
    ids = [f"embed-{mode}-b3-cpu" for mode in ("eager", "graph", "xla")]
    assert sorted(cases) == sorted(ids)  # --model replaces the profile's workloads
    _assert_modes_agree(cases, ids)
    model = cases["embed-xla-b3-cpu"]["model"]
    assert isinstance(model, dict)
    assert model["kind"] == "keras" and model["source"] == "embed.keras"
    assert model["params"] == 300 * 8 + 8 * 4 + 4
    assert len(model["sha256"]) == 64
    assert str(models) not in (out / "cases.jsonl").read_text()  # no private path in results
    record = json.loads((out / "run.json").read_text())
    assert record["models"]["embed"]["sha256"] == model["sha256"]
    again = run_bench("run", "--resume", str(out), "--no-report", timeout=60)  # the SPEC kept
    assert again.returncode == 0 and "0 of 3 cells to run" in again.stderr, again.stderr


def test_matrix_file_two_inputs_and_a_savedmodel_signature(models: Path, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    for name in ("two_inputs.keras", "module_sm", "pair.npz"):
        (tmp_path / "m" / name).symlink_to(models / name)
    body = """
[workloads.pair]
model = "m/two_inputs.keras"
inputs = "m/pair.npz"

[workloads.scaled]
model = "m/module_sm"
signature = "serving_default"

[profiles.t]
workloads = ["pair", "scaled"]
batch_sizes = [4]
"""
    m = tiny_matrix(tmp_path, body)
    out = tmp_path / "run"
    proc = run_bench("run", "--matrix", str(m), "--profile", "t", "--out", str(out),
                     "--no-report", timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cases = _cases(out)
    ids = [f"{w}-{mode}-b4-cpu" for w in ("pair", "scaled") for mode in ("eager", "graph", "xla")]
    assert sorted(cases) == sorted(ids)
    _assert_modes_agree(cases, ids)
    scaled = cases["scaled-graph-b4-cpu"]["model"]
    assert isinstance(scaled, dict)
    assert (scaled["kind"], scaled["signature"], scaled["params"]) == (
        "savedmodel",
        "serving_default",
        18,
    )


def _entry_run(models: Path, tmp_path: Path, *extra: str) -> dict[str, dict[str, object]]:
    m = tiny_matrix(tmp_path, '[profiles.t]\nworkloads = ["mlp_raw"]\nbatch_sizes = [2]')
    out = tmp_path / "run"
    proc = run_bench("run", "--matrix", str(m), "--profile", "t", "--out", str(out),
                     "--no-report", "--model", "mymodels:tiny", "--model", "mymodels:raw",
                     *extra, timeout=150, cwd=models)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return _cases(out)


def test_entry_points_run_in_every_mode(models: Path, tmp_path: Path) -> None:
    cases = _entry_run(models, tmp_path)  # found on the current directory's import path
    ids = [f"{w}-{mode}-b2-cpu" for w in ("tiny", "raw") for mode in ("eager", "graph", "xla")]
    assert sorted(cases) == sorted(ids)
    _assert_modes_agree(cases, ids)
    tiny = cases["tiny-xla-b2-cpu"]["model"]
    assert isinstance(tiny, dict) and tiny["params"] == 50 * 4 + 20 * 3 + 3
    assert tiny["source"] == "mymodels:tiny"


def test_keras_call_paths_match_model_call_and_others_are_skipped(
    models: Path, tmp_path: Path
) -> None:
    cases = _entry_run(models, tmp_path, "--call", "predict_on_batch,predict")
    keras_ids = [
        f"tiny.{call}-{mode}-b2-cpu"
        for call in ("predict_on_batch", "predict")
        for mode in ("eager", "graph", "xla")
    ]
    _assert_modes_agree(cases, keras_ids)  # compared with the eager model(x) output
    assert cases["tiny.predict-graph-b2-cpu"]["output_device"] == "host (NumPy)"
    skipped = cases["raw.predict-graph-b2-cpu"]
    assert skipped["status"] == "skipped"  # and the exit code stayed 0
    assert skipped["reason"] == "predict needs a Keras model; raw is not one"


def test_models_that_cannot_load_be_fed_or_compile_fail_their_cells(
    models: Path, tmp_path: Path
) -> None:
    for name in ("mymodels.py", "broken.py"):  # entry points: relative to the matrix file
        (tmp_path / name).symlink_to(models / name)
    body = f"""
[workloads.custom]
model = "{models / "custom.keras"}"

[workloads.badnpz]
model = "{models / "embed.keras"}"
inputs = "{models / "wrong.npz"}"

[workloads.broken]
model = "broken:net"

[workloads.noxla]
model = "mymodels:no_xla"

[profiles.t]
workloads = ["custom", "badnpz", "broken", "noxla"]
batch_sizes = [1]
modes = ["eager", "xla"]
exclude = [{{workload = "custom", mode = "xla"}}, {{workload = "badnpz", mode = "xla"}},
           {{workload = "broken", mode = "xla"}}]
"""
    m = tiny_matrix(tmp_path, body)
    out = tmp_path / "run"
    proc = run_bench("run", "--matrix", str(m), "--profile", "t", "--out", str(out),
                     "--no-report", timeout=90)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    cases = _cases(out)
    assert cases["noxla-eager-b1-cpu"]["status"] == "ok"  # the other cells are still measured
    for cid, words in (
        ("custom-eager-b1-cpu", "custom.keras: needs custom objects"),
        ("badnpz-eager-b1-cpu", "--inputs has no array 'tokens' (it has: ids)"),
        ("broken-eager-b1-cpu", "broken:net: ModuleNotFoundError: No module named 'not_a_real"),
        ("noxla-xla-b1-cpu", "PyFunc"),  # XLA cannot compile a Python callback
    ):
        assert cases[cid]["status"] == "failed", cid
        reason = str(cases[cid]["reason"])
        assert words in reason and "\n" not in reason, reason
