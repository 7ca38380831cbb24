"""A model SPEC is checked without TensorFlow: every bad one is a ConfigError naming it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from benchmarks.errors import ConfigError
from benchmarks.plan import model_spec, savedmodel_sig
from benchmarks.plan.model_spec import resolve

# --- a hand-written protocol-buffer encoder, so the reader is tested on bytes it did not make


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def _len(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _tensor_info(dtype: int, dims: list[int] | None) -> bytes:
    shape = _int(3, 1) if dims is None else b"".join(_len(2, _int(1, d)) for d in dims)
    return _len(1, b"name:0") + _int(2, dtype) + _len(3, shape)


def saved_model_pb(signatures: dict[str, dict[str, tuple[int, list[int] | None]]]) -> bytes:
    sig_entries = b""
    for sig, inputs in signatures.items():
        body = b"".join(
            _len(1, _len(1, name.encode()) + _len(2, _tensor_info(dt, dims)))
            for name, (dt, dims) in inputs.items()
        )
        sig_entries += _len(5, _len(1, sig.encode()) + _len(2, body))
    graph = _len(2, b"\x0a\x03abc")  # a graph_def the reader must skip
    return _int(1, 1) + _len(2, graph + sig_entries)


def _savedmodel(tmp_path: Path, sigs: dict[str, dict[str, tuple[int, list[int] | None]]]) -> Path:
    d = tmp_path / "exported"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(saved_model_pb(sigs))
    (d / "variables").mkdir()
    (d / "variables" / "variables.index").write_bytes(b"x")
    return d


def _keras_file(tmp_path: Path, name: str, batch_shape: list[int | None]) -> Path:
    path = tmp_path / name
    config = {
        "class_name": "Functional",
        "config": {
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"name": "tokens", "batch_shape": batch_shape, "dtype": "int32"},
                }
            ]
        },
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("metadata.json", "{}")
    return path


def test_signatures_read_dtype_and_shapes_with_unknown_dims() -> None:
    data = saved_model_pb({"serving_default": {"x": (1, [-1, 6]), "ids": (3, [-1, -1])}})
    sig = savedmodel_sig.signatures(data)["serving_default"]
    assert sig.inputs["x"] == savedmodel_sig.TensorInfo("float32", (None, 6))
    assert sig.inputs["ids"] == savedmodel_sig.TensorInfo("int32", (None, None))


def test_signatures_reject_bytes_that_are_not_a_saved_model() -> None:
    with pytest.raises(savedmodel_sig.ProtoError):
        savedmodel_sig.signatures(b"\x0a\xff")


@pytest.mark.parametrize(
    ("text", "name"),
    [("My Model-v2", "my_model_v2"), ("3d", "m_3d"), ("---", "model"), ("resnet50", "resnet50")],
)
def test_workload_names_are_id_safe(text: str, name: str) -> None:
    assert model_spec.workload_name(text) == name


def test_input_shapes_parse_and_reject() -> None:
    assert model_spec.parse_input_shapes(["tokens=12", "img=32,32,3"]) == {
        "tokens": [12],
        "img": [32, 32, 3],
    }
    for bad in ("tokens", "tokens=", "=3", "x=a,b", "x=0"):
        with pytest.raises(ConfigError, match="NAME=SIZES"):
            model_spec.parse_input_shapes([bad])


def test_savedmodel_spec_ok_with_identity(tmp_path: Path) -> None:
    d = _savedmodel(tmp_path, {"serving_default": {"x": (1, [-1, 6])}})
    spec = resolve("exported", base_dir=tmp_path)
    assert (spec.kind, spec.name, spec.path) == ("savedmodel", "exported", str(d.resolve()))
    assert len(spec.sha256) == 64
    (d / "variables" / "variables.index").write_bytes(b"y")  # other weights, other identity
    assert resolve("exported", base_dir=tmp_path).sha256 != spec.sha256
    assert spec.identity() == {
        "kind": "savedmodel",
        "source": "exported",
        "sha256": spec.sha256,
        "signature": "serving_default",
    }


def test_no_such_signature_names_the_spec_and_lists_the_others(tmp_path: Path) -> None:
    _savedmodel(tmp_path, {"serving_default": {}, "__saved_model_init_op": {}})
    with pytest.raises(ConfigError) as err:
        resolve("exported", base_dir=tmp_path, signature="predict")
    assert err.value.message == (
        "--model exported: no signature 'predict' (it has: serving_default)"
    )
    assert "--signature" in err.value.hint


def test_unknown_non_batch_dimension_needs_input_shape(tmp_path: Path) -> None:
    _savedmodel(tmp_path, {"serving_default": {"ids": (3, [-1, -1])}})
    with pytest.raises(ConfigError, match=r"input 'ids' has an unknown dimension \(\[None, None\]"):
        resolve("exported", base_dir=tmp_path)
    assert resolve("exported", base_dir=tmp_path, input_shapes={"ids": [12]}).input_shapes == {
        "ids": [12]
    }
    with pytest.raises(ConfigError, match="no input of that name"):
        resolve("exported", base_dir=tmp_path, input_shapes={"tokens": [12]})


def test_keras_file_inputs_are_checked_from_its_config(tmp_path: Path) -> None:
    _keras_file(tmp_path, "ok.keras", [None, 12])
    assert resolve("ok.keras", base_dir=tmp_path).kind == "keras"
    _keras_file(tmp_path, "ragged.keras", [None, None])
    with pytest.raises(ConfigError) as err:
        resolve("ragged.keras", base_dir=tmp_path)
    assert "--input-shape tokens=12,16" in err.value.hint


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "--model missing.keras: no such file or directory"),
        (lambda p: (p / "missing.keras").write_text("hello"), "not a Keras model (.keras zip"),
        (lambda p: (p / "missing.keras").mkdir(), "not a SavedModel (no saved_model.pb"),
    ],
)
def test_bad_paths(tmp_path: Path, setup: object, message: str) -> None:
    setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as err:
        resolve("missing.keras", base_dir=tmp_path)
    assert err.value.hint


def test_zip_without_config_and_hdf5_are_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "weights.keras", "w") as zf:
        zf.writestr("model.weights.h5", "")
    with pytest.raises(ConfigError, match=r"no config\.json inside"):
        resolve("weights.keras", base_dir=tmp_path)
    (tmp_path / "old.h5").write_bytes(b"\x89HDF")
    with pytest.raises(ConfigError, match="legacy HDF5"):
        resolve("old.h5", base_dir=tmp_path)


def test_entry_points_are_found_without_importing_them(tmp_path: Path) -> None:
    pkg = tmp_path / "zoo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('must not run')\n")
    (pkg / "nets.py").write_text("import keras\n\ndef small_net(batch_size, seed):\n    pass\n")
    spec = resolve("zoo.nets:small_net", base_dir=tmp_path)
    assert (spec.kind, spec.name, spec.path) == ("entry", "small_net", str(tmp_path.resolve()))
    assert spec.identity()["source"] == "zoo.nets:small_net"


@pytest.mark.parametrize(
    ("spec", "source", "message"),
    [
        ("nomodule:f", None, "cannot import 'nomodule': no such module"),
        ("mod:missing", "def f(b, s):\n    pass\n", "module 'mod' defines no 'missing'"),
        ("mod:f", "def f(:\n", "cannot import 'mod': syntax error at mod.py:1"),
    ],
)
def test_bad_entry_points(tmp_path: Path, spec: str, source: str | None, message: str) -> None:
    if source is not None:
        (tmp_path / "mod.py").write_text(source)
    with pytest.raises(ConfigError) as err:
        resolve(spec, base_dir=tmp_path)
    assert err.value.message == f"--model {spec}: {message}"
    assert err.value.hint


def test_inputs_file_must_be_npz(tmp_path: Path) -> None:
    _keras_file(tmp_path, "ok.keras", [None, 12])
    (tmp_path / "x.npz").write_text("not a zip")
    with pytest.raises(ConfigError, match=r"not an \.npz file"):
        resolve("ok.keras", base_dir=tmp_path, inputs="x.npz")


def test_names_are_made_unique(tmp_path: Path) -> None:
    _keras_file(tmp_path, "mlp.keras", [None, 12])
    assert resolve("mlp.keras", base_dir=tmp_path, taken={"mlp", "mlp_2"}).name == "mlp_3"


def test_spec_round_trips_through_a_dict(tmp_path: Path) -> None:
    _keras_file(tmp_path, "ok.keras", [None, 12])
    spec = resolve("ok.keras", base_dir=tmp_path, input_shapes={"tokens": [12]})
    assert model_spec.ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_run_json_keeps_the_home_directory_as_tilde_and_resume_expands_it(tmp_path: Path) -> None:
    _keras_file(tmp_path, "ok.keras", [None, 12])
    spec = resolve("ok.keras", base_dir=tmp_path)
    home = str(tmp_path)
    kept = spec.scrubbed(lambda text: text.replace(home, "~"))
    assert kept.path == "~/ok.keras"
    back = kept.expand_home()
    assert back.path == str(Path("~/ok.keras").expanduser())
    assert back.sha256 == spec.sha256
