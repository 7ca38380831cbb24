"""The one subprocess adapter (after pip-tools' thin wrapper): run, capture, time, never hang.

Everything that starts an outside program (nvidia-smi, docker, the GPU probe child, git) goes
through ``run`` so tests can see one seam and timeouts/encoding are handled once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import HostError

# The folder holding the ``benchmarks`` package (the checkout, or site-packages): child
# interpreters get it on PYTHONPATH so that ``python -m benchmarks.…`` finds this very code.
PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def child_pythonpath(env: Mapping[str, str]) -> str:
    """``PYTHONPATH`` for a child interpreter: this package first, then what ``env`` had."""
    return os.pathsep.join(p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int  # negative: killed by that signal (POSIX convention)
    stdout: str
    stderr: str
    elapsed_s: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def which(program: str) -> str | None:
    return shutil.which(program)


def run(
    argv: Sequence[str],
    *,
    timeout_s: float = 60.0,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    input_text: str | None = None,
) -> Completed:
    """Run ``argv`` to completion and capture its output as text (undecodable bytes replaced).

    A missing executable raises ``HostError``; a non-zero exit or a timeout is a value.
    """
    start = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv),
            input=input_text,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            check=False,
        )
    except FileNotFoundError:
        raise HostError(
            f"{argv[0]}: command not found", f"install {Path(argv[0]).name} or put it on PATH"
        ) from None
    except PermissionError as exc:
        raise HostError(
            f"{argv[0]}: cannot execute ({exc.strerror})", "check its permissions"
        ) from None
    except subprocess.TimeoutExpired as exc:
        return Completed(
            tuple(argv),
            -9,
            _text(exc.stdout),
            _text(exc.stderr),
            time.monotonic() - start,
            timed_out=True,
        )
    return Completed(
        tuple(argv), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start
    )


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def child_env(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """The current environment with ``overrides`` applied (None removes a variable)."""
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
