"""The one URL canonicalizer: every stage that compares or stores a URL uses it.

It knows the rules that hold on every site. A source whose site has its own (share parameters,
several paths for one article page) passes them as ``SiteUrlRules``, from the source's own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SiteUrlRules:
    """One site's own URL rules, given by its source."""

    # Parameters that only track on that site (elsewhere they may select content).
    tracking_params: frozenset[str] = frozenset()
    # The canonical form of a path (e.g. one form for an article's several paths).
    path: Callable[[str], str] | None = None


def canonical_url(url: str, site: SiteUrlRules | None = None) -> str:
    """Normalize scheme and host, drop fragments and tracking parameters, sort the query.

    ``site``: the rules of the site the URL belongs to, where its source has some.
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
    path = parts.path or "/"
    if site is not None and site.path is not None:
        path = site.path(path)
    if len(path) > 1:
        path = path.rstrip("/")
    extra = site.tracking_params if site is not None else frozenset()
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, extra)]
    query.sort()
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def _is_tracking(key: str, extra: frozenset[str]) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES) or key in extra
