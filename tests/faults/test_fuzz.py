"""Item 10-11 of issue 15, fuzzed: matrix files and case lines from hypothesis, parsed in
process by the real parsing functions. The only allowed outcomes are a value or a
``ConfigError``/problem string: no other exception, for >= 10,000 inputs in all."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.errors import ConfigError
from benchmarks.plan import matrix
from benchmarks.rundir.load import case_from_line

pytestmark = pytest.mark.slow
WORKLOADS = ("mlp", "mlp_raw", "mlp_train", "cnn")
COUNTS = {"matrix": 0, "case": 0, "view": 0}
SCALE = float(os.environ.get("GRAPHBENCH_FUZZ_SCALE", "1"))  # 1: >= 10,000 inputs in all
EXAMPLES = {"structured": 1500, "damaged": 5000, "case": 4000}


def fuzz(kind: str) -> settings:
    return settings(
        max_examples=max(1, int(EXAMPLES[kind] * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


_numbers = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 3, 9, 1e300, -1e-300, 10**20, 2**63]),
)
_strings = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["mlp", "cnn", "eager", "graph", "xla", "cpu", "gpu", "gpu:1", "cpu:7", "../x"]
    ),
)
_scalars = st.one_of(_numbers, _strings, st.booleans())
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_strings, inner, max_size=3),
    max_leaves=12,
)
_profile_keys = st.sampled_from([*matrix._AXIS_KEYS, *matrix._TIMING_KEYS, "bogus"])
_profile = st.dictionaries(_profile_keys, _values, max_size=10)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"


def _toml(profiles: dict[str, dict[str, Any]], defaults: dict[str, Any], version: Any) -> str:
    out = [f"schema_version = {_toml_value(version)}", "[defaults]"]
    out += [f"{k} = {_toml_value(v)}" for k, v in defaults.items()]
    for name, body in profiles.items():
        out.append(f"[profiles.{json.dumps(name)}]")
        out += [f"{k} = {_toml_value(v)}" for k, v in body.items()]
    return "\n".join(out) + "\n"


def _parse_and_expand(text: str) -> None:
    COUNTS["matrix"] += 1
    try:
        spec = matrix.parse(text, "fuzz.toml", WORKLOADS)
        for name in spec.profiles:
            matrix.expand(spec, name)
    except ConfigError as exc:
        assert exc.message and "\n" not in exc.message


@fuzz("structured")
@given(
    profiles=st.dictionaries(_strings, _profile, max_size=3),
    defaults=_profile,
    version=st.sampled_from([1, 1, 1, 2, "1"]),
)
def test_structured_matrix_files(
    profiles: dict[str, dict[str, Any]], defaults: dict[str, Any], version: Any
) -> None:
    _parse_and_expand(_toml(profiles, defaults, version))


VALID = (
    'schema_version = 1\n[profiles.p]\nworkloads = ["mlp"]\nmodes = ["eager"]\n'
    'batch_sizes = [1, 10]\ndevices = ["cpu"]\n'
)


@fuzz("damaged")
@given(cut=st.integers(0, len(VALID)), noise=st.text(max_size=30))
def test_damaged_matrix_text(cut: int, noise: str) -> None:
    _parse_and_expand(VALID[:cut] + noise + VALID[cut:])


_case_keys = st.sampled_from(
    [
        "case_id",
        "workload",
        "mode",
        "batch_size",
        "device",
        "status",
        "reason",
        "median_s",
        "ci_low_s",
        "ci_high_s",
        "samples_s",
        "warnings",
        "phases_s",
        "worker",
        "gpu_state",
        "schema_version",
        "first_call_s",
        "traces",
        "flops_per_sample",
        "cov",
        "iqr_s",
    ]
)
_base_case = {
    "case_id": "mlp-eager-b1-cpu",
    "workload": "mlp",
    "mode": "eager",
    "batch_size": 1,
    "device": "cpu",
    "status": "ok",
    "median_s": 0.001,
    "ci_low_s": 0.0009,
    "ci_high_s": 0.0011,
    "samples_s": [0.001, 0.001, 0.0011],
    "schema_version": 1,
}


@fuzz("case")
@given(
    changes=st.dictionaries(_case_keys, _values, max_size=5), drop=st.sets(_case_keys, max_size=2)
)
def test_case_lines(changes: dict[str, Any], drop: set[str]) -> None:
    COUNTS["case"] += 1
    data = {k: v for k, v in {**_base_case, **changes}.items() if k not in drop}
    try:
        line = json.dumps(data, allow_nan=True)
    except (ValueError, OverflowError):
        return
    got = case_from_line(line, "cases.jsonl:1")
    assert isinstance(got, str) or got.case_id == data["case_id"]


@settings(max_examples=max(1, int(300 * SCALE)), deadline=None, database=None)
@given(changes=st.lists(st.dictionaries(_case_keys, _values, max_size=4), min_size=1, max_size=4))
def test_accepted_lines_render(changes: list[dict[str, Any]]) -> None:
    """Whatever the loader accepts, the report model builds a page from without raising."""
    from benchmarks.report.model import build_run_view
    from benchmarks.rundir.results import RunRecord

    COUNTS["view"] += 1
    cases = []
    for i, ch in enumerate(changes):
        got = case_from_line(
            json.dumps({**_base_case, "case_id": f"c{i}", **ch}, allow_nan=True), "x:1"
        )
        if not isinstance(got, str):
            cases.append(got)
    record = RunRecord(
        run_id="r",
        command=[],
        profile="p",
        matrix_source="m",
        matrix_digest="d",
        cases=[c.case_id for c in cases],
        devices=["cpu"],
        timing={},
        started_at="2026-01-01T00:00:00Z",
    )
    build_run_view(record, cases, {}, None, problems=(), probe_log=())


def test_zz_counts() -> None:
    """Runs last in this module: the fuzzers really ran their inputs."""
    total = COUNTS["matrix"] + COUNTS["case"]
    if total == 0:
        pytest.skip("run the whole module to count inputs")
    print(f"fuzz inputs: {COUNTS}")
    assert total >= 10_000 * min(SCALE, 1.0), COUNTS
