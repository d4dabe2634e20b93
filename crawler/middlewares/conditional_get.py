"""Conditional GETs for feeds and sitemaps: ETag and Last-Modified kept per URL in PostgreSQL.

A spider marks such requests with ``meta={"conditional_get": True}``. The request then carries
``If-None-Match`` / ``If-Modified-Since`` from the last time the URL answered 200, and a 304 ends
there: counted (``incremental/not_modified``), nothing parsed, nothing followed. New validators
are saved when the run ends, and only when it ended clean: after a run with errors, the next run
reads its feeds in full, so an entry whose article failed to download is not skipped for good.
A spider run with ``-a full=1`` (attribute ``full``) sends no validators.
"""

from __future__ import annotations

import logging

import psycopg
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.outcome import errors_by_reason
from pipelines.db.connect import DatabaseConfigError, connect

logger = logging.getLogger(__name__)


class ConditionalGetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.url: str | None = crawler.settings.get("DATABASE_URL")
        self._conn: psycopg.Connection | None = None
        self._new: dict[str, tuple[str | None, str | None]] = {}  # url -> (etag, last_modified)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.url, autocommit=True)
        return self._conn

    def _wanted(self, request: Request) -> bool:
        return bool(request.meta.get("conditional_get")) and not getattr(self.crawler.spider, "full", False)

    def process_request(self, request: Request) -> None:
        if not self._wanted(request) or request.method != "GET":
            return
        try:
            row = self._connection().execute(
                "SELECT etag, last_modified FROM http_validators WHERE url = %s", (request.url,)
            ).fetchone()
        except (psycopg.Error, DatabaseConfigError) as exc:  # fetched in full: costs bytes, loses nothing
            logger.warning("No validators for %s: %s", request.url, exc)
            return
        if row is None:
            return
        etag, last_modified = row
        if etag and b"If-None-Match" not in request.headers:
            request.headers["If-None-Match"] = etag
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers["If-Modified-Since"] = last_modified

    def process_response(self, request: Request, response: Response) -> Response:
        if not self._wanted(request):
            return response
        if response.status == 304:
            self.crawler.stats.inc_value("incremental/not_modified")
            logger.debug("Not modified since the last run: %s", request.url)
            raise IgnoreRequest(f"not modified: {request.url}")
        if response.status == 200:
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            if etag or modified:
                self._new[request.url] = (
                    etag.decode("latin-1") if etag else None,
                    modified.decode("latin-1") if modified else None,
                )
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        if self._new and (reason != "finished" or errors_by_reason(stats)):
            logger.info("Feed validators not saved (the run had errors): next run reads its feeds in full")
        elif self._new:
            try:
                with self._connection().cursor() as cur:
                    cur.executemany(
                        "INSERT INTO http_validators (url, etag, last_modified) VALUES (%s, %s, %s) "
                        "ON CONFLICT (url) DO UPDATE SET etag = EXCLUDED.etag, "
                        "last_modified = EXCLUDED.last_modified, updated_at = now()",
                        [(url, etag, modified) for url, (etag, modified) in self._new.items()],
                    )
            except (psycopg.Error, DatabaseConfigError) as exc:
                logger.warning("Could not save feed validators: %s", exc)
        if self._conn is not None:
            self._conn.close()


