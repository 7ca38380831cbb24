"""Item 9 of issue 15: markup injection through every value a run directory holds, rendered
by the real CLI and loaded in real headless Chromium with the Content-Security-Policy removed
(the CSP is a second wall; escaping must hold on its own)."""

from __future__ import annotations

import functools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM, chromium_or_skip
from tests.faults.helpers import REPO, bench

pytestmark = pytest.mark.browser

RUNS = REPO / "tests" / "data" / "runs"
PAYLOADS = [
    '"><script>window.__pwned=1;alert(1)</script>',
    '" onload="window.__pwned=2;alert(2)',
    "' onmouseover='window.__pwned=3' x='",
    "<img src=x onerror=window.__pwned=4;alert(4)>",
    "</title><script>window.__pwned=5</script>",
    "<svg onload=window.__pwned=6>",
    "]]><script>window.__pwned=7</script>",
    'x" id="evil" style="position:fixed;top:0" onfocus="window.__pwned=8" autofocus="',
]
HREF_PAYLOADS = ["javascript:window.__pwned=9;alert(9)", "data:text,x", "..%2F..%2Fetc"]
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _poison_run(src: Path, dst: Path, payload: str) -> None:
    shutil.copytree(src, dst)
    lines = [json.loads(x) for x in (dst / "cases.jsonl").read_text().splitlines()]
    for rec in lines:
        rec["workload"] = payload if rec["workload"] == "mlp" else rec["workload"]
        if rec["device"] == "cpu":
            rec["device"] = "cpu" + payload
        rec["case_id"] = rec["case_id"] + payload
        if rec.get("reason"):
            rec["reason"] = payload
    (dst / "cases.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    run = json.loads((dst / "run.json").read_text())
    run["run_id"] = dst.name
    run["command"] = ["python", "-m", "benchmarks", "run", "--only", payload]
    run["devices"] = [d + payload for d in run["devices"]]
    (dst / "run.json").write_text(json.dumps(run))
    fp = json.loads((dst / "fingerprint.json").read_text())
    fp.setdefault("host", {})["cpu_model"] = payload
    (dst / "fingerprint.json").write_text(json.dumps(fp))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site") / "reports"
    root.mkdir()
    (root / ".graphbench-reports").write_text("graphbench reports root\n")
    for i, payload in enumerate(PAYLOADS):
        _poison_run(RUNS / "compare-base", root / f"run-{i}", payload)
    for j, name in enumerate(HREF_PAYLOADS):
        dst = root / name
        shutil.copytree(RUNS / "compare-new", dst)
        run = json.loads((dst / "run.json").read_text())
        run["started_at"] = f"2026-11-2{j}T00:00:00Z"
        (dst / "run.json").write_text(json.dumps(run))
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        r = bench("report", d)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
    for page in root.rglob("index.html"):  # take the second wall down
        html = page.read_text()
        assert CSP.search(html), page
        page.write_text(CSP.sub("", html))
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_or_skip().sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _dismiss(seen: list[str], dialog: Any) -> None:
    seen.append(dialog.message)
    dialog.dismiss()


def _pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted(site.glob("*/index.html"))]


def test_no_payload_runs_in_chromium_without_the_csp(browser: Any, site: Path) -> None:
    pages = _pages(site)
    assert len(pages) == 1 + len(PAYLOADS) + len(HREF_PAYLOADS)
    for page_path in pages:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", functools.partial(_dismiss, dialogs))
        page.goto(page_path.as_uri())
        page.mouse.move(200, 200)
        for link in page.eval_on_selector_all("a[href]", "a => a.map(x => x.getAttribute('href'))"):
            assert (
                link.startswith(("./", "#", "../index.html"))
                or link.endswith(".json")
                or "." in link
            ), link
            assert not link.lower().startswith(("javascript:", "data:", "//")), link
        assert page.evaluate("typeof window.__pwned") == "undefined", page_path
        assert page.evaluate("document.querySelectorAll('script').length") == 0, page_path
        assert page.evaluate("document.querySelectorAll('img').length") == 0, page_path
        assert page.evaluate("document.getElementById('evil')") is None, page_path
        handlers = page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
        )
        assert handlers == [], (page_path, handlers)
        ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
        bad = [i for i in ids if not SAFE_ID.fullmatch(i)]
        assert bad == [], (page_path, bad)
        labelled = page.evaluate(
            "[...document.querySelectorAll('[aria-labelledby]')]"
            ".flatMap(e => e.getAttribute('aria-labelledby').split(' '))"
        )
        assert all(SAFE_ID.fullmatch(i) for i in labelled), labelled
        assert dialogs == [], (page_path, dialogs)
        page.close()
    # the payload is shown, as text, where it belongs
    page = browser.new_page()
    page.goto((site / "run-0" / "index.html").as_uri())
    assert PAYLOADS[0] in page.locator("body").inner_text()
    page.close()


def test_site_links_are_relative_and_encoded(site: Path) -> None:
    html = (site / "index.html").read_text()
    hrefs = re.findall(r'href="([^"]*)"', html)
    run_links = [h for h in hrefs if not h.startswith("#")]
    assert run_links, html[:500]
    for h in run_links:
        assert h.startswith("./") and h.endswith("/index.html"), h
        assert ":" not in h, h
    assert "./javascript%3Awindow.__pwned%3D9%3Balert%289%29/index.html" in html
