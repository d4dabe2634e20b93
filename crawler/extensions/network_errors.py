"""Network failures are logged as one line, not as a traceback.

A DNS failure or a refused connection is an expected outcome (no network, site down), already
named in the log message and counted in the stats; its traceback says nothing more to the reader.
Scrapy's robots.txt middleware logs it with one, so this filter drops it for those errors.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError

NETWORK_ERRORS = (
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError, DownloadTimeoutError,
    ResponseDataLossError, ConnectError, DNSLookupError, TimeoutError, OSError,
)  # fmt: skip
NOISY_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper")


class NoNetworkTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NETWORK_ERRORS):
            record.exc_info = None
            record.exc_text = None
        return True


class QuietNetworkErrors:
    def __init__(self) -> None:
        self.filter = NoNetworkTracebacks()
        for name in NOISY_LOGGERS:
            logging.getLogger(name).addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietNetworkErrors:
        return cls()
