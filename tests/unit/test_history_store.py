"""What a run looks like on the history branch (the copy; git itself is tested in integration)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmarks import analysis
from benchmarks.history import store
from benchmarks.rundir.load import load_run
from tests.unit.history_fixtures import make_run

TOKEN = "ghp_" + "x1" * 18


def test_a_run_is_copied_data_only_scrubbed_and_with_logs_trimmed(tmp_path: Path) -> None:
    src = make_run(tmp_path / "reports", 0)
    home = os.path.expanduser("~")
    (src / "index.html").write_text("<html>rendered</html>")
    (src / "cases.csv").write_text("case_id\n")
    (src / "logs").mkdir()
    big = "".join(f"line {i} of the worker's stderr\n" for i in range(20_000))
    (src / "logs" / "worker-1-cpu.log").write_text(big + f"token {TOKEN} in {home}/secret\n")
    (src / "probe.log").write_text(f"probe at {home}/x\n")
    record = json.loads((src / "run.json").read_text())
    record["command"] += ["--matrix", f"{home}/private/matrix.toml"]
    (src / "run.json").write_text(json.dumps(record))

    run = load_run(src)
    rel = store.copy_run(run, tmp_path / "history")
    dest = tmp_path / "history" / rel
    assert rel == store.target_of(run) and rel.startswith("runs/amd-epyc-9r14-96-core-processor-")
    assert rel.endswith("/" + run.record.run_id)
    names = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert names == ["cases.jsonl", "fingerprint.json", "logs/worker-1-cpu.log", "probe.log",
                     "run.json", "speedups.json"]  # fmt: skip
    # the stored speedups are those of the copy's (scrubbed) cases, and valid for them
    from benchmarks.rundir import derived

    assert derived.read(dest) == analysis.speedups(load_run(dest).cases)
    log = (dest / "logs" / "worker-1-cpu.log").read_text()
    assert len(log.encode()) <= store.LOG_TAIL_BYTES and log.startswith("line ")
    assert TOKEN not in log and home + "/" not in log and "<redacted>" in log
    assert home + "/" not in (dest / "probe.log").read_text()
    assert home + "/" not in (dest / "run.json").read_text()
    copied = load_run(dest)  # still a run directory the report reads
    assert copied.cases == run.cases and copied.problems == ()


def test_the_commit_message_names_every_run(tmp_path: Path) -> None:
    runs = [load_run(make_run(tmp_path, n)) for n in range(2)]
    message = store.commit_message(runs, [store.target_of(r) for r in runs])
    subject = message.splitlines()[0]
    assert subject.startswith("history: add 2 run(s): ")
    assert all(r.record.run_id in subject and store.target_of(r) in message for r in runs)


def test_an_odd_run_id_becomes_a_safe_directory_name(tmp_path: Path) -> None:
    src = make_run(tmp_path, 0)
    record = json.loads((src / "run.json").read_text())
    record["run_id"] = "../../etc/passwd run"
    (src / "run.json").write_text(json.dumps(record))
    name = store.run_name(load_run(src))
    assert "/" not in name and not name.startswith(".") and name == "etc-passwd-run"


def test_two_runs_sharing_an_id_both_stay_and_a_run_published_again_lands_on_itself(
    tmp_path: Path,
) -> None:
    first = load_run(make_run(tmp_path / "a", 0))
    assert store.copy_run(first, tmp_path / "h") == store.target_of(first)
    assert store.copy_run(first, tmp_path / "h") == store.target_of(first)
    other = make_run(tmp_path / "b", 0)
    record = json.loads((other / "run.json").read_text())
    record["started_at"] = "2026-11-01T21:00:00Z"  # same id, another run
    (other / "run.json").write_text(json.dumps(record))
    second = load_run(other)
    rel = store.copy_run(second, tmp_path / "h")
    assert rel.startswith(store.target_of(first) + "-") and rel != store.target_of(first)
    assert len(list((tmp_path / "h" / "runs").glob("*/*/run.json"))) == 2


def test_publishing_refreshes_stored_speedups_that_an_older_version_left(tmp_path: Path) -> None:
    from benchmarks.rundir import derived
    from benchmarks.rundir.layout import SPEEDUPS_FILE

    history = tmp_path / "history"
    old = [history / store.copy_run(load_run(make_run(tmp_path / "src", n)), history)
           for n in range(2)]  # fmt: skip
    (old[0] / SPEEDUPS_FILE).unlink()  # published before stored speedups existed
    stale = json.loads((old[1] / SPEEDUPS_FILE).read_text()) | {"code": "0" * 64}
    (old[1] / SPEEDUPS_FILE).write_text(json.dumps(stale))  # another statistics code
    assert [derived.read(d) for d in old] == [None, None]
    assert store.refresh_derived(history) == sorted(old)
    for d in old:
        assert derived.read(d) == analysis.speedups(load_run(d).cases)
    assert store.refresh_derived(history) == []  # valid now: nothing to do
