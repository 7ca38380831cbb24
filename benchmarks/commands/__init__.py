"""One module per ``python -m benchmarks`` sub-command.

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``main(args) -> int``.
Modules here must stay cheap to import: the CLI imports all of them to build ``--help``.
"""

from __future__ import annotations

# The order sub-commands are listed in ``--help``; modules found but not listed come last.
ORDER = ("run", "fingerprint", "diagnose", "report", "compare")
