"""Secret and privacy scrubbing for everything graphbench publishes.

Reports are static pages anyone may read, so what we record about a machine passes through here
first. The policy (docs/fingerprint.md, "Redaction"):

* **Environment**: only allow-listed variables are kept at all (exact TensorFlow/XLA names and
  vendor prefixes, ``secretshapes.ALLOWED_*``; not ``TF_``, which Terraform's ``TF_VAR_*``
  share); even then a name that *looks*
  secret (token, secret, key, password, credential, auth, cookie, session, private, ...) has its
  value replaced by ``<redacted>``. Values that survive are scrubbed as free text.
* **Free text** (values, log lines, argv): URL credentials, ``name=value`` pairs whose name looks
  secret, token shapes (``secretshapes``: GitHub, AWS, Hugging Face, OpenAI-style, Slack, JWT,
  basic/bearer auth, URL userinfo with spaces, scheme-less proxy credentials, long high-entropy
  strings; PEM keys here) and the values of
  secret-named environment variables are replaced wherever they appear. Home paths, the user name
  and the host name are replaced with ``~``, ``<user>`` and ``<host>`` unless the caller opts in;
  so are the directories that say where this copy lives: the checkout holding the package
  becomes ``<checkout>`` and a virtual environment outside it ``<venv>`` (``PATH`` of a Nox
  session would otherwise publish ``/srv/alice-work/graphbench/.nox/bench/bin`` verbatim).

Everything here is pure: functions of their inputs plus a :class:`PrivacyContext` that names the
local user/host/home. :meth:`PrivacyContext.current` is the one place that reads them (cheap:
``gethostname`` and the environment, no subprocess).
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmarks import _proc
from benchmarks.environment import secretshapes

REDACTED = secretshapes.REDACTED
HOST = "<host>"
USER = "<user>"
CHECKOUT = "<checkout>"
VENV = "<venv>"
# Install prefixes that say nothing about anybody: a package or interpreter under these stays.
PUBLIC_PREFIXES = ("/usr", "/usr/local", "/opt/conda", "/opt/python", "/opt/venv")

# Names (or name prefixes) of environment variables that may be recorded: one home, next to
# the token shapes (Terraform's TF_VAR_* must not pass as TensorFlow's TF_*).
ALLOWED_EXACT = secretshapes.ALLOWED_EXACT
ALLOWED_PREFIXES = secretshapes.ALLOWED_PREFIXES
# A name containing any of these words is secret, whatever its prefix.
SECRET_NAME = re.compile(
    r"token|secret|key|pass|pwd|credential|auth|cookie|session|private|signature|sas",
    re.IGNORECASE,
)
# Variables whose values are lists of paths: each element is scrubbed as a path.
PATH_LISTS = frozenset({"LD_LIBRARY_PATH", "PATH", "LD_PRELOAD"})
# Account names too generic to identify anybody; replacing them would mangle ordinary text.
GENERIC_USERS = frozenset({"root", "nobody"})


@dataclass(frozen=True)
class PrivacyContext:
    """What counts as private on this machine, and whether to keep it."""

    hostnames: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    homes: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    # (directory, placeholder): where this copy of graphbench and its interpreter live
    dirs: tuple[tuple[str, str], ...] = ()
    keep_private: bool = False  # the opt-in: keep host, user and home paths (never secrets)

    @staticmethod
    def current(*, keep_private: bool = False, fresh: bool = False) -> PrivacyContext:
        """This machine's context (cached; ``fresh`` re-reads the environment)."""
        if fresh:
            _current.cache_clear()
        return _current(keep_private)

    @staticmethod
    def from_env(
        env: Mapping[str, str],
        *,
        hostname: str = "",
        user: str = "",
        home: str = "",
        checkout: str = "",
        venv: str = "",
        keep_private: bool = False,
    ) -> PrivacyContext:
        """Build a context from explicit facts (pure: tests and ``current`` use it)."""
        hosts = {h for h in (hostname, hostname.split(".")[0]) if len(h) >= 2}
        users = {u for u in (user, env.get("USER", ""), env.get("LOGNAME", "")) if u}
        homes = {h.rstrip("/") for h in (home, env.get("HOME", "")) if len(h.rstrip("/")) > 1}
        return PrivacyContext(
            hostnames=tuple(sorted(hosts, key=len, reverse=True)),
            users=tuple(sorted(users - GENERIC_USERS, key=len, reverse=True)),
            homes=tuple(sorted(homes, key=len, reverse=True)),
            secret_values=secret_values(env),
            dirs=private_dirs(checkout, venv),
            keep_private=keep_private,
        )


