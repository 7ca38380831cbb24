from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.errors import ConfigError
from benchmarks.plan import matrix
from benchmarks.worker import workloads

KNOWN = workloads.NAMES
GOOD = """
schema_version = 1
[defaults]
modes = ["eager", "graph", "xla"]
devices = ["cpu"]
[profiles.tiny]
workloads = ["mlp"]
batch_sizes = [1, 100]
blocks = 9
[profiles.two]
workloads = ["mlp", "cnn"]
batch_sizes = [8]
devices = ["cpu", "gpu"]
[[profiles.two.exclude]]
workload = "cnn"
device = "gpu"
"""


def parse(text: str) -> matrix.MatrixSpec:
    return matrix.parse(text, "m.toml", KNOWN)


def test_builtin_matrix_is_valid_and_profiles_have_the_promised_shape() -> None:
    spec = matrix.load(matrix.default_matrix_path(), KNOWN)
    assert {"smoke", "default", "full"} <= set(spec.profiles)
    default = matrix.expand(spec, "default")
    assert {c.workload for c in default.cases} == {"mlp", "mlp_raw", "mlp_train", "cnn"}
    models = matrix.expand(spec, "models")  # the heavy built-ins stay out of default
    assert {c.workload for c in models.cases} == {"mobilenet", "lstm", "transformer"}
    assert {c.call for c in models.cases} == {"call", "predict_on_batch", "predict"}
    assert {c.mode for c in default.cases} == {"eager", "graph", "xla"}
    assert len({c.batch_size for c in default.cases}) >= 3  # enough for the t0 + c*b fit
    full = matrix.expand(spec, "full")
    assert {c.device for c in full.cases} == {"cpu", "gpu:0"}
    assert spec.profiles["smoke"].timing.blocks >= 9


def test_expand_orders_cases_and_builds_stable_ids() -> None:
    plan = matrix.expand(parse(GOOD), "tiny")
    assert [c.case_id for c in plan.cases] == [
        "mlp-eager-b1-cpu",
        "mlp-graph-b1-cpu",
        "mlp-xla-b1-cpu",
        "mlp-eager-b100-cpu",
        "mlp-graph-b100-cpu",
        "mlp-xla-b100-cpu",
    ]
    assert plan.timing.blocks == 9
    assert plan.timing.min_block_s == matrix.Timing().min_block_s  # default kept


def test_exclusions_and_device_override() -> None:
    plan = matrix.expand(parse(GOOD), "two")
    ids = {c.case_id for c in plan.cases}
    assert "cnn-eager-b8-gpu0" not in ids
    assert "mlp-eager-b8-gpu0" in ids
    assert len(ids) == 3 * 2 + 3  # cpu: 2 workloads; gpu: mlp only
    cpu_only = matrix.expand(parse(GOOD), "two", devices=("cpu",))
    assert {c.device for c in cpu_only.cases} == {"cpu"}


def test_only_selects_by_glob_and_rejects_empty_selection() -> None:
    plan = matrix.expand(parse(GOOD), "tiny", only=["*-graph-*", "mlp-xla-b1-cpu"])
    assert [c.case_id for c in plan.cases] == [
        "mlp-graph-b1-cpu",
        "mlp-xla-b1-cpu",
        "mlp-graph-b100-cpu",
    ]
    with pytest.raises(ConfigError, match="matches no case"):
        matrix.expand(parse(GOOD), "tiny", only=["nothing-*"])


