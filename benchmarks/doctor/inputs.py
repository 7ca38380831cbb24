"""What ``diagnose --log`` accepts, turned into the plain log text the rules read (pure).

- a plain log (probe.log, a TensorFlow stderr, a paste from a thread);
- a ``docker run`` transcript: the ``$ docker run ...`` line and the engine's messages are
  plain text already; only the pull progress (``<layer>: Pull complete``) is dropped;
- a Jupyter notebook (``.ipynb``, nbformat 4): each code cell becomes its source as ``>>> ``
  lines (so a printed ``[]`` stays next to the ``list_physical_devices`` call that printed it),
  then its outputs: stream text (stdout and stderr: TensorFlow logs to stderr, success prints
  land on stdout), ``text/plain`` of results and displays, and error tracebacks with their
  terminal colours removed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from benchmarks.errors import ConfigError

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PULL = re.compile(
    r"^[0-9a-f]{12}: (Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|"
    r"Extracting|Pull complete|Already exists)"
)


def log_text(raw: str, name: str = "") -> str:
    """The text to diagnose: a notebook's outputs, or the (transcript's) text as it is."""
    if name.endswith(".ipynb") or _looks_like_notebook(raw):
        return notebook_text(raw, name or "the notebook")
    return transcript_text(raw)


def _looks_like_notebook(raw: str) -> bool:
    head = raw.lstrip()[:2000]
    return head.startswith("{") and '"cells"' in head and '"nbformat"' in raw


def transcript_text(raw: str) -> str:
    return "\n".join(ln for ln in raw.splitlines() if not _PULL.match(ln.strip())) + "\n"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value) if value is not None else ""


def notebook_text(raw: str, name: str) -> str:
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{name} is not a readable Jupyter notebook: {exc.msg} at line {exc.lineno}",
            "give the .ipynb file as saved by Jupyter, or paste its output as a plain log",
        ) from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise ConfigError(
            f"{name} has no cells (not an nbformat 4 notebook)",
            "save it with Jupyter 4+ or paste its output as a plain log",
        )
    out: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        out += [f">>> {line}" for line in _text(cell.get("source")).splitlines() if line.strip()]
        for output in cell.get("outputs") or []:
            if isinstance(output, dict):
                out += _output_lines(output)
    return _ANSI.sub("", "\n".join(out)) + "\n"


def _output_lines(output: dict[str, Any]) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        return _text(output.get("text")).splitlines()
    if kind in ("execute_result", "display_data"):
        data = output.get("data")
        plain = data.get("text/plain") if isinstance(data, dict) else None
        return _text(plain).splitlines()
    if kind == "error":
        lines: list[str] = []
        for frame in output.get("traceback") or []:
            lines += str(frame).splitlines()
        lines.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
        return lines
    return []