@lru_cache(maxsize=2)
def _current(keep_private: bool) -> PrivacyContext:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (common in containers)
        user = ""
    venv = sys.prefix if sys.prefix != sys.base_prefix else ""
    return PrivacyContext.from_env(
        os.environ,
        hostname=socket.gethostname(),
        user=user,
        home=str(Path.home()),
        checkout=str(_proc.PACKAGE_PARENT),
        venv=venv,
        keep_private=keep_private,
    )


def _is_public_dir(path: str) -> bool:
    return (
        path in ("", "/")
        or any(path == p or path.startswith(p + "/") for p in PUBLIC_PREFIXES)
        or "/site-packages" in path
        or "/dist-packages" in path
    )


def private_dirs(checkout: str, venv: str) -> tuple[tuple[str, str], ...]:
    """The checkout and the virtual environment as ``(directory, placeholder)``, longest first.

    An installed package (site-packages) and a system prefix are not private and are left out;
    a virtual environment inside the checkout is covered by the checkout's placeholder.
    """
    pairs = []
    checkout, venv = checkout.rstrip("/"), venv.rstrip("/")
    if not _is_public_dir(checkout):
        pairs.append((checkout, CHECKOUT))
    inside = bool(checkout) and (venv == checkout or venv.startswith(checkout + "/"))
    if not _is_public_dir(venv) and not (inside and pairs):
        pairs.append((venv, VENV))
    return tuple(sorted(pairs, key=lambda p: len(p[0]), reverse=True))


def is_secret_name(name: str) -> bool:
    return SECRET_NAME.search(name) is not None


def is_allowed_name(name: str) -> bool:
    return secretshapes.is_allowed_name(name)


def secret_values(env: Mapping[str, str]) -> tuple[str, ...]:
    """Values of secret-named variables long and specific enough to hunt for in any text.

    Short values, booleans and plain paths are skipped: replacing ``true`` or ``/usr/bin``
    everywhere would mangle the record without protecting anything.
    """
    found = set()
    for name, value in env.items():
        v = value.strip()
        if not is_secret_name(name) or len(v) < 6 or v.startswith("/") or " " in v:
            continue
        if v.lower() in {"true", "false", "enabled", "disabled"}:
            continue
        found.add(v)
    return tuple(sorted(found, key=len, reverse=True))


# ---------------------------------------------------------------------------- free text

_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#'\"]*@(?=[^\s@/])")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[\w.\-]*?(?:token|secret|key|pass|pwd|sig|signature|auth|credential|session"
    r"|cookie))[\w.\-]*=)[^&\s#'\"]+"
)
_ASSIGN_SECRET = re.compile(
    r"(?i)((?<![\w])(?:--?)?[\w.\-]*(?:token|secret|api[_\-]?key|access[_\-]?key|passwd|password"
    r"|credential|cookie|private[_\-]?key)[\w.\-]*[\"']?\s*[=:]\s*[\"']?)"
    r"(?!<redacted>)[^\s\"',;&]+"
)
_TOKEN_SHAPES = (
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S
    ),
)


def strip_url_credentials(text: str) -> str:
    """``https://user:pw@host/x`` -> ``https://host/x`` (every URL in ``text``)."""
    return _URL_USERINFO.sub(r"\1", text)


_OTHER_HOMES = re.compile(r"(?<![\w.\-])/(?:home|Users|var/home)/[^/\s:;'\"]+")
# TensorFlow's CUDA diagnostics name the host, often another machine's (a container id, a pod):
# "kernel driver does not appear to be running on this host (runner-7): ..."
_THIS_HOST = re.compile(r"(this host) \([^)\s]+\)")
_ROOT_HOME = re.compile(r"(?<![\w.\-/])/root(?=/|\b|$)")


def scrub_text(text: str, ctx: PrivacyContext | None = None) -> str:
    """Remove secrets (always) and host/user/home (unless ``ctx.keep_private``) from ``text``."""
    ctx = ctx if ctx is not None else PrivacyContext.current()
    if len(text) <= CACHED_LENGTH:  # a page repeats its short texts (names, modes) thousands
        return _scrub_short(text, ctx)  # of times; each scrub is ~20 regular expressions
    return _scrub(text, ctx)


CACHED_LENGTH = 200


@lru_cache(maxsize=8192)
def _scrub_short(text: str, ctx: PrivacyContext) -> str:
    return _scrub(text, ctx)


