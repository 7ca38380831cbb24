"""Fixtures every test may ask for: the fakes of hardware we lack, the committed fixture runs,
and the real CLI as a subprocess.

- ``fake_nvml("h100_busy")``: an NVML backend replaying ``tests/data/nvml/h100_busy.json``.
- ``fake_engine(...)``: a container engine (``containers.flows.Engine``) with recorded answers.
- ``fixture_run("gpu-failed")``: a committed run directory of ``tests/data/runs``, loaded.
- ``bench``: ``bench("run", "--profile", "smoke", ...)`` runs ``python -m benchmarks`` for real.
- ``require_or_skip("docker", why)``: skip a test whose real part is missing here, or fail it
  where the part was promised (``GRAPHBENCH_REQUIRE_<PART>=1``; .ci/required.sh sets them all).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from benchmarks.rundir.load import LoadedRun
from tests.fakes.engine import FakeEngine
from tests.fakes.nvml import FakeNvml

# The real parts a test may need, each with its switch GRAPHBENCH_REQUIRE_<PART>=1.
REAL_PARTS = ("tf", "chromium", "docker", "git", "slurm", "uv")


def required(part: str) -> bool:
    """Whether this run promised ``part`` (a skip for want of it is then a failure)."""
    if part not in REAL_PARTS:
        raise ValueError(f"unknown real part {part!r}; one of {', '.join(REAL_PARTS)}")
    return os.environ.get(f"GRAPHBENCH_REQUIRE_{part.upper()}") == "1"


def require_or_skip(part: str, reason: str) -> NoReturn:
    """Skip because ``part`` is missing here, saying why; fail instead where it was required."""
    if required(part):
        pytest.fail(f"GRAPHBENCH_REQUIRE_{part.upper()}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(stem: str) -> ModuleType:
    """``scripts/<stem>.py`` as a module (the measurement scripts are not a package), loaded
    once per test session under one name, so every test sees the same module object."""
    name = f"graphbench_script_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{stem}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


CHROMIUM = "/usr/bin/chromium"  # Debian's package; the browser tests drive it with Playwright


def chromium_or_skip() -> Any:
    """Playwright's sync API when it and Chromium are here; else skip, saying why (or fail where
    GRAPHBENCH_REQUIRE_CHROMIUM=1). The one gate of every browser test."""
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        require_or_skip("chromium", "python playwright is not installed (pip install '.[test]')")
    if not Path(CHROMIUM).exists():
        require_or_skip("chromium", f"{CHROMIUM} not installed (apt-get install chromium)")
    return sync_api


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``tf`` need TensorFlow; say so plainly where it is missing (or fail the run
    where GRAPHBENCH_REQUIRE_TF=1 promised it)."""
    if importlib.util.find_spec("tensorflow") is not None:
        return
    reason = "TensorFlow is not installed here (pip install '.[cpu]')"
    tf_items = [item for item in items if "tf" in item.keywords]
    if tf_items and required("tf"):
        raise pytest.UsageError(f"GRAPHBENCH_REQUIRE_TF=1 but {reason}")
    for item in tf_items:
        item.add_marker(pytest.mark.skip(reason=reason))


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
