"""Distributed crawls over Redis (scrapy-redis): on when ``REDIS_URL`` is set, off otherwise."""

from __future__ import annotations

from scrapy.settings import BaseSettings


class DistributedCrawl:
    """Scrapy add-on: with ``REDIS_URL`` set, requests and their duplicate filter live in Redis,
    shared by every process running the same crawl. Spiders need no change."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        # "project": these replace the project's own scheduler and duplicate filter (the JOBDIR
        # resume filter, crawler/resume.py; Redis keeps the shared state itself), `-s` still wins.
        settings.set("SCHEDULER", "crawler.distributed.scheduler.SharedScheduler", "project")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "project")
