"""Accuracy as a regression test, on the sets rules may be tuned on: the hand-written logs
(with and without their fingerprints) and the ``tune`` split of the real logs.

The ``test`` split of tests/data/logs_real is held out: no test reads its files (see its
README). Thresholds are what the rules reached when they were frozen, so a change that breaks a
rule fails here; raise them when rules get better, never lower them to make a change pass.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _scorer() -> ModuleType:
    name = "corpus_accuracy_for_tests"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "corpus_accuracy.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# set -> (n, min top-1, min top-3); no set may call a healthy start a failure or the reverse.
FLOORS = {
    "hand": (55, 55, 55),
    "hand-log": (55, 52, 54),
    "tune": (79, 75, 77),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_accuracy_does_not_drop(name: str) -> None:
    scorer = _scorer()
    assert name != "test"
    result = scorer.score(name, scorer.LOADERS[name]())
    n, top1, top3 = FLOORS[name]
    assert result.n == n
    assert result.top1 >= top1, "\n".join(result.misses)
    assert result.top3 >= top3, "\n".join(result.misses)
    assert result.healthy_called_failure == 0, "\n".join(result.misses)
    assert result.failure_called_healthy == 0, "\n".join(result.misses)


def test_the_tune_loader_reads_tune_files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    scorer = _scorer()
    opened: list[str] = []
    real_read = Path.read_text

    def spy(self: Path, *args: object, **kwargs: object) -> str:
        opened.append(str(self))
        return real_read(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", spy)
    cases = scorer.LOADERS["tune"]()
    assert len(cases) == FLOORS["tune"][0]
    logs = [p for p in opened if p.endswith(".log")]
    assert logs and all("/logs_real/tune/" in p for p in logs)
