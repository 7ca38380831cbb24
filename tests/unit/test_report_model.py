"""The run page's view-model, on the committed fixture runs and literal variations of them."""

from __future__ import annotations

import dataclasses

from benchmarks.plan.names import parse_case_id
from benchmarks.report.grid import NOT_RUN, GridCell
from benchmarks.report.model import RunView, build_run_view
from benchmarks.report.sections import gpu_peak
from benchmarks.rundir.results import STATUSES
from tests.unit.report_fixtures import run, view


def _cells(v: RunView) -> dict[str, GridCell]:  # every grid cell that exists
    return {c.case_id: c for t in v.grid for row in t.rows for c in row.cells if c is not None}


def test_gpu_failed_run_headline_names_the_cause() -> None:
    v = view("gpu-failed")
    h = v.headline
    assert h.gpu_requested and h.gpu_failed
    assert h.gpu_status == "unavailable: No NVIDIA kernel driver is loaded on this host"
    assert h.status == "gpu_unavailable" and h.status_css == "bad"
    assert v.findings[0].code == "driver_missing_or_not_loaded"
    assert v.findings[0].confidence == "high"
    assert any("cuInit" in e for e in v.findings[0].evidence)
    assert v.findings[0].fix.startswith("Install the NVIDIA driver")
    cells = _cells(v)
    assert cells["mlp-graph-b100-cpu"].status == "ok" and cells["mlp-graph-b100-cpu"].value
    gpu = cells["mlp-xla-b1-gpu0"]
    assert gpu.status == "skipped" and "GPU unavailable" in gpu.reason and gpu.value == ""
    assert {(f.label, f.value) for f in h.counts} == {("ok", "9"), ("skipped", "9")}
    assert dict((f.label, f.value) for f in h.where)["TensorFlow"] == "2.21.0"
    assert h.duration == "72 s"


def test_every_status_is_shown_with_its_reason_and_warnings() -> None:
    v = view("cpu-all-statuses")
    cells = _cells(v)
    assert {c.status for c in cells.values()} == set(STATUSES)
    assert len(cells) == 24
    for c in cells.values():
        if c.status == "ok":
            assert c.value and c.ci.startswith("[") and c.first_call
        else:
            assert c.reason and not c.value
    assert "SIGSEGV" in cells["cnn-graph-b1000-cpu"].reason
    assert "OOM" in cells["cnn-eager-b1000-cpu"].reason
    codes = {w.code for c in cells.values() for w in c.warnings}
    assert {"retraced", "high_load", "output_mismatch", "unstable_cov"} <= codes
    retraced = next(w for w in cells["mlp-graph-b10-cpu"].warnings if w.code == "retraced")
    assert "traced again" in retraced.meaning and "3 traces" in retraced.detail
    assert v.headline.status_css == "warn" and not v.headline.gpu_requested
    assert v.headline.gpu_status.startswith("not requested")
    # grid layout: a table per workload x device, rows by batch, columns by mode
    assert [(t.workload, t.device) for t in v.grid] == [("mlp", "cpu"), ("cnn", "cpu")]
    assert v.grid[0].modes == ("eager", "graph", "xla")
    assert [r.batch_size for r in v.grid[0].rows] == [1, 10, 100, 1000]


def test_planned_cell_without_a_line_is_not_run() -> None:
    r = run("compare-base")
    rec = dataclasses.replace(r.record, cases=[*r.record.cases, "mlp-xla-b5000-cpu"])
    v = build_run_view(rec, r.cases, r.fingerprint, None)
    cell = _cells(v)["mlp-xla-b5000-cpu"]
    assert cell.status == NOT_RUN and "ended before" in cell.reason
    assert ("not run", "1") in {(f.label, f.value) for f in v.headline.counts}


def test_speedups_fits_and_significance() -> None:
    v = view("compare-base")
    rows = {(s.workload, s.device, s.batch_size): s for s in v.speedups}
    b1 = rows[("mlp", "cpu", 1)]
    assert b1.graph is not None and b1.xla is not None
    assert b1.xla.ratio > b1.graph.ratio > 1 and b1.graph.css == "faster"
    assert b1.graph.text.endswith("]") and "x [" in b1.graph.text
    assert {(f.mode, f.device) for f in v.fits} == {
        ("eager", "cpu"),
        ("graph", "cpu"),
        ("xla", "cpu"),
    }
    eager = next(f for f in v.charts.fits if f.mode == "eager")
    assert 2e-4 < eager.t0_s < 4e-4  # fixture: t0 = 310 us
    assert v.first_calls and v.charts.peaks == ()  # no known CPU peak


