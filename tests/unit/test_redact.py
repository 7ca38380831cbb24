"""Redaction: secrets never survive; host/user/home are replaced unless kept on purpose."""

from __future__ import annotations

import pytest

from benchmarks.environment import redact
from benchmarks.environment.redact import REDACTED, PrivacyContext

GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENV = {
    "HOME": "/home/alice",
    "USER": "alice",
    "GITHUB_TOKEN": GH,
    "AWS_SECRET_ACCESS_KEY": AWS,
    "TF_MY_API_KEY": "tf-key-123456",
    "TF_VAR_db_password": "terraform-secret",
    "NCCL_SOME_URL": "https://bob:hunter2@artifacts.example.org/simple",
    "CUDA_SESSION_COOKIE": "c00kie-value",
    "CUDA_VISIBLE_DEVICES": "0,1",
    "NVIDIA_VISIBLE_DEVICES": "all",
    "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
    "XLA_FLAGS": "--xla_dump_to=/home/alice/dumps",
    "OMP_NUM_THREADS": "4",
    "LD_LIBRARY_PATH": "/home/alice/cuda/lib64:/usr/local/cuda/lib64",
    "SSH_AUTH_SOCK": "/tmp/ssh-XXXX/agent.1",
    "EDITOR": "vim",
}


@pytest.fixture
def ctx() -> PrivacyContext:
    return PrivacyContext.from_env(
        ENV, hostname="gpu-node-07.corp.example", user="alice", home="/home/alice"
    )


def test_env_keeps_only_allowed_names(ctx: PrivacyContext) -> None:
    out = redact.scrub_env(ENV, ctx)
    assert set(out) == {
        "NCCL_SOME_URL",
        "CUDA_SESSION_COOKIE",
        "CUDA_VISIBLE_DEVICES",
        "NVIDIA_VISIBLE_DEVICES",
        "NVIDIA_DRIVER_CAPABILITIES",
        "XLA_FLAGS",
        "OMP_NUM_THREADS",
        "LD_LIBRARY_PATH",
    }
    assert out["CUDA_VISIBLE_DEVICES"] == "0,1"
    assert out["NVIDIA_DRIVER_CAPABILITIES"] == "compute,utility"


def test_secret_names_are_masked_even_inside_allowed_prefixes(ctx: PrivacyContext) -> None:
    out = redact.scrub_env(ENV, ctx)
    assert out["CUDA_SESSION_COOKIE"] == REDACTED
    # TF_ is not a prefix of the allow-list: Terraform's TF_VAR_* / TF_* carry credentials
    assert "TF_MY_API_KEY" not in out and "TF_VAR_db_password" not in out


def test_url_credentials_and_home_paths_in_values(ctx: PrivacyContext) -> None:
    out = redact.scrub_env(ENV, ctx)
    assert out["NCCL_SOME_URL"] == f"https://{REDACTED}@artifacts.example.org/simple"
    assert out["XLA_FLAGS"] == "--xla_dump_to=~/dumps"
    assert out["LD_LIBRARY_PATH"] == "~/cuda/lib64:/usr/local/cuda/lib64"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pip from https://u:p@ss@h.example/x", f"pip from https://{REDACTED}@h.example/x"),
        ("GET /x?token=abc123&page=2", f"GET /x?token={REDACTED}&page=2"),
        ("password=hunter2 next", f"password={REDACTED} next"),
        ('"api_key": "abcdef"', f'"api_key": "{REDACTED}"'),
        ("Authorization: Bearer abc.def.ghi123", f"Authorization: Bearer {REDACTED}"),
        (f"token {GH} used", f"token {REDACTED} used"),
        ("AKIAIOSFODNN7EXAMPLE is an id", f"{REDACTED} is an id"),
        ("cache at /home/alice/.cache and /home/bob/x", "cache at ~/.cache and ~/x"),
        (
            "kernel driver on this host (gpu-node-07): missing",
            "kernel driver on this host (<host>): missing",
        ),
        ("fqdn gpu-node-07.corp.example ok", "fqdn <host> ok"),
        ("owner alice, not alicesmith", "owner <user>, not alicesmith"),
        ("/root/.keras and /sys/fs/cgroup/root", "~/.keras and /sys/fs/cgroup/root"),
        ("nothing to see: CUDA 12.3, cuDNN 9", "nothing to see: CUDA 12.3, cuDNN 9"),
    ],
)
def test_scrub_text(ctx: PrivacyContext, text: str, expected: str) -> None:
    assert redact.scrub_text(text, ctx) == expected


def test_values_of_secret_variables_are_hunted_everywhere(ctx: PrivacyContext) -> None:
    text = f"the log said {AWS} and TF_MY_API_KEY=tf-key-123456"
    out = redact.scrub_text(text, ctx)
    assert AWS not in out
    assert "tf-key-123456" not in out


def test_secret_values_skip_trivial_values() -> None:
    values = redact.secret_values({"A_TOKEN": "true", "B_KEY": "abc", "C_AUTH_PATH": "/usr/bin"})
    assert values == ()


