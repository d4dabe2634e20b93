"""One request queue and one duplicate filter in Redis, shared by every worker of a crawl.

scrapy-redis's scheduler with what running the same ``scrapy crawl`` in several processes needs:

- Start requests are issued once: the first worker to join a crawl seeds it (a ``SET NX`` on the
  crawl's seed key, whose value is the crawl's id); the others drop theirs and take requests from
  the shared queue.
- A worker leaves after the shared queue has been empty for ``REDIS_IDLE_CLOSE`` seconds, and the
  last one to leave clears the crawl's keys, so the next run starts afresh. A queue left with
  requests (a crawl cut short) is resumed by the next run instead of seeded again.
- Requests travel as JSON (:mod:`crawler.distributed.serializer`), never pickled.
- Redis that cannot be reached closes the crawl at once with ``redis_not_ready``.

Keys live under ``REDIS_CRAWL_KEY`` (default ``newscrawl:<spider>``): ``:requests``,
``:dupefilter``, ``:seed``, ``:workers`` (worker id -> last heartbeat).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.scheduler import Scheduler

from crawler.distributed import serializer

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 10.0  # seconds between a worker's heartbeats in the workers set
# A worker silent for this long is taken for dead (it crashed): it no longer holds the crawl open.
WORKER_STALE_AFTER = 300.0

# Join a crawl atomically: forget dead workers; with nobody left and nothing queued, the old
# crawl is over (its last worker died before clearing it); register; seed if nobody has.
_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
    redis.call('DEL', KEYS[2], KEYS[4])
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local seeded = redis.call('SET', KEYS[2], ARGV[4], 'NX')
return {seeded and 1 or 0, redis.call('GET', KEYS[2])}
"""
# Leave a crawl; the last worker out clears it, unless requests are left to resume.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[3]) == 0 then
    redis.call('DEL', KEYS[2], KEYS[4])
    return 1
end
return 0
"""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SharedScheduler(Scheduler):
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        server = get_redis_from_settings(settings)
        assert crawler.spidercls is not None
        prefix = settings.get("REDIS_CRAWL_KEY", "newscrawl:%(spider)s") % {"spider": crawler.spidercls.name}
        dupefilter = load_object(settings["DUPEFILTER_CLASS"])(
            server, key=f"{prefix}:dupefilter", debug=settings.getbool("DUPEFILTER_DEBUG")
        )
        super().__init__(
            server,
            persist=True,  # workers leave at different times: the last one clears (see _LEAVE)
            queue_key=f"{prefix}:requests",
            queue_cls="scrapy_redis.queue.PriorityQueue",  # non-blocking pop; _JOIN counts it with ZCARD
            dupefilter=dupefilter,
            serializer=serializer,
        )
        self.crawler = crawler
        self.idle_close = settings.getfloat("REDIS_IDLE_CLOSE", 30.0)
        self.keys = {name: f"{prefix}:{name}" for name in ("workers", "seed", "requests", "dupefilter")}
        self.worker = worker_id()
        self.joined = False
        self.seeder = False
        self._idle_since: float | None = None
        self._last_beat = 0.0
        crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        return cls(crawler)

    # --- joining and leaving ----------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        try:
            self.server.ping()
        except redis.RedisError as exc:
            # Closed from spider_opened: raised here, it would skip opening the item pipelines.
            logger.error("Redis is not reachable (REDIS_URL): %s", exc)
            self.spider = spider
            return
        super().open(spider)
        keys = [self.keys[k] for k in ("workers", "seed", "requests", "dupefilter")]
        now = time.time()
        seeded, crawl_id = self.server.eval(
            _JOIN, len(keys), *keys, self.worker, now, now - WORKER_STALE_AFTER, uuid.uuid4().hex
        )
        self.joined, self.seeder = True, bool(seeded)
        crawl_id = crawl_id.decode() if isinstance(crawl_id, bytes) else crawl_id
        self._last_beat = now
        stats = self.crawler.stats
        stats.set_value("redis/crawl_id", crawl_id)
        stats.set_value("redis/worker", self.worker)
        stats.set_value("redis/seeder", self.seeder)
        role = "seeds it" if self.seeder else "joins it, taking requests from the shared queue"
        logger.info("Worker %s, shared crawl %s: %s", self.worker, crawl_id, role)

    def _spider_opened(self, spider: Spider) -> None:
        if not self.joined:
            raise CloseSpider("redis_not_ready")

    def has_pending_requests(self) -> bool:
        return self.joined and len(self.queue) > 0

    def close(self, reason: str) -> None:
        if not self.joined:
            return
        keys = [self.keys[k] for k in ("workers", "seed", "requests", "dupefilter")]
        try:
            cleared = self.server.eval(_LEAVE, len(keys), *keys, self.worker)
            left = 0 if cleared else len(self.queue)
        except redis.RedisError as exc:
            logger.error("Could not leave the shared crawl in Redis: %s", exc)
            return
        if cleared:
            logger.info("Last worker out: shared crawl cleared")
        elif left:
            logger.info("%d requests left in the shared queue: other workers or the next run take them", left)

    # --- requests ---------------------------------------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        stats = self.crawler.stats
        if request.meta.get("is_start_request") and not self.seeder:
            stats.inc_value("redis/start_requests_left_to_seeder")
            return False
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        try:
            self.queue.push(request)
        except TypeError as exc:  # the serializer refuses values JSON cannot carry
            logger.error("Cannot queue %s in Redis: %s", request.url, exc)
            stats.inc_value("redis/unqueueable_request")
            return False
        stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if not self.joined:
            return None
        self._beat()
        while True:
            try:
                request = self.queue.pop()
            except ValueError as exc:  # not one of our requests: dropped, never executed
                logger.error("Discarded a malformed entry from the shared queue: %s", exc)
                self.crawler.stats.inc_value("redis/malformed_entry")
                continue
            if request is not None:
                self._idle_since = None
                self.crawler.stats.inc_value("scheduler/dequeued/redis")
            return request

    # --- idling -----------------------------------------------------------------------------
    def _spider_idle(self, spider: Spider) -> None:
        """Keep the worker open until the shared queue has stayed empty for REDIS_IDLE_CLOSE."""
        self._beat()
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
            logger.info("Shared queue empty: waiting up to %gs for requests from other workers",
                        self.idle_close)  # fmt: skip
        if now - self._idle_since < self.idle_close:
            raise DontCloseSpider

    def _beat(self) -> None:
        now = time.time()
        if self.joined and now - self._last_beat >= HEARTBEAT_EVERY:
            self._last_beat = now
            self.server.zadd(self.keys["workers"], {self.worker: now})


