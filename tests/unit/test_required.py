"""The skip -> failure switches: one per real part, read by tests/conftest.py."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REAL_PARTS, require_or_skip, required


def test_each_part_skips_by_default_and_fails_where_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert REAL_PARTS == ("tf", "chromium", "docker", "git", "slurm", "uv")
    for part in REAL_PARTS:
        var = f"GRAPHBENCH_REQUIRE_{part.upper()}"
        monkeypatch.delenv(var, raising=False)
        with pytest.raises(pytest.skip.Exception, match=r"^it is missing$"):
            require_or_skip(part, "it is missing")
        monkeypatch.setenv(var, "0")
        assert not required(part)
        monkeypatch.setenv(var, "1")
        with pytest.raises(pytest.fail.Exception, match=f"^{var}=1 but it is missing$"):
            require_or_skip(part, "it is missing")


def test_an_unknown_part_is_a_mistake_in_the_test() -> None:
    with pytest.raises(ValueError, match="unknown real part 'gpu'"):
        required("gpu")


def test_ci_sets_every_switch() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / ".ci" / "required.sh").read_text()
    for part in REAL_PARTS:
        assert f"export GRAPHBENCH_REQUIRE_{part.upper()}=1" in script
    run = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert ". .ci/required.sh" in run or "source .ci/required.sh" in run


def test_every_switch_is_read_by_a_test() -> None:
    """A switch no test reads would promise a part CI never checks: each part has a
    ``require_or_skip("part", ...)`` in some test, and ``tf`` also its marker (tests/conftest.py)."""
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    files = [*tests.rglob("test_*.py"), *tests.rglob("conftest.py")]
    sources = "\n".join(p.read_text() for p in files if p.resolve() != Path(__file__).resolve())
    # a skip that goes around require_or_skip would stay a skip where the part is required
    assert "allow_module_level" not in sources and 'importorskip("playwright' not in sources
    for part in REAL_PARTS:
        if part == "tf":
            assert "pytest.mark.tf" in sources
            continue
        assert re.search(rf'require_or_skip\(\s*"{part}",', sources), part
