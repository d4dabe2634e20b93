"""A summary a person can read at the end of each crawl: stored, duplicates, drops, errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


FAILED_REASONS = {"storage_not_ready", "render_not_configured"}


def site_unreachable(stats: Mapping[str, Any]) -> bool:
    """Requests were made and every one failed without an answer: no network, or a wrong URL."""
    return not stats.get("downloader/response_count") and bool(stats.get("downloader/exception_count"))


def crawl_failed(stats: Mapping[str, Any]) -> bool:
    return stats.get("finish_reason") in FAILED_REASONS or site_unreachable(stats)


def summarize(stats: Mapping[str, Any], reason: str) -> str:
    """The crawl's outcome in a few lines, from its stats."""

    def total(prefix: str) -> dict[str, int]:
        return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and v}

    inserted, updated = total("store/inserted/"), total("store/updated/")
    langs = sorted(set(inserted) | set(updated))
    lines = [f"Crawl finished ({reason}) in {stats.get('elapsed_time_seconds', 0):.0f}s"]
    if "store/run_id" in stats:
        lines.append(
            f"  stored: {stats.get('store/inserted', 0)} new, {stats.get('store/updated', 0)} updated, "
            f"{stats.get('store/unchanged', 0)} unchanged"
        )
    else:
        scraped = stats.get("item_scraped_count", 0)
        lines.append(f"  stored: nothing (storage off or not ready); {scraped} items scraped")
    for lang in langs:
        lines.append(f"    {lang}: {inserted.get(lang, 0)} new, {updated.get(lang, 0)} updated")
    dedupe = total("dedupe/")
    if dedupe:
        lines.append("  duplicates: " + ", ".join(f"{k} {v}" for k, v in dedupe.items()))
    lines += _by_source(stats)
    drops = total("validate/dropped/")  # by reason (pipelines/validate.py); other stages' drops after
    others = stats.get("item_dropped_count", 0) - sum(drops.values())
    if others > 0:
        drops["by later stages"] = others
    if drops:
        lines.append("  dropped: " + ", ".join(f"{k} {v}" for k, v in drops.items()))
    if stats.get("render/pages") or stats.get("render/errors") or stats.get("render/auto_checked"):
        lines.append(
            f"  rendered: {stats.get('render/pages', 0)} pages in Chromium "
            f"({stats.get('render/auto_rendered', 0)} of {stats.get('render/auto_checked', 0)} auto pages "
            f"needed it), {stats.get('render/errors', 0)} failed"
        )
    by_source = total("source/")  # each spider counts its trouble as source/<name>/<what>

    def sources(what: str) -> int:
        return sum(v for k, v in by_source.items() if k.endswith(f"/{what}") and k.count("/") == 1)

    errors = {
        "requests failed": sources("request_failed"),
        "malformed pages": sources("malformed_page"),
        "API errors": sources("api_error"),
        "pages failed to render": stats.get("render/errors", 0),
        "items set aside": stats.get("store/set_aside", 0),
        "items spilled to disk": stats.get("store/spilled", 0),
        "logged errors": stats.get("log_count/ERROR", 0),
    }
    lines.append("  errors: " + (", ".join(f"{k} {v}" for k, v in errors.items() if v) or "none"))
    if site_unreachable(stats):
        lines.append("  The site could not be reached: no request got an answer. Check the network")
        lines.append("  connection and the spider's site URL settings (README).")
    return "\n".join(lines)


# The per-source counts that are errors: failed requests, pages that could not be read, API errors.
SOURCE_ERRORS = ("request_failed", "malformed_page", "api_error")


def _by_source(stats: Mapping[str, Any]) -> list[str]:
    """One line per source from the ``source/<name>/<what>`` stats (sources name themselves)."""
    per: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "source" and isinstance(value, int):
            per.setdefault(parts[1], {})[parts[2]] = value
    if not per:
        return []
    lines = ["  by source:"]
    for name, counts in sorted(per.items()):
        lines.append(
            f"    {name}: {counts.get('inserted', 0)} new, {counts.get('updated', 0)} updated, "
            f"{counts.get('unchanged', 0)} unchanged; duplicates {counts.get('duplicates', 0)}, "
            f"rendered {counts.get('rendered', 0)}, errors {sum(counts.get(k, 0) for k in SOURCE_ERRORS)}"
        )
    return lines


class CrawlSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        return cls(crawler)

    def spider_closed(self, spider: Any, reason: str) -> None:
        logger.info("\n%s", summarize(self.crawler.stats.get_stats(), reason))
