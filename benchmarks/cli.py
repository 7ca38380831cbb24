"""``python -m benchmarks``: argument parsing and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from benchmarks import __version__, commands
from benchmarks.errors import EXIT_INTERRUPTED, BenchError
from benchmarks.run.console import guard_std_streams


def _command_modules() -> dict[str, ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    rank = {name: i for i, name in enumerate(commands.ORDER)}
    names.sort(key=lambda n: (rank.get(n, len(rank)), n))
    return {n: importlib.import_module(f"benchmarks.commands.{n}") for n in names}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="graphbench: how much do tf.function and XLA gain over eager TensorFlow?",
    )
    parser.add_argument("--version", action="version", version=f"graphbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in _command_modules().items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_main=module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    guard_std_streams()  # `... | head -1` or a closed stderr must not stop a run
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse exits 2 with a usage line on bad flags
    try:
        return int(args._main(args))
    except BenchError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
