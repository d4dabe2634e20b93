"""Item pipeline: batched, idempotent writes of articles to PostgreSQL.

A thin Scrapy adapter around :class:`pipelines.db.writer.ArticleWriter`. Items are buffered and
written ``STORE_BATCH_SIZE`` at a time, one transaction per batch, in a worker thread so the
crawl keeps downloading while a batch is written. A batch that fails is retried (connection
trouble) or split to find the bad item (data trouble); what cannot be written is set aside,
never dropped: in the ``failed_items`` table, or, when the database stays away, in a JSON-lines
file under ``FAILED_ITEMS_DIR``. Both replay with ``scrapy crawl ingest`` (``-a failed=1``,
``-a path=FILE``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured

from pipelines.db.connect import DatabaseConfigError, connect, redact
from pipelines.db.migrate import available
from pipelines.db.writer import ArticleWriter, BatchResult, to_json

logger = logging.getLogger(__name__)


class SchemaNotReady(DatabaseConfigError):
    pass


def check_schema(conn: psycopg.Connection) -> None:
    """Fail fast when `scrapy migrate` has not been run on this database (autocommit connection)."""
    wanted = {m.version for m in available()}
    try:
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    except psycopg.errors.UndefinedTable:
        done = set()
    if wanted - done:
        raise SchemaNotReady(
            f"the database schema is not up to date (missing migrations {sorted(wanted - done)}): "
            "run `scrapy migrate` first"
        )


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.url: str | None = settings.get("DATABASE_URL")
        self.batch_size = settings.getint("STORE_BATCH_SIZE", 500)
        self.retries = settings.getint("STORE_RETRIES", 3)
        self.failed_dir = Path(settings.get("FAILED_ITEMS_DIR", "var/failed"))
        self.threshold = settings.getfloat("DEDUPE_THRESHOLD", 0.5)
        self.buffer: list[dict[str, Any]] = []
        self.lock = threading.Lock()  # one batch at a time on the one connection
        self.writer: ArticleWriter | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        if not crawler.settings.getbool("STORE_ENABLED", True):
            raise NotConfigured("STORE_ENABLED is off: nothing is stored")
        return cls(crawler)

    # --- lifecycle ------------------------------------------------------------------------
    def open_spider(self) -> None:
        try:
            conn = connect(self.url, autocommit=True)
            check_schema(conn)
        except DatabaseConfigError as exc:
            logger.error("Storage is not ready: %s", exc)
            raise CloseSpider("storage_not_ready") from None
        self.writer = ArticleWriter(conn, self.threshold)
        spider = self.crawler.spider
        assert spider is not None  # pipelines open with their spider
        params = getattr(spider, "params", None)  # crawler/params.py: every spider declares its arguments
        args = params.to_json() if params is not None else {}
        worker = f"{socket.gethostname()}:{os.getpid()}"
        self.run_id = self.writer.start_run(spider.name, args, worker, self.stats.get_value("redis/crawl_id"))
        self.stats.set_value("store/run_id", self.run_id)
        logger.info("Storing into %s as crawl run %s", redact(conn.info.dsn), self.run_id)

    async def process_item(self, item: Any) -> Any:
        self.buffer.append(ItemAdapter(item).asdict())
        if len(self.buffer) >= self.batch_size:
            await self._flush()
        return item

    async def close_spider(self) -> None:
        if self.writer is not None:
            await self._flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.writer is None:
            return
        try:
            if self.run_id is not None:
                self.writer.finish_run(self.run_id, reason, self.stats.get_stats())
        except psycopg.Error as exc:
            logger.error("Could not record the end of crawl run %s: %s", self.run_id, exc)
        self.writer.conn.close()

    # --- writing --------------------------------------------------------------------------
    async def _flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if batch:
            result = await asyncio.to_thread(self._write_batch, batch)
            self._record(result)

    def _record(self, result: BatchResult) -> None:
        for lang, n in result.inserted.items():
            self.stats.inc_value("store/inserted", n)
            self.stats.inc_value(f"store/inserted/{lang}", n)
        for lang, n in result.updated.items():
            self.stats.inc_value("store/updated", n)
            self.stats.inc_value(f"store/updated/{lang}", n)
        self.stats.inc_value("store/unchanged", result.unchanged)
        self.stats.inc_value("store/truncated", result.truncated)
        self.stats.inc_value("store/batches")
        for decision, n in result.decisions.items():
            self.stats.inc_value(f"dedupe/{decision}", n)

    def _write_batch(self, batch: list[dict[str, Any]]) -> BatchResult:
        with self.lock:
            return self._write_or_split(batch)

    def _write_or_split(self, batch: list[dict[str, Any]]) -> BatchResult:
        """Write a batch; on bad data split it until the bad items are found and set aside."""
        assert self.writer is not None
        try:
            return self._write_with_retries(batch)
        except psycopg.OperationalError as exc:
            self._spill(batch, exc)
        except Exception as exc:  # bad data, whatever raised it: find the item, keep the rest
            if len(batch) > 1:
                half = len(batch) // 2
                result = self._write_or_split(batch[:half])
                result.add(self._write_or_split(batch[half:]))
                return result
            self._set_aside(batch[0], exc)
        return BatchResult()

    def _write_with_retries(self, batch: list[dict[str, Any]]) -> BatchResult:
        assert self.writer is not None
        for attempt in range(1, self.retries + 1):
            try:
                if self.writer.conn.closed:
                    self.writer = ArticleWriter(connect(self.url, autocommit=True), self.threshold)
                return self.writer.write(batch, self.run_id)
            except (psycopg.OperationalError, DatabaseConfigError) as exc:
                if attempt == self.retries:
                    raise psycopg.OperationalError(str(exc)) from exc
                delay = 2 ** (attempt - 1)
                logger.warning("Batch write failed (%s); retry %d in %ss", exc, attempt, delay)
                self.writer.conn.close()
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _set_aside(self, item: dict[str, Any], exc: Exception) -> None:
        assert self.writer is not None
        logger.error("Could not store %s: %s (set aside in failed_items)", item.get("url"), exc)
        self.stats.inc_value("store/set_aside")
        try:
            self.writer.set_aside(item, f"{type(exc).__name__}: {exc}", self.run_id)
        except psycopg.Error as again:
            self._spill([item], again)

    def _spill(self, batch: list[dict[str, Any]], exc: Exception) -> None:
        """The database is away: keep the batch on disk for `scrapy crawl ingest -a path=FILE`."""
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        path = self.failed_dir / f"run-{self.run_id}.jsonl"
        with path.open("a", encoding="utf-8") as out:
            for item in batch:
                out.write(json.dumps(to_json(item), ensure_ascii=False) + "\n")
        self.stats.inc_value("store/spilled", len(batch))
        logger.error("Database unavailable (%s): %d items kept in %s", exc, len(batch), path)