def _scrub(text: str, ctx: PrivacyContext) -> str:
    for value in ctx.secret_values:
        text = text.replace(value, REDACTED)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _ASSIGN_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    for shape in _TOKEN_SHAPES:
        text = shape.sub(REDACTED, text)
    text = secretshapes.scrub_shapes(text)
    if ctx.keep_private:
        return text
    for directory, placeholder in ctx.dirs:
        text = re.sub(rf"(?<![\w.\-/]){re.escape(directory)}(?![\w.\-])", placeholder, text)
    for home in ctx.homes:
        text = re.sub(rf"(?<![\w.\-]){re.escape(home)}(?=/|\b|$)", "~", text)
    text = _OTHER_HOMES.sub("~", text)
    text = _ROOT_HOME.sub("~", text)
    text = _THIS_HOST.sub(rf"\1 ({HOST})", text)
    for host in ctx.hostnames:
        text = re.sub(rf"(?<![\w\-]){re.escape(host)}(?![\w\-])", HOST, text)
    for user in ctx.users:
        text = re.sub(rf"(?<![\w\-]){re.escape(user)}(?![\w\-])", USER, text)
    return text


def scrub_tree(value: Any, ctx: PrivacyContext | None = None) -> Any:
    """``scrub_text`` applied to every string (keys included) of a JSON-like tree."""
    ctx = ctx if ctx is not None else PrivacyContext.current()
    if isinstance(value, str):
        return scrub_text(value, ctx)
    if isinstance(value, Mapping):
        return {scrub_text(str(k), ctx): scrub_tree(v, ctx) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_tree(v, ctx) for v in value]
    return value


# ---------------------------------------------------------------------------- environment


def scrub_env(env: Mapping[str, str], ctx: PrivacyContext | None = None) -> dict[str, str]:
    """The allow-listed variables of ``env``, secret-named ones masked, values scrubbed."""
    ctx = ctx if ctx is not None else PrivacyContext.current()
    out: dict[str, str] = {}
    for name in sorted(env):
        if not is_allowed_name(name):
            continue
        if is_secret_name(name):
            out[name] = REDACTED
        elif name in PATH_LISTS:
            out[name] = ":".join(scrub_text(p, ctx) for p in env[name].split(":"))
        else:
            out[name] = scrub_text(env[name], ctx)
    return out


# ---------------------------------------------------------------------------- argv


def scrub_argv(argv: Sequence[str], ctx: PrivacyContext | None = None) -> list[str]:
    """The recorded command line: the value after a secret-named flag is masked.

    Handles ``--token X``, ``--token=X``, ``-p X`` style password flags, ``KEY=VALUE`` words
    whose KEY looks secret, and everything ``scrub_text`` catches inside each word.
    """
    ctx = ctx if ctx is not None else PrivacyContext.current()
    out: list[str] = []
    mask_next = False
    for word in argv:
        if mask_next:
            out.append(REDACTED)
            mask_next = False
            continue
        if word.startswith("-") and not word.startswith("---"):
            name, eq, _value = word.partition("=")
            if _flag_is_secret(name):
                if eq:
                    out.append(f"{name}={REDACTED}")
                else:
                    out.append(word)
                    mask_next = True
                continue
        else:
            name, eq, _value = word.partition("=")
            if eq and re.fullmatch(r"[A-Za-z_][\w.\-]*", name) and is_secret_name(name):
                out.append(f"{name}={REDACTED}")
                continue
        out.append(scrub_text(word, ctx))
    return out


def _flag_is_secret(flag: str) -> bool:
    # Short flags such as ``-p`` are ambiguous (port? path? password?) and left alone.
    bare = flag.lstrip("-")
    return len(bare) > 1 and is_secret_name(bare)


def contains_any(text: str, needles: Iterable[str]) -> list[str]:
    """The needles found in ``text`` (a test helper for leak checks, kept here to be reused)."""
    return [n for n in needles if n and n in text]


def relative_paths_in_argv(argv: Sequence[str], run_dir: Path) -> list[str]:
    """The command line as a reader of the published run may see it: no absolute paths.

    A path under the run directory's parent becomes relative to that parent (``--out
    /tmp/x/run1`` -> ``--out run1``); any other absolute path keeps only its last part
    (``.../m.toml``); ``scrub_text`` then turns a home directory into ``~``.
    """
    base = run_dir.absolute().parent

    def public(path: str) -> str:
        if not path.startswith("/"):
            return path
        p = Path(path)
        try:
            return p.relative_to(base).as_posix() or "."
        except ValueError:
            return f".../{p.name}" if p.name else "/"

    out = []
    for word in argv:
        name, eq, value = word.partition("=")
        if word.startswith("-") and eq:
            out.append(f"{name}={public(value)}")
        else:
            out.append(public(word))
    return out
