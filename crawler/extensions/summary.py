"""A summary a person can read at the end of each crawl: stored, duplicates, drops, errors.

It is written to stderr once the engine has stopped (after the run's end was recorded, or not),
whatever the LOG_LEVEL, and says plainly what went wrong and how to replay what was kept.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


FAILED_REASONS = {
    "storage_not_ready": "storage was not ready",
    "redis_not_ready": "Redis could not be reached",
    "render_not_configured": "the browser for rendered pages is not set up",
}


def site_unreachable(stats: Mapping[str, Any]) -> bool:
    """Requests were made and every one failed without an answer: no network, or a wrong URL."""
    return not stats.get("downloader/response_count") and bool(stats.get("downloader/exception_count"))


def problems(stats: Mapping[str, Any]) -> list[str]:
    """What makes this run a failure (non-zero exit), one phrase each; empty when all went well."""
    found = []
    if stats.get("finish_reason") in FAILED_REASONS:
        found.append(FAILED_REASONS[stats["finish_reason"]])
    if site_unreachable(stats):
        found.append("the site could not be reached")
    if stats.get("store/spilled"):
        found.append(f"{stats['store/spilled']} items kept on disk (database unreachable)")
    if stats.get("store/set_aside"):
        found.append(f"{stats['store/set_aside']} items set aside in failed_items")
    if stats.get("store/lost"):
        found.append(f"{stats['store/lost']} items lost")
    if stats.get("ingest/bad_lines"):
        found.append(f"{stats['ingest/bad_lines']} unreadable lines in the replayed file")
    if stats.get("store/run_not_recorded"):
        found.append("the end of the run could not be recorded")
    return found


def replay_commands(stats: Mapping[str, Any]) -> list[str]:
    """The commands that replay what this run kept instead of storing it."""
    commands = []
    if stats.get("store/spilled") and stats.get("store/spill_file"):
        commands.append(f"scrapy crawl ingest -a path={stats['store/spill_file']}")
    if stats.get("store/set_aside"):
        commands.append("scrapy crawl ingest -a failed=1")
    return commands


def crawl_failed(stats: Mapping[str, Any]) -> bool:
    return bool(problems(stats))


def summarize(stats: Mapping[str, Any], reason: str, heading: str = "Crawl finished") -> str:
    """The crawl's outcome in a few lines, from its stats."""

    def total(prefix: str) -> dict[str, int]:
        return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and v}

    inserted, updated = total("store/inserted/"), total("store/updated/")
    langs = sorted(set(inserted) | set(updated))
    lines = [f"{heading} ({reason}) in {stats.get('elapsed_time_seconds', 0):.0f}s"]
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
    drops = total("validate/refused/")  # by reason (pipelines/validate.py); other stages' drops after
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
    if stats.get("redis/crawl_id"):
        role = "seeded" if stats.get("redis/seeder") else "joined"
        lines.append(
            f"  worker {stats.get('redis/worker')} {role} shared crawl {stats['redis/crawl_id']}: "
            f"{stats.get('scheduler/dequeued/redis', 0)} requests taken from the shared queue"
        )
    lines.append("  errors: " + (", ".join(f"{k} {v}" for k, v in errors.items() if v) or "none"))
    if site_unreachable(stats):
        lines.append("  The site could not be reached: no request got an answer. Check the network")
        lines.append("  connection and the spider's site URL settings (README).")
    failed = problems(stats)
    lines.append("  outcome: " + ("FAILED: " + "; ".join(failed) if failed else "ok"))
    for command in replay_commands(stats):
        lines.append(f"  replay with: {command}")
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
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        return cls(crawler)

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats()
        text = summarize(stats, stats.get("finish_reason", "unknown"))
        print(text, file=sys.stderr, flush=True)  # shown at every LOG_LEVEL
        if self.crawler.settings.get("LOG_FILE"):
            logger.info("\n%s", text)
