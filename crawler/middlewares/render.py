"""Downloader middleware: turns a request's render mode (crawler/rendering.py) into a download.

- ``always``: scrapy-playwright's meta is added just before the download (so queued requests
  carry only the plain ``render`` key), with a wait for the content.
- ``auto``: the plain response goes to the callback when its HTML yields at least
  RENDER_AUTO_MIN_CHARS characters of article text (RENDER_AUTO_MEASURE); otherwise the same URL
  is requested again, rendered, and only that response reaches the callback.

A middleware rather than a spider helper, so every spider gets the same decision by setting one
meta key, and callbacks never see the script-built shell of an ``auto`` page.

Stats: ``render/pages`` (rendered responses), ``render/auto_checked``, ``render/auto_plain``,
``render/auto_rendered``, ``render/errors`` and ``render/errors/<exception>``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import load_object

from crawler.rendering import MODE_KEY, WAIT_FOR_KEY, RenderMode, playwright_meta

logger = logging.getLogger(__name__)

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
RENDER_NOT_CONFIGURED = "render_not_configured"  # finish reason: the crawl exits non-zero


class QuietPageClose(logging.Filter):
    """scrapy-playwright logs each failed rendered download as a warning with a traceback; the
    spider's errback already logs it once with its URL, so that record is kept for DEBUG only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Closing page due to failed request"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.exc_info = record.exc_text = None
        return True


_QUIET_PAGE_CLOSE = QuietPageClose()


class RenderMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.auto_min_chars = settings.getint("RENDER_AUTO_MIN_CHARS", 200)
        self.measure: Callable[[str, str], int] = load_object(settings["RENDER_AUTO_MEASURE"])
        self.wait_min_chars = settings.getint("RENDER_WAIT_MIN_CHARS", 50)
        self.wait_timeout = settings.getfloat("RENDER_WAIT_TIMEOUT", 15.0)
        self.problem = self._configuration_problem(crawler)
        self.closing: asyncio.Future[None] | None = None
        logging.getLogger("scrapy-playwright").addFilter(_QUIET_PAGE_CLOSE)  # once: same object

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMiddleware:
        return cls(crawler)

    @staticmethod
    def _configuration_problem(crawler: Crawler) -> str | None:
        """Why rendering cannot work with these settings, if it cannot. Checked at the first
        rendered request, so a crawl that renders nothing needs no browser."""
        handlers = crawler.settings.getdict("DOWNLOAD_HANDLERS")
        if not all(handlers.get(s) == PLAYWRIGHT_HANDLER for s in ("http", "https")):
            return "rendering needs DOWNLOAD_HANDLERS for http and https set to scrapy-playwright's handler"
        options = crawler.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
        path = options.get("executable_path")
        if path and not os.access(path, os.X_OK):
            return (
                f"Chromium is not installed at {path}: run `make install` (apt-get install chromium) "
                "or point PLAYWRIGHT_LAUNCH_OPTIONS executable_path at a Chromium"
            )
        return None

    async def process_request(self, request: Request) -> None:
        if request.meta.get(MODE_KEY) != RenderMode.ALWAYS or request.meta.get("playwright"):
            return
        if self.problem:
            self._stop()
            raise IgnoreRequest(self.problem)
        wait_for = request.meta.get(WAIT_FOR_KEY)
        request.meta.update(playwright_meta(wait_for, self.wait_min_chars, self.wait_timeout))

    def _stop(self) -> None:
        """A broken configuration stops the crawl, with one line. Closing waits for the requests
        in progress, this one included: it runs as a task of its own."""
        if self.closing is None:
            logger.error("Cannot render pages: %s", self.problem)
            self.closing = asyncio.ensure_future(
                self.crawler.engine.close_spider_async(reason=RENDER_NOT_CONFIGURED)
            )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if "playwright" in response.flags:
            self.stats.inc_value("render/pages")
            return response
        if request.meta.get(MODE_KEY) != RenderMode.AUTO:
            return response
        if response.status != 200 or not isinstance(response, HtmlResponse):
            return response  # errors and non-HTML are the callback's (or retry's) business
        self.stats.inc_value("render/auto_checked")
        chars = self.measure(response.text, response.url)
        if chars >= self.auto_min_chars:
            self.stats.inc_value("render/auto_plain")
            return response
        self.stats.inc_value("render/auto_rendered")
        logger.debug("Rendering %s: its HTML holds %d characters of article text", response.url, chars)
        meta = {**request.meta, MODE_KEY: RenderMode.ALWAYS.value}
        return request.replace(meta=meta, dont_filter=True)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.get("playwright"):
            self.stats.inc_value("render/errors")
            self.stats.inc_value(f"render/errors/{type(exception).__name__}")
