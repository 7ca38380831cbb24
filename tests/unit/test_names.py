"""Case ids with call paths: default ids unchanged, others formatted and parsed in one place."""

from __future__ import annotations

import pytest

from benchmarks.plan import names


def test_default_call_path_keeps_the_old_case_id() -> None:
    assert names.case_id("mlp", "graph", 100, "cpu") == "mlp-graph-b100-cpu"
    assert names.case_id("mlp", "graph", 100, "cpu", "call") == "mlp-graph-b100-cpu"


@pytest.mark.parametrize("call", ["predict", "predict_on_batch"])
def test_other_call_paths_round_trip(call: str) -> None:
    cid = names.case_id("embed_v2", "xla", 32, "gpu:1", call)
    assert cid == f"embed_v2.{call}-xla-b32-gpu1"
    parsed = names.parse_case_id(cid)
    assert parsed == (f"embed_v2.{call}", "xla", 32, "gpu:1")
    assert names.split_series(parsed[0]) == ("embed_v2", call)


def test_split_series_leaves_plain_workloads_alone() -> None:
    assert names.split_series("mlp_raw") == ("mlp_raw", "call")
    assert names.split_series("a.b") == ("a.b", "call")  # not a call path
    assert names.series("mlp", "call") == "mlp"


def test_a_group_id_is_the_glob_of_its_modes_case_ids() -> None:
    assert names.group_id("mlp", 100, "cpu") == "mlp-*-b100-cpu"
    assert names.group_id("lstm", 32, "gpu:1", "predict") == "lstm.predict-*-b32-gpu1"
