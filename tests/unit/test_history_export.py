"""Both export formats against the shapes their projects document (schemas in tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from benchmarks.cli import main
from benchmarks.history.export import export
from benchmarks.rundir.load import load_run
from tests.data import make_fixtures as mf

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
FORMATS = {
    "bmf": "bmf.schema.json",
    "github-action-benchmark": "github-action-benchmark-custom.schema.json",
}


def schema(fmt: str) -> dict[str, object]:
    return json.loads((SCHEMAS / FORMATS[fmt]).read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("run", ["cpu-all-statuses", "gpu-h100-injection", "gpu-failed"])
def test_exports_validate_against_the_documented_schema(fmt: str, run: str) -> None:
    data = json.loads(export(load_run(mf.RUNS / run), fmt))
    jsonschema.validate(data, schema(fmt))


def test_the_schemas_are_not_vacuous() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"mlp": {"latency": {"lower_value": 1.0}}}, schema("bmf"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"name": "x", "value": "1"}], schema("github-action-benchmark"))


def test_bmf_holds_every_ok_cell_in_nanoseconds_with_its_ci() -> None:
    run = load_run(mf.RUNS / "cpu-all-statuses")
    data = json.loads(export(run, "bmf"))
    ok = {r.case_id: r for r in run.cases if r.status == "ok"}
    assert set(data) == set(ok)
    cell = ok["mlp-graph-b100-cpu"]
    latency = data["mlp-graph-b100-cpu"]["latency"]
    assert cell.median_s is not None
    assert latency["value"] == pytest.approx(cell.median_s * 1e9)
    assert latency["lower_value"] < latency["value"] < latency["upper_value"]


def test_github_action_benchmark_names_cells_and_says_the_unit() -> None:
    data = json.loads(export(load_run(mf.RUNS / "compare-base"), "github-action-benchmark"))
    assert len(data) == 12 and {d["unit"] for d in data} == {"ns/call"}
    assert all(d["range"].startswith("± ") and "machine: AMD EPYC" in d["extra"] for d in data)


def test_export_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bmf.json"
    assert main(["export", str(mf.RUNS / "compare-new"), "--format", "bmf", "-o", str(out)]) == 0
    jsonschema.validate(json.loads(out.read_text()), schema("bmf"))
    assert (
        main(["export", str(mf.RUNS / "compare-new"), "--format", "github-action-benchmark"]) == 0
    )
    jsonschema.validate(json.loads(capsys.readouterr().out), schema("github-action-benchmark"))


def test_export_of_something_that_is_no_run_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path), "--format", "bmf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "hint: " in err
    assert list(tmp_path.iterdir()) == []
