"""Merging shard run directories: the union, every refusal, missing shards, many machines.

The shards are cut from a committed fixture run with the real split (plan.shard), written as
``run --shard K/N`` writes them (shard, plan digest and full plan in run.json).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from benchmarks import cli
from benchmarks.errors import EXIT_USAGE, BenchError, ConfigError, ResultsError
from benchmarks.plan import shard
from benchmarks.plan.matrix import Case, Plan, Timing
from benchmarks.report.compare import compare_loaded
from benchmarks.report.render import render_run
from benchmarks.run.session import exit_status
from benchmarks.rundir import merge
from benchmarks.rundir.load import load_run
from benchmarks.rundir.results import (
    CaseResult,
    RunRecord,
    latest_by_case,
    read_cases,
    read_run,
    write_run,
)
from tests.unit.report_fixtures import RUNS

BASE = RUNS / "compare-base"


def make_shards(root: Path, count: int, base: Path = BASE) -> list[Path]:
    """Cut ``base`` into ``count`` shard run directories with the real split."""
    record, cases = read_run(base), read_cases(base)
    full = Plan(
        record.profile, record.matrix_source, record.matrix_digest,
        Timing(**record.timing), tuple(Case(**c) for c in record.plan),
    )  # fmt: skip
    digest = shard.digest_of(full)
    dirs = []
    for k in range(1, count + 1):
        part, split = shard.select(full, shard.ShardSpec(k, count), shard.cost_model(full.timing))
        ids = [c.case_id for c in part.cases]
        d = root / f"{record.run_id}-shard{k}of{count}"
        d.mkdir(parents=True)
        shutil.copy(base / "fingerprint.json", d / "fingerprint.json")
        (d / "logs").mkdir()
        (d / "logs" / "worker-1-cpu.log").write_text(f"shard {k}\n")
        workers = [{**w, "log": "logs/worker-1-cpu.log"} for w in record.workers]
        write_run(
            d,
            replace(
                record, run_id=d.name, cases=ids, plan=[asdict(c) for c in part.cases],
                shard={"index": k, "count": count, "costs": "estimate", "split_digest": split},
                plan_digest=digest,
                full_plan=[asdict(c) for c in full.cases], workers=workers,
            ),
        )  # fmt: skip
        lines = [c.to_json() + "\n" for c in cases if c.case_id in set(ids)]
        (d / "cases.jsonl").write_text("".join(lines))
        dirs.append(d)
    return dirs


def _merge(dirs: list[Path], out: Path) -> RunRecord:
    return merge.merge(dirs, out, ["python", "-m", "benchmarks", "merge"], exit_status)


def test_merging_every_shard_gives_back_the_run(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "shards", 3)
    assert all(read_run(d).cases for d in dirs)  # 4 groups over 3 shards: none is empty
    out = tmp_path / "merged"
    record = _merge(dirs[::-1], out)  # the order given does not matter
    base = read_run(BASE)
    assert record.cases == base.cases and record.plan == base.plan
    assert record.status == "complete" and record.exit_code == 0 and record.missing == []
    assert record.plan_digest == read_run(dirs[0]).plan_digest
    assert record.shard is None
    assert [e["shard_label"] for e in record.merged_from] == ["1-of-3", "2-of-3", "3-of-3"]
    assert {c.case_id: c for c in read_cases(out)} == latest_by_case(read_cases(BASE))
    assert read_run(out) == record
    assert (out / "fingerprint.json").read_bytes() == (BASE / "fingerprint.json").read_bytes()
    for k in (1, 2, 3):
        kept = out / "shards" / f"{k}-of-3"
        assert (kept / "run.json").is_file() and (kept / "logs" / "worker-1-cpu.log").is_file()
        assert not (kept / "cases.jsonl").exists()
    assert [w["log"] for w in record.workers] == [  # each shard's workers, in shard order
        f"shards/{k}-of-3/logs/worker-1-cpu.log" for k in (1, 2, 3) for _ in base.workers
    ]
    assert len(merge.machines(record)) == 1
    # report and compare read it like any other run
    page = render_run(out, generated_at="").read_text()
    assert page.count('data-status="ok"') == len(base.cases)
    assert "Merged from 3 of 3 shards, all measured on one machine." in page
    cmp = compare_loaded(load_run(BASE), load_run(out), 0.10)
    assert cmp.comparable and not cmp.regressions and len(cmp.changes) == len(base.cases)
    assert not cmp.only_in_baseline and not cmp.only_in_new


def test_a_missing_shard_leaves_the_run_incomplete_naming_its_cells(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "shards", 3)
    record = _merge([dirs[0], dirs[2]], tmp_path / "merged")
    lost = read_run(dirs[1]).cases
    assert record.status == merge.INCOMPLETE and record.exit_code == 1
    assert record.missing == lost and lost
    assert len(record.cases) == len(read_run(BASE).cases)
    page = render_run(tmp_path / "merged", generated_at="").read_text()
    for cid in lost:
        assert f'id="cell-{cid}" data-status="not run"' in page
    assert '<section id="shards" class="callout bad">' in page
    assert f"Incomplete:</strong> {len(lost)} cell(s) in no shard given" in page
    assert "Merged from 2 of 3 shards, all measured on one machine." in page


def test_a_failed_cell_in_a_shard_makes_the_merged_run_fail(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "shards", 2)
    lines = (dirs[1] / "cases.jsonl").read_text().splitlines()
    bad = json.loads(lines[0]) | {"status": "crashed", "reason": "worker killed by SIGSEGV"}
    (dirs[1] / "cases.jsonl").write_text("\n".join([json.dumps(bad), *lines[1:]]) + "\n")
    record = _merge(dirs, tmp_path / "merged")
    assert (record.status, record.exit_code) == ("cells_failed", 1)


def test_a_resumed_shard_keeps_its_retry(tmp_path: Path) -> None:
    """A shard re-run with --resume appends a retry line: the merge keeps the latest, like a run."""
    dirs = make_shards(tmp_path / "shards", 2)
    lines = (dirs[0] / "cases.jsonl").read_text().splitlines()
    failed = json.loads(lines[0]) | {"status": "timeout", "reason": "over 300 s"}
    (dirs[0] / "cases.jsonl").write_text("\n".join([json.dumps(failed), *lines]) + "\n")
    record = _merge(dirs, tmp_path / "merged")
    assert record.status == "complete"
    assert len(read_cases(tmp_path / "merged")) == len(read_run(BASE).cases) + 1


def test_shards_from_different_machines_are_kept_apart(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "shards", 2)
    other = [
        json.dumps(json.loads(line) | {"fingerprint_digest": "sha256:other-machine"})
        for line in (dirs[1] / "cases.jsonl").read_text().splitlines()
    ]
    (dirs[1] / "cases.jsonl").write_text("\n".join(other) + "\n")
    fp = json.loads((dirs[1] / "fingerprint.json").read_text())
    fp["host"]["cpu_model"] = "AMD EPYC 9654 96-Core Processor"
    (dirs[1] / "fingerprint.json").write_text(json.dumps(fp))
    record = _merge(dirs, tmp_path / "merged")
    seen = merge.machines(record)
    assert len(seen) == 2 and seen["sha256:other-machine"] == ["2-of-2"]
    kept = tmp_path / "merged" / "shards" / "2-of-2" / "fingerprint.json"
    assert "EPYC 9654" in kept.read_text()  # each machine's own fingerprint is kept
    by_machine = {c.case_id: c.fingerprint_digest for c in read_cases(tmp_path / "merged")}
    assert {by_machine[cid] for cid in read_run(dirs[1]).cases} == {"sha256:other-machine"}
    page = render_run(tmp_path / "merged", generated_at="").read_text()
    assert '<section id="shards" class="callout warn">' in page
    assert "Merged from 2 of 2 shards, measured on 2 different machines or environments" in page
    assert "AMD EPYC 9654 96-Core Processor (other-machin)" in page


# ------------------------------------------------------------------------------------ refusals


def _refused(dirs: list[Path], out: Path, says: str, kind: type[BenchError] = ConfigError) -> None:
    with pytest.raises(kind) as err:
        _merge(dirs, out)
    assert says in err.value.message, err.value.message
    assert err.value.exit_code == EXIT_USAGE and err.value.hint
    assert not (out / "run.json").exists()


def _edit_run(d: Path, **changes: object) -> None:
    write_run(d, replace(read_run(d), **changes))  # type: ignore[arg-type]


def test_refuses_overlapping_shards(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "shards", 2)
    stolen = read_run(dirs[0]).cases[0]
    _edit_run(dirs[1], cases=[*read_run(dirs[1]).cases, stolen])
    _refused(dirs, tmp_path / "m", f"shards overlap: {stolen} is in")


def test_refuses_the_same_shard_twice(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "shards", 2)
    copy = tmp_path / "copy"
    shutil.copytree(dirs[0], copy)
    _refused([dirs[0], copy, dirs[1]], tmp_path / "m", "are both shard 1/2")


def test_refuses_shards_of_different_plans(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    _edit_run(dirs[1], plan_digest="0" * 64)
    _refused(dirs, tmp_path / "m", "plan digest 000000000000 !=")


def test_refuses_different_suite_versions(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    _edit_run(dirs[1], suite_version="0.0.9")
    _refused(dirs, tmp_path / "m", "suite version '0.0.9' != '0.1.0'")


def test_refuses_different_seeds(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    _edit_run(dirs[1], seed=99)
    _refused(dirs, tmp_path / "m", "seed '99' != '1234'")


def test_refuses_shards_of_different_splits(tmp_path: Path) -> None:
    two, three = make_shards(tmp_path / "a", 2), make_shards(tmp_path / "b", 3)
    _refused([two[0], three[1]], tmp_path / "m", "shard count '3' != '2'")
    # the same N, cut by other costs (another --shard-costs, another cost model)
    _edit_run(two[1], shard={**(read_run(two[1]).shard or {}), "split_digest": "f" * 64})
    _refused(two, tmp_path / "m", "split digest ffffffffffff !=")


def test_refuses_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused([dirs[0], empty], tmp_path / "m", "not a run directory (no run.json)", ResultsError)
    _refused([dirs[0], tmp_path / "nowhere"], tmp_path / "m", "not a directory", ResultsError)
    (dirs[1] / "run.json").write_text("{not json")
    _refused(dirs, tmp_path / "m", "cannot be read as JSON", ResultsError)


def test_refuses_a_damaged_cases_file(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    with (dirs[1] / "cases.jsonl").open("a") as fh:
        fh.write("garbage\n{}\n")
    _refused(dirs, tmp_path / "m", "cases.jsonl:", ResultsError)


def test_refuses_an_out_dir_that_is_taken_or_inside_an_input(tmp_path: Path) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    _refused(dirs, dirs[0] / "merged", "is inside the input")
    with pytest.raises(ConfigError, match="is inside the input"):
        _merge(dirs, dirs[1])  # the input itself
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    _refused(dirs, taken, "already exists and is not empty")
    assert (taken / "notes.txt").read_text() == "mine"


def test_refuses_nothing_to_merge() -> None:
    with pytest.raises(ConfigError):
        merge.check([])


def test_cli_refusal_is_one_error_and_one_hint_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs = make_shards(tmp_path / "a", 2)
    _edit_run(dirs[1], suite_version="9.9.9")
    code = cli.main(["merge", *map(str, dirs), "--out", str(tmp_path / "m"), "--no-report"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_USAGE
    assert err[0].startswith("error: ") and "suite version" in err[0]
    assert err[1].startswith("hint: ") and len(err) == 2


def test_cli_merges_and_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dirs = make_shards(tmp_path / "a", 3)
    _edit_run(dirs[2], status="running", finished_at=None, exit_code=None)  # a crashed shard
    code = cli.main(["merge", str(dirs[0]), str(dirs[2]), "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 1
    assert "merged 2 shard(s) (1-of-3, 3-of-3)" in err and "status incomplete" in err
    assert "incomplete: " in err and read_run(dirs[1]).cases[0] in err
    assert (tmp_path / "m" / "index.html").is_file()
    assert "note: shard 3-of-3 (" in err and "ended 'running'" in err and "--resume" in err


def test_an_unsharded_run_merges_alone(tmp_path: Path) -> None:
    """A run from before --shard (no plan digest in run.json) is shard 1/1 of itself."""
    record = _merge([BASE], tmp_path / "m")
    assert record.status == "complete" and record.merged_from[0]["shard_label"] == "1-of-1"
    assert record.plan_digest == shard.plan_digest(
        record.profile, record.timing, read_run(BASE).cases
    )
    assert isinstance(read_cases(tmp_path / "m")[0], CaseResult)


def test_a_merge_stopped_half_way_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the copy: no half-merged directory is left to be mistaken for a run."""
    dirs = make_shards(tmp_path / "a", 2)

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(merge, "write_text_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _merge(dirs, tmp_path / "new")
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeyboardInterrupt):
        _merge(dirs, tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []
    assert all(read_run(d).shard for d in dirs)  # the inputs are untouched
