"""The CI job a run came from: the variables each CI system documents, and what they say.

One home for the names: the fingerprint reads them (``ci_metadata``) and the container sessions
pass exactly these into the container (``containers.envpass``), so a run inside an image can
describe its job too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

CI_VARIABLES = (
    "BUILD_NUMBER",
    "BUILD_URL",
    "CI",
    "CI_COMMIT_REF_NAME",
    "CI_JOB_ID",
    "CI_JOB_URL",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_SOURCE",
    "CI_PIPELINE_URL",
    "CI_RUNNER_DESCRIPTION",
    "CI_RUNNER_TAGS",
    "GITHUB_ACTIONS",
    "GITHUB_REF",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_RUN_ID",
    "GITHUB_SERVER_URL",
    "GITHUB_WORKFLOW",
    "GITLAB_CI",
    "JENKINS_URL",
    "NODE_LABELS",
    "NODE_NAME",
    "RUNNER_ARCH",
    "RUNNER_ENVIRONMENT",
    "RUNNER_NAME",
    "RUNNER_OS",
)


def ci_metadata(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Public facts about the CI job, from the variables each CI system documents."""
    if env.get("GITHUB_ACTIONS") == "true":
        server, repo, run_id = (
            env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
        )
        url = f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None
        if url and env.get("GITHUB_RUN_ATTEMPT"):
            url += f"/attempts/{env['GITHUB_RUN_ATTEMPT']}"
        labels = [env[k] for k in ("RUNNER_OS", "RUNNER_ARCH", "RUNNER_ENVIRONMENT") if env.get(k)]
        return {
            "provider": "github_actions",
            "run_id": run_id,
            "run_url": url,
            "runner_labels": labels,
            "runner_name": env.get("RUNNER_NAME"),
            "workflow": env.get("GITHUB_WORKFLOW"),
            "ref": env.get("GITHUB_REF"),
        }
    if env.get("GITLAB_CI") == "true":
        tags = env.get("CI_RUNNER_TAGS", "")
        try:
            labels = [str(t) for t in json.loads(tags)] if tags.startswith("[") else []
        except ValueError:
            labels = []
        if not labels and tags:
            labels = [t.strip() for t in tags.split(",") if t.strip()]
        return {
            "provider": "gitlab_ci",
            "run_id": env.get("CI_JOB_ID") or env.get("CI_PIPELINE_ID"),
            "run_url": env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL"),
            "runner_labels": labels,
            "runner_name": env.get("CI_RUNNER_DESCRIPTION"),
            "workflow": env.get("CI_PIPELINE_SOURCE"),
            "ref": env.get("CI_COMMIT_REF_NAME"),
        }
    if env.get("JENKINS_URL"):
        return {
            "provider": "jenkins",
            "run_id": env.get("BUILD_NUMBER"),
            "run_url": env.get("BUILD_URL"),
            "runner_labels": env.get("NODE_LABELS", "").split(),
            "runner_name": env.get("NODE_NAME"),
        }
    if env.get("CI", "").lower() in {"true", "1"}:
        return {"provider": "unknown", "run_id": None, "run_url": None, "runner_labels": []}
    return None
