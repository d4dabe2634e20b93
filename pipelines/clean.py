"""Item pipeline: cleans every spider's items before deduplication and storage.

A thin adapter around :func:`pipelines.text.cleaning.clean_article`: the raw title and body stay
as the spider gave them; ``title``, ``body``, ``images``, the detected language and its
confidence are derived from them; an author or platform named in a removed byline fills those
fields when the source left them empty. Rule hits are counted in the crawl stats
(``clean/hits/<rule>``), so a rule that suddenly matches everything, or nothing, shows.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.text.cleaning import clean_article, clean_text
from pipelines.text.language import detect_language

logger = logging.getLogger(__name__)


# The fields cleaning derives from the raw ones.
DERIVED_FIELDS = ("title", "body", "images", "detected_lang", "lang_confidence", "author", "platform",
                  "original_lang")  # fmt: skip


def apply_cleaning(article: dict[str, Any]) -> dict[str, int]:
    """Fill an article's derived text fields from its raw ones, in place; return the rule hits.

    Shared by the pipeline and by `scrapy reclean`, so both derive the same way.
    """
    cleaned = clean_article(article.get("raw_title"), article.get("raw_body"), article.get("lang"))
    article["title"] = cleaned.title
    article["body"] = cleaned.body
    article["images"] = list(dict.fromkeys([*(article.get("images") or []), *cleaned.images]))
    article["detected_lang"] = cleaned.lang
    article["lang_confidence"] = cleaned.lang_confidence
    if not article.get("author") and cleaned.author:
        article["author"] = cleaned.author
    if not article.get("platform") and cleaned.platform:
        article["platform"] = cleaned.platform
    if not article.get("original_lang"):
        if article.get("is_machine_translated"):
            # The page text is a translation: the original's language is the original text's.
            original = clean_text(article.get("original_body") or article.get("original_title") or "")
            article["original_lang"] = detect_language(original)[0]
        else:
            article["original_lang"] = cleaned.lang
    return dict(cleaned.hits)


class CleanPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        article = adapter.asdict()
        hits = apply_cleaning(article)
        for name, count in hits.items():
            if count:
                self.stats.inc_value(f"clean/hits/{name}", count)
        if not article["title"] and not article["body"]:
            raise DropItem(f"empty after cleaning: {article.get('url')}")
        for name in DERIVED_FIELDS:
            adapter[name] = article.get(name)
        adapter["clean_hits"] = hits
        self.stats.inc_value("clean/items")
        return item
