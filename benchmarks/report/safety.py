"""What may go into an HTML attribute of a page: element ids and links. Pure.

Values in a run directory are data, not markup: a workload or device named ``"><script>`` or a
run directory named ``javascript:alert(1)`` must come out inert. Ids are rebuilt from a safe
alphabet (with a short hash so two unsafe values never collide); links are relative paths of
percent-encoded segments, checked before use.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

_ID_BAD = re.compile(r"[^A-Za-z0-9_-]+")
_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,99}")


def safe_id(raw: str) -> str:
    """An HTML/SVG id made of ``[A-Za-z0-9_-]``, starting with a letter; stable for a given raw."""
    cleaned = _ID_BAD.sub("-", raw).strip("-")[:80] or "x"
    if not cleaned[0].isalpha():
        cleaned = "i-" + cleaned
    if cleaned != raw:
        cleaned += "-" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:8]
    return cleaned


def is_safe_id(value: str) -> bool:
    return bool(_SAFE_ID.fullmatch(value))


def attr(value: object) -> str:
    """Any value escaped for a double-quoted attribute."""
    return escape(str(value), quote=True)


def relative_href(segments: Sequence[str]) -> str:
    """``./seg/seg/...``: each segment percent-encoded, so no scheme, host or '..' can form."""
    parts = [quote(s, safe="") for s in segments if s not in ("", ".")]
    if not parts or any(p in ("..",) for p in parts):
        return ""
    href = "./" + "/".join(parts)
    return href if is_safe_href(href) else ""


_SAFE_HREF = re.compile(r"(?:\./|#)[A-Za-z0-9._~%/+-]*")


def is_safe_href(href: str) -> bool:
    """A same-site relative link or a fragment: no scheme, no '//' host, no '..'."""
    return bool(_SAFE_HREF.fullmatch(href)) and "//" not in href and "/../" not in f"{href}/"
