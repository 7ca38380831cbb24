"""Every matrix error says exactly where (file, key, index) and what is allowed; valid values
are kept with their types. One row per check in plan/matrix.py, message and hint compared whole.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from benchmarks.errors import ConfigError
from benchmarks.plan import matrix

KNOWN = ("mlp", "cnn")
AXES = 'workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu"]\n'
P = "m.toml: profiles.x"
TIMING_KEYS = (
    "rounds, blocks, processes, min_block_s, warmup_s, warmup_calls, timeout_s, time_cap_s"
)


def _parse(text: str) -> matrix.MatrixSpec:
    return matrix.parse(text, "m.toml", KNOWN)


def _profile(extra: str = "", axes: str = AXES) -> str:
    return f"[profiles.x]\n{axes}{extra}"


def _axes(**over: str) -> str:
    axes = {"workloads": '["mlp"]', "modes": '["eager"]', "batch_sizes": "[1]",
            "devices": '["cpu"]'} | over  # fmt: skip
    return "".join(f"{k} = {v}\n" for k, v in axes.items())


ERRORS = [
    ("schema_version = 7\n" + _profile(), "m.toml: schema_version 7 is not supported",
     "this graphbench reads schema_version = 1"),
    ("colour = 1\n" + _profile(), "m.toml: unknown top-level key 'colour'",
     "allowed: schema_version, [defaults], [workloads.NAME], [profiles.NAME]"),
    ("defaults = 1\n" + _profile(), "m.toml: defaults: must be a table",
     "see benchmarks/plan/matrix.toml for the format"),
    ("profiles = 1\n", "m.toml: profiles: must be a table",
     "see benchmarks/plan/matrix.toml for the format"),
    ("[defaults]\nblocks = 9\n", "m.toml: no [profiles.NAME] table", "define at least one profile"),
    ("[profiles]\nx = 1\n", "m.toml: profiles.x: must be a table",
     "see benchmarks/plan/matrix.toml for the format"),
    (_profile("colour = 1\n"), f"{P}: unknown key 'colour'",
     f"allowed: workloads, modes, calls, batch_sizes, devices, exclude, {TIMING_KEYS}"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1]\n'),
     f"{P}: missing 'devices'", "set devices here or in [defaults]"),
    (_profile(axes='workloads = []\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu"]\n'),
     f"{P}.workloads: must be a non-empty list", "e.g. [1, 10, 100]"),
    (_profile(axes='workloads = [1]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu"]\n'),
     f"{P}.workloads[0]: must be a string, got 1", "quote the value"),
    (_profile(axes='workloads = ["nope"]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu"]\n'),
     f"{P}.workloads[0]: unknown value 'nope'", "allowed: mlp, cnn"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["fast"]\nbatch_sizes = [1]\ndevices = ["cpu"]\n'),
     f"{P}.modes[0]: unknown value 'fast'", "allowed: eager, graph, xla"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1, 0]\ndevices = ["cpu"]\n'),
     f"{P}.batch_sizes[1]: batch size must be a positive integer, got 0",
     "use whole numbers >= 1, e.g. [1, 10, 100]"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = 1\ndevices = ["cpu"]\n'),
     f"{P}.batch_sizes: must be a non-empty list", "e.g. [1, 10, 100]"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [true]\ndevices = ["cpu"]\n'),
     f"{P}.batch_sizes[0]: batch size must be a positive integer, got True",
     "use whole numbers >= 1, e.g. [1, 10, 100]"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = [1]\n'),
     f"{P}.devices[0]: must be a string, got 1", "quote the value"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["tpu"]\n'),
     f"{P}.devices[0]: unknown device 'tpu'", "allowed: cpu, gpu, gpu:N (N = 0, 1, ...)"),
    (_profile(axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu:1"]\n'),
     f"{P}.devices[0]: unknown device 'cpu:1'", "there is one CPU device: cpu"),
    (_profile("exclude = 1\n"), f"{P}.exclude: must be a non-empty list", "e.g. [1, 10, 100]"),
    (_profile("exclude = [1]\n"), f"{P}.exclude[0]: must be a table",
     "see benchmarks/plan/matrix.toml for the format"),
    (_profile("[[profiles.x.exclude]]\ncolour = 1\n"), f"{P}.exclude[0]: unknown key 'colour'",
     "allowed: workload, mode, call, batch_size, device"),
    (_profile("exclude = [{}]\n"), f"{P}.exclude[0]: empty rule",
     "allowed: workload, mode, call, batch_size, device"),
    (_profile('[[profiles.x.exclude]]\nworkload = "nope"\n'),
     f"{P}.exclude[0].workload[0]: unknown value 'nope'", "allowed: mlp, cnn"),
    (_profile('[[profiles.x.exclude]]\nmode = "fast"\n'),
     f"{P}.exclude[0].mode[0]: unknown value 'fast'", "allowed: eager, graph, xla"),
    (_profile("[[profiles.x.exclude]]\nbatch_size = 0\n"),
     f"{P}.exclude[0].batch_size[0]: batch size must be a positive integer, got 0",
     "use whole numbers >= 1, e.g. [1, 10, 100]"),
    (_profile('[[profiles.x.exclude]]\ndevice = "tpu"\n'),
     f"{P}.exclude[0].device: unknown device 'tpu'", "allowed: cpu, gpu, gpu:N (N = 0, 1, ...)"),
    (_profile("blocks = 0\n"), f"{P}.blocks: must be a positive integer, got 0", "default is 11"),
    (_profile("blocks = 9.5\n"), f"{P}.blocks: must be a positive integer, got 9.5",
     "default is 11"),
    (_profile("blocks = true\n"), f"{P}.blocks: must be a positive integer, got True",
     "default is 11"),
    (_profile('min_block_s = "x"\n'), f"{P}.min_block_s: must be a positive number, got 'x'",
     "default is 0.08"),
    (_profile("timeout_s = -1\n"), f"{P}.timeout_s: must be a positive number, got -1",
     "default is 300.0"),
    (_profile("blocks = 2\n"), f"{P}.blocks: 2 is out of range", "use a finite number from 3 to 1000"),
    (_profile("rounds = 2\n"), f"{P}.rounds: 2 is out of range", "use a finite number from 3 to 1000"),
    ("workloads = 1\n" + _profile(), "m.toml: workloads: must be a table",
     "e.g. [workloads.mine] model = 'm.keras'"),
    (_profile('[[profiles.x.exclude]]\ncall = "nope"\n'),
     f"{P}.exclude[0].call[0]: unknown value 'nope'", "allowed: call, predict_on_batch, predict"),
    (_profile("rounds = 9\nblocks = 9\n"), f"{P}: both 'rounds' and 'blocks' are set",
     "they are one setting ('blocks' is its older name); keep 'rounds'"),
    # the bounds the fault fixes added (plan/limits.py), at one past each
    (_profile(axes=_axes(batch_sizes="[1, 100000001]")),
     f"{P}.batch_sizes[1]: batch size 100000001 is too large",
     "use at most 100,000,000 samples per call"),
    (_profile('[[profiles.x.exclude]]\nbatch_size = 100000001\n'),
     f"{P}.exclude[0].batch_size[0]: batch size 100000001 is too large",
     "use at most 100,000,000 samples per call"),
    (_profile(axes=_axes(batch_sizes=str(list(range(1, 66))))),
     f"{P}.batch_sizes: 65 entries in 'batch_sizes', more than 64",
     "a profile takes at most 64 batch_sizes; split it into several profiles"),
    (_profile(axes=_axes(modes=str(["eager"] * 17).replace("'", '"'))),
     f"{P}.modes: 17 entries in 'modes', more than 16",
     "a profile takes at most 16 modes; split it into several profiles"),
    (_profile("".join('[[profiles.x.exclude]]\nbatch_size = 7\n' for _ in range(1025))),
     f"{P}.exclude: 1025 entries in 'exclude', more than 1024",
     "a profile takes at most 1024 exclude; split it into several profiles"),
    (_profile("min_block_s = 61.0\n"), f"{P}.min_block_s: 61.0 is out of range",
     "use a finite number from 0.0001 to 60"),
    (_profile("warmup_s = 1e-5\n"), f"{P}.warmup_s: 1e-05 is out of range",
     "use a finite number from 0.0001 to 600"),
    (_profile("timeout_s = inf\n"), f"{P}.timeout_s: inf is out of range",
     "use a finite number from 1 to 86400"),
    (_profile("processes = 1001\n"), f"{P}.processes: 1001 is out of range",
     "use a finite number from 1 to 1000"),
    (_profile("warmup_calls = 1000001\n"), f"{P}.warmup_calls: 1000001 is out of range",
     "use a finite number from 1 to 1e+06"),
    (_profile("rounds = 1001\n"), f"{P}.rounds: 1001 is out of range",
     "use a finite number from 3 to 1000"),
    ("".join(f"[profiles.p{i}]\n{AXES}" for i in range(129)),
     "m.toml: 129 profiles, more than 128", "split the file"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "hint"), ERRORS)
def test_each_error_says_where_and_what_is_allowed(text: str, message: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        _parse(text)
    assert (info.value.message, info.value.hint) == (message, hint)


def test_malformed_toml() -> None:
    with pytest.raises(ConfigError) as info:
        _parse("[profiles.x\n")
    assert info.value.message.startswith("m.toml: malformed TOML: ")
    assert info.value.hint == "fix the syntax at the line and column named"


def test_valid_values_keep_their_types_and_the_spec_its_source() -> None:
    text = _profile("blocks = 3\nmin_block_s = 1\nwarmup_calls = 5\n")
    spec = _parse(text)
    assert (spec.source, spec.digest) == ("m.toml", hashlib.sha256(text.encode()).hexdigest())
    p = spec.profiles["x"]
    assert p.name == "x"
    assert p.timing == matrix.Timing(blocks=3, min_block_s=1.0, warmup_calls=5)
    assert isinstance(p.timing.min_block_s, float) and isinstance(p.timing.warmup_calls, int)
    # only the last timing key given: the keys before it (absent) do not stop the reading
    assert _parse(_profile("timeout_s = 60\n")).profiles["x"].timing.timeout_s == 60.0


def test_an_exclusion_device_is_normalised() -> None:
    text = _profile(
        '[[profiles.x.exclude]]\ndevice = "GPU"\n',
        axes='workloads = ["mlp"]\nmodes = ["eager"]\nbatch_sizes = [1]\ndevices = ["cpu", "gpu"]\n',
    )
    spec = _parse(text)
    assert spec.profiles["x"].exclude == ({"device": "gpu:0"},)
    assert [c.device for c in matrix.expand(spec, "x").cases] == ["cpu"]


def test_an_unknown_profile_lists_every_profile() -> None:
    spec = _parse(_profile() + "[profiles.b]\n" + AXES)
    with pytest.raises(ConfigError) as info:
        matrix.expand(spec, "huge")
    assert (info.value.message, info.value.hint) == ("m.toml: no profile 'huge'", "allowed: b, x")


def test_expand_names_its_profile_source_and_digest() -> None:
    text = _profile()
    plan = matrix.expand(_parse(text), "x")
    assert (plan.profile, plan.source, plan.digest) == (
        "x", "m.toml", hashlib.sha256(text.encode()).hexdigest()
    )  # fmt: skip
    with pytest.raises(ConfigError) as info:
        matrix.expand(_parse(text), "x", only=["cnn-*", "*-gpu0"])
    assert (info.value.message, info.value.hint) == (
        "--only cnn-* *-gpu0: matches no case of profile 'x'",
        "case ids look like mlp-graph-b100-cpu; globs like 'mlp-*-cpu' work",
    )


def test_device_lists_from_the_command_line() -> None:
    assert matrix.parse_devices("cpu,,gpu") == ("cpu", "gpu:0")
    assert matrix.parse_devices(" gpu:2 ") == ("gpu:2",)
    with pytest.raises(ConfigError) as info:
        matrix.parse_devices(" , ")
    assert (info.value.message, info.value.hint) == (
        "--device: no device given", "e.g. --device cpu or --device cpu,gpu"
    )  # fmt: skip
    with pytest.raises(ConfigError) as info:
        matrix.parse_devices("cuda")
    assert info.value.message == "--device: unknown device 'cuda'"
    with pytest.raises(ConfigError) as info:
        matrix.normalize_device("cpu:1")
    assert (info.value.message, info.value.hint) == (
        "--device: unknown device 'cpu:1'", "there is one CPU device: cpu"
    )  # fmt: skip
    assert matrix.normalize_device("cpu:0") == "cpu"


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        matrix.load(missing, KNOWN)
    assert (info.value.message, info.value.hint) == (
        f"{missing}: matrix file not found", "pass an existing matrix file"
    )  # fmt: skip
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        matrix.load(bad, KNOWN)
    assert info.value.message.startswith(f"{bad}: cannot read matrix file: ")
    assert info.value.hint == "pass a UTF-8 TOML file"
    good = tmp_path / "m.toml"
    good.write_text(_profile())
    assert matrix.load(good, KNOWN).source == str(good)


def test_call_paths_keep_their_order_and_errors_name_the_bad_one() -> None:
    assert matrix.parse_calls(" predict, call,predict ,") == ("predict", "call")
    allowed = "allowed: call, predict_on_batch, predict (comma-separated)"
    with pytest.raises(ConfigError) as info:
        matrix.parse_calls("call,nope,worse")
    assert (info.value.message, info.value.hint) == ("--call: unknown call path 'nope'", allowed)
    with pytest.raises(ConfigError) as info:
        matrix.parse_calls(" , ")
    assert (info.value.message, info.value.hint) == ("--call: no call path given", allowed)


def test_a_profile_overrides_a_default_under_either_name_of_rounds() -> None:
    for default, own in (("rounds", "blocks"), ("blocks", "rounds"), ("rounds", "rounds")):
        spec = _parse(f"[defaults]\n{default} = 5\n" + _profile(f"{own} = 7\n"))
        assert spec.profiles["x"].timing.blocks == 7, (default, own)
    for name in ("rounds", "blocks"):
        assert _parse(f"[defaults]\n{name} = 5\n" + _profile()).profiles["x"].timing.blocks == 5


def test_values_at_the_bounds_are_kept() -> None:
    text = _profile(
        "min_block_s = 60.0\nwarmup_s = 0.0001\nprocesses = 1000\nrounds = 3\n",
        axes=_axes(batch_sizes="[100000000]"),
    )
    x = _parse(text).profiles["x"]
    assert x.batch_sizes == (100_000_000,)
    assert (x.timing.min_block_s, x.timing.warmup_s, x.timing.processes, x.timing.blocks) == (
        60.0, 0.0001, 1000, 3
    )  # fmt: skip


def test_exclude_rules_that_remove_every_cell_are_refused_at_expand() -> None:
    spec = _parse(_profile('[[profiles.x.exclude]]\nworkload = "mlp"\n'))
    with pytest.raises(ConfigError) as info:
        matrix.expand(spec, "x")
    assert (info.value.message, info.value.hint) == (
        "m.toml: profile 'x': its exclude rules remove every cell",
        "remove or narrow an [[exclude]] rule",
    )
    kept = _parse(_profile("[[profiles.x.exclude]]\nbatch_size = 7\n", axes=_axes()))
    assert [c.case_id for c in matrix.expand(kept, "x").cases] == ["mlp-eager-b1-cpu"]


def test_a_profile_name_that_is_no_safe_id_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        _parse(f'[profiles."a b"]\n{AXES}')
    assert info.value.message == "m.toml: profile name 'a b' is not a valid name"


def test_a_profile_that_expands_past_the_cell_limit_is_refused() -> None:
    gpus = ", ".join(f'"gpu:{i}"' for i in range(15))
    text = _profile(
        axes=_axes(workloads='["mlp", "cnn"]', modes='["eager", "graph", "xla"]',
                   batch_sizes=str(list(range(1, 65))), devices=f'["cpu", {gpus}]'),
        extra='calls = ["call", "predict_on_batch", "predict"]\n',
    )  # fmt: skip
    with pytest.raises(ConfigError) as info:
        matrix.expand(_parse(text), "x")
    assert (info.value.message, info.value.hint) == (
        "m.toml: profile 'x' expands to 18,432 cells, more than 10,000",
        "use fewer workloads, modes, batch sizes or devices",
    )


def test_a_missing_matrix_file_and_a_too_deeply_nested_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        matrix.load(tmp_path / "none.toml", KNOWN)
    assert (info.value.message, info.value.hint) == (
        f"{tmp_path / 'none.toml'}: matrix file not found",
        "pass an existing matrix file",
    )
    with pytest.raises(ConfigError) as info:
        _parse("a = " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert (info.value.message, info.value.hint) == (
        "m.toml: nested too deeply",
        "a matrix file is flat tables",
    )
