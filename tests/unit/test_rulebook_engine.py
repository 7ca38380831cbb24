"""The doctor's engine (doctor/rulebook.py) with synthetic rules: merging, the score thresholds
(12 to be listed, 45 to count as a strong failure), ranking and the healthy/unexplained verdicts.

The real rules are replaced by rules that return the candidates a test names, so each
threshold is pinned on both sides without depending on any rule's literal score.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.doctor import rulebook
from benchmarks.doctor.catalog import CATALOG
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.logscan import ScannedLog

OK_LINE = "graphbench-probe: tensorflow: matmul on /GPU:0 ok"
CREATED = (
    "I0000 00:00:1700000000.000000  1 gpu_device.cc:2020] Created device "
    "/job:localhost/replica:0/task:0/device:GPU:0 with 79000 MB memory"
)
FAILED_LINE = "graphbench-probe: tensorflow: matmul on /GPU:0 failed: CUDA_ERROR_NO_DEVICE"


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def use(*candidates: Candidate) -> None:
        monkeypatch.setattr(rulebook, "RULES", (lambda log, facts: list(candidates),))

    return use


def _codes(log: str = "") -> list[tuple[str, str]]:
    return [(f.code, f.confidence) for f in rulebook.diagnose(log)]


def test_candidates_below_twelve_are_dropped(rules: Callable[..., None]) -> None:
    rules(Candidate("mig_misconfigured", 12), Candidate("vgpu_unlicensed", 11))
    assert _codes() == [("unexplained", "medium"), ("mig_misconfigured", "low")]


def test_a_strong_failure_at_45_needs_no_unexplained(rules: Callable[..., None]) -> None:
    rules(Candidate("mig_misconfigured", 45))
    assert _codes() == [("mig_misconfigured", "medium")]
    rules(Candidate("mig_misconfigured", 44))
    assert _codes() == [("unexplained", "medium"), ("mig_misconfigured", "low")]


def test_healthy_is_high_unless_a_strong_failure_is_seen(rules: Callable[..., None]) -> None:
    rules()
    [healthy] = rulebook.diagnose(f"{CREATED}\n{OK_LINE}\n")
    assert (healthy.code, healthy.confidence) == ("healthy", "high")
    assert healthy.evidence == (CREATED, OK_LINE)
    rules(Candidate("ecc_uncorrectable", 44))
    assert [f.code for f in rulebook.diagnose(OK_LINE)] == ["healthy", "ecc_uncorrectable"]
    rules(Candidate("ecc_uncorrectable", 45))  # 45 vs healthy's 50: both listed, healthy first
    assert _codes(OK_LINE) == [("healthy", "medium"), ("ecc_uncorrectable", "medium")]


def _healthy_score(*failures: Candidate) -> int:
    found = rulebook._health(ScannedLog(OK_LINE), list(failures))
    assert found is not None and found.code == "healthy"
    return found.score


def test_healthy_score_drops_to_50_at_a_failure_of_45() -> None:
    assert _healthy_score() == 85
    assert _healthy_score(Candidate("ecc_uncorrectable", 44)) == 85
    assert _healthy_score(Candidate("ecc_uncorrectable", 45)) == 50


def test_a_failed_probe_line_is_not_healthy(rules: Callable[..., None]) -> None:
    rules()
    [f] = rulebook.diagnose(f"{CREATED}\n{FAILED_LINE}\n")
    assert f.code == "unexplained"
    assert f.evidence == (FAILED_LINE,)


def test_unexplained_quotes_problem_lines_in_order_at_most_five(rules: Callable[..., None]) -> None:
    rules()
    errors = [f"E0000 00:00:17.0  1 x.cc:1] problem {i}" for i in range(7)]
    [f] = rulebook.diagnose("\n".join(reversed(errors)) + "\n")
    assert f.code == "unexplained" and f.confidence == "medium"
    assert len(f.evidence) == 5
    assert list(f.evidence) == sorted(f.evidence, key=lambda e: -int(e[-1]))  # log order kept


def test_unexplained_without_any_problem_says_so(rules: Callable[..., None]) -> None:
    rules()
    [f] = rulebook.diagnose("nothing to see\n")
    assert f.evidence == ("no GPU device was created and no known failure signature was found",)
    assert rulebook._unexplained(ScannedLog("")).score == 50


def test_merge_keeps_the_best_score_and_all_evidence(rules: Callable[..., None]) -> None:
    rules(
        Candidate("mig_misconfigured", 40, ("a", "b"), "first note"),
        Candidate("mig_misconfigured", 60, ("b", "c")),
        Candidate("mig_misconfigured", 60, ("d",), "late note"),
    )
    [f] = rulebook.diagnose("")
    assert f.code == "mig_misconfigured" and f.confidence == "medium"
    assert f.evidence == ("b", "c", "a", "d")
    entry = CATALOG["mig_misconfigured"]
    assert f.explanation == entry.explanation + " first note"
    assert (f.title, f.fix) == (entry.title, entry.fix)


def test_merge_on_equal_scores_keeps_the_first_candidates_evidence_first() -> None:
    merged = rulebook._merge([Candidate("x", 50, ("a",)), Candidate("x", 50, ("b",), "n")])
    assert merged == [Candidate("x", 50, ("a", "b"), "n")]


def test_without_a_note_the_explanation_is_the_catalogs(rules: Callable[..., None]) -> None:
    rules(Candidate("vgpu_unlicensed", 80))
    [f] = rulebook.diagnose("")
    assert f.explanation == CATALOG["vgpu_unlicensed"].explanation
    assert f.confidence == "high"


def test_ranking_by_score_then_decision_order_and_at_most_six(rules: Callable[..., None]) -> None:
    codes = ["xla_toolchain_missing", "ecc_uncorrectable", "mig_misconfigured",
             "cudnn_version_mismatch", "vgpu_unlicensed", "fork_after_cuda_init",
             "exclusive_compute_mode"]  # fmt: skip
    rules(*(Candidate(c, 60) for c in codes), Candidate("cpu_only_build_or_platform", 70))
    got = [f.code for f in rulebook.diagnose("")]
    assert got == [
        "cpu_only_build_or_platform",  # highest score first
        "cudnn_version_mismatch",  # then equal scores in the catalog's decision order
        "mig_misconfigured",
        "exclusive_compute_mode",
        "vgpu_unlicensed",
        "ecc_uncorrectable",
    ]
