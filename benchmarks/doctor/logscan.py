"""Read a probe/TensorFlow log into lines the rules can query.

TensorFlow 2.21 writes two prefixes: TSL's ``2026-11-25 15:02:11.123456: E path/file.cc:51] msg``
and absl's ``E0000 00:00:1795619700.743346    5576 file.cc:153] msg``; docker and the probe write
plain lines. The rules match on the message, so the prefix only yields a severity. Lines known to
be harmless (NUMA, duplicate factory registration, TensorRT, oneDNN, cpu_feature_guard) are
marked so no rule can quote them as the cause of a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

_TSL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?: ([IWEF]) (\S+?):\d+\] ?(.*)$")
_ABSL = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ (\S+?):\d+\] ?(.*)$")
_LEGACY = re.compile(r"^([IWEF]) (\S+?\.cc):\d+\] ?(.*)$")
_QUOTE_MARK = re.compile(r"^(?:>\s?)+")
# docker compose prefixes each container's line with its name: "web-1  | ", "web_1  | "
_COMPOSE_PREFIX = re.compile(r"^[a-z0-9][\w.-]*[-_]\d+\s+\| ?")

HARMLESS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"NUMA node",
        r"Unable to register (cuDNN|cuFFT|cuBLAS) factory",
        r"Attempting to register factory for plugin",
        r"TF-TRT Warning",
        r"Could not find TensorRT",
        r"libnvinfer",
        r"Cannot dlopen some TensorRT libraries",
        r"oneDNN custom operations are on",
        r"cpu_feature_guard|optimized to use available CPU instructions",
        r"rebuild TensorFlow with the appropriate compiler flags",
        r"All log messages before absl::InitializeLog\(\) is called",
        r"computation placer already registered",
        r"Skipping the delay kernel|Delay kernel timed out",  # gpu_timer: timing accuracy only
        r"layout failed: INVALID_ARGUMENT: Size of values",  # grappler's layout pass gave up
        r"The caller indicates that this is not a failure",
        r"libcupti",  # the profiler's library, not needed to compute
        r"Registers are spilled to local memory",
        r"exceeds 10% of free system memory",
        r"Unable to initialize backend '(rocm|tpu|tpu_driver|plugin|METAL)'",  # JAX tries all
        r":\s*Could not collect\s*$",  # PyTorch's collect_env: a field it could not read
        r"no version information available \(required by",  # the loader's benign notice
        r"Error in PredictCost\(\) for the op",  # grappler's cost model, not the computation
        # TF 1.x's warning when one process opens a context per GPU (multi-GPU starts): benign
        r"cuda_driver\.cc:\d+\] creating context when one is currently active",
        r"^GRAPHBENCH_PROBE_(RESULT|DRIVER) ",  # the probe's JSON payloads, not log messages
    )
)


@dataclass(frozen=True)
class LogLine:
    number: int  # 1-based
    text: str  # the full line as written (quoted as evidence)
    severity: str  # I, W, E, F, or "" for unprefixed lines
    source: str  # file name from the prefix, "" when unprefixed
    message: str
    harmless: bool


def parse_line(number: int, raw: str) -> LogLine:
    text = raw.rstrip("\r\n")
    stripped = text.strip()
    severity = source = ""
    # a "> " markdown quote is not part of the line, nor the indentation after it, nor the
    # container name docker compose writes before it
    message = _COMPOSE_PREFIX.sub("", _QUOTE_MARK.sub("", stripped).lstrip())
    for pattern in (_TSL, _ABSL, _LEGACY):
        m = pattern.match(message)
        if m:
            severity, source, message = m.group(1), m.group(2), m.group(3)
            break
    harmless = any(p.search(stripped) for p in HARMLESS)
    return LogLine(number, stripped, severity, source.rsplit("/", 1)[-1], message, harmless)


@cache
def compiled_pattern(pattern: str, flags: int) -> re.Pattern[str]:
    """Each rule pattern compiled once per process: the rules hold more distinct patterns than
    ``re``'s own cache (512), which then recompiles them for every log (5x slower)."""
    return re.compile(pattern, flags)


class ScannedLog:
    """The parsed log with small query helpers used by every rule."""

    def __init__(self, text: str) -> None:
        self.lines: tuple[LogLine, ...] = tuple(
            parse_line(i, raw) for i, raw in enumerate(text.splitlines(), start=1)
        )
        self.memo: dict[str, object] = {}  # facts derived once per log (see logfacts)

    def find(self, *patterns: str, flags: int = re.IGNORECASE) -> list[LogLine]:
        """Non-harmless lines matching any pattern, in log order."""
        compiled = [compiled_pattern(p, flags) for p in patterns]
        return [
            line
            for line in self.lines
            if not line.harmless and any(c.search(line.text) for c in compiled)
        ]

    def find_wrapped(self, *patterns: str, flags: int = re.IGNORECASE) -> list[LogLine]:
        """``find``, and also the first line of two adjacent lines that match only when joined
        by a space: a log pasted through e-mail or a narrow terminal breaks long lines at a
        space ("Created TensorFlow" / "device (/device:GPU:0 ...)")."""
        compiled = [compiled_pattern(p, flags) for p in patterns]
        out: list[LogLine] = []
        for i, line in enumerate(self.lines):
            if line.harmless:
                continue
            joined = f"{line.text} {self.lines[i + 1].text}" if i + 1 < len(self.lines) else ""
            if any(c.search(line.text) or _spans(c, joined, len(line.text)) for c in compiled):
                out.append(line)
        return out

    def first(self, *patterns: str) -> LogLine | None:
        found = self.find(*patterns)
        return found[0] if found else None

    def search(self, pattern: str) -> re.Match[str] | None:
        compiled = compiled_pattern(pattern, re.IGNORECASE)
        for line in self.lines:
            if not line.harmless:
                m = compiled.search(line.text)
                if m:
                    return m
        return None

    def problems(self) -> list[LogLine]:
        """Error/fatal lines (and tracebacks' last lines) that are not known noise."""
        out = [ln for ln in self.lines if ln.severity in ("E", "F") and not ln.harmless]
        out += [
            ln
            for ln in self.lines
            if not ln.severity
            and not ln.harmless
            and re.match(r"^(\w+\.)*\w*(Error|Exception): ", ln.message)
        ]
        return sorted(out, key=lambda ln: ln.number)


def _spans(pattern: re.Pattern[str], joined: str, cut: int) -> bool:
    """A match in ``joined`` that begins before ``cut`` and ends after it (so it needs both
    lines, and the next line's own match is not credited to this one)."""
    return any(m.start() < cut < m.end() for m in pattern.finditer(joined))


def quote(lines: Iterable[LogLine], limit: int = 4) -> tuple[str, ...]:
    """Evidence strings for lines: the exact text, de-duplicated, at most ``limit``. When there
    are more, the last of them takes the last place: where a failure recurs after a success
    line is part of the evidence (rulebook's standing test reads where its lines are)."""
    seen: list[str] = []
    for line in lines:
        if line.text not in seen:
            seen.append(line.text)
    if len(seen) <= limit:
        return tuple(seen)
    return (*seen[: limit - 1], seen[-1]) if limit > 1 else (seen[0],)
