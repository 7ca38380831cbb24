"""Rendering to disk: the corrupt-line policy, escaping, the CSV, the commands and the site."""

from __future__ import annotations

import csv
import dataclasses
import html as htmllib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.report.render import cases_csv, render_run
from benchmarks.report.site import find_run_dirs, render_site
from benchmarks.rundir.load import load_run
from benchmarks.rundir.paths import mark_reports_root
from tests.data.make_fixtures import IMG, SCRIPT
from tests.unit.report_fixtures import RUNS, copy_run, html, run

ROOT = Path(__file__).resolve().parents[2]


def test_report_never_imports_tensorflow(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "import benchmarks.report, benchmarks.report.render as r, benchmarks.report.site as s\n"
        "import benchmarks.commands.report, benchmarks.commands.compare\n"
        f"r.render_run(Path({str(RUNS / 'gpu-failed')!r}), out_dir=Path({str(tmp_path)!r}),"
        f" baseline=Path({str(RUNS / 'cpu-all-statuses')!r}))\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "index.html").exists()


def test_corrupt_lines_render_the_rest_with_a_visible_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_run("cpu-all-statuses", tmp_path)
    lines = (d / "cases.jsonl").read_text().splitlines(keepends=True)
    lines[4] = '{"case_id": "mlp-graph-b10-cpu", "status": \n'  # line 5: truncated JSON
    lines[9] = (
        '{"schema_version": 1, "case_id": "x", "workload": "mlp", "mode": "eager", '
        '"batch_size": 1, "device": "cpu", "status": "exploded"}\n'
    )  # line 10
    (d / "cases.jsonl").write_text("".join(lines) + '{"case_id": "partial')  # line 25, no \n
    page = render_run(d).read_text()
    assert 'id="problems"' in page and "3 line(s) not shown" in page
    assert "cases.jsonl:5: not valid JSON" in page
    assert "cases.jsonl:10: unknown status &#39;exploded&#39;" in page
    assert "cases.jsonl:25: incomplete last line" in page
    assert page.count('data-status="ok"') == 17  # 19 ok cells, 2 of them on bad lines
    assert 'id="cell-mlp-graph-b10-cpu" data-status="not run"' in page  # planned, line lost
    err = capsys.readouterr().err
    assert f"warning: {d}/cases.jsonl:5: not valid JSON" in err
    # the strict reader (resume, CI checks) still refuses the same file, naming file:line
    from benchmarks.errors import ResultsError
    from benchmarks.rundir.results import read_cases

    try:
        read_cases(d)
    except ResultsError as exc:
        assert str(exc).endswith("cases.jsonl:5: not valid JSON (Expecting value at column 44)")
    else:
        raise AssertionError("read_cases accepted a corrupt file")


def test_injection_strings_are_text_in_the_page() -> None:
    page = html("gpu-h100-injection")
    assert (
        "<script" not in page
        and "<img" not in page
        and "onerror=" not in page.replace("onerror=&#34;", "")
    )
    assert htmllib.escape(SCRIPT, quote=True).replace("&#x27;", "&#39;") in page
    esc_img = IMG.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    assert esc_img in page
    # every place it came from: GPU process name, env value, reason, warning, diagnosis
    for where in (
        "gpu-procs",
        "TF_XLA_FLAGS",
        "ValueError: &lt;img",
        "foreign_gpu_process: pid 777",
    ):
        assert where in page
    # the page also forbids scripts and fetches outright (defence in depth)
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:;" in page


def test_page_has_no_external_references() -> None:
    for name in ("cpu-all-statuses", "gpu-failed", "gpu-h100-injection"):
        page = html(name)
        urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page)
        assert all(not re.match(r"^[a-z]+:", u) or u.startswith("data:") for u in urls), urls
        assert "@import" not in page and "url(" not in page
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page


def test_csv_has_every_case_and_defuses_formulas() -> None:
    r = run("cpu-all-statuses")
    cases = [dataclasses.replace(r.cases[0], reason='=HYPERLINK("http://x")'), *r.cases[1:]]
    rows = list(csv.reader(cases_csv(cases).splitlines()))
    assert rows[0][:3] == ["case_id", "workload", "mode"] and len(rows) == 25
    assert rows[1][6].startswith("'=HYPERLINK")
    statuses = {row[5] for row in rows[1:]}
    assert statuses == {"ok", "failed", "crashed", "timeout", "oom", "skipped"}


