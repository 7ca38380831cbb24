"""``python -m benchmarks._nvml_record``: the stable entry point of :mod:`benchmarks.gpu.record`."""

from __future__ import annotations

from benchmarks.gpu.record import main

if __name__ == "__main__":
    raise SystemExit(main())
