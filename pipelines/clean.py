"""Item pipeline: cleans every spider's items before fingerprinting and storage.

A thin adapter around :func:`pipelines.text.cleaning.clean_article`: the raw fields stay as the
spider gave them; ``title`` and ``body`` are derived from ``raw_title``/``raw_body`` in the page
language, ``original_title``/``original_body`` from ``raw_original_title``/``raw_original_body``
in the original's language, each by the rules of the item's source and language. ``images``, the
detected language and its confidence come with them; the person and platform a removed byline
names fill ``author`` and ``platform`` when the source left them empty. Rule hits are counted in
the crawl stats (``clean/hits/<rule>``), so a rule that suddenly matches everything, or nothing,
shows.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.text.cleaning import clean_article, clean_text
from pipelines.text.language import base_language, detect_language

logger = logging.getLogger(__name__)


# The fields cleaning derives from the raw ones.
DERIVED_FIELDS = ("title", "body", "images", "detected_lang", "lang_confidence", "author", "platform",
                  "original_lang", "original_title", "original_body")  # fmt: skip


def apply_cleaning(article: dict[str, Any]) -> dict[str, int]:
    """Fill an article's derived text fields from its raw ones, in place; return the rule hits.

    Shared by the pipeline and by `scrapy reclean`, so both derive the same way.
    """
    source = article.get("source")
    translated = bool(article.get("is_machine_translated"))
    raw_original = (article.get("raw_original_title"), article.get("raw_original_body"))
    if translated and not article.get("original_lang"):
        # The original's language is the original text's, seen through its source's rules only.
        text = clean_text(raw_original[1] or raw_original[0] or "", source=source, langs=())
        article["original_lang"] = detect_language(text)[0]
    original_lang = base_language(article.get("original_lang")) if translated else None
    # A translation keeps some of the original's bylines and trailers: its rules apply too.
    cleaned = clean_article(article.get("raw_title"), article.get("raw_body"), article.get("lang"),
                            source=source, langs=[article.get("lang"), original_lang])  # fmt: skip
    hits = dict(cleaned.hits)
    article["title"] = cleaned.title
    article["body"] = cleaned.body
    article["images"] = list(dict.fromkeys([*(article.get("images") or []), *cleaned.images]))
    article["detected_lang"] = cleaned.lang
    article["lang_confidence"] = cleaned.lang_confidence
    if not article.get("original_lang"):
        article["original_lang"] = cleaned.lang  # not a translation: the page text is the original
    author, platform = cleaned.author, cleaned.platform
    original_title: str | None
    original_body: str | None
    if raw_original == (article.get("raw_title"), article.get("raw_body")):
        original_title, original_body = cleaned.title, cleaned.body  # the page shows the original
    elif any(raw_original):
        lang = article.get("original_lang")
        original = clean_article(*raw_original, lang, source=source, langs=[lang], detect=False)
        original_title, original_body = original.title, original.body
        author, platform = author or original.author, platform or original.platform
        for name, count in original.hits.items():
            hits[name] = hits.get(name, 0) + count
    else:
        original_title = original_body = None
    article["original_title"], article["original_body"] = original_title or None, original_body or None
    if not article.get("author") and author:
        article["author"] = author
    if not article.get("platform") and platform:
        article["platform"] = platform
    return hits


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
