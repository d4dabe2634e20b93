"""Distributed crawls: two real `scrapy crawl` processes sharing a real Redis, against the fixture site."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from scrapy import Request, Spider
from scrapy.http import JsonRequest
from scrapy.utils.request import request_from_dict

from crawler.distributed import serializer
from tests.conftest import ROOT, migrated_database, run_scrapy
from tests.redis_server import RedisServer
from tests.site.server import FixtureSite

# Every start point of the fixture site: all 40 articles, in two languages.
ALL_LISTS = ("-a", "langs=en,zh-Hans", "-a", "max_pages=10", "-a", "news=1",
             "-a", "kol=1006785", "-a", "topic=3307", "-a", "tag=1000027")  # fmt: skip


class _Spider(Spider):
    name = "probe"

    def parse_list_api(self, response: Any) -> None:
        pass


# --- the serializer -------------------------------------------------------------------------
def test_requests_travel_as_json_and_come_back_whole() -> None:
    spider = _Spider()
    request = JsonRequest(
        "http://127.0.0.1/feed/list/user",
        data={"count": 20, "last_cursor": "abc"},
        headers={"x-bparam": '{"c":"en"}'},
        callback=spider.parse_list_api,
        cb_kwargs={"lang": "zh-Hans", "kind": "kol", "list_id": 1006785, "page_no": 2},
        meta={"depth": 1, "$odd": [b"\xff", (1, 2)], "nested": {b"k": "v"}},
        dont_filter=True,
        priority=3,
    )
    data = serializer.dumps(request.to_dict(spider=spider))
    assert data.startswith(b"{") and b"\x80" not in data  # JSON text, not a pickle
    again = request_from_dict(serializer.loads(data), spider=spider)
    assert type(again) is JsonRequest
    assert (again.url, again.method, again.body, again.priority, again.dont_filter) == (
        request.url, "POST", request.body, 3, True)  # fmt: skip
    assert again.headers == request.headers
    assert again.callback == spider.parse_list_api
    assert again.cb_kwargs == request.cb_kwargs
    assert again.meta == {"depth": 1, "$odd": [b"\xff", [1, 2]], "nested": {b"k": "v"}}


def test_values_json_cannot_carry_are_refused() -> None:
    request = Request("http://127.0.0.1/x", meta={"page": object()})
    with pytest.raises(TypeError, match=r"request\.meta\.page holds a object"):
        serializer.dumps(request.to_dict())


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps({"url": "http://127.0.0.1/x"}),  # a pickle is never unpickled
        b'{"url": "http://127.0.0.1/x", "_class": "subprocess.Popen"}',  # no class but scrapy.http's
        b'{"callback": "parse"}',
        b'{"url": "http://127.0.0.1/x", "body": {"$bytes": "not base64!"}}',
    ],
)
def test_anything_but_a_queued_request_is_rejected(payload: bytes) -> None:
    with pytest.raises(ValueError, match="not a queued request"):
        serializer.loads(payload)


# --- two workers --------------------------------------------------------------------------
def _crawl_args(site: FixtureSite) -> list[str]:
    return [
        "crawl", "followin", *ALL_LISTS,
        "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        # Slow enough that the second worker, which looks at the shared queue every few
        # seconds while idle, finds work before the first has done it all.
        "-s", "DOWNLOAD_DELAY=0.25", "-s", "REDIS_IDLE_CLOSE=3",
    ]  # fmt: skip


def _workers(args: list[str], db_url: str, redis_url: str, n: int, logs: Path) -> list[tuple[int, str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DATABASE_URL": db_url, "REDIS_URL": redis_url}
    procs = []
    for i in range(n):
        log = (logs / f"worker{i}.log").open("w")
        procs.append((subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env,
                                       stdout=log, stderr=subprocess.STDOUT), log))  # fmt: skip
    results = []
    for proc, log in procs:
        try:
            code = proc.wait(timeout=240)
        finally:
            proc.kill()
            log.close()
        results.append((code, Path(log.name).read_text()))
    return results


def _stories(db_url: str) -> set[frozenset[tuple[str, str]]]:
    groups: dict[Any, set[tuple[str, str]]] = defaultdict(set)
    with psycopg.connect(db_url) as conn:
        for ext, lang, story in conn.execute("SELECT external_id, lang, story_id FROM articles"):
            groups[story].add((ext, lang))
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def two_worker_crawl(pg_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One crawl by a single process, the same crawl by two workers sharing Redis."""
    logs = tmp_path_factory.mktemp("workers")
    with migrated_database(pg_cluster) as alone_db, migrated_database(pg_cluster) as shared_db:
        with FixtureSite() as site:
            alone = run_scrapy(*_crawl_args(site), "-s", "DOWNLOAD_DELAY=0", db_url=alone_db)
            assert alone.returncode == 0, alone.stderr[-3000:]
        with FixtureSite() as site, RedisServer() as server:
            results = _workers(_crawl_args(site), shared_db, server.url, 2, logs)
            keys_left = redis.Redis.from_url(server.url).keys("*")
            requests = list(site.requests)
        with psycopg.connect(shared_db) as conn:
            runs = conn.execute(
                "SELECT worker, distributed_crawl, finish_reason, stats FROM crawl_runs ORDER BY id"
            ).fetchall()
        yield {
            "results": results, "runs": runs, "requests": requests, "keys_left": keys_left,
            "alone": _stories(alone_db), "shared": _stories(shared_db),
        }  # fmt: skip


