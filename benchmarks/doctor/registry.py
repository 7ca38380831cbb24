"""The rule registry: every rule is a ``Rule`` with the codes it may propose.

A rule module decorates its check functions with ``@rule(Code.X, ...)``; the decorator records a
``Rule`` (name, family, the codes it may propose, the summary from its docstring) in
``REGISTRY`` in definition order. The rulebook imports the rule modules (``RULE_MODULES``) and
runs what they registered, so adding a rule is writing one decorated function. Modelled on the
check classes of scientific-python/repo-review (one object per check, with its family and a
docstring that says what it checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.doctor.codes import Code
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.logscan import ScannedLog
from benchmarks.environment.view import FingerprintView

Check = Callable[[ScannedLog, FingerprintView], list[Candidate]]


@dataclass(frozen=True)
class Rule:
    """One registered rule: ``check`` proposes candidates whose codes are in ``codes``."""

    name: str
    family: str
    codes: tuple[Code, ...]
    summary: str
    check: Check

    def run(self, log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
        out = self.check(log, facts)
        stray = [c.code for c in out if c.code not in self.codes]
        if stray:  # a programming error in the rule, caught by the unit tests
            raise ValueError(f"rule {self.name} proposed {stray}, not in its codes")
        return out


REGISTRY: dict[str, Rule] = {}


def rule(*codes: Code) -> Callable[[Check], Check]:
    """Register the decorated check; its module's last name part is the rule's family."""

    def register(check: Check) -> Check:
        family = check.__module__.rsplit(".", 1)[-1].removeprefix("rules_")
        summary = " ".join((check.__doc__ or "").strip().split("\n\n")[0].split())
        name = f"{family}.{check.__name__}"
        REGISTRY[name] = Rule(name, family, tuple(codes), summary, check)
        return check

    return register