def test_keep_private_keeps_host_user_home_but_never_secrets() -> None:
    ctx = PrivacyContext.from_env(
        ENV, hostname="gpu-node-07", user="alice", home="/home/alice", keep_private=True
    )
    text = f"alice@gpu-node-07:/home/alice https://x:y@h.example {GH}"
    out = redact.scrub_text(text, ctx)
    assert "alice@gpu-node-07:/home/alice" in out
    assert "x:y@" not in out
    assert GH not in out


def test_scrub_argv(ctx: PrivacyContext) -> None:
    argv = [
        "python",
        "-m",
        "benchmarks",
        "run",
        "--token",
        "s3cr3t-value",
        "--api-key=abc",
        "--password",
        "pw",
        "GITHUB_TOKEN=xyz",
        "--index-url",
        "https://user:pass@pypi.example/simple",
        "--out",
        "/home/alice/reports",
        "-p",
        "8080",
    ]
    assert redact.scrub_argv(argv, ctx) == [
        "python",
        "-m",
        "benchmarks",
        "run",
        "--token",
        REDACTED,
        f"--api-key={REDACTED}",
        "--password",
        REDACTED,
        f"GITHUB_TOKEN={REDACTED}",
        "--index-url",
        f"https://{REDACTED}@pypi.example/simple",
        "--out",
        "~/reports",
        "-p",
        "8080",
    ]


def test_scrub_tree_reaches_nested_strings_and_keys(ctx: PrivacyContext) -> None:
    tree = {"a": [{"/home/alice/x": "https://u:p@h/"}], "n": 3, "b": None}
    assert redact.scrub_tree(tree, ctx) == {
        "a": [{"~/x": f"https://{REDACTED}@h/"}],
        "n": 3,
        "b": None,
    }


def test_generic_user_root_is_not_treated_as_private() -> None:
    ctx = PrivacyContext.from_env({}, hostname="h1", user="root", home="/root")
    assert ctx.users == ()
    assert redact.scrub_text("run as root in /root/x", ctx) == "run as root in ~/x"


def test_private_key_blocks_are_removed(ctx: PrivacyContext) -> None:
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----"
    assert redact.scrub_text(f"key:\n{pem}\nend", ctx) == f"key:\n{REDACTED}\nend"


def test_fresh_context_sees_secrets_set_later(monkeypatch: pytest.MonkeyPatch) -> None:
    redact.PrivacyContext.current()  # cached before the variable exists
    monkeypatch.setenv("LATE_API_TOKEN", "late-secret-value-123")
    ctx = redact.PrivacyContext.current(fresh=True)
    assert "late-secret-value-123" in ctx.secret_values
    assert redact.scrub_text("x late-secret-value-123 y", ctx) == f"x {REDACTED} y"


def test_another_machines_host_in_tf_diagnostics_and_var_home_are_redacted() -> None:
    from benchmarks.environment import redact

    ctx = redact.PrivacyContext.from_env({}, hostname="here", user="", home="/")
    line = (
        "kernel driver does not appear to be running on this host (runner-7f3a): "
        "/proc/driver/nvidia/version does not exist; venv at /var/home/bob/venv"
    )
    out = redact.scrub_text(line, ctx)
    assert "runner-7f3a" not in out and "this host (<host>)" in out
    assert "/var/home/bob" not in out and "~/venv" in out


def test_the_checkout_and_an_outside_venv_become_placeholders_in_path_lists() -> None:
    ctx = PrivacyContext.from_env(
        {}, hostname="h1", user="", home="/", checkout="/srv/work/graphbench", venv="/opt/dev"
    )
    env = {"PATH": "/srv/work/graphbench/.nox/bench/bin:/opt/dev/bin:/usr/bin:/opt/devtools"}
    assert redact.scrub_env(env, ctx)["PATH"] == (
        "<checkout>/.nox/bench/bin:<venv>/bin:/usr/bin:/opt/devtools"
    )
    # a sibling whose name merely starts like the checkout is another directory
    assert redact.scrub_text("/srv/work/graphbench-old/x", ctx) == "/srv/work/graphbench-old/x"
    assert redact.scrub_text("cd /srv/work/graphbench; ls", ctx) == "cd <checkout>; ls"


def test_installed_packages_and_system_prefixes_are_not_placeholders() -> None:
    assert redact.private_dirs("/usr/lib/python3/dist-packages", "/usr") == ()
    assert redact.private_dirs("/home/a/v/lib/python3.12/site-packages", "/home/a/v") == (
        ("/home/a/v", redact.VENV),
    )
    # a venv inside the checkout is covered by the checkout's placeholder
    assert redact.private_dirs("/w/gb", "/w/gb/.nox/tests") == (("/w/gb", redact.CHECKOUT),)


def test_keep_private_keeps_the_checkout_path() -> None:
    ctx = PrivacyContext.from_env({}, checkout="/srv/gb", keep_private=True)
    assert redact.scrub_text("/srv/gb/x", ctx) == "/srv/gb/x"


def test_this_processs_context_names_its_own_checkout() -> None:
    from benchmarks import _proc

    ctx = PrivacyContext.current(fresh=True)
    if "-packages" not in str(_proc.PACKAGE_PARENT):
        assert (str(_proc.PACKAGE_PARENT), redact.CHECKOUT) in ctx.dirs