def test_out_dir_gets_the_downloads(tmp_path: Path) -> None:
    page = render_run(RUNS / "gpu-failed", out_dir=tmp_path / "o")
    names = sorted(p.name for p in page.parent.iterdir())
    assert names == [
        "cases.csv",
        "cases.jsonl",
        "diagnosis.json",
        "fingerprint.json",
        "index.html",
        "run.json",
    ]
    text = page.read_text()
    for n in ("cases.jsonl", "cases.csv", "fingerprint.json", "diagnosis.json"):
        assert f'href="{n}" download' in text


def test_report_command_renders_run_and_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "reports"
    mark_reports_root(root)  # the site goes only into a reports root graphbench made
    a = copy_run("compare-base", root)
    b = copy_run("compare-new", root)
    assert main(["report", str(b), "--baseline", str(a), "--threshold", "0.2"]) == 0
    out = capsys.readouterr().out
    assert f"report: {b}/index.html" in out and f"site:   {root}/index.html" in out
    page = (b / "index.html").read_text()
    assert 'id="compare"' in page and "exceeds 20 %" in page
    assert (root / "index.html").exists()
    assert main(["report", str(a), "--no-site"]) == 0


def test_report_command_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "hint: " in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "run.json: not found" in capsys.readouterr().err
    d = copy_run("gpu-failed", tmp_path)
    (d / "run.json").write_text(json.dumps({"schema_version": 99}))
    assert main(["report", str(d)]) == 2
    assert "schema_version 99 is not supported" in capsys.readouterr().err


def test_site_merges_machines_and_lists_regressions(tmp_path: Path) -> None:
    root = tmp_path / "site"
    mark_reports_root(root)
    for name in ("compare-base", "compare-new", "gpu-failed"):
        copy_run(name, root)
    copy_run("gpu-h100-injection", root / "gpu-runner-1")  # another machine's upload
    (root / "broken").mkdir()
    (root / "broken" / "run.json").write_text("{")
    assert [p.name for p in find_run_dirs(root)] == [
        "broken",
        "compare-base",
        "compare-new",
        "gpu-failed",
        "gpu-h100-injection",
    ]
    render_run(root / "gpu-runner-1" / "gpu-h100-injection")
    page = render_site(root, generated_at="").read_text()
    assert page.count('<tr class="run">') == 4  # four readable runs
    assert 'href="./gpu-runner-1/gpu-h100-injection/index.html"' in page
    assert '2026-11-21T0900Z-cpu <span class="sub">(page not rendered' in page  # no link
    assert "broken: " in page and "cannot be read as JSON" in page
    assert "mlp-graph-b1-cpu" in page and "+25.1 %" in page  # latest regression, CPU class
    assert "AMD EPYC 9R14 96-Core Processor + NVIDIA H100 80GB HBM3" in page
    assert page.count("<svg") == 2 and "<script" not in page  # CPU mlp, H100 mlp gpu:0
    # the CPU trend has one point per CPU run (3 runs, oldest first)
    assert "one point per run of this machine class (3 run(s)" in page
    assert load_run(root / "compare-new").record.status == "complete"


def test_gpu_failure_without_a_diagnosis_still_explains(tmp_path: Path) -> None:
    d = copy_run("gpu-failed", tmp_path)
    (d / "diagnosis.json").unlink()
    page = render_run(d, generated_at="").read_text()
    assert '<section id="gpu" class="callout bad">' in page
    assert "No <code>diagnosis.json</code>" in page
    assert "GPU unavailable: no GPU device initialised (see diagnosis)</code> — 9 cell(s)" in page
    assert "failed call to cuInit" in page  # the probe log, shown open
    assert "runner-7" not in page and "this host (&lt;host&gt;)" in page  # host name scrubbed


def test_shards_of_a_merged_run_are_listed_as_such_and_counted_once(tmp_path: Path) -> None:
    import json

    root = tmp_path / "site"
    mark_reports_root(root)
    for name in ("compare-base", "compare-new", "gpu-failed"):
        copy_run(name, root)
    shard_ids = [load_run(root / n).record.run_id for n in ("compare-base", "compare-new")]
    merged = json.loads((root / "gpu-failed" / "run.json").read_text())
    merged["merged_from"] = [{"run_id": i, "shard_label": f"{k + 1}-of-2"}
                             for k, i in enumerate(shard_ids)]  # fmt: skip
    (root / "gpu-failed" / "run.json").write_text(json.dumps(merged))
    page = render_site(root, generated_at="").read_text()
    merged_id = merged["run_id"]
    assert page.count('<tr class="run">') == 3  # still listed: each shard's page stays useful
    assert page.count(f"(a shard of {merged_id})") == 2
    # the two shards are no longer compared with each other as two runs of one machine
    assert "+25.1 %" not in page
