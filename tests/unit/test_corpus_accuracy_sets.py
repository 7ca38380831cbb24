"""scripts/corpus_accuracy.py scores only the sets named by ``--sets``.

So that whoever tunes rules can run the scorer without the doctor ever reading the held-out
logs (tests/data/logs_real/README.md). These tests score the hand-written set only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "corpus_accuracy.py"


def _scorer() -> ModuleType:
    return load_script("corpus_accuracy")


def test_parse_sets_keeps_the_canonical_order_and_drops_repeats() -> None:
    parse = _scorer().parse_sets
    assert parse("holdout,hand,tune,hand") == ("hand", "tune", "holdout")
    assert parse(" tune ") == ("tune",)


@pytest.mark.parametrize("text", ["", ",", "hand,bogus", "tests"])
def test_parse_sets_rejects_unknown_or_empty(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _scorer().parse_sets(text)


def test_default_is_every_set() -> None:
    """The hand-written sets first, then every split the manifest holds, each with a loader."""
    scorer = _scorer()
    manifest = json.loads((ROOT / "tests/data/logs_real/manifest.json").read_text("utf-8"))
    in_manifest = {entry["split"] for entry in manifest}
    assert scorer.SETS[:4] == ("hand", "hand-log", "tune", "test")
    assert in_manifest <= set(scorer.SETS) and len(set(scorer.SETS)) == len(scorer.SETS)
    assert list(scorer.LOADERS) == list(scorer.SETS)


def test_only_the_named_set_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    scorer = _scorer()
    asked: list[str] = []
    real = scorer.real_cases

    def spy(split: str) -> list[object]:
        asked.append(split)
        return list(real(split))

    monkeypatch.setattr(scorer, "real_cases", spy)
    monkeypatch.setattr(sys, "argv", ["corpus_accuracy.py", "--sets", "hand-log", "--json"])
    assert scorer.main() == 0
    assert asked == []


def test_cli_prints_figures_for_the_named_set_only() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sets", "hand-log", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures = json.loads(done.stdout)
    assert [f["name"] for f in figures] == ["hand-log"]
    assert figures[0]["n"] == 55


def test_cli_unknown_set_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sets", "hand,holdouts"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "unknown set(s)" in done.stderr and done.stdout == ""
