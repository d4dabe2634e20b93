"""A spider for tests/retry/test_retry_after.py: pages from two hosts, run with `scrapy runspider`.

    scrapy runspider tests/retry/two_hosts.py -a port=PORT

Host A (127.0.0.1) and host B (localhost) are the same loopback server under two names, so
Scrapy gives them two download slots. Items are not stored: the test reads the server's log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class TwoHostsSpider(scrapy.Spider):
    name = "two_hosts"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {"crawler.extensions.summary.CrawlSummary": None},
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0.2,  # B's pages arrive one every 0.2 s, before, during and after A's pause
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS": 4,
        "ROBOTSTXT_OBEY": False,
    }

    def __init__(self, port: str = "", pages: str = "25", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.port, self.pages = int(port), int(pages)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for n in range(self.pages):
            for host in ("127.0.0.1", "localhost"):
                yield scrapy.Request(f"http://{host}:{self.port}/page/{n}", callback=self.parse)

    def parse(self, response: scrapy.http.Response) -> None:
        pass
