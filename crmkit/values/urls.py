"""Web addresses, stored with a scheme and a lower-case host: `https://www.example.pl/Oferta`.

People type `www.example.pl` far more often than a full URL; such values get `https://`.
Only http(s) without a user part is accepted: anything else in a "website" column is a
mistake or a trap (`javascript:...`, `https://www.bank.pl@evil.example`).
"""

from __future__ import annotations

import re

from crmkit.errors import InvalidValue

__all__ = ["normalize_url"]

_URL = re.compile(
    r"(?:(?P<scheme>https?)://)?"
    r"(?P<host>[^\s/?#:@]+)"
    r"(?P<port>:[0-9]{1,5})?"
    r"(?P<rest>[/?#]\S*)?",
    re.IGNORECASE,
)
# One host label: letters or digits (any script) at both ends, hyphens only inside.
_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")


def normalize_url(raw: str) -> str:
    """`http(s)://host/...` with the scheme and host lower-cased; `https://` if missing."""
    text = raw.strip()
    if not text:
        raise InvalidValue("empty URL")
    match = _URL.fullmatch(text)
    if match is None:
        raise InvalidValue("not a URL")
    host = match["host"].lower()
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidValue("not a URL")
    scheme = (match["scheme"] or "https").lower()
    return f"{scheme}://{host}{match['port'] or ''}{match['rest'] or ''}"
