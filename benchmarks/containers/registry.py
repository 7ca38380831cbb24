"""Base-image digests from a registry's HTTP API: the I/O half of ``nox -s refresh-digests``."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

from benchmarks.containers import baseimages
from benchmarks.errors import HostError

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)


def digest(reference: str, timeout: float = 15.0) -> str:
    """The manifest-list digest of ``reference`` via the registry HTTP API (token auth)."""
    ref = baseimages.parse_reference(reference)
    headers = {"Accept": ", ".join(MANIFEST_TYPES)}
    if ref.registry == "registry-1.docker.io":
        token_url = (
            "https://auth.docker.io/token?service=registry.docker.io"
            f"&scope=repository:{ref.repository}:pull"
        )
        with urllib.request.urlopen(token_url, timeout=timeout) as resp:  # noqa: S310 (https)
            headers["Authorization"] = f"Bearer {json.load(resp)['token']}"
    url = f"https://{ref.registry}/v2/{ref.repository}/manifests/{ref.tag}"
    req = urllib.request.Request(url, method="HEAD", headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (https)
        value = resp.headers.get("Docker-Content-Digest", "")
    if not value.startswith("sha256:"):
        raise OSError(f"{url} answered without a Docker-Content-Digest header")
    return str(value)


def refresh(root: Path, log: Callable[[str], None], lookup: Callable[[str], str] = digest) -> None:
    """Update base-images.toml and the Dockerfiles to the registry's current digests.

    Nothing is written unless every image's digest was found.
    """
    toml_path = root / baseimages.BASE_IMAGES_FILE
    text = toml_path.read_text()
    images = baseimages.load(text)
    fresh: dict[str, str] = {}
    for image in images:
        try:
            fresh[image.flavor] = lookup(image.reference)
        except (OSError, KeyError, ValueError) as exc:  # network, HTTP, or a bad answer
            raise HostError(
                f"registry unreachable for {image.reference}: {exc}",
                f"nothing was changed in {baseimages.BASE_IMAGES_FILE}; run this where the "
                "registry is reachable",
            ) from None
    new_text = text
    for image in images:
        new_text = baseimages.update_toml(new_text, image.flavor, fresh[image.flavor])
        df = root / image.dockerfile
        df.write_text(
            baseimages.update_dockerfile(df.read_text(), f"{image.reference}@{fresh[image.flavor]}")
        )
        log(f"{image.flavor}: {image.reference}@{fresh[image.flavor]}")
    toml_path.write_text(new_text)
