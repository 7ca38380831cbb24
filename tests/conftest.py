"""Fixtures every test may ask for: the fakes of hardware we lack, the committed fixture runs,
and the real CLI as a subprocess.

- ``fake_nvml("h100_busy")``: an NVML backend replaying ``tests/data/nvml/h100_busy.json``.
- ``fake_engine(...)``: a container engine (``containers.flows.Engine``) with recorded answers.
- ``fixture_run("gpu-failed")``: a committed run directory of ``tests/data/runs``, loaded.
- ``bench``: ``bench("run", "--profile", "smoke", ...)`` runs ``python -m benchmarks`` for real.
"""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.rundir.load import LoadedRun
from tests.fakes.engine import FakeEngine
from tests.fakes.nvml import FakeNvml


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``tf`` need TensorFlow; say so plainly where it is missing."""
    if importlib.util.find_spec("tensorflow") is not None:
        return
    skip = pytest.mark.skip(reason="TensorFlow is not installed here (pip install '.[cpu]')")
    for item in items:
        if "tf" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def fake_nvml() -> Callable[[str], FakeNvml]:
    return FakeNvml.load


@pytest.fixture
def fake_engine() -> Callable[..., FakeEngine]:
    return FakeEngine


@pytest.fixture
def fixture_run() -> Callable[[str], LoadedRun]:
    from tests.unit.report_fixtures import run

    return run


@pytest.fixture
def bench() -> Callable[..., subprocess.CompletedProcess[str]]:
    from tests.integration.conftest import run_bench

    def call(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return run_bench(*args, **kwargs)

    return call
