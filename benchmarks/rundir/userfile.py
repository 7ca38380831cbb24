"""Reading a file a user names (matrix, log, fingerprint), bounded, with one-line errors.

``/dev/zero``, a 50 MB matrix or a huge log must end in ``error:``/``hint:``, not in a
``MemoryError`` after minutes: every read stops one byte past its limit and says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.errors import ConfigError

MiB = 1024 * 1024
MATRIX_MAX_BYTES = 1 * MiB
LOG_MAX_BYTES = 64 * MiB


def _too_big(what: str, name: str, limit: int) -> ConfigError:
    return ConfigError(
        f"{name}: {what} larger than {limit // MiB} MiB",
        f"pass a smaller file (a {what} is far below that), e.g. the last lines of it",
    )


def read_bytes_bounded(path: Path, limit: int, what: str) -> bytes:
    """At most ``limit`` bytes of ``path`` or a ConfigError (missing, unreadable, too big)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found", f"pass an existing {what}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory", f"pass a {what}, not a folder") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read {what} ({exc.strerror or exc})", "check the path and permissions"
        ) from None
    if len(data) > limit:
        raise _too_big(what, str(path), limit)
    return data


def read_stdin_bounded(limit: int, what: str) -> bytes:
    """Standard input, bounded; a closed or unreadable stdin is a ConfigError."""
    stream = sys.stdin
    if stream is None or getattr(stream, "closed", False):
        raise ConfigError(
            f"{what} '-': standard input is closed", "pipe the text in, or pass a file"
        )
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            data: bytes = buffer.read(limit + 1)
        else:  # a text stream without bytes underneath (tests, embedding)
            data = stream.read(limit + 1).encode("utf-8", errors="replace")
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{what} '-': cannot read standard input ({exc})", "pipe the text in, or pass a file"
        ) from None
    if len(data) > limit:
        raise _too_big(what, "'-'", limit)
    return data


def looks_binary(data: bytes) -> bool:
    """NUL bytes or mostly undecodable: not a text log."""
    if not data:
        return False
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    text = sample.decode("utf-8", errors="replace")
    return text.count("\ufffd") > len(text) // 10
