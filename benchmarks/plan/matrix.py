"""The benchmark matrix: parse a TOML file, validate it, expand a profile into cases.

Pure: ``parse`` takes text, ``expand`` takes the parsed spec; only ``load`` reads a file. Every
problem becomes a ``ConfigError`` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.errors import ConfigError
from benchmarks.plan import limits
from benchmarks.rundir.userfile import MATRIX_MAX_BYTES, read_bytes_bounded

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from benchmarks.plan import names, own_models
from benchmarks.plan.names import CALL_PATHS, DEFAULT_CALL, MODES
from benchmarks.plan.names import DEVICE_RE as _DEVICE_RE
from benchmarks.plan.own_models import ModelEntry

SCHEMA_VERSION = 1
_TIMING_KEYS = (
    "rounds",
    "blocks",
    "processes",
    "min_block_s",
    "warmup_s",
    "warmup_calls",
    "timeout_s",
    "time_cap_s",
)
_AXIS_KEYS = ("workloads", "modes", "calls", "batch_sizes", "devices", "exclude")
_EXCLUDE_KEYS = ("workload", "mode", "call", "batch_size", "device")


@dataclass(frozen=True)
class Timing:
    """How one cell is measured (see docs/measuring.md and research/timing-method.md)."""

    blocks: int = 11  # rounds per process: each mode times one block per round (key "rounds")
    min_block_s: float = 0.08
    warmup_s: float = 0.2
    warmup_calls: int = 10
    timeout_s: float = 300.0
    processes: int = 1  # fresh worker processes, one pass over the plan each
    time_cap_s: float = 30.0  # --target-ci: most time a group's rounds take in one process
    target_ci: float | None = None  # --target-ci as a fraction (0.05 = +-5 %); None: off


@dataclass(frozen=True, order=True)
class Case:
    """One matrix cell."""

    workload: str
    mode: str
    batch_size: int
    device: str  # normalised: "cpu", "gpu:0", "gpu:1", ...
    call: str = DEFAULT_CALL  # the call path (names.CALL_PATHS)

    @property
    def case_id(self) -> str:
        return names.case_id(self.workload, self.mode, self.batch_size, self.device, self.call)

    @property
    def group_id(self) -> str:
        """The cell group this case is measured in (``names.group_id``): ``mlp-*-b100-cpu``."""
        return names.group_id(self.workload, self.batch_size, self.device, self.call)

    @property
    def series(self) -> str:
        """What results group by: the workload, with ``.call`` for a non-default call path."""
        return names.series(self.workload, self.call)

    @property
    def is_gpu(self) -> bool:
        return self.device.startswith("gpu")


@dataclass(frozen=True)
class Profile:
    name: str
    workloads: tuple[str, ...]
    modes: tuple[str, ...]
    batch_sizes: tuple[int, ...]
    devices: tuple[str, ...]
    exclude: tuple[Mapping[str, Any], ...] = ()
    timing: Timing = field(default_factory=Timing)
    calls: tuple[str, ...] = (DEFAULT_CALL,)


@dataclass(frozen=True)
class MatrixSpec:
    source: str
    digest: str
    profiles: Mapping[str, Profile]
    models: tuple[ModelEntry, ...] = ()  # [workloads.NAME] tables, checked by the session


@dataclass(frozen=True)
class Plan:
    """What a run will measure: the expanded, filtered cases of one profile."""

    profile: str
    source: str
    digest: str
    timing: Timing
    cases: tuple[Case, ...]


def normalize_device(text: str, where: str = "--device") -> str:
    m = _DEVICE_RE.match(text.strip().lower())
    if not m:
        raise ConfigError(
            f"{where}: unknown device {text!r}",
            "allowed: cpu, gpu, gpu:N (N = 0, 1, ...)",
        )
    kind, index = m.group(1), m.group(2)
    if kind == "cpu":
        if index not in (None, "0"):
            raise ConfigError(f"{where}: unknown device {text!r}", "there is one CPU device: cpu")
        return "cpu"
    return f"gpu:{int(index or 0)}"


def parse_devices(text: str) -> tuple[str, ...]:
    """``"cpu,gpu"`` -> ``("cpu", "gpu:0")``; order kept, duplicates dropped."""
    out: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        dev = normalize_device(part)
        if dev not in out:
            out.append(dev)
    if not out:
        raise ConfigError("--device: no device given", "e.g. --device cpu or --device cpu,gpu")
    return tuple(out)


def parse_calls(text: str) -> tuple[str, ...]:
    """``--call call,predict`` -> ``("call", "predict")``; order kept, duplicates dropped."""
    calls = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    bad = [c for c in calls if c not in CALL_PATHS]
    if bad or not calls:
        raise ConfigError(
            f"--call: unknown call path {bad[0]!r}" if bad else "--call: no call path given",
            f"allowed: {', '.join(CALL_PATHS)} (comma-separated)",
        )
    return calls


def parse(text: str, source: str, known_workloads: Iterable[str]) -> MatrixSpec:
    """Parse and validate matrix TOML text; ``source`` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply", "a matrix file is flat tables") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{source}: malformed TOML: {exc}", "fix the syntax at the line and column named"
        ) from None
    known = tuple(known_workloads)
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: schema_version {version!r} is not supported",
            f"this graphbench reads schema_version = {SCHEMA_VERSION}",
        )
    unknown_top = set(data) - {"schema_version", "defaults", "profiles", "workloads"}
    if unknown_top:
        raise ConfigError(
            f"{source}: unknown top-level key {sorted(unknown_top)[0]!r}",
            "allowed: schema_version, [defaults], [workloads.NAME], [profiles.NAME]",
        )
    models = own_models.parse_table(data.get("workloads", {}), source, known)
    known = (*known, *(str(m.name) for m in models))
    defaults = _table(data.get("defaults", {}), f"{source}: defaults")
    profiles_raw = _table(data.get("profiles", {}), f"{source}: profiles")
    if not profiles_raw:
        raise ConfigError(f"{source}: no [profiles.NAME] table", "define at least one profile")
    limits.check_profiles(profiles_raw, source)
    for name in profiles_raw:
        limits.check_profile_name(name, source)
    profiles = {
        name: _profile(
            name,
            _inherit(defaults, _table(raw, f"{source}: profiles.{name}")),
            source,
            known,
        )
        for name, raw in profiles_raw.items()
    }
    digest = hashlib.sha256(text.encode()).hexdigest()
    return MatrixSpec(source=source, digest=digest, profiles=profiles, models=models)


