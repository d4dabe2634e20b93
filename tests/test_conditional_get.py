"""Feeds and sitemaps are asked for with the ETag / Last-Modified of the last clean run; a 304 ends there."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest

from tests.conftest import run_scrapy

LAST_MODIFIED = "Wed, 21 Jan 2026 00:00:00 GMT"


class FeedServer(ThreadingHTTPServer):
    etag = '"v1"'
    seen: list[dict[str, str]]


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        self.server.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/broken":
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == self.server.etag:
            self.send_response(304)
            self.end_headers()
            return
        body = b"<?xml version='1.0'?><rss><channel><title>probe</title></channel></rss>"
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", self.server.etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    server = FeedServer(("127.0.0.1", 0), _Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _run(feed: FeedServer, db_url: str, *args: str) -> dict[str, Any]:
    url = f"http://127.0.0.1:{feed.server_address[1]}/feed.xml"
    result = run_scrapy("runspider", "tests/spiders/feed_probe.py", "-a", f"url={url}", *args, db_url=db_url)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]


def test_unchanged_feed_costs_a_304_and_nothing_more(feed: FeedServer, db_url: str) -> None:
    first = _run(feed, db_url)
    assert first["probe/parsed"] == 1 and "if-none-match" not in feed.seen[0]

    second = _run(feed, db_url)
    assert feed.seen[1]["if-none-match"] == '"v1"'
    assert feed.seen[1]["if-modified-since"] == LAST_MODIFIED
    assert second["incremental/not_modified"] == 1
    assert "probe/parsed" not in second  # nothing parsed, nothing followed
    assert not any(k.startswith("log_count/ERROR") for k in second)

    full = _run(feed, db_url, "-a", "full=1")
    assert "if-none-match" not in feed.seen[2] and full["probe/parsed"] == 1

    feed.etag = '"v2"'  # the feed changed: read in full, new validator kept
    changed = _run(feed, db_url)
    assert changed["probe/parsed"] == 1
    _run(feed, db_url)
    assert feed.seen[-1]["if-none-match"] == '"v2"'


def test_validators_are_not_kept_after_a_run_with_errors(feed: FeedServer, db_url: str) -> None:
    _run(feed, db_url)
    feed.etag = '"v2"'
    failed = _run(feed, db_url, "-a", "broken=1")  # the feed changed, and another request failed
    assert failed["probe/parsed"] == 1 and failed["source/probe/request_failed"] == 1
    with psycopg.connect(db_url) as conn:  # the next run reads the feed in full again
        assert conn.execute("SELECT etag FROM http_validators").fetchall() == [('"v1"',)]
