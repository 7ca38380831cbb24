"""What the rules alone say about a few log lines: the shared checks of the round tests
(tests/unit/test_doctor_round8.py ... round10), which pin each round's spellings both ways."""

from __future__ import annotations

from benchmarks.doctor.rulebook import MAX_FINDINGS, ranked_by_rules

# a failure printed after a success line: the success must not outrank it
FAILURE_AFTER = "RuntimeError: CUDA error: out of memory"


def first(log: str) -> str:
    """The rules' first code for ``log``."""
    return ranked_by_rules(log)[0].code.value


def codes(log: str) -> list[str]:
    """The rules' codes for ``log``, as many as a diagnosis shows."""
    return [c.code.value for c in ranked_by_rules(log)[:MAX_FINDINGS]]


def assert_success_line(line: str) -> None:
    """``line`` alone says the GPU came up; with a failure after it, it does not."""
    assert first(f"{line}\n") == "healthy"
    assert first(f"{line}\n{FAILURE_AFTER}\n") != "healthy"


def assert_no_class_of(line: str, prefixes: tuple[str, ...]) -> None:
    """A near miss of some spellings: the rules' first code for ``line`` is none of them."""
    got = first(f"{line}\n")
    assert not got.startswith(prefixes), got
