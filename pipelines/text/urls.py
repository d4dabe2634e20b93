"""The one URL canonicalizer: every stage that compares or stores a URL uses it."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader on any site; they never change the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "share", "share_from", "spm",
        "utm_id",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "hmsr", "_hs")
# Followin's share parameters (a share tail decodes to from=webshare&ic=…&su=…&timezone=8&ts=…).
# Elsewhere "from" and "ts" can select content (a page offset, a version), so only on Followin.
FOLLOWIN_TRACKING_PARAMS = frozenset({"from", "ic", "su", "ts", "timezone"})
FOLLOWIN_HOST = "followin.io"

# Followin article paths: /feed/<id>, /<lang>/feed/<id>, optionally with a base64 share tail.
_FOLLOWIN_FEED = re.compile(r"^/(?:(?P<lang>[A-Za-z]{2}(?:-[A-Za-z]{2,4})?)/)?feed/(?P<id>\d+)(?:/[^/]*)?/?$")


def _is_followin(host: str) -> bool:
    return host == FOLLOWIN_HOST or host.endswith("." + FOLLOWIN_HOST)


def _is_tracking(key: str, followin: bool) -> bool:
    key = key.lower()
    if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES):
        return True
    return followin and key in FOLLOWIN_TRACKING_PARAMS


def canonical_url(url: str) -> str:
    """Normalize scheme and host, drop fragments, tracking parameters and Followin share tails.

    On Followin, ``/feed/<id>`` and ``/en/feed/<id>`` are the same page: English is the default.
    """
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:  # a port that is no number: keep the host alone
        port = None
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    followin = _is_followin(host)
    path = parts.path or "/"
    match = _FOLLOWIN_FEED.match(path) if followin else None
    if match:
        path = f"/{match['lang'] or 'en'}/feed/{match['id']}"
    elif len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, followin)
    ]
    query.sort()
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def followin_article_id(url: str) -> str | None:
    """The article id in a Followin article URL (absolute, or a bare path), else None."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if host and not _is_followin(host):
        return None
    match = _FOLLOWIN_FEED.match(parts.path)
    return match["id"] if match else None
