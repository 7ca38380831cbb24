"""The doctor's text model (textmodel.py) and how its ranking joins the rules' (similar.py).

Literal data throughout: the features of literal lines, counts of literal examples, posteriors
worked out by hand from the formula in the module docstring.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from benchmarks.doctor import diagnose, rulebook, similar, textmodel
from benchmarks.doctor.codes import Code, Level
from benchmarks.doctor.findings import Candidate
from benchmarks.doctor.textmodel import Example, TextModel
from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]

VGPU = Code.VGPU_UNLICENSED
ECC = Code.ECC_UNCORRECTABLE


def test_features_are_words_and_adjacent_pairs_of_lines_that_are_not_harmless() -> None:
    text = (
        "2026-11-25 15:02:11.123456: E gpu.cc:51] Unlicensed vGPU, 0x1f2e3d4c sm_86 a1234b\n"
        "2026-11-25 15:02:11.123456: I numa.cc:12] NUMA node read from SysFS had negative value\n"
        "ok\n"
    )
    assert textmodel.features(text) == {
        "unlicensed",
        "vgpu",
        "sm_86",
        "unlicensed vgpu",
        "vgpu sm_86",
    }  # the prefix is not a word; 'ok' is too short; 0x1f2e3d4c and a1234b have > 2 digits


def _ex(words: str, label: Code, thread: str) -> Example:
    return Example(frozenset(words.split()), label, thread)


EXAMPLES = [
    _ex("license expired grid", VGPU, "t1"),
    _ex("license grid", VGPU, "t2"),
    _ex("ecc uncorrectable license", ECC, "t3"),
    _ex("uncorrectable ecc onlyhere", ECC, "t3"),
]


def test_training_counts_logs_per_class_and_drops_features_of_one_thread() -> None:
    model = textmodel.train(EXAMPLES)
    vgpu, ecc = model.classes.index(VGPU), model.classes.index(ECC)
    # 'expired' (t1 only) and 'onlyhere'/'ecc'/'uncorrectable' (t3 only) are one thread's words
    assert set(model.counts) == {"license", "grid"}
    assert model.counts["license"][vgpu] == 2 and model.counts["license"][ecc] == 1
    assert model.counts["grid"][vgpu] == 2 and model.counts["grid"][ecc] == 0
    assert model.totals[vgpu] == 4 and model.totals[ecc] == 1 and sum(model.totals) == 5
    assert Code.UNEXPLAINED not in model.classes and Code.HEALTHY in model.classes


def test_posteriors_follow_the_smoothed_counts() -> None:
    model = textmodel.train(EXAMPLES)
    ranked = dict(model.rank_features({"license", "grid", "unknownword"}))
    # P(f|c) = (n + 0.5) / (total + 0.5 * 2 features): vgpu (2.5/5)^2, ecc (1.5/2)(0.5/2), and
    # a class with no logs the smoothing alone, (0.5/1)^2; the unknown word counts for none
    vgpu, ecc, other = (2.5 / 5) ** 2, (1.5 / 2) * (0.5 / 2), (0.5 / 1) ** 2
    total = vgpu + ecc + 22 * other
    assert ranked[VGPU] == pytest.approx(vgpu / total)
    assert ranked[ECC] == pytest.approx(ecc / total)
    assert ranked[Code.HEALTHY] == pytest.approx(other / total)
    assert sum(ranked.values()) == pytest.approx(1.0)


def test_ties_go_to_the_class_order() -> None:
    model = textmodel.train(EXAMPLES)
    ranked = model.rank_features(set())
    assert [c for c, _ in ranked] == list(model.classes)
    assert all(p == pytest.approx(1 / len(model.classes)) for _, p in ranked)


def test_the_json_form_round_trips_and_an_unknown_format_is_refused() -> None:
    model = textmodel.train(EXAMPLES)
    doc = json.loads(json.dumps(textmodel.to_document(model, {"logs": 4})))
    assert doc["counts"]["grid"] == {str(model.classes.index(VGPU)): 2}  # sparse
    assert textmodel.from_document(doc) == model
    with pytest.raises(ValueError, match="format 99"):
        textmodel.from_document({**doc, "format": 99})


def _toy(p_first: float) -> TextModel:
    """A model that ranks the features {'wobble'} vgpu first at ``p_first``, then ecc.

    With one feature, alpha 1 and equal totals, a class's weight is its count + 1: ecc 3, the
    22 others 1 each, vgpu W, so that vgpu's posterior is W / (W + 25)."""
    classes = tuple(c for c in Code if c is not Code.UNEXPLAINED)
    row = [0] * len(classes)
    row[classes.index(VGPU)] = round(p_first * 25 / (1 - p_first)) - 1
    row[classes.index(ECC)] = 2
    return TextModel(classes, {"wobble": tuple(row)}, tuple(1000 for _ in classes), alpha=1.0)


def _unexplained() -> Candidate:
    return Candidate(Code.UNEXPLAINED, Level.POSSIBLE, ("no GPU device was created",))


