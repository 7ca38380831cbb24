"""The one error tree of graphbench.

Every error a user can cause or meet carries a one-line message and a hint; ``cli.main`` is the
single place that turns them into ``error: ...`` / ``hint: ...`` and an exit code (modelled on
httpx's exception hierarchy: callers catch the family they can handle).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CELLS_FAILED = 1
EXIT_USAGE = 2
EXIT_GPU_UNAVAILABLE = 3
EXIT_HOST = 4
EXIT_INTERRUPTED = 130


class BenchError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` what to do about it."""

    exit_code = EXIT_HOST

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(BenchError):
    """Bad input from the user: matrix file, command-line value, selection. Exit code 2."""

    exit_code = EXIT_USAGE


class ResultsError(BenchError):
    """A results file (cases.jsonl, run.json, fingerprint.json) that cannot be read or trusted."""

    exit_code = EXIT_USAGE


class HostError(BenchError):
    """The machine cannot do what was asked: missing tool, engine, driver, permission."""

    exit_code = EXIT_HOST


class DiskFullError(HostError):
    """No space left where the run directory lives (exit 4); what was measured is kept."""


class WorkerError(BenchError):
    """A benchmark worker process broke the protocol (not a cell failure: those are values)."""

    exit_code = EXIT_HOST
