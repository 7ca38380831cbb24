"""What the site publishes about regressions for machines: ``regressions.json`` and an Atom feed.

``regressions.json`` is a list of ``{case_id, machine, before, after, ratio, run_id, method}``
(times in seconds per call, ``ratio = after / before``), plus ``before_run_id``, ``score`` and
the two run pages' site-relative links. The Atom feed (RFC 4287) has one entry per regression,
its id stable across re-renders (case, machine, run), so a feed reader shows each one once.
Pure: text out; ElementTree does the escaping.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from benchmarks.analysis import format_seconds
from benchmarks.history.detect import Regression
from benchmarks.rundir.layout import PAGE

REGRESSIONS_FILE = "regressions.json"
FEED_FILE = "feed.atom"
ATOM = "http://www.w3.org/2005/Atom"


def page_of(path: str) -> str:
    return f"{path}/{PAGE}"


def as_dict(r: Regression) -> dict[str, Any]:
    return {
        "case_id": r.key.case_id,
        "machine": r.key.machine,
        "before": r.before,
        "after": r.after,
        "ratio": round(r.ratio, 6),
        "run_id": r.run_id,
        "method": r.method,
        "before_run_id": r.before_run_id,
        "score": round(r.score, 3),
        "run_page": page_of(r.path),
        "before_run_page": page_of(r.before_path),
        "series": {
            "workload_digest": r.key.workload_digest,
            "tf_version": r.key.tf_version,
            "device_model": r.key.device_model,
        },
    }


def regressions_json(found: Sequence[Regression]) -> str:
    return json.dumps([as_dict(r) for r in found], indent=2, sort_keys=True) + "\n"


def entry_id(r: Regression) -> str:
    digest = hashlib.sha256(f"{r.key.case_id}\0{r.key.machine}\0{r.run_id}".encode()).hexdigest()
    return f"urn:graphbench:regression:{digest[:32]}"


def title(r: Regression) -> str:
    return f"{r.key.case_id} {r.ratio:.2f}x slower on {r.key.machine}"


def summary(r: Regression) -> str:
    return (
        f"{format_seconds(r.before)} -> {format_seconds(r.after)} per call "
        f"({(r.ratio - 1) * 100:+.1f} %) between run {r.before_run_id} and run {r.run_id}, "
        f"found by the {r.method} method."
    )


def atom_feed(
    found: Sequence[Regression],
    *,
    updated: str,
    started: dict[str, str],
    base_url: str = "",
) -> str:
    """An Atom feed; ``started`` maps run ids to their start stamps (each entry's date);
    ``base_url`` makes the links absolute (a feed reader has no page to resolve them from)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "graphbench regressions"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "urn:graphbench:regressions"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "graphbench"
    ET.SubElement(feed, f"{{{ATOM}}}link", href=base_url + "index.html")
    for r in found:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id(r)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = title(r)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = started.get(r.run_id) or updated
        ET.SubElement(entry, f"{{{ATOM}}}link", href=base_url + page_of(r.path))
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary(r)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, "unicode") + "\n"
