"""regressions.json, the Atom feed and the job summary: shape, stable ids, escaping."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from benchmarks.history import feed, summary
from benchmarks.history.detect import Regression, Settings
from benchmarks.history.series import Break, SeriesKey
from tests.data.make_fixtures import IMG, SCRIPT

ATOM = "{http://www.w3.org/2005/Atom}"


def reg(case_id: str = "mlp-graph-b1-cpu", machine: str = "AMD EPYC") -> Regression:
    return Regression(
        key=SeriesKey(case_id, machine, "mlp:flops=1", "2.21.0", machine),
        before=1e-4, after=2e-4, ratio=2.0, run_id="r2", path="runs/m/r2",
        before_run_id="r1", before_path="runs/m/r1", method="step", score=300.0,
    )  # fmt: skip


def test_regressions_json_has_the_contracted_keys() -> None:
    (item,) = json.loads(feed.regressions_json([reg()]))
    assert {"case_id", "machine", "before", "after", "ratio", "run_id", "method"} <= set(item)
    assert (item["case_id"], item["run_id"], item["method"], item["ratio"]) == (
        "mlp-graph-b1-cpu", "r2", "step", 2.0,
    )  # fmt: skip
    assert item["run_page"] == "runs/m/r2/index.html"
    assert item["before_run_page"] == "runs/m/r1/index.html"


def test_atom_feed_parses_and_its_entry_ids_are_stable() -> None:
    text = feed.atom_feed([reg(), reg("cnn-xla-b10-cpu")], updated="2026-11-03T09:00:00Z",
                          started={"r2": "2026-11-03T09:00:00Z"}, base_url="https://x.test/")  # fmt: skip
    root = ET.fromstring(text)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[0].find(f"{ATOM}link").get("href") == "https://x.test/runs/m/r2/index.html"  # type: ignore[union-attr]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 2 and ids[0] == feed.entry_id(reg())
    assert root.findtext(f"{ATOM}updated") == "2026-11-03T09:00:00Z"


def test_markup_in_the_data_stays_text_in_the_feed() -> None:
    text = feed.atom_feed([reg(SCRIPT, IMG)], updated="t", started={})
    assert "<script>" not in text and "<img" not in text
    title = ET.fromstring(text).find(f"{ATOM}entry").findtext(f"{ATOM}title")  # type: ignore[union-attr]
    assert title is not None and SCRIPT in title


def test_summary_lists_regressions_and_breaks_and_escapes_table_cells() -> None:
    md = summary.markdown(
        published=["runs/m/r2"], runs_in_history=3, regressions=[reg("a|b", SCRIPT)],
        breaks=[Break("c", "m", "r3", "runs/m/r3", ("TensorFlow 2.21.0 → 2.22.0",))],
        skipped=["runs/m/bad: run.json: not found"], settings=Settings(),
    )  # fmt: skip
    assert "1 regression(s)" in md and "a\\|b" in md and "<script>" not in md
    assert "TensorFlow 2.21.0 → 2.22.0" in md and "could not be read" in md


def test_summary_without_regressions_says_so() -> None:
    md = summary.markdown(published=[], runs_in_history=1, regressions=[], breaks=[],
                          skipped=[], settings=Settings(method="zscore"))  # fmt: skip
    assert "No regression." in md and "`zscore`" in md
