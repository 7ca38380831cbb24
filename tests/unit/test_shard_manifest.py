"""The Kubernetes Indexed Job of docs/scale-out.md, validated offline against the Job schema.

No cluster can run here: ``kubernetes-validate`` ships the Kubernetes OpenAPI schemas as JSON
Schema files (the ``test`` extra installs it), so the manifest is checked against the Job schema
of a pinned Kubernetes version, strictly (unknown fields are errors), with no network. What the
schema cannot say (an enum it leaves open, our own contract) is checked here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import cli
from benchmarks.plan import shard

yaml = pytest.importorskip("yaml", reason="PyYAML comes with kubernetes-validate (test extra)")
kv = pytest.importorskip("kubernetes_validate", reason="pip install '.[test]'")

MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "k8s" / "indexed-job.yaml"
K8S_VERSION = "1.33.0"  # backoffLimitPerIndex is GA from 1.33


def _job() -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    assert len(docs) == 1
    job: dict[str, Any] = docs[0]
    return job


def test_manifest_is_a_valid_job() -> None:
    assert kv.validate(_job(), K8S_VERSION, strict=True) == "1.33"


def test_the_validator_does_refuse_a_broken_job() -> None:
    """The check above can fail: a misspelt field is refused by the same schema."""
    job = _job()
    job["spec"]["template"]["spec"]["containers"][0]["argz"] = job["spec"]["template"]["spec"][
        "containers"
    ][0].pop("args")
    with pytest.raises(kv.ValidationError, match="argz"):
        kv.validate(job, K8S_VERSION, strict=True)


def test_manifest_runs_one_shard_per_completion_index() -> None:
    spec = _job()["spec"]
    assert spec["completionMode"] == "Indexed"  # the schema allows any string here
    assert spec["parallelism"] == spec["completions"]
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert int(env[shard.SHARD_COUNT_ENV]) == spec["completions"]
    args = cli.build_parser().parse_args(container["args"])  # our CLI accepts them
    assert args.command == "run" and args.shard == "auto"
    # what each pod computes: shard k+1 of completions, from the index Kubernetes sets
    for index in range(spec["completions"]):
        got = shard.from_environment({"JOB_COMPLETION_INDEX": str(index), **env})
        assert got == shard.ShardSpec(index + 1, spec["completions"])
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert any(a in mounts for a in container["args"])  # results land on the shared volume
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
