"""A one-feed spider for the conditional-GET tests (`scrapy runspider tests/spiders/feed_probe.py`).

With ``-a broken=1`` it also asks for a page that fails, as a run with errors does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response


class FeedProbe(scrapy.Spider):
    name = "feed_probe"

    def __init__(self, url: str, full: str | None = None, broken: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.full = full == "1"
        self.broken = broken == "1"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, meta={"conditional_get": True}, callback=self.parse)
        if self.broken:
            yield scrapy.Request(self.url.rsplit("/", 1)[0] + "/broken", errback=self.failed)

    def failed(self, failure: Any) -> None:
        self.crawler.stats.inc_value("source/probe/request_failed")

    def parse(self, response: Response) -> None:
        self.crawler.stats.inc_value("probe/parsed")
