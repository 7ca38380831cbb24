"""Every bad SPEC through the real CLI: exit 2, 'error:' naming the SPEC, a hint, no run dir.

In-process and TensorFlow-free: the checks run before any worker starts (a started worker would
need TensorFlow and leave logs/ in the run directory).
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from benchmarks.cli import main

MATRIX = """
[defaults]
modes = ["eager"]
devices = ["cpu"]
batch_sizes = [1]
{tables}
[profiles.t]
workloads = {workloads}
"""


def _cli(capsys: pytest.CaptureFixture[str], out: Path, *argv: str) -> tuple[int, list[str]]:
    code = main(["run", "--out", str(out), "--no-report", *argv])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    return code, lines


def _saved_model(d: Path, signature: str, dims: list[int]) -> None:
    """A saved_model.pb with one signature taking 'ids' (int32) of the given dims (-1: None)."""

    def varint(n: int) -> bytes:
        n &= (1 << 64) - 1
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out

    def ld(field: int, payload: bytes) -> bytes:
        return varint(field << 3 | 2) + varint(len(payload)) + payload

    shape = b"".join(ld(2, varint(1 << 3) + varint(d)) for d in dims)
    info = ld(1, b"ids:0") + varint(2 << 3) + varint(3) + ld(3, shape)
    sig = ld(1, ld(1, b"ids") + ld(2, info))
    d.mkdir()
    (d / "saved_model.pb").write_bytes(ld(2, ld(5, ld(1, signature.encode()) + ld(2, sig))))


def _zip(path: Path, member: str) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, "{}")


@pytest.mark.parametrize(
    ("setup", "argv", "first_line"),
    [
        (None, ["--model", "gone.keras"], "error: --model gone.keras: no such file or directory"),
        (
            lambda d: (d / "notes.keras").write_text("hello"),
            ["--model", "notes.keras"],
            "error: --model notes.keras: not a Keras model (.keras zip file)",
        ),
        (
            lambda d: _zip(d / "w.keras", "model.weights.h5"),
            ["--model", "w.keras"],
            "error: --model w.keras: not a Keras model (no config.json inside)",
        ),
        (
            lambda d: (d / "export").mkdir(),
            ["--model", "export"],
            "error: --model export: not a SavedModel (no saved_model.pb in the directory)",
        ),
        (
            lambda d: _saved_model(d / "export", "serving_default", [-1, 12]),
            ["--model", "export", "--signature", "predict"],
            "error: --model export: no signature 'predict' (it has: serving_default)",
        ),
        (
            lambda d: _saved_model(d / "export", "serving_default", [-1, -1]),
            ["--model", "export"],
            "error: --model export: input 'ids' has an unknown dimension ([None, None])",
        ),
        (
            None,
            ["--model", "nosuchmodule_xyz:build"],
            "error: --model nosuchmodule_xyz:build: cannot import 'nosuchmodule_xyz': no such "
            "module",
        ),
        (
            lambda d: (d / "zoo_mod.py").write_text("def other(b, s):\n    pass\n"),
            ["--model", "zoo_mod:small_net"],
            "error: --model zoo_mod:small_net: module 'zoo_mod' defines no 'small_net'",
        ),
        (
            lambda d: _saved_model(d / "export", "serving_default", [-1, 12]),
            ["--model", "export", "--input-shape", "ids"],
            "error: --input-shape 'ids': not NAME=SIZES",
        ),
        (None, ["--signature", "x"], "error: --signature applies to --model SPEC"),
        (
            lambda d: _saved_model(d / "export", "serving_default", [-1, 12]),
            ["--model", "export", "--call", "fit"],
            "error: --call: unknown call path 'fit'",
        ),
    ],
)
def test_bad_specs_stop_before_any_worker(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: object,
    argv: list[str],
    first_line: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # --model paths are relative to the current directory
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    if setup is not None:
        setup(tmp_path)  # type: ignore[operator]
    out = tmp_path / "run"
    code, lines = _cli(capsys, out, *argv)
    assert code == 2
    assert lines[0] == first_line
    assert lines[1].startswith("hint: ")
    assert not out.exists()  # nothing was started or written


def test_matrix_file_specs_are_relative_to_the_matrix_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sub = tmp_path / "cfg"
    sub.mkdir()
    tables = '[workloads.mine]\nmodel = "nets/mine.keras"\n'
    (sub / "m.toml").write_text(MATRIX.format(tables=tables, workloads='["mine"]'))
    out = tmp_path / "run"
    code, lines = _cli(capsys, out, "--matrix", str(sub / "m.toml"), "--profile", "t")
    assert code == 2
    assert lines[0] == (
        f"error: {sub / 'm.toml'}: workloads.mine.model nets/mine.keras: no such file or directory"
    )
    assert not out.exists()
