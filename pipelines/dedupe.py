"""Item pipeline: the fingerprints deduplication needs, computed once per item.

Runs after cleaning (it fingerprints the cleaned text) and before storage, which decides each new
article's story inside its batch transaction (pipelines/db/stories.py): that decision needs
everything every process stored before, so it belongs with the database, not in this process's
memory. The work here is CPU only: text hash, MinHash signature, LSH band keys, facts.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from pipelines.db.stories import fingerprint


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fields: dict[str, Any] = {"title": adapter.get("title"), "body": adapter.get("body")}
        fingerprint(fields)
        for name in ("text_hash", "minhash", "facts", "band_keys"):
            adapter[name] = fields[name]
        self.stats.inc_value("fingerprint/items")
        return item
