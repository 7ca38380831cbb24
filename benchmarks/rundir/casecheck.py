"""Shape checks of one cases.jsonl object against the ``CaseResult`` field types. Pure.

A line is data from disk (a hand edit, another tool, a damaged file): ``"batch_size": "ten"``
or a list as ``workload`` must be refused *here*, with the field named, not crash the report
three modules later. The checks are derived from the dataclass's own annotations, so a field
added to the schema is checked as soon as its type is one of those below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from functools import lru_cache
from typing import Any


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str_map(v: Any) -> bool:
    return isinstance(v, Mapping) and all(isinstance(k, str) for k in v)


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "str | None": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "int": (_int, "a whole number"),
    "int | None": (lambda v: v is None or _int(v), "a whole number or null"),
    "float | None": (lambda v: v is None or _number(v), "a finite number or null"),
    "float": (_number, "a finite number"),
    "list[float]": (lambda v: isinstance(v, list) and all(map(_number, v)), "a list of numbers"),
    "list[dict[str, str]]": (
        lambda v: (
            isinstance(v, list)
            and all(_str_map(w) and all(isinstance(x, str) for x in w.values()) for w in v)
        ),
        "a list of {code, detail} objects",
    ),
    "dict[str, float]": (
        lambda v: _str_map(v) and all(map(_number, v.values())),
        "an object of numbers",
    ),
    "dict[str, Any]": (_str_map, "an object"),
    "dict[str, str]": (
        lambda v: _str_map(v) and all(isinstance(x, str) for x in v.values()),
        "an object of strings",
    ),
    "list[str]": (
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "a list of strings",
    ),
    "list[dict[str, Any]]": (
        lambda v: isinstance(v, list) and all(map(_str_map, v)),
        "a list of objects",
    ),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "dict[str, Any] | None": (lambda v: v is None or _str_map(v), "an object or null"),
}
# Beyond the type: values the report computes with.
_POSITIVE = ("batch_size",)
_NON_EMPTY = ("case_id", "workload", "mode", "device", "status")


_Check = tuple[str, Callable[[Any], bool], str] | tuple[str, None, str]


@lru_cache(maxsize=8)
def _plan(result_type: type) -> tuple[_Check, ...]:
    """Per field of the dataclass: its name, its type's check and the words for it (derived
    once per type: a report reads thousands of lines)."""
    out: list[_Check] = []
    for f in fields(result_type):
        check = _CHECKS.get(str(f.type))
        out.append((f.name, check[0], check[1]) if check else (f.name, None, ""))
    return tuple(out)


def problem(data: Mapping[str, Any], result_type: type) -> str | None:
    """What is wrong with ``data`` as a ``result_type`` line (first problem), or None."""
    for name, check, words in _plan(result_type):
        if name not in data:
            continue
        value = data[name]
        if check is not None and not check(value):
            return f"field {name!r} must be {words}, got {_show(value)}"
        if name in _POSITIVE and _int(value) and value < 1:
            return f"field {name!r} must be >= 1, got {value!r}"
        if name in _NON_EMPTY and not value:
            return f"field {name!r} is empty"
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
