"""Item pipeline: the first stage for every spider; what reaches storage is storable.

A thin adapter around :func:`pipelines.validation.validate_article`. Repairs are counted in the
crawl stats as ``validate/<kind>/<field>`` (e.g. ``validate/repaired/raw_title``,
``validate/implausible/published_at``). An item that cannot be stored as an article (no URL, an
id too long to be an id, ...) is refused with one log line naming its URL and the reason, counted
as ``validate/refused/<reason>``, and announced with the :data:`item_refused` signal: the store
sets it aside in ``failed_items`` with that reason (replayable once the cause is fixed). Without a
store (``STORE_ENABLED=false``) it is only dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.validation import validate_article

logger = logging.getLogger(__name__)

# Sent with item=, fields= (the item as a dict) and reason= for each item refused here.
item_refused = object()


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fields = adapter.asdict()
        result = validate_article(fields)
        for name, count in result.counts.items():
            self.stats.inc_value(f"validate/{name}", count)
        if result.refused:
            url = str(adapter.get("url"))[:200]
            logger.warning("Item from %s not stored: %s", url, result.detail)
            self.stats.inc_value(f"validate/refused/{result.refused}")
            reason = f"{result.refused}: {result.detail}"
            self.crawler.signals.send_catch_log(item_refused, item=item, fields=fields, reason=reason)
            # Logged above, once and short: Scrapy's own line would print the whole item.
            raise DropItem(f"{result.refused}: {result.detail}", log_level="DEBUG")
        for name, value in result.article.items():
            adapter[name] = value
        self.stats.inc_value("validate/items")
        return item
