"""The doctor's engine (doctor/rulebook.py) with a synthetic rule: merging, the score floors
(above ``Level.RULED_OUT`` to be listed, ``Level.POSSIBLE`` to count as a strong failure),
ranking and the healthy/unexplained verdicts.

The registered rules are replaced by one rule that returns the candidates a test names, so
each floor is pinned on both sides by named levels, never by any real rule's score.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.doctor import rulebook, textmodel
from benchmarks.doctor.catalog import CATALOG
from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.logscan import ScannedLog
from benchmarks.doctor.registry import Rule
from benchmarks.doctor.textmodel import TextModel
from benchmarks.environment.view import FingerprintView

OK_LINE = "graphbench-probe: tensorflow: matmul on /GPU:0 ok"
CREATED = (
    "I0000 00:00:1700000000.000000  1 gpu_device.cc:2020] Created device "
    "/job:localhost/replica:0/task:0/device:GPU:0 with 79000 MB memory"
)
FAILED_LINE = "graphbench-probe: tensorflow: matmul on /GPU:0 failed: CUDA_ERROR_NO_DEVICE"
ERROR_LINE = "E0000 00:00:17.0  1 x.cc:1] something went wrong"

MIG = Code.MIG_MISCONFIGURED
VGPU = Code.VGPU_UNLICENSED
ECC = Code.ECC_UNCORRECTABLE
FACT = ("nvidia.gpus[0].ecc_uncorrected = 3",)  # a fingerprint fact: it always stands


@pytest.fixture(autouse=True)
def no_text_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's ranking alone: a text model that knows no word proposes nothing (how its
    proposals join the ranking is pinned in test_doctor_textmodel.py)."""
    classes = tuple(c for c in Code if c is not Code.UNEXPLAINED)
    empty = TextModel(classes, {}, (0,) * len(classes))
    monkeypatch.setattr(textmodel, "packaged", lambda: empty)


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def use(*candidates: Candidate) -> None:
        def check(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
            return list(candidates)

        fixed = Rule("test.fixed", "test", tuple(Code), "Returns the named candidates.", check)
        monkeypatch.setattr(rulebook, "rules", lambda: (fixed,))
        # the sibling listing (families.py) is pinned by its own tests below
        monkeypatch.setattr(rulebook, "siblings", lambda code: [])

    return use


def _codes(log: str = "") -> list[tuple[str, str]]:
    return [(f.code, f.confidence) for f in rulebook.diagnose(log)]


def test_candidates_at_ruled_out_are_dropped(rules: Callable[..., None]) -> None:
    rules(Candidate(MIG, Level.RULED_OUT + 1), Candidate(VGPU, Level.RULED_OUT))
    assert _codes() == [("unexplained", "medium"), ("mig_misconfigured", "low")]


def test_a_strong_failure_at_possible_needs_no_unexplained(rules: Callable[..., None]) -> None:
    rules(Candidate(MIG, Level.POSSIBLE))
    assert _codes() == [("mig_misconfigured", "medium")]
    rules(Candidate(MIG, Level.POSSIBLE - 1))
    assert _codes() == [("unexplained", "medium"), ("mig_misconfigured", "low")]


def test_healthy_is_high_unless_a_strong_failure_is_seen(rules: Callable[..., None]) -> None:
    rules()
    [healthy] = rulebook.diagnose(f"{CREATED}\n{OK_LINE}\n")
    assert (healthy.code, healthy.confidence) == ("healthy", "high")
    assert healthy.evidence == (CREATED, OK_LINE)
    rules(Candidate(ECC, Level.POSSIBLE - 1, FACT))
    assert _codes(OK_LINE) == [("healthy", "high"), ("ecc_uncorrectable", "low")]
    rules(Candidate(ECC, Level.POSSIBLE, FACT))  # healthy capped at POSSIBLE: a tie, catalog order
    assert _codes(OK_LINE) == [("ecc_uncorrectable", "medium"), ("healthy", "medium")]


def _healthy_score(log: str, *failures: Candidate) -> int | None:
    found = rulebook._health(ScannedLog(log), list(failures))
    if found is None:
        return None
    assert found.code is Code.HEALTHY
    return found.score


def test_healthy_score_is_capped_at_possible_by_a_standing_failure() -> None:
    assert _healthy_score(OK_LINE) == Level.STRONG
    assert _healthy_score(OK_LINE, Candidate(ECC, Level.POSSIBLE - 1, FACT)) == Level.STRONG
    assert _healthy_score(OK_LINE, Candidate(ECC, Level.POSSIBLE, FACT)) == Level.POSSIBLE
    assert _healthy_score(OK_LINE, Candidate(ECC, Level.CERTAIN, FACT)) == Level.POSSIBLE


def test_a_failure_before_the_last_success_line_does_not_stand() -> None:
    before = f"{ERROR_LINE}\n{OK_LINE}\n"
    after = f"{OK_LINE}\n{ERROR_LINE}\n"
    strong = Candidate(ECC, Level.DECISIVE, (ERROR_LINE,))
    assert _healthy_score(before, strong) == Level.STRONG
    assert _healthy_score(after, strong) == Level.POSSIBLE
    assert _healthy_score(before, Candidate(ECC, Level.DECISIVE, FACT)) == Level.POSSIBLE
    assert _healthy_score(before, Candidate(ECC, Level.DECISIVE)) == Level.STRONG  # no evidence
    # the success line itself as evidence (a device created with too little memory) stands
    assert _healthy_score(OK_LINE, Candidate(ECC, Level.DECISIVE, (OK_LINE,))) == Level.POSSIBLE


def test_a_weak_success_gives_way_to_a_standing_failure() -> None:
    found = "I0000 00:00:17.0  1 gpu_device.cc:1] Found device 0 with properties: x"
    assert _healthy_score(found) == Level.LIKELY
    assert _healthy_score(found, Candidate(ECC, Level.POSSIBLE, FACT)) == Level.POSSIBLE
    numa = "I0000 00:00:17.0  1 numa.cc:1] successful NUMA node read from SysFS had value 1"
    assert _healthy_score(numa) == Level.PROBABLE
    assert _healthy_score(numa, Candidate(ECC, Level.POSSIBLE - 1, FACT)) == Level.PROBABLE
    assert _healthy_score(numa, Candidate(ECC, Level.POSSIBLE, FACT)) is None


def test_a_failed_probe_line_is_not_healthy(rules: Callable[..., None]) -> None:
    rules()
    [f] = rulebook.diagnose(f"{CREATED}\n{FAILED_LINE}\n")
    assert f.code == "unexplained"
    assert f.evidence == (FAILED_LINE,)
    assert _healthy_score(f"{CREATED}\n{FAILED_LINE}\n") is None


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
    assert rulebook._unexplained(ScannedLog("")).score == Level.POSSIBLE


def test_merge_keeps_the_best_score_and_all_evidence(rules: Callable[..., None]) -> None:
    rules(
        Candidate(MIG, Level.HINT, ("a", "b"), "first note"),
        Candidate(MIG, Level.PROBABLE, ("b", "c")),
        Candidate(MIG, Level.PROBABLE, ("d",), "late note"),
    )
    [f] = rulebook.diagnose("")
    assert f.code == "mig_misconfigured" and f.confidence == "medium"
    assert f.evidence == ("b", "c", "a", "d")
    entry = CATALOG[MIG]
    assert f.explanation == entry.explanation + " first note"
    assert (f.title, f.fix) == (entry.title, entry.fix)


def test_merge_on_equal_scores_keeps_the_first_candidates_evidence_first() -> None:
    merged = rulebook._merge(
        [Candidate(MIG, Level.POSSIBLE, ("a",)), Candidate(MIG, Level.POSSIBLE, ("b",), "n")]
    )
    assert merged == [Candidate(MIG, Level.POSSIBLE, ("a", "b"), "n")]


def test_without_a_note_the_explanation_is_the_catalogs(rules: Callable[..., None]) -> None:
    rules(Candidate(VGPU, Level.CLEAR))
    [f] = rulebook.diagnose("")
    assert f.explanation == CATALOG[VGPU].explanation
    assert f.confidence == "high"


def test_ranking_by_score_then_decision_order_and_at_most_six(rules: Callable[..., None]) -> None:
    codes = [Code.XLA_TOOLCHAIN_MISSING, ECC, MIG, Code.CUDNN_VERSION_MISMATCH, VGPU,
             Code.FORK_AFTER_CUDA_INIT, Code.EXCLUSIVE_COMPUTE_MODE]  # fmt: skip
    rules(*(Candidate(c, Level.PROBABLE) for c in codes),
          Candidate(Code.CPU_ONLY_BUILD_OR_PLATFORM, Level.LIKELY))  # fmt: skip
    got = [f.code for f in rulebook.diagnose("")]
    assert len(got) == rulebook.MAX_FINDINGS == 6
    assert got == [
        "cpu_only_build_or_platform",  # highest score first
        "cudnn_version_mismatch",  # then equal scores in the catalog's decision order
        "mig_misconfigured",
        "exclusive_compute_mode",
        "vgpu_unlicensed",
        "ecc_uncorrectable",
    ]


def test_only_a_clear_success_outlives_an_earlier_failure() -> None:
    """From ``Level.CLEAR`` up, a success line after the failure's line outlives it; a weaker
    one (a device found, no more) does not, wherever the failure's line stands."""
    used = "I0000 00:00:17.0  1 cuda_dnn.cc:1] Loaded cuDNN version 8900"
    found = "I0000 00:00:17.0  1 gpu_device.cc:1] Found device 0 with properties: x"
    failure = Candidate(ECC, Level.POSSIBLE, (ERROR_LINE,))
    assert _healthy_score(used) == Level.CLEAR
    assert _healthy_score(f"{ERROR_LINE}\n{used}\n", failure) == Level.CLEAR
    assert _healthy_score(f"{used}\n{ERROR_LINE}\n", failure) == Level.POSSIBLE
    assert _healthy_score(f"{ERROR_LINE}\n{found}\n") == Level.LIKELY  # no complaint after it
    assert _healthy_score(f"{ERROR_LINE}\n{found}\n", failure) == Level.POSSIBLE


def test_the_top_failures_siblings_are_listed_below_every_rules_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def check(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
        return [
            Candidate(Code.DRIVER_MISSING_OR_NOT_LOADED, Level.PROBABLE, ("line",)),
            Candidate(Code.UVM_DEVICE_NODE_OR_SUSPEND, Level.DOUBTFUL),
        ]

    fixed = Rule("test.fixed", "test", tuple(Code), "Returns the named candidates.", check)
    monkeypatch.setattr(rulebook, "rules", lambda: (fixed,))
    found = rulebook.diagnose("")
    assert [f.code for f in found] == [
        "driver_missing_or_not_loaded",
        "uvm_device_node_or_suspend",  # a rule's own candidate keeps its place and its score
        "container_gpu_not_exposed",  # siblings follow, in the catalog's order
        "driver_library_version_mismatch",
        "driver_too_old_for_cuda",
    ]
    sibling = found[2]
    assert sibling.confidence == "low" and sibling.evidence == ("line",)
    assert "sibling of driver_missing_or_not_loaded" in sibling.explanation


def test_no_siblings_below_healthy_or_unexplained(monkeypatch: pytest.MonkeyPatch) -> None:
    def check(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
        return [Candidate(Code.ECC_UNCORRECTABLE, Level.HINT)]  # below POSSIBLE: unexplained

    fixed = Rule("test.fixed", "test", tuple(Code), "Returns the named candidates.", check)
    monkeypatch.setattr(rulebook, "rules", lambda: (fixed,))
    assert [f.code for f in rulebook.diagnose("")] == ["unexplained", "ecc_uncorrectable"]
    assert [f.code for f in rulebook.diagnose(OK_LINE)] == ["healthy", "ecc_uncorrectable"]


def test_the_rules_see_the_fingerprint_and_context_they_were_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[object, object]] = []

    def check(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
        seen.append((dict(facts.fp), dict(facts.ctx)))
        return []

    fixed = Rule("test.fixed", "test", tuple(Code), "Records the facts it sees.", check)
    monkeypatch.setattr(rulebook, "rules", lambda: (fixed,))
    fp, ctx = {"host": {"cpu_model": "x"}}, {"in_container": True}
    rulebook.ranked_by_rules("", fp, context=ctx)
    rulebook.diagnose("", fp, context=ctx)
    assert seen == [(fp, ctx), (fp, ctx)]


def test_diagnose_uses_the_model_it_is_given_over_the_packaged_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def check(log: ScannedLog, facts: FingerprintView) -> list[Candidate]:
        return []  # no rule places the log: unexplained

    fixed = Rule("test.fixed", "test", tuple(Code), "Returns nothing.", check)
    monkeypatch.setattr(rulebook, "rules", lambda: (fixed,))
    classes = tuple(c for c in Code if c is not Code.UNEXPLAINED)
    row = [0] * len(classes)
    row[classes.index(VGPU)] = 9
    totals = [200] * len(classes)  # others saw many words, never this one: posterior 0.95
    totals[classes.index(VGPU)] = 9
    given = TextModel(classes, {"licence": tuple(row)}, tuple(totals))
    assert [f.code for f in rulebook.diagnose("licence\n")] == ["unexplained"]  # packaged: empty
    got = [f.code for f in rulebook.diagnose("licence\n", model=given)]
    assert got == ["vgpu_unlicensed", "unexplained"]


def test_a_class_a_rule_ruled_out_is_never_proposed_by_the_text_model(
    rules: Callable[..., None],
) -> None:
    # a model sure of vgpu for this log's one word: it may add vgpu unless a rule ruled it out
    classes = tuple(c for c in Code if c is not Code.UNEXPLAINED)
    row = [0] * len(classes)
    row[classes.index(VGPU)] = 474  # posterior 0.95 (see test_doctor_textmodel._toy)
    sure = TextModel(classes, {"wobble": tuple(row)}, tuple(1000 for _ in classes), alpha=1.0)
    log = "frobnicator: wobble\n"
    rules()
    assert VGPU.value in [f.code for f in rulebook.diagnose(log, model=sure)]
    rules(Candidate(VGPU, Level.RULED_OUT))  # exactly at the floor is ruled out
    assert VGPU.value not in [f.code for f in rulebook.diagnose(log, model=sure)]
