"""One cell group in one worker: build, prepare every mode, then time them in paired rounds.

A group is the modes of one (workload, call path, batch size, device). Each mode gets its first call
(trace/compile), warm-up, trace check and calibration on its own; then ``timing.interleave``
times one block of every mode per round, the order rotating from round to round. A mode that
raises (an XLA compile error, an OOM) becomes that mode's ``failed``/``oom`` result and the others
go on; a crash ends the process, and the ``step`` events this module emits before every phase
tell the runner which mode was running. TF-bound: imports TensorFlow lazily.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from benchmarks import stats
from benchmarks.plan.matrix import Timing
from benchmarks.plan.names import DEFAULT_CALL
from benchmarks.worker import callpaths, modes, prepare
from benchmarks.worker.timing import Prepared, interleave
from benchmarks.worker.timing import prepare as prepare_timing
from benchmarks.worker.workloads.base import Workload

OUTPUT_ATOL = 1e-4
OUTPUT_RTOL = 1e-3

Emit = Callable[[dict[str, Any]], None]
References = dict[tuple[str, int, str], Any]


def run_group(
    cases: Sequence[Mapping[str, Any]],
    timing: Timing,
    seed: int,
    references: References,
    emit: Emit,
    *,
    offset: int = 0,
    model: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Measure the modes of one group; one raw result per mode (never raises for a mode).

    ``model`` is the user's model SPEC (``plan.model_spec.ModelSpec`` as a dict) for a workload
    that is not built in. A call path that does not apply ends a mode ``skipped`` with
    ``not_applicable``; the group's other modes are still measured.
    """
    import tensorflow as tf

    first = cases[0]
    order = [str(c["mode"]) for c in cases]
    results: dict[str, dict[str, Any]] = {
        m: {"status": "ok", "reason": None, "phases_s": {}} for m in order
    }
    ready: dict[str, tuple[callpaths.Prepared, Prepared]] = {}
    # ``call`` wraps the model per mode and may share one build; the Keras paths compile() the
    # model itself for their mode, so each mode needs its own (callpaths.shares_workload)
    shareable = callpaths.shares_workload(prepare.call_of(first))
    shared: Workload | None = None
    with tf.device(modes.tf_device(first["device"])):
        for case in cases:
            mode = str(case["mode"])
            emit({"event": "step", "mode": mode, "phase": "setup"})
            res = results[mode]
            try:
                t = time.perf_counter()
                built = shared or prepare.build(case, model, seed)
                # a stateful workload (a training step) changes its variables: each mode gets
                # its own copy, so every mode's first call starts from the same weights
                shared = built if shareable and not built.stateful else None
                res["flops_per_sample"], res["model"] = prepare.describe(built, case, model)
                wrapped = callpaths.prepare(built, mode, prepare.call_of(case))
                ready[mode] = (wrapped, _prepare(wrapped, timing, res, t))
                _check_output(
                    res, wrapped, ready[mode][1].first_output, case, seed, references, model
                )
            except callpaths.NotApplicable as exc:
                res.update(status="skipped", reason=str(exc), not_applicable=True)
                ready.pop(mode, None)
            except Exception as exc:
                res.update(status=_status(exc), reason=reason(exc))
                ready.pop(mode, None)
        rounds = interleave(
            {m: ready[m][0].call for m in ready},
            {m: ready[m][1].iters_per_block for m in ready},
            modes.sync,
            timing,
            offset=offset,
            before_block=lambda m, _r: emit({"event": "step", "mode": m, "phase": "round"}),
            precise_enough=_precise_enough(timing),
            warm_rounds=1,
        )
    for mode, (wrapped, _p) in ready.items():
        res = results[mode]
        res["samples_s"] = rounds.samples_s[mode]
        res["phases_s"]["measure"] = rounds.measure_s[mode]
        res["phases_s"]["warmup"] += rounds.warm_s[mode]
        res["stop"] = rounds.stop
        res["traces"] = wrapped.traces()
        if mode in rounds.failed:
            raised = rounds.failed[mode]
            res.update(status=_status(raised), reason=reason(raised))
    return results