def test_both_workers_did_work_and_exit_with_a_summary(two_worker_crawl: dict[str, Any]) -> None:
    for code, log in two_worker_crawl["results"]:
        assert code == 0, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
        assert "Crawl finished (finished)" in log and "shared crawl" in log
    runs = two_worker_crawl["runs"]
    assert len(runs) == 2
    workers = {worker for worker, *_ in runs}
    assert len(workers) == 2 and all(":" in w for w in workers)  # hostname:pid each
    assert len({crawl for _, crawl, *_ in runs}) == 1 and runs[0][1]  # one shared crawl
    assert [reason for _, _, reason, _ in runs] == ["finished", "finished"]
    assert sorted(stats["redis/seeder"] for *_, stats in runs) == [False, True]  # seeded once
    for *_, stats in runs:
        assert stats["scheduler/dequeued/redis"] > 5, stats  # each took its share of the queue
        assert stats.get("store/inserted", 0) > 0, stats
    assert two_worker_crawl["keys_left"] == []  # the last worker out cleared the crawl


def test_every_article_fetched_and_stored_once(two_worker_crawl: dict[str, Any]) -> None:
    runs = two_worker_crawl["runs"]
    assert sum(stats.get("store/inserted", 0) for *_, stats in runs) == 80
    assert sum(stats.get("store/updated", 0) + stats.get("store/unchanged", 0) for *_, stats in runs) == 0
    pages = Counter(r.path for r in two_worker_crawl["requests"] if "/feed/" in r.path and r.method == "GET")
    assert len(pages) == 80 and set(pages.values()) == {1}  # one shared duplicate filter
    # Each start page once: only the seeder issued start requests.
    gets = [r.path for r in two_worker_crawl["requests"] if r.method == "GET"]
    starts = Counter(path for path in gets if path.endswith(("/news", "/3307")))
    assert set(starts.values()) == {1} and len(starts) == 4


def test_stories_are_the_same_as_a_single_process_crawl(two_worker_crawl: dict[str, Any]) -> None:
    assert two_worker_crawl["shared"] == two_worker_crawl["alone"]
    assert sum(len(s) for s in two_worker_crawl["shared"]) == 80


def test_unreachable_redis_stops_the_crawl_with_one_line(db_url: str) -> None:
    with FixtureSite() as site:
        port = RedisServer().port  # free, nobody listening
        env_args = [*_crawl_args(site), "-s", f"REDIS_URL=redis://127.0.0.1:{port}/0"]
        result = run_scrapy(*env_args, db_url=db_url, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Redis is not reachable (REDIS_URL)" in result.stderr
    assert site.requests == []