def test_gpu_run_state_rows_and_peak() -> None:
    v = view("gpu-h100-injection")
    assert not v.headline.gpu_failed and v.headline.gpu_status.startswith("ok: NVIDIA H100")
    assert v.charts.peaks == (("gpu:0", 66.9e12, "NVIDIA H100 80GB HBM3 FP32 peak (datasheet)"),)
    before = [g for g in v.gpu_states if g.when == "before"]
    assert len(before) == 9 and before[0].memory_used == "1,537 MiB"
    assert "<script>" in before[0].processes  # kept verbatim: the template escapes it
    assert before[0].sm_clock == "1980 MHz" and before[0].throttle == "none"


def test_environment_and_reproduce() -> None:
    r = run("gpu-failed")
    rec = dataclasses.replace(
        r.record, command=["python", "-m", "benchmarks", "run", "--out", "/home/alice/x y"]
    )
    v = build_run_view(rec, r.cases, r.fingerprint, r.diagnosis)
    assert v.reproduce.command == "python -m benchmarks run --out '~/x y'"
    assert v.reproduce.git_sha.startswith("e6dc2ac") and v.reproduce.git_dirty == "no"
    assert v.reproduce.image_digest.startswith("sha256:ab")
    assert v.reproduce.lock_hash == ""
    nvidia = next(s for s in v.environment if s.name == "nvidia")
    assert nvidia.status == "unavailable"
    rows = {(f.label, f.value) for f in nvidia.rows}
    assert ("error", "NVML Shared Library Not Found") in rows and ("gpus", "[]") in rows
    assert [s.name for s in v.environment][:3] == ["run", "host", "python"]


def test_missing_and_malformed_fingerprint_do_not_break_the_view() -> None:
    r = run("gpu-failed")
    for fp in ({}, {"nvidia": "garbage", "host": ["x"], "tensorflow": {"status": "unavailable"}}):
        v = build_run_view(r.record, r.cases, fp, {"findings": "nonsense"})
        where = {f.label: f.value for f in v.headline.where}
        assert where["CPU"] == "unknown CPU"
        assert where["TensorFlow"] == "2.21.0"  # from run.json's workers, without a fingerprint
        assert v.findings == ()
        assert v.headline.gpu_status == (
            "unavailable: GPU unavailable: no GPU device initialised (see diagnosis)"
            " (no diagnosis recorded)"
        )
        assert v.gpu_reasons == (("GPU unavailable: no GPU device initialised (see diagnosis)", 9),)


def test_parse_case_id_and_peaks() -> None:
    assert parse_case_id("mlp_raw-graph-b100-gpu0") == ("mlp_raw", "graph", 100, "gpu:0")
    assert parse_case_id("cnn-xla-b1-cpu") == ("cnn", "xla", 1, "cpu")
    assert parse_case_id("nonsense") is None
    fp = {"nvidia": {"gpus": [{"index": 0, "name": "NVIDIA H100 PCIe"}]}}
    assert gpu_peak(fp, "gpu:0") == (51.2e12, "NVIDIA H100 PCIe FP32 peak (datasheet)")
    assert gpu_peak(fp, "cpu") is None and gpu_peak({}, "gpu:0") is None


def test_plan_in_run_json_decides_the_grid() -> None:
    r = run("compare-base")
    plan = [*r.record.plan, {"workload": "mlp", "mode": "xla", "batch_size": 7, "device": "cpu"}]
    rec = dataclasses.replace(r.record, cases=[*r.record.cases, "odd id"], plan=plan)
    cell = _cells(build_run_view(rec, r.cases, r.fingerprint, None))["odd id"]
    assert cell.status == NOT_RUN and cell.mode == "xla"
    no_workers = dataclasses.replace(r.record, workers=[])
    v = build_run_view(no_workers, r.cases, {}, None)
    assert {f.label: f.value for f in v.headline.where}["TensorFlow"] == "unknown"
    assert {f.label: f.value for f in v.headline.what}["threads / seed"] == "2 / 1234"


def test_unavailable_gpu_snapshot_says_why() -> None:
    r = run("gpu-failed")
    snap = {"status": "unavailable", "error": "NVML Shared Library Not Found", "gpus": []}
    cases = [dataclasses.replace(c, gpu_state={"before": snap, "after": snap}) for c in r.cases]
    rows = build_run_view(r.record, cases, r.fingerprint, r.diagnosis).gpu_states
    assert len(rows) == 2 * len(cases)
    assert rows[0].processes == "snapshot unavailable: NVML Shared Library Not Found"