def _prepare(
    wrapped: callpaths.Prepared, timing: Timing, res: dict[str, Any], started: float
) -> Prepared:
    """One mode under its call path: first call, warm-up, trace check, calibration."""
    res["phases_s"]["build"] = time.perf_counter() - started
    traces: list[int | None] = []

    def check() -> None:
        traces.append(wrapped.traces())

    p = prepare_timing(wrapped.call, modes.sync, timing, after_warmup=check)
    res["phases_s"].update(
        first_call=p.first_call_s, warmup=p.warmup_s, calibration=p.calibration_s
    )
    res.update(
        iters_per_block=p.iters_per_block,
        first_call_s=p.first_call_s,
        traces_after_warmup=traces[0] if traces else None,
    )
    return p


def _status(exc: BaseException) -> str:
    import tensorflow as tf

    return "oom" if isinstance(exc, (tf.errors.ResourceExhaustedError, MemoryError)) else "failed"


def _check_output(
    res: dict[str, Any],
    wrapped: callpaths.Prepared,
    output: Any,
    case: Mapping[str, Any],
    seed: int,
    references: References,
    model: Mapping[str, Any] | None,
) -> None:
    """Placement (a GPU cell that ran on the CPU fails) and agreement with the eager output.

    The Keras predict paths hand back NumPy arrays on the host: no device to check there.
    """
    import numpy as np

    device = case["device"]
    if wrapped.host_output:
        res["output_device"] = "host (NumPy)"  # numpy 2 arrays report device "cpu"
    else:
        out_device = modes.output_device(callpaths.first_leaf(output))
        res["output_device"] = out_device
        if not modes.on_device(out_device, device):
            res["status"] = "failed"
            res["reason"] = (
                f"silent CPU fallback: output tensor is on {out_device or 'an unknown device'}, "
                f"not on {modes.tf_device(device)}"
            )
            res["fallback"] = True
    value = callpaths.flat_output(output)
    key = (str(case["workload"]), int(case["batch_size"]), device)
    if key not in references:
        plain = case["mode"] == "eager" and prepare.call_of(case) == DEFAULT_CALL
        references[key] = value if plain else eager_reference(case, seed, model)
    ref = references[key]
    diff = float(np.max(np.abs(value - ref))) if value.size else 0.0
    res["max_abs_diff"] = diff
    res["output_match"] = bool(np.allclose(value, ref, rtol=OUTPUT_RTOL, atol=OUTPUT_ATOL))


def eager_reference(case: Mapping[str, Any], seed: int, model: Mapping[str, Any] | None) -> Any:
    """First-call output of a freshly built workload called eagerly, flattened (same seed)."""
    import tensorflow as tf

    with tf.device(modes.tf_device(case["device"])):
        return prepare.reference(case, model, seed)


def _precise_enough(timing: Timing) -> Callable[[Mapping[str, Sequence[float]]], bool] | None:
    """--target-ci within one process: every eager/mode round-ratio CI (or, without eager,
    every mode's median CI) has a half-width of at most ``timing.target_ci``."""
    target = timing.target_ci
    if target is None:
        return None

    def check(samples: Mapping[str, Sequence[float]]) -> bool:
        eager = samples.get("eager")
        others = [m for m in samples if m != "eager"]
        if eager and others:
            series = [stats.paired_ratios([eager], [samples[m]])[0] for m in others]
        else:
            series = [list(v) for v in samples.values()]
        for values in series:
            if len(values) < 2:
                return False
            lo, hi = stats.bootstrap_ci(values, resamples=500)
            if stats.half_width(statistics.median(values), lo, hi) > target:
                return False
        return True

    return check


def reason(exc: BaseException) -> str:
    """First line of the exception, without TF's ``{{function_node ...}}`` wrapper noise."""
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", str(exc)).strip().splitlines()
    first = next((ln for ln in text if ln.strip()), "")
    return f"{type(exc).__name__}: {first[:400]}"
