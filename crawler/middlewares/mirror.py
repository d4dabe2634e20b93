"""Fetch a site's pages from a mirror: ``SOURCE_MIRRORS = {"https://www.example.com": "http://127.0.0.1:8804/www.example.com"}``.

For a saved copy of a site (the tests' fixture sites, an archive): a request to a mirrored origin
is sent to the mirror instead, and its response comes back under the original URL, so spiders,
robots.txt handling and stored URLs see the real site. Empty by default: nothing is rewritten.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response


class MirrorMiddleware:
    def __init__(self, mirrors: dict[str, str]) -> None:
        # Longest origin first, so https://a.example/x wins over https://a.example.
        self.mirrors = sorted(((o.rstrip("/"), m.rstrip("/")) for o, m in mirrors.items()), reverse=True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        mirrors = crawler.settings.getdict("SOURCE_MIRRORS")
        if not mirrors:
            raise NotConfigured
        return cls(mirrors)

    def process_request(self, request: Request) -> Request | None:
        if "mirror_of" in request.meta:
            return None
        for origin, mirror in self.mirrors:
            if request.url == origin or request.url.startswith((origin + "/", origin + "?")):
                meta = {**request.meta, "mirror_of": request.url}
                return request.replace(url=mirror + request.url[len(origin):], meta=meta, dont_filter=True)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get("mirror_of")
        return response.replace(url=original) if original else response
