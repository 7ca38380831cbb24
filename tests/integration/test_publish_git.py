"""``publish`` against a real git: a local bare repository, fresh clones, real processes.

Each publish runs the CLI in its own empty working directory with its own TMPDIR, as a
scheduled job on a fresh runner would; the runs are built by the report fixtures' builders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM, chromium_or_skip, require_or_skip
from tests.integration.conftest import bench_argv, bench_env
from tests.unit.history_fixtures import make_run

BRANCH = "bench-history"
SLOW = ("graph", 10)
SLOW_ID = "mlp-graph-b10-cpu"


@pytest.fixture(autouse=True)
def _git_here() -> None:
    """Skip (saying why) where git is missing; fail where GRAPHBENCH_REQUIRE_GIT=1."""
    if shutil.which("git") is None:
        require_or_skip("git", "git is not installed (apt-get install git)")


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository with a main branch of its own (the history branch does not exist)."""
    bare = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    seed = tmp_path / "seed"
    git("clone", "--quiet", str(bare), str(seed))
    (seed / "README.md").write_text("the project\n")
    git("add", "README.md", cwd=seed)
    git("commit", "--quiet", "-m", "project", cwd=seed)
    git("push", "--quiet", "origin", "HEAD:main", cwd=seed)
    return bare


def job(tmp_path: Path, name: str, *runs: Path) -> Path:
    """A clean working copy holding these run directories under reports/."""
    work = tmp_path / name
    (work / "tmp").mkdir(parents=True)
    for run in runs:
        shutil.copytree(run, work / "reports" / run.name)
    return work


def _argv_env(
    work: Path, remote: Path, args: tuple[str, ...], env: dict[str, str] | None
) -> tuple[list[str], dict[str, str]]:
    reports = work / "reports"
    runs = sorted(str(p) for p in reports.glob("*")) if reports.is_dir() else []
    argv = bench_argv(
        "publish", *runs, "--history", str(remote), "--site", str(work / "site"), *args
    )
    full_env = {**bench_env(), "TMPDIR": str(work / "tmp"), "GIT_CONFIG_GLOBAL": os.devnull}
    full_env.pop("GITHUB_STEP_SUMMARY", None)
    return argv, {**full_env, **(env or {})}


