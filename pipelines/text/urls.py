"""The one URL canonicalizer: every stage that compares or stores a URL uses it."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; they never change the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "ref_src", "ref_url", "from", "share", "share_from", "spm", "utm_id",
        "ic", "su", "ts", "timezone",
    }
)
TRACKING_PREFIXES = ("utm_", "hmsr", "_hs")

# Followin article paths: /feed/<id>, /<lang>/feed/<id>, optionally with a base64 share tail.
_FOLLOWIN_FEED = re.compile(r"^/(?:(?P<lang>[A-Za-z]{2}(?:-[A-Za-z]{2,4})?)/)?feed/(?P<id>\d+)(?:/[^/]*)?/?$")


def canonical_url(url: str) -> str:
    """Normalize scheme and host, drop fragments, tracking parameters and Followin share tails.

    ``/feed/<id>`` and ``/en/feed/<id>`` are the same page: English is Followin's default.
    """
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    match = _FOLLOWIN_FEED.match(path)
    if match:
        path = f"/{match['lang'] or 'en'}/feed/{match['id']}"
    elif len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def followin_article_id(url: str) -> str | None:
    """The article id in a Followin article URL, or None for any other URL."""
    match = _FOLLOWIN_FEED.match(urlsplit(url).path)
    return match["id"] if match else None
