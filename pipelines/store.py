"""Item pipeline: batched, idempotent writes of articles to PostgreSQL.

A thin Scrapy adapter around :class:`pipelines.db.writer.ArticleWriter`. Items are buffered and
written ``STORE_BATCH_SIZE`` at a time, and at least every ``STORE_FLUSH_SECONDS`` (which bounds
what a kill can lose), one transaction per batch, in a worker thread so the crawl keeps
downloading while a batch is written. Each flush also beats the run's heartbeat.

What cannot be written is never dropped:

- an error that the data of one item causes (any exception while the connection stays healthy)
  is isolated by splitting the batch; that item goes to the ``failed_items`` table with its
  reason, and the rest of the batch is written;
- only when the server is unreachable (the connection is broken and reconnecting fails, after
  ``STORE_RETRIES`` attempts) is the batch kept in a JSON-lines file under ``FAILED_ITEMS_DIR``.

Both replay with ``scrapy crawl ingest``. Every item handled for good (written, set aside or kept
on disk) is announced with the :data:`items_stored` signal (crawler/resume.py listens).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from pipelines.db import runs
from pipelines.db.connect import DatabaseConfigError, connect, one_line, redact
from pipelines.db.migrate import SchemaNotReady, check_schema
from pipelines.db.writer import ArticleWriter, BatchResult, to_json
from pipelines.text.storable import storable_json, storable_text
from pipelines.validate import item_refused

logger = logging.getLogger(__name__)

# Sent with items=[...] once those items are written, set aside or kept on disk.
items_stored = object()

# Errors worth retrying on a healthy connection: they say nothing about the data.
_TRANSIENT = (
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.LockNotAvailable,
)


Pair = tuple[Any, dict[str, Any]]  # an item as yielded, and its fields


class DatabaseUnavailable(Exception):
    """The server cannot be reached: the batch goes to disk."""


class Refused(Exception):
    """The validation step refused the item (pipelines/validate.py): it is set aside, not written."""


@dataclass
class Flushed:
    """What one flush did; recorded in the stats on the reactor thread."""

    result: BatchResult = field(default_factory=BatchResult)
    handled: list[Any] = field(default_factory=list)  # item objects written, set aside or spilled
    set_aside: int = 0
    spilled: int = 0
    spill_file: str | None = None


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.url: str | None = settings.get("DATABASE_URL")
        self.batch_size = settings.getint("STORE_BATCH_SIZE", 500)
        self.flush_seconds = settings.getfloat("STORE_FLUSH_SECONDS", 5.0)
        self.retries = max(1, settings.getint("STORE_RETRIES", 3))
        self.stale_after = settings.getfloat("RUN_STALE_SECONDS", runs.DEFAULT_STALE_AFTER)
        self.failed_dir = Path(settings.get("FAILED_ITEMS_DIR", "var/failed"))
        self.threshold = settings.getfloat("DEDUPE_THRESHOLD", 0.5)
        self.buffer: list[tuple[Any, dict[str, Any]]] = []  # (item as yielded, its fields)
        self.refused: list[tuple[Any, dict[str, Any], str]] = []  # set aside at the next flush
        self.lock = threading.Lock()  # one batch at a time on the one connection
        self.writer: ArticleWriter | None = None
        self.run_id: int | None = None
        self.timer: task.LoopingCall | None = None
        self.flushing = asyncio.Lock()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.keep_refused, signal=item_refused)

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
        except (DatabaseConfigError, SchemaNotReady) as exc:
            logger.error("Storage is not ready: %s", exc)
            raise CloseSpider("storage_not_ready") from None
        abandoned = runs.mark_abandoned(conn, self.stale_after)
        if abandoned:
            logger.warning("Crawl runs %s stopped without recording their end: marked abandoned",
                           ", ".join(map(str, abandoned)))  # fmt: skip
        self.writer = ArticleWriter(conn, self.threshold)
        spider = self.crawler.spider
        assert spider is not None  # pipelines open with their spider
        params = getattr(spider, "params", None)  # crawler/params.py: every spider declares its arguments
        args = params.to_json() if params is not None else {}
        worker = f"{socket.gethostname()}:{os.getpid()}"
        self.run_id = runs.start_run(conn, spider.name, args, worker, self.stats.get_value("redis/crawl_id"))
        self.stats.set_value("store/run_id", self.run_id)
        logger.info("Storing into %s as crawl run %s", redact(conn.info.dsn), self.run_id)
        if self.flush_seconds > 0:
            self.timer = task.LoopingCall(lambda: deferred_from_coro(self._tick()))
            self.timer.start(self.flush_seconds, now=False)

    async def process_item(self, item: Any) -> Any:
        self.buffer.append((item, ItemAdapter(item).asdict()))
        if len(self.buffer) >= self.batch_size:
            await self._flush()
        return item

    def keep_refused(self, item: Any, fields: dict[str, Any], reason: str) -> None:
        """An item the validation step refused: set aside in failed_items at the next flush."""
        self.refused.append((item, fields, reason))

    async def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.writer is not None:
            await self._flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.writer is None:
            return
        try:
            if self.run_id is not None:
                with self.lock:
                    runs.finish_run(self._connected().conn, self.run_id, reason, self.stats.get_stats())
        except (psycopg.Error, DatabaseConfigError) as exc:
            self.stats.set_value("store/run_not_recorded", 1)
            logger.error("Could not record the end of crawl run %s: %s", self.run_id, one_line(exc))
        self.writer.conn.close()

    # --- flushing -------------------------------------------------------------------------
    async def _tick(self) -> None:
        try:
            await self._flush(heartbeat_only=not self.buffer and not self.refused)
        except Exception:  # the timer must keep running
            logger.exception("Timed flush failed")

    async def _flush(self, heartbeat_only: bool = False) -> None:
        # One flush at a time, start to end: the last one (close_spider) waits for a timed one, so
        # nothing is recorded or announced after the crawl's end.
        async with self.flushing:
            batch, self.buffer = self.buffer, []
            refused, self.refused = self.refused, []
            if not batch and not refused and not heartbeat_only:
                return
            done = Flushed()
            snapshot = dict(self.stats.get_stats())  # copied here: the reactor thread changes it
            if isinstance(started := snapshot.get("start_time"), datetime):
                snapshot["elapsed_time_seconds"] = (datetime.now(started.tzinfo) - started).total_seconds()
            try:
                await asyncio.to_thread(self._write_batch, batch, refused, done, snapshot)
            finally:
                self._record(done, len(batch) + len(refused))
                if done.handled:
                    self.crawler.signals.send_catch_log(items_stored, items=done.handled)

    def _record(self, done: Flushed, batch_size: int) -> None:
        result = done.result
        for lang, n in result.inserted.items():
            self.stats.inc_value("store/inserted", n)
            self.stats.inc_value(f"store/inserted/{lang}", n)
        for lang, n in result.updated.items():
            self.stats.inc_value("store/updated", n)
            self.stats.inc_value(f"store/updated/{lang}", n)
        for name, n in (("unchanged", result.unchanged), ("truncated", result.truncated),
                        ("lock_retries", result.lock_retries),
                        ("set_aside", done.set_aside), ("spilled", done.spilled),
                        ("lost", batch_size - len(done.handled))):  # fmt: skip
            if n:
                self.stats.inc_value(f"store/{name}", n)
        if batch_size:
            self.stats.inc_value("store/batches")
        if done.spill_file:
            self.stats.set_value("store/spill_file", done.spill_file)
        for decision, n in result.decisions.items():
            self.stats.inc_value(f"dedupe/{decision}", n)
        for key, n in result.sources.items():
            self.stats.inc_value(f"source/{key}", n)

    # --- writing (worker thread) --------------------------------------------------------------
    def _write_batch(self, batch: list[Pair], refused: list[tuple[Any, dict[str, Any], str]],
                     done: Flushed, snapshot: dict[str, Any]) -> None:  # fmt: skip
        with self.lock:
            if batch:
                self._write_or_split(batch, done)
            for item, fields, reason in refused:
                self._set_aside((item, fields), Refused(reason), done)
            if self.run_id is None:
                return
            try:
                runs.heartbeat(self._connected().conn, self.run_id, snapshot)
            except (psycopg.Error, DatabaseConfigError) as exc:
                logger.debug("No heartbeat for crawl run %s: %s", self.run_id, one_line(exc))

    def _write_or_split(self, batch: list[tuple[Any, dict[str, Any]]], done: Flushed) -> None:
        """Write a batch; when one item's data fails it, split until that item is found."""
        try:
            done.result.add(self._write_with_retries([fields for _, fields in batch]))
            done.handled += [item for item, _ in batch]
        except DatabaseUnavailable as exc:
            self._spill(batch, exc, done)
        except Exception as exc:  # this batch's data, whatever raised: find the item, keep the rest
            if len(batch) > 1:
                half = len(batch) // 2
                self._write_or_split(batch[:half], done)
                self._write_or_split(batch[half:], done)
            else:
                self._set_aside(batch[0], exc, done)

    def _connected(self) -> ArticleWriter:
        """The writer, on a new connection if the old one was lost (DatabaseConfigError if none)."""
        assert self.writer is not None
        if self.writer.conn.closed or self.writer.conn.broken:
            self.writer.conn.close()
            self.writer = ArticleWriter(connect(self.url, autocommit=True), self.threshold)
        return self.writer

    def _unreachable(self, exc: Exception) -> bool:
        """Judged by the connection, not by the exception class: data errors leave it healthy."""
        assert self.writer is not None
        return isinstance(exc, DatabaseConfigError) or self.writer.conn.closed or self.writer.conn.broken

    def _write_with_retries(self, fields: list[dict[str, Any]]) -> BatchResult:
        for attempt in range(1, self.retries + 1):
            try:
                return self._connected().write(fields, self.run_id)
            except Exception as exc:
                unreachable = self._unreachable(exc)
                if not unreachable and not isinstance(exc, _TRANSIENT):
                    raise
                if attempt == self.retries:
                    if unreachable:
                        raise DatabaseUnavailable(one_line(exc)) from exc
                    raise
                delay = 2 ** (attempt - 1)
                logger.warning("Batch write failed (%s); retry %d in %ss", one_line(exc), attempt, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _set_aside(self, pair: tuple[Any, dict[str, Any]], exc: Exception, done: Flushed) -> None:
        item, fields = pair
        reason = f"{type(exc).__name__}: {one_line(exc)}"
        try:
            self._connected().set_aside(fields, reason, self.run_id)
        except Exception as again:  # the server went away meanwhile: disk, as for a batch
            self._spill([pair], again, done)
            return
        logger.error("Could not store %s: %s (set aside in failed_items)",
                     storable_json(fields.get("url")), storable_text(reason))  # fmt: skip
        done.set_aside += 1
        done.handled.append(item)

    def _spill(self, batch: list[tuple[Any, dict[str, Any]]], exc: Exception, done: Flushed) -> None:
        """The database is away: keep the batch on disk for `scrapy crawl ingest -a path=FILE`."""
        path = self.failed_dir / f"run-{self.run_id}.jsonl"
        lines = []
        for _, fields in batch:
            try:  # exact: ASCII escapes keep lone surrogates, NaN stays NaN
                lines.append(json.dumps(to_json(fields)))
            except (TypeError, ValueError, RecursionError):
                lines.append(json.dumps(storable_json(fields)))
        try:
            self.failed_dir.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines))
                out.flush()
                os.fsync(out.fileno())
        except OSError as disk:
            logger.critical("Database unavailable (%s) and %s cannot be written (%s): %d items lost",
                            one_line(exc), path, disk, len(batch))  # fmt: skip
            return
        done.spilled += len(batch)
        done.handled += [item for item, _ in batch]
        done.spill_file = str(path)
        logger.error("Database unavailable (%s): %d items kept in %s", one_line(exc), len(batch), path)
