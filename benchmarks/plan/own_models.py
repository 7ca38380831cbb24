"""User models in a plan: ``[workloads.NAME]`` tables of a matrix file and ``run --model SPEC``.

``parse_table`` is pure (it validates the TOML values); ``resolve`` checks each SPEC on disk
with ``model_spec.resolve`` (paths relative to the matrix file, or to the current directory for
``--model``). The result maps workload name -> ``ModelSpec``; built-in names are never reused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.errors import ConfigError
from benchmarks.plan import limits, model_spec
from benchmarks.plan.model_spec import DEFAULT_SIGNATURE, ModelSpec

_KEYS = ("model", "signature", "input_shape", "inputs")
_NAME_RE = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class ModelEntry:
    """One ``[workloads.NAME]`` table (or one ``--model``), not yet checked on disk."""

    name: str | None  # None: derive it from the SPEC (``--model``)
    source: str
    where: str
    signature: str = DEFAULT_SIGNATURE
    input_shapes: Mapping[str, Sequence[int]] = field(default_factory=dict)
    inputs: str | None = None


def parse_table(raw: Any, source: str, builtins: Iterable[str]) -> tuple[ModelEntry, ...]:
    where = f"{source}: workloads"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table", "e.g. [workloads.mine] model = 'm.keras'")
    taken = set(builtins)
    entries = []
    limits.check_models(len(raw), where)
    for name, table in raw.items():
        at = f"{where}.{name}"
        limits.check_model_name(name, at)
        if not _NAME_RE.match(name):
            raise ConfigError(
                f"{at}: workload names are lower case letters, digits and _",
                "case ids split on '-', e.g. [workloads.my_model]",
            )
        if name in taken:
            raise ConfigError(f"{at}: {name!r} is a built-in workload", "choose another name")
        if not isinstance(table, dict) or not isinstance(table.get("model"), str):
            raise ConfigError(f'{at}: needs model = "SPEC"', model_spec.SPEC_HINT)
        limits.check_text(table["model"], f"{at}.model")
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ConfigError(f"{at}: unknown key {unknown[0]!r}", f"allowed: {', '.join(_KEYS)}")
        entries.append(
            ModelEntry(
                name=name,
                source=table["model"],
                where=f"{at}.model",
                signature=_str(table, "signature", at) or DEFAULT_SIGNATURE,
                input_shapes=_shapes(table.get("input_shape", {}), at),
                inputs=_str(table, "inputs", at),
            )
        )
    return tuple(entries)


def _str(table: Mapping[str, Any], key: str, at: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{at}.{key}: must be a string, got {value!r}", "quote the value")
    if value is not None:
        limits.check_text(value, f"{at}.{key}")
    return value


def _shapes(raw: Any, at: str) -> dict[str, list[int]]:
    hint = "e.g. input_shape = { tokens = [128] } (the sizes after the batch dimension)"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}.input_shape: must be a table", hint)
    out: dict[str, list[int]] = {}
    for name, dims in raw.items():
        ok = (
            isinstance(dims, list)
            and dims
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims)
        )
        if not ok:
            raise ConfigError(f"{at}.input_shape.{name}: must be a list of sizes >= 1", hint)
        limits.check_input_shape(len(raw), dims, max(dims), f"{at}.input_shape.{name}")
        out[name] = list(dims)
    return out


def resolve(
    entries: Iterable[ModelEntry], base_dir: Path, builtins: Iterable[str]
) -> dict[str, ModelSpec]:
    """Check every entry's SPEC; names from SPECs are made unique against all others."""
    entries = tuple(entries)
    taken = set(builtins) | {e.name for e in entries if e.name}
    out: dict[str, ModelSpec] = {}
    for e in entries:
        spec = model_spec.resolve(
            e.source,
            base_dir=base_dir,
            where=e.where,
            signature=e.signature,
            input_shapes=e.input_shapes,
            inputs=e.inputs,
            taken=taken - ({e.name} if e.name else set()),
        )
        if e.name:
            spec = ModelSpec.from_dict({**spec.to_dict(), "name": e.name})
        taken.add(spec.name)
        out[spec.name] = spec
    return out


def from_flags(
    sources: Sequence[str],
    signature: str | None,
    input_shapes: Sequence[str],
    inputs: str | None,
    taken: Iterable[str],
) -> dict[str, ModelSpec]:
    """``run --model SPEC`` (paths from the current directory) with --signature/--input-shape
    and --inputs; those three without a ``--model`` are a usage error."""
    if not sources:
        for flag, value in (
            ("--signature", signature),
            ("--input-shape", input_shapes),
            ("--inputs", inputs),
        ):
            if value:
                raise ConfigError(f"{flag} applies to --model SPEC", "add --model SPEC")
        return {}
    shapes = model_spec.parse_input_shapes(input_shapes)
    entries = [
        ModelEntry(None, source, "--model", signature or DEFAULT_SIGNATURE, shapes, inputs)
        for source in sources
    ]
    return resolve(entries, Path.cwd(), taken)