def test_a_sure_model_places_a_log_no_rule_placed_with_unexplained_kept_next() -> None:
    out = similar.combine([_unexplained()], _toy(0.95), frozenset({"wobble"}))
    assert [c.code for c in out] == [VGPU, Code.UNEXPLAINED]  # no word of the log favours ecc
    assert out[0].score == Level.POSSIBLE + 1 and "No rule names" in out[0].note
    assert out[0].evidence[0].startswith("words of real vgpu_unlicensed logs (posterior 0.9")
    assert "'wobble'" in out[0].evidence[0]


def test_an_unsure_model_only_lists_its_classes_below_unexplained() -> None:
    out = similar.combine([_unexplained()], _toy(0.6), frozenset({"wobble"}), sure=0.9)
    assert [(c.code, c.score) for c in out] == [
        (Code.UNEXPLAINED, Level.POSSIBLE),
        (VGPU, similar.LISTED),
    ]
    # the same ranking counts as sure when the bar is lower
    assert (
        similar.combine([_unexplained()], _toy(0.6), frozenset({"wobble"}), sure=0.5)[0].code
        is VGPU
    )


def test_the_model_never_outranks_a_rule_and_never_repeats_or_proposes_healthy() -> None:
    rules = [
        Candidate(ECC, Level.STRONG, ("Uncorrectable ECC error",)),
        Candidate(Code.GPU_FELL_OFF_BUS_HW_FAULT, Level.DOUBTFUL - 1, ("sibling",)),
    ]
    out = similar.combine(rules, _toy(0.99), frozenset({"wobble"}))
    codes = [c.code for c in out]
    assert codes == [ECC, Code.GPU_FELL_OFF_BUS_HW_FAULT, VGPU]  # after a rule at DOUBTFUL - 1
    assert out[2].score == similar.LISTED and "resemble real logs" in out[2].note
    assert (
        similar.combine(rules, _toy(0.99), frozenset({"wobble"}), excluded=frozenset({VGPU}))[2:]
        == []
    )  # a class a rule ruled out is not proposed again
    low = [Candidate(Code.MIG_MISCONFIGURED, Level.RULED_OUT + 1, ("weak",))]
    assert [c.code for c in similar.combine(low, _toy(0.99), frozenset({"wobble"}))] == [
        Code.MIG_MISCONFIGURED,
        VGPU,
    ]  # listed after a rule's candidate even when that one scores lower
    healthy = [Candidate(Code.HEALTHY, Level.CLEAR, ("Created device",))]
    assert similar.combine(healthy, _toy(0.99), frozenset({"wobble"})) == healthy
    assert similar.combine([_unexplained()], _toy(0.99), frozenset()) == [_unexplained()]


def test_telling_words_are_the_features_that_favour_the_class() -> None:
    classes = tuple(c for c in Code if c is not Code.UNEXPLAINED)
    grid, lic = [0] * len(classes), [0] * len(classes)
    grid[classes.index(VGPU)] = 4
    lic[classes.index(VGPU)] = lic[classes.index(ECC)] = 2
    model = TextModel(classes, {"grid": tuple(grid), "license": tuple(lic)}, (10,) * len(classes))
    feats = frozenset({"grid", "license", "nope"})
    assert similar.telling_words(model, feats, VGPU) == ["grid"]  # 'license' is a tie with ecc
    assert similar.telling_words(model, feats, ECC) == []  # it never saw 'grid'


def test_diagnose_takes_a_model_and_the_rules_alone_are_unchanged_by_it() -> None:
    log = "frobnicator: wobble\n"  # no rule names this
    assert next(c.code for c in rulebook.ranked_by_rules(log)) is Code.UNEXPLAINED
    codes = [f.code for f in diagnose(log, model=_toy(0.95))]
    assert codes[:2] == [VGPU.value, Code.UNEXPLAINED.value]
    assert len(codes) <= rulebook.MAX_FINDINGS


def test_the_packaged_model_is_what_training_on_the_read_sets_gives() -> None:
    training = load_script("doctor_text_train")
    assert textmodel.packaged() == textmodel.from_document(training.document())
    doc = json.loads(training.OUT.read_text(encoding="utf-8"))
    assert doc["trained_on"]["sets"] == list(training.TRAIN_SETS)
    assert training.encode(training.document()) == training.OUT.read_text(encoding="utf-8")


def test_no_hold_out_set_that_is_still_unscored_is_trained_on() -> None:
    """A hold-out set is trained on only once the corpus README records its one scoring (a
    heading "(`name`, ... scored once ..."), and never while it is pending."""
    training = load_script("doctor_text_train")
    split = load_script("split_real_logs")
    readme = (ROOT / "tests" / "data" / "logs_real" / "README.md").read_text("utf-8")
    recorded = set(re.findall(r"^## .*\(`(\w+)`, [^)]*\bscored once\b", readme, re.MULTILINE))
    held_out = [s for s in training.TRAIN_SETS if s not in ("tune", "test")]
    assert held_out and set(held_out) <= recorded, sorted(set(held_out) - recorded)
    assert not set(training.TRAIN_SETS) & set(split.PENDING)
    assert set(held_out) <= set(split.HOLDOUTS)