def test_digest_changes_with_content() -> None:
    assert parse(GOOD).digest != parse(GOOD + "\n# comment\n").digest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.x\nworkloads = 1", "m.toml: malformed TOML: .*line 1"),
        (
            '[profiles.x]\nworkloads = ["resnet"]\nmodes=["eager"]\nbatch_sizes=[1]\ndevices=["cpu"]',
            r"profiles.x.workloads\[0\]: unknown value 'resnet'",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["turbo"]\nbatch_sizes=[1]\ndevices=["cpu"]',
            r"profiles.x.modes\[0\]: unknown value 'turbo'",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[1, 0]\ndevices=["cpu"]',
            r"profiles.x.batch_sizes\[1\]: batch size must be a positive integer, got 0",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[-3]\ndevices=["cpu"]',
            "positive integer, got -3",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[1.5]\ndevices=["cpu"]',
            "positive integer, got 1.5",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[1]\ndevices=["tpu"]',
            r"profiles.x.devices\[0\]: unknown device 'tpu'",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[1]',
            "missing 'devices'",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[1]\ndevices=["cpu"]\n'
            "blocks = 0",
            "blocks: must be a positive integer",
        ),
        (
            '[profiles.x]\nworkloads = ["mlp"]\nmodes=["eager"]\nbatch_sizes=[1]\ndevices=["cpu"]\n'
            "colour = 1",
            "unknown key 'colour'",
        ),
        (
            '[profiles.x]\nworkloads = []\nmodes=["eager"]\nbatch_sizes=[1]\ndevices=["cpu"]',
            "workloads: must be a non-empty list",
        ),
        ("schema_version = 7\n[profiles.x]", "schema_version 7 is not supported"),
        ("[defaults]\nmodes=['eager']", "no \\[profiles.NAME\\] table"),
    ],
)
def test_invalid_matrices_name_file_key_and_allowed_values(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse(text)
    assert info.value.hint  # every error says what to do


def test_unknown_profile_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="no profile 'huge'") as info:
        matrix.expand(parse(GOOD), "huge")
    assert "tiny" in info.value.hint and "two" in info.value.hint


def test_devices_parse_and_normalise() -> None:
    assert matrix.parse_devices("cpu,gpu") == ("cpu", "gpu:0")
    assert matrix.parse_devices("GPU:1, gpu:1,cpu") == ("gpu:1", "cpu")
    for bad in ("cuda", "gpu:x", "cpu:1", ","):
        with pytest.raises(ConfigError):
            matrix.parse_devices(bad)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="matrix file not found"):
        matrix.load(tmp_path / "nope.toml", KNOWN)


CALLS = """
[defaults]
modes = ["eager", "graph"]
devices = ["cpu"]
[workloads.embed]
model = "nets/embed.keras"
input_shape = { tokens = [12] }
[profiles.p]
workloads = ["embed", "mlp"]
calls = ["call", "predict"]
batch_sizes = [4]
[[profiles.p.exclude]]
workload = "mlp"
call = "predict"
"""


def test_call_paths_are_an_axis_and_only_non_default_ones_show_in_ids() -> None:
    spec = parse(CALLS)
    assert [(m.name, m.source, dict(m.input_shapes)) for m in spec.models] == [
        ("embed", "nets/embed.keras", {"tokens": [12]})
    ]
    ids = [c.case_id for c in matrix.expand(spec, "p").cases]
    assert ids == [
        "embed-eager-b4-cpu",
        "embed-graph-b4-cpu",
        "embed.predict-eager-b4-cpu",
        "embed.predict-graph-b4-cpu",
        "mlp-eager-b4-cpu",
        "mlp-graph-b4-cpu",
    ]
    only = matrix.expand(spec, "p", workloads=["mlp"], calls=["predict_on_batch"])
    assert [c.case_id for c in only.cases] == [
        "mlp.predict_on_batch-eager-b4-cpu",
        "mlp.predict_on_batch-graph-b4-cpu",
    ]


def test_bad_call_paths_are_usage_errors() -> None:
    with pytest.raises(ConfigError, match=r"profiles\.p\.calls\[0\]: unknown value 'fit'"):
        parse(CALLS.replace('calls = ["call", "predict"]', 'calls = ["fit"]'))
    with pytest.raises(ConfigError, match="--call: unknown call path 'fit'"):
        matrix.parse_calls("call,fit")
    assert matrix.parse_calls("predict, call,predict") == ("predict", "call")


def test_a_matrix_workload_cannot_shadow_a_builtin() -> None:
    with pytest.raises(ConfigError, match="'mlp' is a built-in workload"):
        parse(CALLS.replace("[workloads.embed]", "[workloads.mlp]"))
