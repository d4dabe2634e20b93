"""Retries with backoff: 429 and 503 wait for ``Retry-After``, other failures back off exponentially.

Scrapy's own RetryMiddleware retries at once. A server that says "too many requests" wants us to
slow down, so here a 429/503 pauses every request to that download slot (host) until the time the
server named, and other retries wait ``RETRY_BACKOFF_BASE * 2**n`` seconds.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from datetime import UTC, datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)

_PAUSE_CODES = {429, 503}


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - now_dt).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.retry_after_max = crawler.settings.getfloat("RETRY_AFTER_MAX", 300.0)
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def _slot(self, request: Request) -> str:
        return request.meta.get("download_slot") or (request.url.split("/")[2] if "//" in request.url else "")

    async def process_request(self, request: Request) -> None:
        wait = self.paused_until.get(self._slot(request), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    # Scrapy 2.19 awaits coroutine middleware methods; its type hints still name the sync form.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        tries = request.meta.get("retry_times", 0)
        delay = self.backoff_base * 2**tries
        if response.status in _PAUSE_CODES:
            asked = parse_retry_after(response.headers.get("Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    self.crawler.stats.inc_value("retry/retry_after_too_long")
                    logger.warning(
                        "Not retrying %s: Retry-After %.0fs is longer than RETRY_AFTER_MAX", request, asked
                    )
                    return response
                delay = asked
                self.crawler.stats.inc_value("retry/retry_after_honoured")
            # The whole host waits, not just this request: that is what the server asked for.
            slot = self._slot(request)
            self.paused_until[slot] = max(self.paused_until.get(slot, 0.0), time.monotonic() + delay)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        logger.info("Got %d for %s: retrying in %.1fs", response.status, request.url, delay)
        await asyncio.sleep(delay)
        return retry
