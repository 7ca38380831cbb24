"""Like-with-like series over run directories built by the fixture builders."""

from __future__ import annotations

from pathlib import Path

from benchmarks.history.series import HistoryRun, build_series, device_model, live, machine_slug
from benchmarks.rundir.load import load_run
from tests.data import make_fixtures as mf
from tests.unit.history_fixtures import make_run


def history(paths: list[Path]) -> list[HistoryRun]:
    return [HistoryRun(f"runs/m/{p.name}", load_run(p)) for p in paths]


def test_one_series_per_cell_with_one_point_per_run(tmp_path: Path) -> None:
    runs = history([make_run(tmp_path, n) for n in (2, 0, 1)])  # any order in, oldest first out
    series, breaks = build_series(runs)
    assert len(series) == 9 and breaks == []
    for s in series:
        assert [p.run_id[-1] for p in s.points] == ["0", "1", "2"]
        assert all(p.value > 0 and p.ci_low is not None for p in s.points)
        assert s.key.tf_version == "2.21.0" and s.key.device_model.startswith("AMD EPYC")


def test_a_tensorflow_upgrade_starts_new_series_and_names_the_change(tmp_path: Path) -> None:
    runs = history([make_run(tmp_path, 0), make_run(tmp_path, 1, tf="2.22.0")])
    series, breaks = build_series(runs)
    assert len(series) == 18 and all(len(s.points) == 1 for s in series)
    assert len(breaks) == 9
    assert breaks[0].changes == ("TensorFlow 2.21.0 → 2.22.0",)
    assert breaks[0].run_id.endswith("-1")


def test_another_machine_is_another_series_not_a_break(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", 0)
    b = make_run(tmp_path / "b", 1, cpu="Intel Xeon Platinum 8480+")
    series, breaks = build_series(history([a, b]))
    assert len(series) == 18 and breaks == []


def test_failed_cells_have_no_point(tmp_path: Path) -> None:
    run = load_run(mf.RUNS / "cpu-all-statuses")
    series, _ = build_series([HistoryRun("runs/m/x", run)])
    ok = {r.case_id for r in run.cases if r.status == "ok"}
    assert {s.key.case_id for s in series} == ok


def test_gpu_cells_are_keyed_by_the_gpu_model() -> None:
    fp = mf.fingerprint(gpu="NVIDIA H100 80GB HBM3")
    assert device_model(fp, "gpu:0") == "NVIDIA H100 80GB HBM3"
    assert device_model(fp, "cpu") == "AMD EPYC 9R14 96-Core Processor"


def test_machine_slug_is_a_safe_stable_directory_name() -> None:
    a = machine_slug(mf.fingerprint(gpu="NVIDIA H100 80GB HBM3"))
    assert a == machine_slug(mf.fingerprint(gpu="NVIDIA H100 80GB HBM3"))
    assert a.startswith("amd-epyc-9r14-96-core-processor-nvidia-h100")
    assert a != machine_slug(mf.fingerprint())
    odd = machine_slug(mf.fingerprint(cpu="../../etc <x>"))
    assert "/" not in odd and "." not in odd and "<" not in odd


def test_only_the_series_a_cell_is_on_now_is_live(tmp_path: Path) -> None:
    runs = history(
        [make_run(tmp_path, 0), make_run(tmp_path, 1, slow=("graph", 1)),
         make_run(tmp_path, 2, tf="2.22.0")]
    )  # fmt: skip
    series, _ = build_series(runs)
    now = live(series)
    assert len(series) == 18 and len(now) == 9
    assert {s.key.tf_version for s in now} == {"2.22.0"}


def test_a_changed_user_model_starts_a_new_series() -> None:
    from dataclasses import replace

    from benchmarks.history.series import workload_digest

    run = load_run(mf.RUNS / "cpu-all-statuses")
    cell = next(r for r in run.cases if r.status == "ok")
    old = replace(cell, model={"kind": "keras", "sha256": "a" * 64, "params": 3})
    new = replace(cell, model={"kind": "keras", "sha256": "b" * 64, "params": 3})
    built_in = replace(cell, model={"params": 3, "flops_from": "workload"})  # no file: no sha
    assert workload_digest(old) != workload_digest(new)
    assert workload_digest(built_in) == workload_digest(cell)  # built-in series keep their key
