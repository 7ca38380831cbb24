"""What one cell calls: its workload (a built-in, or the user's model from its SPEC) under the
cell's call path and mode, the eager reference output, and the model's identity.

The runner sends ``"model"`` (a ``ModelSpec`` as a dict) with a cell of a user's workload; a
built-in comes from the registry. TF-bound: used by the worker only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks.plan.model_spec import ModelSpec
from benchmarks.plan.names import DEFAULT_CALL
from benchmarks.worker import callpaths, identity, workloads
from benchmarks.worker.workloads import from_spec
from benchmarks.worker.workloads.base import Workload

_FLOPS: dict[tuple[str, str, int], int | None] = {}  # (workload, sha256, batch) -> profiled


def build(case: Mapping[str, Any], model: Mapping[str, Any] | None, seed: int) -> Workload:
    batch = int(case["batch_size"])
    if model:
        return from_spec.build(ModelSpec.from_dict(model), batch, seed)
    return workloads.build(str(case["workload"]), batch, seed)


def call_of(case: Mapping[str, Any]) -> str:
    return str(case.get("call") or DEFAULT_CALL)


def reference(case: Mapping[str, Any], model: Mapping[str, Any] | None, seed: int) -> Any:
    """The first output of a freshly built workload called eagerly, ``fn(*args)``, flattened."""
    built = build(case, model, seed)
    return callpaths.flat_output(built.fn(*built.args))


def describe(
    built: Workload, case: Mapping[str, Any], model: Mapping[str, Any] | None
) -> tuple[int | None, dict[str, Any] | None]:
    """(FLOPs per sample, the ``model`` identity of the result) for one built workload."""
    spec = ModelSpec.from_dict(model) if model else None
    flops = built.flops_per_sample
    source = "workload" if flops is not None else None
    if flops is None:
        batch = int(case["batch_size"])
        key = (str(case["workload"]), spec.sha256 if spec else "", batch)
        if key not in _FLOPS:
            _FLOPS[key] = identity.profiled_flops(built.fn, built.args, batch)
        flops = _FLOPS[key]
        source = "profiler" if flops is not None else None
    if spec is None and built.model is None:
        return flops, None
    described = identity.describe(built, spec.identity() if spec else None)
    described["flops_from"] = source
    return flops, described
