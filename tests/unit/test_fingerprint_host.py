"""Host facts from recorded /proc and /sys contents, CI metadata, and the digest."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from benchmarks import cli
from benchmarks.environment import fingerprint, gitrepo, hostinfo
from benchmarks.environment.ci import ci_metadata
from tests.conftest import require_or_skip


def put(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ---------------------------------------------------------------------------- cgroup


def test_cgroup_v2_quota_and_limit(tmp_path: Path) -> None:
    put(tmp_path, "proc/self/cgroup", "0::/\n")  # a container with its own cgroup namespace
    put(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
    put(tmp_path, "sys/fs/cgroup/cpu.max", "200000 100000\n")
    put(tmp_path, "sys/fs/cgroup/memory.max", "8589934592\n")
    assert hostinfo.cgroup_limits(tmp_path) == {
        "version": 2,
        "cpu_quota_cores": 2.0,
        "memory_limit_bytes": 8589934592,
    }


def test_cgroup_v2_host_view_uses_our_own_group(tmp_path: Path) -> None:
    put(tmp_path, "proc/self/cgroup", "0::/system.slice/bench.service\n")
    put(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    put(tmp_path, "sys/fs/cgroup/system.slice/bench.service/cpu.max", "150000 100000\n")
    put(tmp_path, "sys/fs/cgroup/system.slice/bench.service/memory.max", "max\n")
    assert hostinfo.cgroup_limits(tmp_path) == {
        "version": 2,
        "cpu_quota_cores": 1.5,
        "memory_limit_bytes": None,
    }


def test_cgroup_v2_unlimited(tmp_path: Path) -> None:
    put(tmp_path, "proc/self/cgroup", "0::/\n")
    put(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    put(tmp_path, "sys/fs/cgroup/cpu.max", "max 100000\n")
    put(tmp_path, "sys/fs/cgroup/memory.max", "max\n")
    assert hostinfo.cgroup_limits(tmp_path)["cpu_quota_cores"] is None
    assert hostinfo.cgroup_limits(tmp_path)["memory_limit_bytes"] is None


def test_cgroup_v1_fallback(tmp_path: Path) -> None:
    # the layout and values of the development machine (cgroup v1, memory group per process)
    put(tmp_path, "proc/self/cgroup", "4:memory:/process_api/0e1d57a4\n1:cpu:/\n0::/\n")
    put(tmp_path, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n")
    put(tmp_path, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n")
    put(tmp_path, "sys/fs/cgroup/memory/process_api/0e1d57a4/memory.limit_in_bytes", "4294967296\n")
    put(tmp_path, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    assert hostinfo.cgroup_limits(tmp_path) == {
        "version": 1,
        "cpu_quota_cores": None,
        "memory_limit_bytes": 4294967296,
    }


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    put(tmp_path, "proc/self/cgroup", "3:cpu,cpuacct:/docker/abc\n")
    put(tmp_path, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "50000\n")
    put(tmp_path, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n")
    put(tmp_path, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    limits = hostinfo.cgroup_limits(tmp_path)
    assert limits["cpu_quota_cores"] == 0.5 and limits["memory_limit_bytes"] is None


def test_no_cgroup_at_all(tmp_path: Path) -> None:
    assert hostinfo.cgroup_limits(tmp_path) == {
        "version": None,
        "cpu_quota_cores": None,
        "memory_limit_bytes": None,
    }


# ---------------------------------------------------------------------------- CPU, OS


def test_cpu_model_governor_turbo(tmp_path: Path) -> None:
    put(
        tmp_path,
        "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: GenuineIntel\n"
        "model name\t: Intel(R) Xeon(R) Platinum 8480+\n",
    )
    for cpu in (0, 1):
        put(tmp_path, f"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor", "performance\n")
    put(tmp_path, "sys/devices/system/cpu/intel_pstate/no_turbo", "0\n")
    put(tmp_path, "etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\n')
    assert hostinfo.cpu_model(tmp_path) == "Intel(R) Xeon(R) Platinum 8480+"
    assert hostinfo.cpu_governor(tmp_path) == "performance"
    assert hostinfo.turbo(tmp_path) is True
    assert hostinfo.os_name(tmp_path) == "Ubuntu 22.04.4 LTS"


def test_amd_boost_and_mixed_governors(tmp_path: Path) -> None:
    put(tmp_path, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "schedutil\n")
    put(tmp_path, "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n")
    put(tmp_path, "sys/devices/system/cpu/cpufreq/boost", "0\n")
    assert hostinfo.cpu_governor(tmp_path) == "performance,schedutil"
    assert hostinfo.turbo(tmp_path) is False


def test_unreadable_cpu_facts_are_none(tmp_path: Path) -> None:
    assert hostinfo.cpu_governor(tmp_path) is None
    assert hostinfo.turbo(tmp_path) is None
    assert hostinfo.cpu_model(tmp_path) is None


# ---------------------------------------------------------------------------- containers


def test_docker_by_dockerenv(tmp_path: Path) -> None:
    put(tmp_path, ".dockerenv")
    box = hostinfo.detect_container({}, tmp_path)
    assert box == {"in_container": True, "kind": "docker", "evidence": ["/.dockerenv exists"]}


def test_podman(tmp_path: Path) -> None:
    put(tmp_path, "run/.containerenv", 'engine="podman-4.3.1"\n')
    box = hostinfo.detect_container({"container": "podman"}, tmp_path)
    assert box["kind"] == "podman" and len(box["evidence"]) == 2


def test_kubernetes_wins_over_docker(tmp_path: Path) -> None:
    put(tmp_path, "proc/1/cgroup", "11:memory:/kubepods/burstable/pod1234/abcdef\n")
    put(tmp_path, ".dockerenv")
    box = hostinfo.detect_container({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, tmp_path)
    assert box["kind"] == "kubernetes"
    assert "/proc/1/cgroup mentions kubernetes" in box["evidence"]


def test_docker_on_cgroup_v2_by_mountinfo(tmp_path: Path) -> None:
    put(tmp_path, "proc/1/cgroup", "0::/\n")
    put(
        tmp_path,
        "proc/self/mountinfo",
        "612 590 259:2 /var/lib/docker/containers/0123abcd/hostname /etc/hostname rw "
        "- ext4 /dev/x rw\n",
    )
    assert hostinfo.detect_container({}, tmp_path)["kind"] == "docker"


def test_bare_metal(tmp_path: Path) -> None:
    put(tmp_path, "proc/1/cgroup", "0::/init.scope\n")
    assert hostinfo.detect_container({}, tmp_path) == {
        "in_container": False,
        "kind": "none",
        "evidence": [],
    }


# ---------------------------------------------------------------------------- NVIDIA files

PROC_VERSION = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  "
    "(dvs-builder@U22-I3-AF03-09-1)  Tue Sep 23 09:55:41 UTC 2025\n"
    "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04.2) \n"
)


def test_nvidia_files_present(tmp_path: Path) -> None:
    put(tmp_path, "proc/driver/nvidia/version", PROC_VERSION)
    put(
        tmp_path,
        "proc/driver/nvidia/gpus/0000:18:00.0/information",
        "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 17\nGPU UUID: \t GPU-x\n",
    )
    for node in ("nvidia0", "nvidiactl", "nvidia-uvm"):
        put(tmp_path, f"dev/{node}")
        os.chmod(tmp_path / "dev" / node, 0o666)
    os.chmod(tmp_path / "dev" / "nvidia-uvm", 0o600)
    files = hostinfo.nvidia_driver_files(tmp_path)
    assert files["proc_driver_version"] == PROC_VERSION.strip()
    assert files["proc_gpus"] == [
        {"bus_id": "0000:18:00.0", "model": "NVIDIA H100 80GB HBM3", "irq": "17"}
    ]
    nodes = {n["path"]: n for n in files["device_nodes"]}
    assert set(nodes) == {"/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"}
    assert nodes["/dev/nvidia0"]["mode"] == "-rw-rw-rw-"
    assert nodes["/dev/nvidia-uvm"]["mode"] == "-rw-------"
    assert nodes["/dev/nvidia0"]["readable"] is True


def test_nvidia_files_absent(tmp_path: Path) -> None:
    assert hostinfo.nvidia_driver_files(tmp_path) == {
        "proc_driver_version": None,
        "proc_gpus": [],
        "device_nodes": [],
    }


def test_collect_nvidia_on_this_machine_keeps_contract_keys() -> None:
    nv = fingerprint.collect_nvidia()
    for key in (
        "status",
        "error",
        "error_kind",
        "driver_version",
        "cuda_driver_version",
        "nvml_version",
        "proc_driver_version",
        "device_nodes",
        "gpus",
    ):
        assert key in nv
    if nv["status"] != "ok":
        assert nv["error"] and nv["error_kind"] in {
            "library_not_found",
            "driver_not_loaded",
            "driver_library_mismatch",
            "no_permission",
            "unknown",
        }


# ---------------------------------------------------------------------------- run, CI


def test_github_actions_metadata() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/graphbench",
        "GITHUB_RUN_ID": "123456789",
        "GITHUB_RUN_ATTEMPT": "2",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_NAME": "gpu-runner-3",
        "GITHUB_TOKEN": "ghs_not_to_be_used",
    }
    ci = ci_metadata(env)
    assert ci is not None
    assert ci["provider"] == "github_actions" and ci["run_id"] == "123456789"
    assert ci["run_url"] == "https://github.com/acme/graphbench/actions/runs/123456789/attempts/2"
    assert ci["runner_labels"] == ["Linux", "X64"]
    assert "ghs_not_to_be_used" not in json.dumps(ci)


def test_gitlab_metadata() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_JOB_ID": "42",
        "CI_JOB_URL": "https://gitlab.example/acme/gb/-/jobs/42",
        "CI_RUNNER_TAGS": '["gpu", "h100"]',
    }
    ci = ci_metadata(env)
    assert ci is not None
    assert (ci["provider"], ci["run_id"], ci["runner_labels"]) == (
        "gitlab_ci",
        "42",
        ["gpu", "h100"],
    )


def test_no_ci() -> None:
    assert ci_metadata({}) is None
    assert ci_metadata({"CI": "true"})["provider"] == "unknown"  # type: ignore[index]


def test_collect_run_reads_git_and_scrubs_the_command() -> None:
    run = fingerprint.collect_run(
        command=["python", "-m", "benchmarks", "run", "--token", "abc123"],
        matrix_digest="m" * 64,
        env={},
    )
    assert run["suite_version"]
    assert run["command"][-1] == "<redacted>"
    assert run["matrix_digest"] == "m" * 64
    # this test runs from a git checkout: the fingerprint must name its HEAD, as git says it
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=False)  # fmt: skip
    except FileNotFoundError:
        require_or_skip("git", "git is not installed: cannot read the checkout's HEAD")
    if head.returncode != 0:
        require_or_skip("git", f"not a git checkout: {head.stderr.strip()}")
    assert run["git_sha"] == head.stdout.strip()
    assert isinstance(run["git_dirty"], bool) and "git_error" not in run


def test_collect_run_outside_a_checkout_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitrepo, "head", lambda: (None, "not a git repository"))
    run = fingerprint.collect_run(command=["x"], matrix_digest="m", env={})
    assert (run["git_sha"], run["git_dirty"], run["git_error"]) == (
        None, None, "not a git repository"
    )  # fmt: skip
    given = fingerprint.collect_run(
        command=["x"], matrix_digest="m",
        env={"GRAPHBENCH_GIT_SHA": "a" * 40, "GRAPHBENCH_GIT_DIRTY": "true"},
    )  # fmt: skip
    assert (given["git_sha"], given["git_dirty"]) == ("a" * 40, True)
    assert "git_error" not in given


def test_collect_host_and_python_on_this_machine() -> None:
    host = fingerprint.collect_host(env={"GRAPHBENCH_IMAGE": "graphbench:cpu"})
    assert host["cores_logical"] >= 1 and host["memory_total_bytes"] > 0
    assert len(host["loadavg"]) == 3
    assert host["image"] == {"reference": "graphbench:cpu", "digest": None}
    assert host["container"]["kind"] in {"docker", "podman", "kubernetes", "lxc", "none", "unknown"}
    py = fingerprint.collect_python()
    assert "numpy" in py["packages"] and "nvidia-ml-py" in py["packages"]
    if importlib.util.find_spec("tensorflow") is not None:  # as tensorflow or tensorflow-cpu
        assert {"tensorflow", "tensorflow-cpu"} & set(py["packages"])


def test_a_failing_section_is_a_value() -> None:
    def broken() -> dict[str, object]:
        raise OSError("[Errno 13] Permission denied: '/proc/cpuinfo'")

    assert fingerprint._soft(broken) == {
        "status": "unavailable",
        "error": "[Errno 13] Permission denied: '/proc/cpuinfo'",
    }


# ---------------------------------------------------------------------------- digest, write


def sample() -> dict[str, object]:
    return {
        "schema_version": 1,
        "collected_at": "2026-01-01T00:00:00+00:00",
        "run": {
            "git_sha": "a" * 40,
            "command": ["x"],
            "ci": {"provider": "github_actions", "run_id": "1"},
        },
        "host": {"cpu_model": "X", "loadavg": [0.1, 0.2, 0.3]},
        "nvidia": {
            "status": "ok",
            "gpus": [
                {
                    "index": 0,
                    "name": "H100",
                    "temperature_c": 40,
                    "clocks": {"sm_mhz": 1980, "sm_max_mhz": 1980},
                    "processes": [],
                }
            ],
        },
    }


def test_digest_ignores_volatile_fields() -> None:
    a, b = sample(), sample()
    b["collected_at"] = "2026-02-02T00:00:00+00:00"
    b["host"]["loadavg"] = [9.0, 9.0, 9.0]  # type: ignore[index]
    b["run"]["command"] = ["y"]  # type: ignore[index]
    b["run"]["ci"]["run_id"] = "2"  # type: ignore[index]
    gpu = b["nvidia"]["gpus"][0]  # type: ignore[index]
    gpu["temperature_c"] = 80
    gpu["clocks"]["sm_mhz"] = 1200
    gpu["processes"] = [{"pid": 1}]
    assert fingerprint.digest(a) == fingerprint.digest(b)
    assert len(fingerprint.digest(a)) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda fp: fp["run"].update(git_sha="b" * 40),
        lambda fp: fp["host"].update(cpu_model="Y"),
        lambda fp: fp["nvidia"]["gpus"][0]["clocks"].update(sm_max_mhz=1755),
        lambda fp: fp["nvidia"]["gpus"][0].update(name="A100"),
    ],
)
def test_digest_changes_with_the_environment(change: object) -> None:
    a, b = sample(), sample()
    change(b)  # type: ignore[operator]
    assert fingerprint.digest(a) != fingerprint.digest(b)


def test_write(tmp_path: Path) -> None:
    fp = sample()
    d = fingerprint.write(tmp_path / "run-1", fp)
    assert d == fingerprint.digest(fp)
    assert json.loads((tmp_path / "run-1" / "fingerprint.json").read_text()) == fp
    assert not list((tmp_path / "run-1").glob("*.tmp"))


# ---------------------------------------------------------------------------- CLI arguments


def test_output_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["fingerprint", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: -o ") and "is a directory" in err
    assert "hint: " in err and "Traceback" not in err


def test_fingerprint_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["fingerprint", "--help"])
    out = capsys.readouterr().out
    assert "--json" in out and "--include-private" in out


def test_run_section_hashes_the_lock_file_an_image_was_built_from(tmp_path: Path) -> None:
    import hashlib

    from benchmarks.environment import fingerprint

    lock = tmp_path / "requirements.lock"
    lock.write_text("tensorflow-cpu==2.21.0 --hash=sha256:abc\n")
    run = fingerprint.collect_run(env={"GRAPHBENCH_LOCK_FILE": str(lock)})
    assert run["lock_sha256"] == hashlib.sha256(lock.read_bytes()).hexdigest()
    missing = fingerprint.collect_run(env={"GRAPHBENCH_LOCK_FILE": str(tmp_path / "nope")})
    assert "lock_sha256" not in missing and "No such file" in missing["lock_error"]
    assert "lock_sha256" not in fingerprint.collect_run(env={})


def test_usable_cpus_is_capped_by_the_cgroup_quota(tmp_path: Path) -> None:
    import os

    from benchmarks.environment import hostinfo

    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("0::/\n")
    cg = tmp_path / "sys/fs/cgroup"
    cg.mkdir(parents=True)
    (cg / "cgroup.controllers").write_text("cpu memory\n")
    (cg / "cpu.max").write_text("100000 100000\n")
    assert hostinfo.usable_cpus(tmp_path) == 1
    (cg / "cpu.max").write_text("max 100000\n")
    assert hostinfo.usable_cpus(tmp_path) == len(os.sched_getaffinity(0))


def test_oom_kill_counter_of_our_cgroup(tmp_path: Path) -> None:
    from benchmarks.environment import hostinfo

    assert hostinfo.oom_kills(tmp_path) == 0  # unreadable: no kill seen
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("0::/bench.scope\n")
    own = tmp_path / "sys/fs/cgroup/bench.scope"
    own.mkdir(parents=True)
    (own / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n")
    assert hostinfo.oom_kills(tmp_path) == 2