def load(path: Path, known_workloads: Iterable[str]) -> MatrixSpec:
    raw = read_bytes_bounded(path, MATRIX_MAX_BYTES, "matrix file")  # missing, unreadable, big
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read matrix file: {exc}", "pass a UTF-8 TOML file"
        ) from None
    return parse(text, str(path), known_workloads)


def expand(
    spec: MatrixSpec,
    profile: str,
    devices: Sequence[str] | None = None,
    only: Sequence[str] = (),
    workloads: Sequence[str] | None = None,
    calls: Sequence[str] | None = None,
) -> Plan:
    """Expand ``profile`` into cases; ``devices``, ``workloads`` and ``calls`` override the
    profile's (``run --device/--model/--call``), ``only`` are globs over case ids."""
    if profile not in spec.profiles:
        raise ConfigError(
            f"{spec.source}: no profile {profile!r}",
            f"allowed: {', '.join(sorted(spec.profiles))}",
        )
    p = spec.profiles[profile]
    if devices:
        p = replace(p, devices=tuple(devices))
    if workloads:
        p = replace(p, workloads=tuple(workloads))
    if calls:
        p = replace(p, calls=tuple(calls))
    cases = [
        Case(w, m, b, d, c)
        for d in p.devices
        for w in p.workloads
        for c in p.calls
        for b in p.batch_sizes
        for m in p.modes
        if not any(_excluded(rule, Case(w, m, b, d, c)) for rule in p.exclude)
    ]
    limits.check_not_emptied(len(cases), profile, spec.source)
    limits.check_cell_count(len(cases), profile, spec.source)
    if only:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.case_id, g) for g in only)]
        if not cases:
            raise ConfigError(
                f"--only {' '.join(only)}: matches no case of profile {profile!r}",
                "case ids look like mlp-graph-b100-cpu; globs like 'mlp-*-cpu' work",
            )
    return Plan(profile, spec.source, spec.digest, p.timing, tuple(cases))


def _excluded(rule: Mapping[str, Any], case: Case) -> bool:
    return all(getattr(case, k) == v for k, v in rule.items())


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}: must be a table", "see benchmarks/plan/matrix.toml for the format"
        )
    return value


