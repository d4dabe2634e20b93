"""Retries with backoff: 429 and 503 wait for ``Retry-After``, other failures back off exponentially.

Scrapy's own RetryMiddleware retries at once. A server that says "too many requests" wants us to
slow down, so here an HTTP error worth retrying pauses the download slot of the host that
answered (Scrapy's slot key: the hostname, or the request's ``download_slot``) until the time the
server named (429/503 with ``Retry-After``) or for ``RETRY_BACKOFF_BASE * 2**n`` seconds; the
retry waits in that slot's queue. Nothing sleeps: the paused slot's queue is held by the
downloader's own timer (``Slot.latercall``, the one ``DOWNLOAD_DELAY`` uses), so no transfer slot
is held and every other host keeps going (Scrapy's default scheduler queue,
DownloaderAwarePriorityQueue, hands out requests of the least busy slots first, so the paused
host's waiting requests do not crowd the others out). Each pause is logged and counted
(``retry/paused``).
"""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import UTC, datetime

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
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
        self.paused_until: dict[str, float] = {}  # slot key -> time.monotonic() it may resume
        self._timers: dict[str, object] = {}  # slot key -> the timer holding that slot

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    @property
    def downloader(self) -> Downloader:
        return self.crawler.engine.downloader

    def process_request(self, request: Request) -> None:
        # A slot the downloader dropped while idle comes back unpaused: pause it again.
        key = self.downloader.get_slot_key(request)
        if self.paused_until.get(key, 0.0) > time.monotonic():
            self._hold(key, request)

    def process_response(  # type: ignore[override]  # Scrapy 2.19 no longer passes the spider
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self.backoff_base * 2 ** request.meta.get("retry_times", 0)
        why = "backoff"
        if response.status in _PAUSE_CODES:
            asked = parse_retry_after(response.headers.get("Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    self.crawler.stats.inc_value("retry/retry_after_too_long")
                    logger.warning(
                        "Not retrying %s: Retry-After %.0fs is longer than RETRY_AFTER_MAX", request, asked
                    )
                    return response
                delay, why = asked, "Retry-After"
                self.crawler.stats.inc_value("retry/retry_after_honoured")
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        # The whole host waits, not just this request: that is what the server asked for.
        self.pause(request, delay, f"{response.status} {why}")
        return retry

    def pause(self, request: Request, seconds: float, why: str) -> None:
        """Hold every request of ``request``'s download slot for ``seconds``; other slots go on."""
        key = self.downloader.get_slot_key(request)
        until = time.monotonic() + seconds
        if until <= self.paused_until.get(key, 0.0):
            return  # already paused at least that long
        self.paused_until[key] = until
        self.crawler.stats.inc_value("retry/paused")
        logger.info("Pausing requests to %s for %.1fs (%s at %s)", key or "?", seconds, why, request.url)
        self._hold(key, request)

    def _hold(self, key: str, request: Request) -> None:
        _, slot = self.downloader._get_slot(request)
        if slot.latercall is not None and slot.latercall is self._timers.get(key):
            return  # held by this very pause already
        wait = self.paused_until[key] - time.monotonic()
        if slot.latercall is not None:
            slot.latercall.cancel()  # a download-delay timer, or a shorter pause
        slot.lastseen = time.monotonic() + wait  # and no idle-slot collection meanwhile
        slot.latercall = self._timers[key] = call_later(wait, _resume, self.downloader, slot)


def _resume(downloader: Downloader, slot: Slot) -> None:
    downloader._latercall(slot)  # the downloader's own "slot timer fired": process its queue
