"""[workloads.NAME] tables and --model SPECs become checked, uniquely named ModelSpecs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from benchmarks.errors import ConfigError
from benchmarks.plan import own_models
from benchmarks.plan.own_models import ModelEntry

BUILTINS = ("mlp", "cnn")


def _keras(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", '{"config": {"layers": []}}')
    return path


def test_table_entries_keep_their_options() -> None:
    raw = {"mine": {"model": "m.keras", "input_shape": {"tokens": [128]}, "inputs": "x.npz"}}
    (entry,) = own_models.parse_table(raw, "f.toml", BUILTINS)
    assert entry == ModelEntry(
        "mine", "m.keras", "f.toml: workloads.mine.model", "serving_default", {"tokens": [128]},
        "x.npz",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"My-Net": {"model": "m.keras"}}, "workloads.My-Net: workload names are lower case"),
        ({"mlp": {"model": "m.keras"}}, "workloads.mlp: 'mlp' is a built-in workload"),
        ({"a": {"signature": "s"}}, 'workloads.a: needs model = "SPEC"'),
        ({"a": {"model": "m", "batch": 3}}, "workloads.a: unknown key 'batch'"),
        ({"a": {"model": "m", "input_shape": {"t": [0]}}}, "input_shape.t: must be a list"),
        ({"a": {"model": "m", "signature": 3}}, "workloads.a.signature: must be a string"),
    ],
)
def test_bad_tables(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        own_models.parse_table(raw, "f.toml", BUILTINS)
    assert message in err.value.message and err.value.hint


def test_resolve_is_relative_to_the_base_dir_and_names_are_unique(tmp_path: Path) -> None:
    _keras(tmp_path / "nets" / "mlp.keras")
    entries = [
        ModelEntry("mine", "nets/mlp.keras", "f.toml: workloads.mine.model"),
        ModelEntry(None, "nets/mlp.keras", "--model"),
    ]
    specs = own_models.resolve(entries, tmp_path, BUILTINS)
    assert sorted(specs) == ["mine", "mlp_2"]  # the SPEC's stem clashes with the built-in
    assert specs["mine"].path == str((tmp_path / "nets" / "mlp.keras").resolve())
    assert specs["mine"].sha256 == specs["mlp_2"].sha256


def test_resolve_names_the_table_key_in_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        own_models.resolve([ModelEntry("a", "gone.keras", "f.toml: workloads.a.model")],
                           tmp_path, BUILTINS)  # fmt: skip
    assert err.value.message == "f.toml: workloads.a.model gone.keras: no such file or directory"
