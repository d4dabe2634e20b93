"""scrapy crawl, with spider arguments checked first and an exit status that tells the truth.

Before the engine starts, the spider's ``-a`` arguments are parsed with its ``params_class``
(crawler/params.py): a bad one ends the command with one line on stderr and exit status 2, the
status of any usage error. After the crawl, the status is 1 when the crawl could not do its job
(storage not ready, site unreachable: crawler/extensions/summary.py); Scrapy's own command exits 0
whenever the engine ran.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler.extensions.summary import crawl_failed
from crawler.params import ArgumentError, SpiderParams

USAGE_ERROR = 2


class Command(crawl.Command):
    final_stats: Mapping[str, Any] | None = None

    def _create_crawler(self, spidercls: Any) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        # Stats exist only once the crawl has started: read them when it ends, if it ever does.
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        return crawler

    def _spider_closed(self, spider: Any, reason: str) -> None:
        self.final_stats = spider.crawler.stats.get_stats()

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                opts.spargs = self._parsed_arguments(args[0], opts.spargs)
            except ArgumentError as exc:
                print(f"scrapy crawl {args[0]}: {exc}", file=sys.stderr)
                self.exitcode = USAGE_ERROR
                return
        super().run(args, opts)
        if self.final_stats is not None and crawl_failed(self.final_stats):
            self.exitcode = 1

    def _parsed_arguments(self, name: str, given: dict[str, Any]) -> dict[str, Any]:
        """The spider's arguments, parsed once: ``{"params": <its params object>}``."""
        assert self.crawler_process is not None
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            raise UsageError(f"Spider not found: {name}", print_help=False) from None
        params_class = getattr(spidercls, "params_class", None)
        if not (isinstance(params_class, type) and issubclass(params_class, SpiderParams)):
            return given  # a spider without declared arguments gets them as Scrapy gives them
        return {"params": params_class.parse(given)}
