"""A user's model SPEC (``.keras`` file, SavedModel directory, ``pkg.module:function``), checked
without TensorFlow before any worker starts.

``resolve`` turns the text the user wrote into a ``ModelSpec``: the kind, the absolute path, the
id-safe workload name and the sha256 of the model's bytes (its identity in results). Every
problem is a ``ConfigError`` (exit 2) naming the SPEC, with a hint. What only TensorFlow can tell
(custom objects, an import error raised inside the user's module) ends as a ``failed`` cell.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import Any

from benchmarks.errors import ConfigError
from benchmarks.plan import savedmodel_sig

KINDS = ("keras", "savedmodel", "entry")
DEFAULT_SIGNATURE = "serving_default"
SPEC_HINT = "a SPEC is a .keras file, a SavedModel directory, or pkg.module:function"
SHAPE_HINT = "--input-shape NAME=12,16 (the sizes after the batch dimension) or --inputs FILE.npz"
_ENTRY_RE = re.compile(r"^([A-Za-z_][\w.]*):([A-Za-z_]\w*)$")


@dataclass(frozen=True)
class ModelSpec:
    """A checked SPEC. ``path``: the model file/directory, or for ``entry`` the import dir."""

    name: str
    kind: str
    source: str
    path: str
    target: str = ""  # entry: "pkg.module:function"
    signature: str = DEFAULT_SIGNATURE
    input_shapes: dict[str, list[int]] = field(default_factory=dict)
    inputs: str | None = None  # .npz with the user's own arrays
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def scrubbed(self, scrub: Callable[[str], str]) -> ModelSpec:
        """The SPEC as run.json keeps it: the home directory written ``~`` (see expand_home)."""
        return replace(
            self,
            source=scrub(self.source),
            path=scrub(self.path),
            inputs=scrub(self.inputs) if self.inputs else None,
        )

    def expand_home(self) -> ModelSpec:
        """Undo ``scrubbed`` for ``--resume``: ``~/models/x.keras`` -> the real path."""
        inputs = str(Path(self.inputs).expanduser()) if self.inputs else None
        return replace(self, path=str(Path(self.path).expanduser()), inputs=inputs)

    def identity(self) -> dict[str, Any]:
        """What results record about the model: no private path, only the file's name."""
        shown = self.target if self.kind == "entry" else Path(self.path).name
        out: dict[str, Any] = {"kind": self.kind, "source": shown, "sha256": self.sha256}
        if self.kind == "savedmodel":
            out["signature"] = self.signature
        return out


def workload_name(text: str) -> str:
    """An id-safe workload name: lower case letters, digits and ``_`` (case ids split on ``-``)."""
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")
    if not name:
        return "model"
    return f"m_{name}" if name[0].isdigit() else name


def parse_input_shapes(items: Iterable[str], where: str = "--input-shape") -> dict[str, list[int]]:
    """``["tokens=12", "img=32,32,3"]`` -> ``{"tokens": [12], "img": [32, 32, 3]}``."""
    out: dict[str, list[int]] = {}
    for item in items:
        name, eq, dims = item.partition("=")
        try:
            sizes = [int(d) for d in dims.split(",")] if eq and dims.strip() else []
        except ValueError:
            sizes = []
        if not name.strip() or not sizes or any(s <= 0 for s in sizes):
            raise ConfigError(
                f"{where} {item!r}: not NAME=SIZES", "e.g. --input-shape tokens=12 or img=32,32,3"
            )
        out[name.strip()] = sizes
    return out


def resolve(
    source: str,
    *,
    base_dir: Path,
    where: str = "--model",
    signature: str = DEFAULT_SIGNATURE,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    inputs: str | None = None,
    taken: Iterable[str] = (),
) -> ModelSpec:
    """Check ``source`` (relative paths are taken from ``base_dir``) and describe it."""
    label = f"{where} {source}"
    shapes = {k: list(v) for k, v in (input_shapes or {}).items()}
    npz = _inputs_file(inputs, base_dir, label) if inputs else None
    entry = _ENTRY_RE.match(source)
    path = Path(source) if Path(source).is_absolute() else base_dir / source
    if entry and not path.exists():
        spec = _entry(label, source, entry.group(1), entry.group(2), base_dir)
    elif not path.exists():
        raise ConfigError(f"{label}: no such file or directory", SPEC_HINT)
    elif path.is_dir():
        spec = _savedmodel(label, source, path.resolve(), signature, shapes, npz is not None)
    else:
        spec = _keras_file(label, source, path.resolve(), shapes, npz is not None)
    name = _unique(spec.name, set(taken))
    return ModelSpec(
        name=name,
        kind=spec.kind,
        source=source,
        path=spec.path,
        target=spec.target,
        signature=signature,
        input_shapes=shapes,
        inputs=npz,
        sha256=spec.sha256,
    )


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"


def _inputs_file(inputs: str, base_dir: Path, label: str) -> str:
    path = Path(inputs) if Path(inputs).is_absolute() else base_dir / inputs
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise ConfigError(
            f"{label}: --inputs {inputs}: not an .npz file",
            "write one with numpy.savez('inputs.npz', NAME=array, ...), one array per input",
        )
    return str(path.resolve())


