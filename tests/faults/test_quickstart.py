"""Item 16 of issue 15: the README's quick start works with a stock Debian/Ubuntu Python.

``/usr/bin/python3`` here is Debian's own: it refuses ``pip install`` (PEP 668), which is
exactly what broke the old first command. The quick start now runs Nox through pipx, which
never touches the system Python. ``.ci/faults.sh`` runs both README commands end to end on
CI; this test checks the README says them and that pipx runs this noxfile's sessions.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.faults.helpers import REPO

STOCK = Path("/usr/bin/python3")
STOCK_PATH = "/usr/bin:/bin"
pytestmark = pytest.mark.slow


def _quick_start() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the quick start has a bash block"
    return [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]


def test_readme_quick_start_needs_no_pip_install_into_the_system() -> None:
    commands = _quick_start()
    assert commands == ["pipx run nox -s bench", "pipx run nox -s tests"], commands


@pytest.mark.skipif(
    not STOCK.exists() or shutil.which("pipx") is None, reason="no stock python/pipx"
)
def test_stock_python_refuses_pip_and_pipx_runs_nox(tmp_path: Path) -> None:
    refused = subprocess.run(
        [str(STOCK), "-m", "pip", "install", "--dry-run", "nox"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    if "externally-managed-environment" not in refused.stderr:
        pytest.skip("this /usr/bin/python3 is not PEP 668-managed")
    listed = subprocess.run(
        ["pipx", "run", "nox", "-l"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={"PATH": STOCK_PATH, "HOME": str(Path.home())},
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    for session in ("bench", "tests"):
        assert re.search(rf"^\* {session} ->|^- {session} ->", listed.stdout, re.M), listed.stdout
