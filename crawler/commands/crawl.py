"""scrapy crawl, exiting non-zero when a crawl could not do its job.

Scrapy's own command exits 0 whenever the engine ran; a scheduled job needs to know that storage
was not ready or that the site could not be reached at all.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands import crawl
from scrapy.crawler import Crawler

from crawler.extensions.summary import crawl_failed


class Command(crawl.Command):
    def _create_crawler(self, spidercls: Any) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats and crawl_failed(crawler.stats.get_stats()):
            self.exitcode = 1