CLASSES: tuple[Code, ...] = tuple(c for c in Code if c is not Code.UNEXPLAINED)


def _model(rows: dict[str, dict[Code, int]], totals: dict[Code, int], alpha: float) -> TextModel:
    """A model from literal counts: ``rows`` feature -> {class: count}, other classes 0."""
    counts = {f: tuple(r.get(c, 0) for c in CLASSES) for f, r in rows.items()}
    return TextModel(CLASSES, counts, tuple(totals.get(c, 0) for c in CLASSES), alpha)


def test_scores_are_the_log_likelihoods_of_the_known_features() -> None:
    model = textmodel.train(EXAMPLES)
    got = model.scores(["license", "unknownword"])
    i, j, k = CLASSES.index(VGPU), CLASSES.index(ECC), CLASSES.index(Code.HEALTHY)
    assert got[i] == pytest.approx(math.log(2.5 / 5))
    assert got[j] == pytest.approx(math.log(1.5 / 2))
    assert got[k] == pytest.approx(math.log(0.5 / 1))
    assert model.scores(["unknownword"]) == [0.0] * len(CLASSES)
    ranked = model.rank_features({"license"})
    assert ranked[0][0] is ECC  # 0.75 against 0.5 for every other class: most likely first
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)


def test_alpha_is_kept_by_training_and_by_the_json_form() -> None:
    model = textmodel.train(EXAMPLES, alpha=1.0)
    assert model.alpha == 1.0
    assert textmodel.from_document(textmodel.to_document(model, {})).alpha == 1.0
    i = CLASSES.index(VGPU)
    assert model.scores(["grid"])[i] == pytest.approx(math.log(3 / 6))  # (2 + 1) / (4 + 1 * 2)


def test_telling_words_weigh_each_class_by_its_own_total() -> None:
    # 'shared': vgpu 2 of 10, ecc 1 of 4, 20 features in all (alpha * size = 10):
    # vgpu log(2.5 / 20), ecc log(1.5 / 14): vgpu gains 0.15, less than 1 but above 0
    rows = {f"pad{n}": {Code.HEALTHY: 1} for n in range(18)}
    rows |= {"shared": {VGPU: 2, ECC: 1}, "strong": {VGPU: 6}}
    model = _model(rows, {VGPU: 10, ECC: 4, Code.HEALTHY: 18}, alpha=0.5)
    assert similar.telling_words(model, frozenset({"shared", "strong"}), VGPU) == [
        "strong",  # the larger gain first
        "shared",
    ]
    # one count above the other class's is a gain only with the smoothing added, not taken off
    tie = _model({"w1": {VGPU: 2, ECC: 1}, "w2": {}}, dict.fromkeys(CLASSES, 9), 0.5)
    assert similar.telling_words(tie, frozenset({"w1"}), VGPU) == ["w1"]


def _two() -> TextModel:
    """'wobble' favours vgpu, 'zap' ecc; every other class saw many other words."""
    totals: dict[Code, int] = dict.fromkeys(CLASSES, 400)
    totals[VGPU] = totals[ECC] = 10
    return _model({"wobble": {VGPU: 9}, "zap": {ECC: 3}}, totals, alpha=0.5)


def test_the_model_lists_its_classes_in_its_order_with_exact_evidence_and_notes() -> None:
    model = _two()
    feats = frozenset({"wobble", "zap"})
    p = dict(model.rank_features(feats))
    rules = [Candidate(Code.DRIVER_MISSING_OR_NOT_LOADED, Level.LIKELY, ("line",))]
    out = similar.combine(rules, model, feats)
    assert [(c.code, c.score) for c in out] == [
        (Code.DRIVER_MISSING_OR_NOT_LOADED, Level.LIKELY),
        (VGPU, similar.LISTED),
        (ECC, similar.LISTED - 1),
    ]
    assert out[1].evidence == (
        f"words of real vgpu_unlicensed logs (posterior {p[VGPU]:.2f}): 'wobble'",
    )
    assert out[1].note == "Listed because the log's words resemble real logs of this class."
    placed = similar.combine([_unexplained()], model, feats, sure=p[VGPU])  # at the bar: sure
    assert placed[0].code is VGPU
    assert placed[0].note == (
        "No rule names a message of this log; its words are those of real logs of this class."
    )
    below = similar.combine([_unexplained()], model, feats, sure=math.nextafter(p[VGPU], 1.0))
    assert below[0].code is Code.UNEXPLAINED


def test_evidence_quotes_every_telling_word_comma_separated() -> None:
    totals: dict[Code, int] = dict.fromkeys(CLASSES, 400)
    totals[VGPU] = 10
    model = _model({"grid": {VGPU: 9}, "licence": {VGPU: 8}}, totals, alpha=0.5)
    [first] = [c for c in similar.combine([_unexplained()], model, frozenset({"grid", "licence"}))
               if c.code is VGPU]  # fmt: skip
    assert first.evidence[0].endswith("): 'grid', 'licence'")
