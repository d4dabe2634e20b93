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
from scrapy.exceptions import NotConfigured

from pipelines.text import fingerprint as fp

# The fields fingerprint() adds: internal to deduplication, never exported to consumers.
FINGERPRINT_FIELDS = ("text_hash", "minhash", "facts", "band_keys")


def fingerprint(article: dict[str, Any]) -> None:
    """Add the dedupe fields of an article: of its cleaned body, or its title when it has none."""
    text = article.get("body") or article.get("title") or ""
    folded = fp.normalize_for_hash(text)
    sig = fp.signature(text)
    article["text_hash"] = fp.content_hash(text) if folded else None
    article["minhash"] = fp.sig_to_bytes(sig)
    article["facts"] = sorted(fp.facts(text))
    article["band_keys"] = fp.band_keys(sig) if folded else []


class FingerprintPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FingerprintPipeline:
        if not crawler.settings.getbool("STORE_ENABLED", True):
            raise NotConfigured("STORE_ENABLED is off: fingerprints are only for storage")
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fields: dict[str, Any] = {"title": adapter.get("title"), "body": adapter.get("body")}
        fingerprint(fields)
        for name in FINGERPRINT_FIELDS:
            adapter[name] = fields[name]
        self.stats.inc_value("fingerprint/items")
        return item
