"""The logs a run directory publishes, scrubbed in place before any page links them.

Worker stderr (``logs/worker-*.log``), the GPU probe's log and a container engine's message
are raw text from other programs: a token in ``XLA_FLAGS`` or a proxy URL with credentials
shows up there verbatim. Reports go to public pages, so every log is passed through
``redact.scrub_text`` when the run ends and again when a page is rendered (a killed run's
logs too). Idempotent: scrubbed text scrubs to itself.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.environment import redact
from benchmarks.rundir.jsonio import write_text_atomic
from benchmarks.rundir.layout import ENGINE_LOG, LOGS_DIR, PROBE_LOG

LOG_MAX_BYTES = 64 * 1024 * 1024


def log_files(run_dir: Path) -> list[Path]:
    found = sorted((run_dir / LOGS_DIR).glob("*.log")) if (run_dir / LOGS_DIR).is_dir() else []
    found += [run_dir / name for name in (PROBE_LOG, ENGINE_LOG) if (run_dir / name).is_file()]
    return [p for p in found if p.is_file() and not p.is_symlink()]


def scrub_logs(run_dir: Path) -> list[Path]:
    """Rewrite every log of ``run_dir`` scrubbed; return the files that changed."""
    changed = []
    for path in log_files(run_dir):
        with path.open("rb") as fh:
            raw = fh.read(LOG_MAX_BYTES + 1)
        text = raw[:LOG_MAX_BYTES].decode("utf-8", errors="replace")
        clean = redact.scrub_text(text)
        if clean != text or len(raw) > LOG_MAX_BYTES:
            write_text_atomic(path, clean)
            changed.append(path)
    return changed
