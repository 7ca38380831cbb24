"""The GPU doctor's rules: explain why TensorFlow did not get the GPU (pure, stdlib only).

``diagnose(log_text, fingerprint, context=...)`` returns ranked ``Finding`` values;
``to_json_document`` gives the ``diagnosis.json`` shape. Classes (``Code``) and their wording
follow ``shared/research/gpu-failure-classes.md``; each rule is a small function in ``rules_*.py``
registered with ``registry.rule`` and scored in named ``Level`` steps.
"""

from __future__ import annotations

from benchmarks.doctor.catalog import CATALOG, FAILURE_CODES, ORDER
from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import SCHEMA_VERSION, Finding, to_json_document
from benchmarks.doctor.render import render_text, skip_reason
from benchmarks.doctor.rulebook import diagnose

CODES: tuple[Code, ...] = ORDER

__all__ = [
    "CATALOG",
    "CODES",
    "FAILURE_CODES",
    "SCHEMA_VERSION",
    "Code",
    "Finding",
    "Level",
    "diagnose",
    "render_text",
    "skip_reason",
    "to_json_document",
]