def publish(
    work: Path, remote: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv, full_env = _argv_env(work, remote, args, env)
    return subprocess.run(
        argv, cwd=work, env=full_env, capture_output=True, text=True, timeout=300, check=False
    )


def start_publish(work: Path, remote: Path) -> subprocess.Popen[str]:
    argv, full_env = _argv_env(work, remote, (), None)
    return subprocess.Popen(
        argv, cwd=work, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def history_clone(tmp_path: Path, remote: Path, name: str = "check") -> Path:
    dest = tmp_path / name
    git("clone", "--quiet", "--branch", BRANCH, str(remote), str(dest))
    return dest


def runs_in(checkout: Path) -> list[str]:
    return sorted(p.name for p in checkout.glob("runs/*/*") if (p / "run.json").is_file())


def test_three_scheduled_publishes_accumulate_history_and_flag_only_the_slow_cell(
    tmp_path: Path, remote: Path
) -> None:
    built = [make_run(tmp_path / "built", n, slow=SLOW if n == 2 else None) for n in range(3)]
    summary = tmp_path / "summary.md"
    for n, run in enumerate(built):
        work = job(tmp_path, f"job{n}", run)
        done = publish(work, remote, env={"GITHUB_STEP_SUMMARY": str(summary)} if n == 2 else None)
        assert done.returncode == 0, done.stderr
        assert "published: runs/" in done.stdout
        assert list((work / "tmp").iterdir()) == [], "the temporary clone is removed"
        assert sorted(p.name for p in work.iterdir()) == ["reports", "site", "tmp"]

    check = history_clone(tmp_path, remote)
    assert runs_in(check) == sorted(r.name for r in built)
    tracked = git("ls-files", cwd=check).split()
    assert not [f for f in tracked if f.endswith((".html", ".csv", ".svg"))], "no rendered pages"
    log = git("log", "--format=%s", cwd=check).splitlines()
    assert len(log) == 3 and all(any(r.name in line for line in log) for r in built)
    assert git("ls-tree", "--name-only", "main", cwd=remote) == "README.md\n", "main untouched"

    site = tmp_path / "job2" / "site"
    found = json.loads((site / "regressions.json").read_text())
    assert [(r["case_id"], r["run_id"], r["method"]) for r in found] == [
        (SLOW_ID, built[2].name, "step")
    ]
    assert 1.8 < found[0]["ratio"] < 2.2 and found[0]["before_run_id"] == built[1].name
    entries = ET.fromstring((site / "feed.atom").read_text()).findall(
        "{http://www.w3.org/2005/Atom}entry"
    )
    assert len(entries) == 1
    index = (site / "index.html").read_text()
    for page in (found[0]["run_page"], found[0]["before_run_page"]):
        assert f'href="./{page}"' in index and (site / page).is_file()  # report.safety hrefs
    assert len(list(site.glob("runs/*/*/index.html"))) == 3
    assert SLOW_ID in summary.read_text() and "1 regression(s)" in summary.read_text()

    # the other method, from a fourth clean copy that only renders: the same one cell
    zs = publish(job(tmp_path, "job3"), remote, "--method", "zscore")
    assert zs.returncode == 0, zs.stderr
    found_z = json.loads((tmp_path / "job3" / "site" / "regressions.json").read_text())
    assert [(r["case_id"], r["method"]) for r in found_z] == [(SLOW_ID, "zscore")]

    # publishing the slow run again changes nothing but fails the job when asked to
    again = publish(job(tmp_path, "job4", built[2]), remote, "--fail-on-regression")
    assert again.returncode == 1 and "already in the history" in again.stdout
    assert len(git("log", "--format=%s", BRANCH, cwd=remote).splitlines()) == 3


def test_two_concurrent_publishes_keep_both_runs(tmp_path: Path, remote: Path) -> None:
    a = job(tmp_path, "a", make_run(tmp_path / "built", 0))
    b = job(tmp_path, "b", make_run(tmp_path / "built", 1))
    procs = [start_publish(w, remote) for w in (a, b)]  # both create the missing branch
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    check = history_clone(tmp_path, remote)
    assert len(runs_in(check)) == 2
    assert len(git("log", "--format=%s", cwd=check).splitlines()) == 2
    print("attempts:", [line for out, _ in outs for line in out.splitlines() if "attempt" in line])


def test_a_corrupt_run_in_the_history_is_skipped_and_the_site_renders(
    tmp_path: Path, remote: Path
) -> None:
    assert publish(job(tmp_path, "j0", make_run(tmp_path / "built", 0)), remote).returncode == 0
    hand = history_clone(tmp_path, remote, "hand")
    (machine,) = (hand / "runs").iterdir()
    broken = machine / "broken-run"
    broken.mkdir()
    (broken / "run.json").write_text('{"schema_version": 1, "run_id": "half')
    (broken / "cases.jsonl").write_text("{}\n")
    git("add", "--all", cwd=hand)
    git("commit", "--quiet", "-m", "a damaged run", cwd=hand)
    git("push", "--quiet", "origin", BRANCH, cwd=hand)

    work = job(tmp_path, "j1", make_run(tmp_path / "built", 1))
    done = publish(work, remote)
    assert done.returncode == 0, done.stderr
    assert "warning: history run skipped: runs/" in done.stderr and "broken-run" in done.stderr
    index = (work / "site" / "index.html").read_text()
    assert "broken-run" in index and index.count('class="run"') == 2
    assert not (work / "site" / "runs" / machine.name / "broken-run").exists()


def test_bad_input_is_one_error_and_a_hint_and_writes_nothing(tmp_path: Path, remote: Path) -> None:
    work = job(tmp_path, "w", make_run(tmp_path / "built", 0))
    nowhere = publish(work, tmp_path / "no-such-repo")
    assert nowhere.returncode == 2
    assert nowhere.stderr.startswith("error: ") and "\nhint: " in nowhere.stderr
    assert "cannot reach" in nowhere.stderr
    (work / "reports" / "not-a-run").mkdir()
    not_run = publish(work, remote)
    assert not_run.returncode == 2 and "run.json" in not_run.stderr and "hint: " in not_run.stderr
    assert not (work / "site").exists() and list((work / "tmp").iterdir()) == []
    assert git("branch", "--list", BRANCH, cwd=remote) == ""


def test_a_push_that_lost_the_race_is_re_applied_on_the_new_tip(
    tmp_path: Path, remote: Path
) -> None:
    """Deterministic version of the race: two clones taken before either pushes."""
    from benchmarks.history import store
    from benchmarks.rundir.load import load_run

    first, second = (load_run(make_run(tmp_path / "built", n)) for n in (0, 1))
    co_a = store.open_history(str(remote), BRANCH, tmp_path / "clone-a")
    co_b = store.open_history(str(remote), BRANCH, tmp_path / "clone-b")
    assert store.publish(co_b, [second]).attempts == 1
    done = store.publish(co_a, [first])
    assert done.committed and done.attempts == 2
    assert runs_in(history_clone(tmp_path, remote)) == sorted(
        [first.record.run_id, second.record.run_id]
    )


@pytest.mark.browser
def test_the_history_site_in_chromium_links_a_regression_to_its_runs(tmp_path: Path) -> None:
    """Real headless Chromium: the marked regression's links open the two run pages, and the
    site loads nothing from the network."""
    sync_api = chromium_or_skip()
    from benchmarks.history.detect import Settings
    from benchmarks.history.site import render_history

    runs = tmp_path / "history" / "runs" / "m"
    built = [make_run(runs, n, slow=SLOW if n == 2 else None) for n in range(3)]
    render_history(tmp_path / "history", tmp_path / "site", Settings(), generated_at="")
    requests: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", route)
        page.goto((tmp_path / "site" / "index.html").as_uri())
        row = page.locator("tr.history-regression")
        assert row.count() == 1 and SLOW_ID in row.inner_text()
        row.get_by_role("link", name=built[2].name).click()
        page.wait_for_load_state()
        assert built[2].name in page.title() + page.inner_text("header")
        page.go_back()
        page.locator("tr.history-regression").get_by_role("link", name=built[1].name).click()
        page.wait_for_load_state()
        assert built[1].name in page.title() + page.inner_text("header")
        browser.close()
    assert requests == []
