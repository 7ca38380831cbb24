"""Progress: a self-updating line on a terminal, one plain line per cell otherwise (CI logs)."""

from __future__ import annotations

import time
from typing import TextIO

from benchmarks.analysis import format_seconds
from benchmarks.rundir.results import CaseResult


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, s = divmod(seconds, 60)
    return f"{minutes}m{s:02d}s" if minutes else f"{s}s"


class Progress:
    def __init__(self, total: int, stream: TextIO, *, tty: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._start = time.monotonic()

    def eta(self) -> str:
        if self.done == 0:
            return "?"
        elapsed = time.monotonic() - self._start
        return format_duration(elapsed / self.done * (self.total - self.done))

    def _prefix(self) -> str:
        pct = 100 * self.done // max(self.total, 1)
        return f"[{self.done}/{self.total} {pct:3d}% ETA {self.eta()}]"

    def started(self, case_id: str) -> None:
        if self.tty:
            self.stream.write(f"\r\x1b[2K{self._prefix()} running {case_id}")
            self.stream.flush()

    def finished(self, result: CaseResult) -> None:
        self.done += 1
        value = format_seconds(result.median_s) if result.status == "ok" else result.status
        warn = f" ({', '.join(w['code'] for w in result.warnings)})" if result.warnings else ""
        reason = f": {result.reason}" if result.status != "ok" and result.reason else ""
        line = f"{self._prefix()} {result.case_id} {value}{warn}{reason}"
        if self.tty:
            self.stream.write(f"\r\x1b[2K{line}\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self.stream.flush()
