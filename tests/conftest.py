from __future__ import annotations

import importlib.util

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``tf`` need TensorFlow; say so plainly where it is missing."""
    if importlib.util.find_spec("tensorflow") is not None:
        return
    skip = pytest.mark.skip(reason="TensorFlow is not installed here (pip install '.[cpu]')")
    for item in items:
        if "tf" in item.keywords:
            item.add_marker(skip)