def _keras_file(
    label: str, source: str, path: Path, shapes: Mapping[str, Sequence[int]], has_npz: bool
) -> ModelSpec:
    hint = "save the model with model.save('NAME.keras') (Keras 3 format)"
    if path.suffix in (".h5", ".hdf5"):
        raise ConfigError(f"{label}: legacy HDF5 files are not supported", hint)
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise ConfigError(f"{label}: not a Keras model (.keras zip file)", hint)
    with zipfile.ZipFile(path) as zf:
        if "config.json" not in zf.namelist():
            raise ConfigError(f"{label}: not a Keras model (no config.json inside)", hint)
        try:
            config = json.loads(zf.read("config.json"))
        except (ValueError, UnicodeDecodeError):
            raise ConfigError(f"{label}: its config.json is not JSON", hint) from None
    _check_shapes(label, keras_inputs(config), shapes, has_npz)
    return ModelSpec(workload_name(path.stem), "keras", source, str(path), sha256=_sha_file(path))


def keras_inputs(config: Any) -> dict[str, tuple[str, tuple[int | None, ...]]]:
    """The model's InputLayers (name -> dtype, batch shape) from a .keras config, when listed."""
    out: dict[str, tuple[str, tuple[int | None, ...]]] = {}
    layers = config.get("config", {}).get("layers", []) if isinstance(config, dict) else []
    for layer in layers if isinstance(layers, list) else []:
        if not isinstance(layer, dict) or layer.get("class_name") != "InputLayer":
            continue
        cfg = layer.get("config", {})
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        if isinstance(shape, list):
            dtype = cfg.get("dtype", "float32")
            out[str(cfg.get("name", "input"))] = (str(dtype), tuple(shape))
    return out


def _savedmodel(
    label: str,
    source: str,
    path: Path,
    signature: str,
    shapes: Mapping[str, Sequence[int]],
    has_npz: bool,
) -> ModelSpec:
    pb = path / "saved_model.pb"
    hint = "export one with tf.saved_model.save(obj, DIR, signatures=...)"
    if not pb.is_file():
        raise ConfigError(f"{label}: not a SavedModel (no saved_model.pb in the directory)", hint)
    try:
        sigs = savedmodel_sig.signatures(pb.read_bytes())
    except savedmodel_sig.ProtoError as exc:
        raise ConfigError(f"{label}: saved_model.pb cannot be read ({exc})", hint) from None
    if signature not in sigs:
        have = ", ".join(sorted(k for k in sigs if not k.startswith("__"))) or "none"
        raise ConfigError(
            f"{label}: no signature {signature!r} (it has: {have})",
            "pass --signature NAME" if sigs else hint,
        )
    inputs = {k: (v.dtype, v.shape) for k, v in sigs[signature].inputs.items()}
    _check_shapes(label, inputs, shapes, has_npz)
    return ModelSpec(
        workload_name(path.name), "savedmodel", source, str(path), sha256=_sha_dir(path)
    )


def _check_shapes(
    label: str,
    inputs: Mapping[str, tuple[str, tuple[int | None, ...] | None]],
    shapes: Mapping[str, Sequence[int]],
    has_npz: bool,
) -> None:
    unknown = sorted(set(shapes) - set(inputs))
    if unknown and inputs:
        raise ConfigError(
            f"{label}: --input-shape {unknown[0]}: the model has no input of that name",
            f"its inputs: {', '.join(sorted(inputs))}",
        )
    if has_npz:
        return
    for name, (_dtype, shape) in sorted(inputs.items()):
        if name in shapes:
            continue
        if shape is None or any(d is None for d in shape[1:]):
            shown = "unknown rank" if shape is None else _show(shape)
            raise ConfigError(
                f"{label}: input {name!r} has an unknown dimension ({shown})",
                SHAPE_HINT.replace("NAME", name),
            )


def _show(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"


def _entry(label: str, source: str, module: str, function: str, base_dir: Path) -> ModelSpec:
    search = [str(base_dir), *sys.path]
    spec = _find_module(module, search)
    hint = "run from the directory that holds it, or add that directory to PYTHONPATH"
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        raise ConfigError(f"{label}: cannot import {module!r}: no such module", hint)
    origin = Path(spec.origin)
    try:
        tree = ast.parse(origin.read_bytes(), filename=origin.name)
    except SyntaxError as exc:
        raise ConfigError(
            f"{label}: cannot import {module!r}: syntax error at {origin.name}:{exc.lineno}",
            "fix the module so that 'python -c \"import " + module + "\"' works",
        ) from None
    if function not in _top_level_names(tree):
        raise ConfigError(
            f"{label}: module {module!r} defines no {function!r}",
            f"define def {function}(batch_size, seed) returning a Keras model, "
            "(callable, input spec) or a benchmarks.Workload",
        )
    import_dir = Path(spec.origin).parents[module.count(".") + (origin.stem == "__init__")]
    return ModelSpec(
        workload_name(function),
        "entry",
        source,
        str(import_dir.resolve()),
        target=source,
        sha256=_sha_file(origin),
    )


def _find_module(module: str, search: list[str]) -> ModuleSpec | None:
    """Locate ``a.b.c`` on ``search`` without importing (and so running) any of it."""
    spec: ModuleSpec | None = None
    paths: list[str] | None = search
    parts = module.split(".")
    for i in range(len(parts)):
        if paths is None:
            return None
        spec = PathFinder.find_spec(".".join(parts[: i + 1]), paths)
        if spec is None:
            return None
        locations = spec.submodule_search_locations
        paths = list(locations) if locations is not None else None
    return spec


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.AnnAssign,)) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha_dir(path: Path) -> str:
    """Over every file's relative path and bytes, in sorted order (a SavedModel is a tree)."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0")
        h.update(_sha_file(f).encode())
    return h.hexdigest()
