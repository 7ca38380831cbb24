"""Progress and summary output that survives a closed or broken terminal.

``run ... 2>&1 | head -1`` closes the pipe after one line; a ``print`` to it then raises
``BrokenPipeError`` and, unguarded, would stop the run after its first cell with run.json left
``running``. Output is a courtesy, the run directory is the product: once a stream fails it is
muted for the rest of the run, and measurement carries on.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO


class QuietOnBrokenPipe:
    """A text stream that stops writing, silently, after its first failed write or flush."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self.broken = stream is None

    def write(self, text: str) -> int:
        if not self.broken and self._stream is not None:
            try:
                self._stream.write(text)
            except (OSError, ValueError):
                self._mute()
        return len(text)

    def flush(self) -> None:
        if not self.broken and self._stream is not None:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._mute()

    def isatty(self) -> bool:
        if self.broken or self._stream is None:
            return False
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> object:  # encoding, fileno, ... of the real stream
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)

    def _mute(self) -> None:
        self.broken = True
        # Python flushes sys.stdout/stderr at exit; point the dead fd at /dev/null so that
        # flush cannot raise a second time ("Exception ignored ... BrokenPipeError").
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._stream.fileno())
                os.close(devnull)


def guard_std_streams() -> None:
    """Replace sys.stdout / sys.stderr by guarded ones (idempotent)."""
    if not isinstance(sys.stdout, QuietOnBrokenPipe):
        sys.stdout = QuietOnBrokenPipe(sys.stdout)
    if not isinstance(sys.stderr, QuietOnBrokenPipe):
        sys.stderr = QuietOnBrokenPipe(sys.stderr)
