"""Feed exports (``scrapy crawl … -O out.jsonl|.json|.csv``) of the cleaned article.

Which fields are exported is ``FEED_EXPORT_FIELDS`` (``crawler.items.EXPORT_FIELDS``: what a
consumer reads, never the internal fingerprints); datetimes are ISO 8601 through the item's field
serializers. CSV cells hold one value each, so lists and objects (tags, images) are written as JSON
instead of Scrapy's default comma join, which cannot be split back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scrapy import exporters
from scrapy.item import Field


class CsvItemExporter(exporters.CsvItemExporter):
    def serialize_field(self, field: Mapping[str, Any] | Field, name: str, value: Any) -> Any:
        if "serializer" not in field and isinstance(value, list | tuple | dict):
            return json.dumps(value, ensure_ascii=False)
        return super().serialize_field(field, name, value)