def _profile(name: str, raw: dict[str, Any], source: str, known: tuple[str, ...]) -> Profile:
    where = f"{source}: profiles.{name}"
    unknown = set(raw) - set(_AXIS_KEYS) - set(_TIMING_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {sorted(unknown)[0]!r}",
            f"allowed: {', '.join(_AXIS_KEYS + _TIMING_KEYS)}",
        )
    for key in ("workloads", "modes", "batch_sizes", "devices"):
        if key not in raw:
            raise ConfigError(f"{where}: missing {key!r}", f"set {key} here or in [defaults]")
    workloads = _str_list(raw["workloads"], f"{where}.workloads", allowed=known)
    modes = _str_list(raw["modes"], f"{where}.modes", allowed=MODES)
    calls = _str_list(raw.get("calls", [DEFAULT_CALL]), f"{where}.calls", allowed=CALL_PATHS)
    batch_sizes = _batch_sizes(raw["batch_sizes"], f"{where}.batch_sizes")
    devices = tuple(
        normalize_device(d, f"{where}.devices[{i}]")
        for i, d in enumerate(_str_list(raw["devices"], f"{where}.devices"))
    )
    exclude = tuple(
        _exclude_rule(r, f"{where}.exclude[{i}]", known)
        for i, r in enumerate(_list(raw.get("exclude", []), f"{where}.exclude"))
    )
    return Profile(
        name, workloads, modes, batch_sizes, devices, exclude, _timing(raw, where), calls
    )


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or (not value and not where.endswith("exclude")):
        raise ConfigError(f"{where}: must be a non-empty list", "e.g. [1, 10, 100]")
    limits.check_list_length(where.rsplit(".", 1)[-1], value, where)
    return value


def _str_list(value: Any, where: str, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
    items = _list(value, where)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{where}[{i}]: must be a string, got {item!r}", "quote the value")
        if allowed is not None and item not in allowed:
            raise ConfigError(
                f"{where}[{i}]: unknown value {item!r}", f"allowed: {', '.join(allowed)}"
            )
    return tuple(dict.fromkeys(items))


def _batch_sizes(value: Any, where: str) -> tuple[int, ...]:
    items = _list(value, where)
    for i, b in enumerate(items):
        if isinstance(b, bool) or not isinstance(b, int) or b <= 0:
            raise ConfigError(
                f"{where}[{i}]: batch size must be a positive integer, got {b!r}",
                "use whole numbers >= 1, e.g. [1, 10, 100]",
            )
        limits.check_batch_size(b, f"{where}[{i}]")
    return tuple(dict.fromkeys(items))


def _exclude_rule(raw: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
    rule = _table(raw, where)
    bad = set(rule) - set(_EXCLUDE_KEYS)
    if bad or not rule:
        raise ConfigError(
            f"{where}: unknown key {sorted(bad)[0]!r}" if bad else f"{where}: empty rule",
            f"allowed: {', '.join(_EXCLUDE_KEYS)}",
        )
    if "workload" in rule:
        _str_list([rule["workload"]], f"{where}.workload", allowed=known)
    if "mode" in rule:
        _str_list([rule["mode"]], f"{where}.mode", allowed=MODES)
    if "call" in rule:
        _str_list([rule["call"]], f"{where}.call", allowed=CALL_PATHS)
    if "batch_size" in rule:
        _batch_sizes([rule["batch_size"]], f"{where}.batch_size")
    if "device" in rule:
        rule = {**rule, "device": normalize_device(str(rule["device"]), f"{where}.device")}
    return rule


def _inherit(defaults: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """The profile's keys over the defaults'; ``blocks`` (the older name of ``rounds``) set in
    the profile replaces a default ``rounds`` and the other way round."""
    base = dict(defaults)
    for new, old in (("rounds", "blocks"), ("blocks", "rounds")):
        if new in profile:
            base.pop(old, None)
    return {**base, **profile}


def _timing(raw: dict[str, Any], where: str) -> Timing:
    t = Timing()
    values: dict[str, Any] = {}
    if "rounds" in raw and "blocks" in raw:
        raise ConfigError(
            f"{where}: both 'rounds' and 'blocks' are set",
            "they are one setting ('blocks' is its older name); keep 'rounds'",
        )
    for key in _TIMING_KEYS:
        if key not in raw:
            continue
        v = raw[key]
        field_name = "blocks" if key == "rounds" else key
        default = getattr(t, field_name)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
        if isinstance(default, int) and not isinstance(v, int):
            ok = False
        if not ok:
            kind = "a positive integer" if isinstance(default, int) else "a positive number"
            raise ConfigError(f"{where}.{key}: must be {kind}, got {v!r}", f"default is {default}")
        limits.check_timing_value(key, v, where)  # rounds/blocks: at least 3 (limits.py)
        values[field_name] = float(v) if isinstance(default, float) else v
    return replace(t, **values)


def default_matrix_path() -> Path:
    return Path(__file__).with_name("matrix.toml")
