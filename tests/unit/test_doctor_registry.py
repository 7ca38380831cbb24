"""The doctor's rule registry: typed codes, one catalog order, named score levels."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from benchmarks.doctor import CATALOG, CODES, FAILURE_CODES, Code, Level, diagnose
from benchmarks.doctor.catalog import ENTRIES, ORDER
from benchmarks.doctor.findings import Candidate, confidence_for, to_json_document
from benchmarks.doctor.logscan import ScannedLog
from benchmarks.doctor.registry import REGISTRY, Rule
from benchmarks.doctor.rulebook import RULE_MODULES, rules
from benchmarks.environment.view import FingerprintView

DOCTOR = Path(__file__).resolve().parents[2] / "benchmarks" / "doctor"


def test_every_code_has_one_catalog_entry_and_the_order_comes_from_it() -> None:
    assert [e.code for e in ENTRIES] == list(ORDER) == list(CATALOG)
    assert set(CATALOG) == set(Code)
    assert len(ENTRIES) == len(set(ORDER)) == 25
    assert tuple(c for c in ORDER if c not in (Code.HEALTHY, Code.UNEXPLAINED)) == FAILURE_CODES
    assert len(FAILURE_CODES) == 23 and CODES == ORDER


def test_codes_are_the_json_strings() -> None:
    assert Code("cuda_libs_missing_or_wrong_major") is Code.CUDA_LIBS_MISSING_OR_WRONG_MAJOR
    assert str(Code.HEALTHY) == "healthy" and Code.HEALTHY.value == "healthy"
    findings = diagnose("Num GPUs Available:  1\n")
    assert type(findings[0].code) is str  # plain strings in Finding and diagnosis.json
    assert json.loads(json.dumps(to_json_document(findings)))["findings"][0]["code"] == "healthy"


def test_every_failure_class_has_a_rule_and_every_rule_says_what_it_checks() -> None:
    registered = rules()
    assert len(registered) == len(REGISTRY) >= 30
    proposed = {code for r in registered for code in r.codes}
    assert set(FAILURE_CODES) <= proposed
    families = {r.family for r in registered}
    assert families == {m.rsplit(".", 1)[-1].removeprefix("rules_") for m in RULE_MODULES}
    for r in registered:
        assert r.summary and r.summary.endswith("."), r.name
        assert r.codes and all(isinstance(c, Code) for c in r.codes), r.name


def test_a_rule_proposing_an_undeclared_code_is_caught() -> None:
    def sloppy(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
        return [Candidate(Code.ECC_UNCORRECTABLE, Level.STRONG)]

    bad = Rule("test.sloppy", "test", (Code.HEALTHY,), "Says the wrong thing.", sloppy)
    with pytest.raises(ValueError, match="not in its codes"):
        bad.run(ScannedLog(""), FingerprintView(None, None))


def test_levels_are_ordered_and_map_to_confidence_words() -> None:
    assert list(Level) == sorted(Level, reverse=True)
    assert confidence_for(Level.CLEAR) == "high"
    assert confidence_for(Level.LIKELY) == confidence_for(Level.POSSIBLE) == "medium"
    assert confidence_for(Level.HINT) == "low"
    assert Level.POSSIBLE.step_down(1) < Level.POSSIBLE


def _rule_sources() -> list[Path]:
    paths = sorted(DOCTOR.glob("rules_*.py"))
    assert len(paths) == len(RULE_MODULES)
    return paths


def _bare_numbers(expr: ast.expr) -> list[str]:
    """Numeric literals that become a score: outside calls, or inside max/min."""
    found: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if node.value not in (0, 1):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Call):
            if getattr(node.func, "id", "") in ("max", "min"):
                stack += node.args
        else:
            stack += [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
    return found


def _score_values(node: ast.AST) -> list[ast.expr]:
    """The expressions assigned to a name containing 'score' (tuple targets paired)."""
    if isinstance(node, ast.Assign):
        pairs: list[tuple[ast.expr, ast.expr]] = []
        for target in node.targets:
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs += list(zip(target.elts, node.value.elts, strict=False))
            else:
                pairs.append((target, node.value))
        return [v for t, v in pairs if isinstance(t, ast.Name) and "score" in t.id]
    if isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
        target = node.target
        return [node.value] if isinstance(target, ast.Name) and "score" in target.id else []
    return []


@pytest.mark.parametrize("path", _rule_sources(), ids=lambda p: p.name)
def test_rules_score_with_named_levels_not_numbers(path: Path) -> None:
    """No ``Candidate(code, 70, ...)`` and no ``score = 70``: scores are ``Level`` members."""
    bare: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Candidate":
            for score in node.args[1:2] + [k.value for k in node.keywords if k.arg == "score"]:
                bare += _bare_numbers(score)
        for value in _score_values(node):
            bare += _bare_numbers(value)
    assert not bare, bare


def test_the_level_check_sees_bare_numbers() -> None:
    assert _bare_numbers(ast.parse("max(score, 72)", mode="eval").body) == ["72"]
    assert _bare_numbers(ast.parse("max(score, Level.HINT)", mode="eval").body) == []
    assert _score_values(ast.parse("score, ev = 70, quote(x, 2)").body[0])[0].value == 70  # type: ignore[attr-defined]


def test_ties_go_to_the_catalog_order() -> None:
    # CUDA_ERROR_NO_DEVICE alone: five causes at one level, ranked in the decision order.
    line = "E cuda_driver.cc:1] failed call to cuInit: CUDA_ERROR_NO_DEVICE\n"
    codes = [f.code for f in diagnose(line)][:5]
    assert codes[0] == "cuda_visible_devices_hidden"
    assert codes.index("driver_missing_or_not_loaded") < codes.index("container_gpu_not_exposed")
