"""The normalized article: one item class shared by every spider.

Spiders fill the *source* fields (the raw text, metadata, the payload); the
cleaning stage derives the cleaned ``title``/``body``/``original_*``, the byline
``author`` and ``platform`` and the language; the fingerprint stage adds the
dedupe fields; storage reads the finished item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import scrapy


def iso_datetime(value: Any) -> Any:
    """Datetimes as ISO 8601 (with their UTC offset) in feed exports."""
    return value.isoformat() if isinstance(value, datetime) else value


class ArticleItem(scrapy.Item):
    # --- identity -------------------------------------------------------
    source = scrapy.Field()  # str: source key, e.g. "followin"
    external_id = scrapy.Field()  # str: the source's own article id
    lang = scrapy.Field()  # str: page language as the source names it ("en", "zh-Hans")
    url = scrapy.Field()  # str: canonical article URL (no share tail, no tracking)

    # --- text as the source gives it (kept untouched) ---------------------
    raw_title = scrapy.Field()  # str: page-language title
    raw_body = scrapy.Field()  # str: page-language body, HTML or plain text
    raw_original_title = scrapy.Field()  # str | None: title in the original language
    raw_original_body = scrapy.Field()  # str | None: body in the original language (HTML or text)
    is_machine_translated = scrapy.Field()  # bool: page text is a machine translation
    original_lang = scrapy.Field()  # str | None: ISO 639-1 code of the original, where known

    # --- metadata -------------------------------------------------------
    published_at = scrapy.Field(serializer=iso_datetime)  # datetime: publish time, UTC, timezone-aware
    source_url = scrapy.Field()  # str | None: the original publisher's URL
    author = scrapy.Field()  # str | None: the person who wrote it, where the source names one
    account = scrapy.Field()  # str | None: the source's account that posted it (Followin's nickname)
    platform = scrapy.Field()  # str | None: original platform named in a byline
    tags = scrapy.Field()  # list[dict]: {"name": str, "symbol": str | None}
    related_feeds = scrapy.Field()  # int | None: how many other media reported it
    images = scrapy.Field()  # list[str]: image URLs found in the body
    raw = scrapy.Field()  # dict: the source payload the item was built from
    fetched_at = scrapy.Field(serializer=iso_datetime)  # datetime: when the page was fetched, UTC

    # --- filled by pipelines/clean.py -------------------------------------
    title = scrapy.Field()  # str: cleaned page-language title
    body = scrapy.Field()  # str: cleaned page-language body, paragraphs split by a blank line
    detected_lang = scrapy.Field()  # str | None: ISO 639-1 code detected on the cleaned body
    lang_confidence = scrapy.Field()  # float | None: the detector's confidence, 0..1
    original_title = scrapy.Field()  # str | None: cleaned title in the original language
    original_body = scrapy.Field()  # str | None: cleaned body in the original language
    clean_hits = scrapy.Field()  # dict[str, int]: cleaning rule -> times it fired on this item

    # --- filled by pipelines/fingerprint.py -----------------------------------
    text_hash = scrapy.Field()  # bytes | None: hash of the folded cleaned text (exact duplicates)
    minhash = scrapy.Field()  # bytes: MinHash signature of the cleaned text (near duplicates)
    band_keys = scrapy.Field()  # list[int]: LSH band keys of the signature, looked up in PostgreSQL
    facts = scrapy.Field()  # list[str]: numbers, amounts and symbols that tell flash items apart


# What a feed export (-O out.jsonl) writes, in this order: the cleaned article and its raw text, as
# article_feed has them. Not the source payload (raw), the rule hits or the fingerprints: those
# are internal, and the fingerprints are bytes.
EXPORT_FIELDS = (
    "source", "external_id", "lang", "url", "title", "body", "original_lang", "original_title",
    "original_body", "is_machine_translated", "author", "account", "platform", "published_at",
    "tags", "source_url", "related_feeds", "images", "detected_lang", "lang_confidence",
    "raw_title", "raw_body", "raw_original_title", "raw_original_body", "fetched_at",
)  # fmt: skip
