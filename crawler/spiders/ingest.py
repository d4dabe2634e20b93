"""Replays stored items through the item pipelines: dead letters, or any JSON-lines file of items.

    scrapy crawl ingest -a path=var/failed/run-12.jsonl
    scrapy crawl ingest -a failed=1        # rows of failed_items not replayed yet

Each line (or row) is one item as the pipelines saw it; the pipelines are idempotent, so an item
that was stored after all is not doubled. An item that fails again for its own data is set aside
in ``failed_items`` with its reason (never spilled again). When every item of the replay was
handled (stored or set aside, none kept on disk again, no unreadable line), the file is renamed
to ``FILE.replayed`` and the rows get ``replayed_at``; otherwise they stay as they are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals

from crawler.items import ArticleItem
from crawler.params import ArgumentError, SpiderParams, boolean, param
from pipelines.db.connect import connect

logger = logging.getLogger(__name__)
_DATETIMES = ("published_at", "fetched_at")


def item_from_json(data: dict[str, Any]) -> ArticleItem:
    known = {k: v for k, v in data.items() if k in ArticleItem.fields}
    if "raw_original_title" not in data and "raw_original_body" not in data:
        # Kept before migration 007, when original_* held the source's text: it is the raw one.
        known["raw_original_title"] = known.pop("original_title", None)
        known["raw_original_body"] = known.pop("original_body", None)
    for name in _DATETIMES:
        if isinstance(known.get(name), str):
            known[name] = datetime.fromisoformat(known[name])
    return ArticleItem(**known)


def existing_file(text: str) -> str:
    if not Path(text).is_file():
        raise ValueError("no such file")
    return text


@dataclass(frozen=True)
class IngestParams(SpiderParams):
    path: str | None = param(None, existing_file, "a JSON-lines file of items to replay")
    failed: bool = param(False, boolean, "1: replay the rows of failed_items not replayed yet")

    def check(self) -> None:
        if bool(self.path) == self.failed:
            raise ArgumentError("ingest needs exactly one of -a path=FILE.jsonl or -a failed=1")


class IngestSpider(scrapy.Spider):
    name = "ingest"
    params_class = IngestParams

    def __init__(self, params: IngestParams | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.params = IngestParams.for_spider(params, kwargs)
        self.path = Path(self.params.path) if self.params.path else None
        self.replayed: list[int] = []

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> IngestSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.mark_replayed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for item in self._from_file() if self.path else self._from_table():
            self.crawler.stats.inc_value("ingest/items")
            yield item

    def _from_file(self) -> Iterator[ArticleItem]:
        assert self.path is not None
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    yield item_from_json(json.loads(line))
                except (ValueError, TypeError) as exc:
                    logger.error("%s line %d is not an item: %s", self.path, number, exc)
                    self.crawler.stats.inc_value("ingest/bad_lines")

    def _from_table(self) -> Iterator[ArticleItem]:
        with connect(self.settings.get("DATABASE_URL")) as conn:
            rows = conn.execute(
                "SELECT id, item FROM failed_items WHERE replayed_at IS NULL ORDER BY id"
            ).fetchall()
        for row_id, data in rows:
            self.replayed.append(row_id)
            yield item_from_json(data)

    def mark_replayed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        if reason != "finished" or any(
            stats.get_value(name) for name in ("store/spilled", "store/lost", "ingest/bad_lines")
        ):
            return
        if self.path is not None:
            done = self.path.with_name(self.path.name + ".replayed")
            self.path.rename(done)
            stats.set_value("ingest/replayed_file", str(done))
            logger.info("%s replayed completely: renamed %s", self.path, done.name)
        if self.replayed:
            with connect(self.settings.get("DATABASE_URL")) as conn:
                conn.execute(
                    "UPDATE failed_items SET replayed_at = now() WHERE id = ANY(%s)", (self.replayed,)
                )
