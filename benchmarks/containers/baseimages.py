"""The base images of graphbench's containers: one TOML file, pinned by digest.

Pure text in, text out: ``nox -s refresh-digests`` asks a registry for the current digests and
uses ``update_toml`` / ``update_dockerfile`` to write them; a unit test checks that each
Dockerfile's ``ARG BASE_IMAGE=`` default equals ``pinned_reference`` of its entry.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BASE_IMAGES_FILE = "docker/base-images.toml"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_ARG = re.compile(r"^ARG BASE_IMAGE=(\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class BaseImage:
    flavor: str
    reference: str  # e.g. debian:bookworm-slim
    digest: str  # sha256:...
    dockerfile: str

    @property
    def pinned_reference(self) -> str:
        return f"{self.reference}@{self.digest}"


@dataclass(frozen=True)
class Reference:
    """A Docker reference split the way the registry API needs it."""

    registry: str
    repository: str
    tag: str


def load(text: str) -> tuple[BaseImage, ...]:
    """Parse base-images.toml; raise ValueError naming the entry that is malformed."""
    data = tomllib.loads(text)
    out = []
    for flavor, entry in sorted((data.get("images") or {}).items()):
        ref, digest, dockerfile = (
            entry.get("reference"),
            entry.get("digest"),
            entry.get("dockerfile"),
        )
        if not (isinstance(ref, str) and isinstance(digest, str) and isinstance(dockerfile, str)):
            raise ValueError(f"images.{flavor}: needs reference, digest and dockerfile strings")
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"images.{flavor}: digest {digest!r} is not sha256:<64 hex>")
        out.append(BaseImage(flavor, ref, digest, dockerfile))
    return tuple(out)


def parse_reference(ref: str) -> Reference:
    """``debian:bookworm-slim`` -> (registry-1.docker.io, library/debian, bookworm-slim)."""
    name, _, tag = ref.partition(":") if "@" not in ref else ref.partition("@")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "registry-1.docker.io", name
    if registry == "registry-1.docker.io" and "/" not in repository:
        repository = f"library/{repository}"
    return Reference(registry, repository, tag or "latest")


def dockerfile_default(dockerfile_text: str) -> str | None:
    """The ``ARG BASE_IMAGE=`` default of a Dockerfile, or None when it has none."""
    m = _ARG.search(dockerfile_text)
    return m.group(1) if m else None


def update_toml(text: str, flavor: str, new_digest: str) -> str:
    """``text`` with the digest of ``[images.<flavor>]`` replaced (comments kept)."""
    if not _DIGEST.fullmatch(new_digest):
        raise ValueError(f"not a sha256 digest: {new_digest!r}")
    header = f"[images.{flavor}]"
    start = text.index(header)
    end = text.find("\n[", start + len(header))
    end = len(text) if end < 0 else end
    section = re.sub(r'digest = "[^"]*"', f'digest = "{new_digest}"', text[start:end], count=1)
    return text[:start] + section + text[end:]


def update_dockerfile(text: str, pinned_reference: str) -> str:
    if dockerfile_default(text) is None:
        raise ValueError("the Dockerfile has no 'ARG BASE_IMAGE=' line")
    return _ARG.sub(f"ARG BASE_IMAGE={pinned_reference}", text, count=1)
