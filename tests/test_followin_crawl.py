"""End to end: the real `scrapy crawl followin` against the fixture site, into a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.conftest import run_scrapy
from tests.site.server import FixtureSite

EXPECTED = Path(__file__).parent / "site" / "expected"
DATA = Path(__file__).parent / "site" / "data" / "articles"
# Only reachable from their KOL, topic and tag pages (tests/site/data/README.md).
KOL, TOPIC, TAG = "1006785", "3307", "1000027"
LISTED_TWICE = "22878001"


def crawl(site: FixtureSite, db_url: str, *args: str) -> dict[str, Any]:
    """Run the spider against the fixture site; return the run's stats from crawl_runs."""
    result = run_scrapy(
        "crawl", "followin",
        "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        *args,
        db_url=db_url,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    with psycopg.connect(db_url) as conn:
        stats = conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert stats is not None, result.stderr[-3000:]
    return stats


def stored(db_url: str) -> dict[tuple[str, str], dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT * FROM articles").fetchall()
    return {(r["external_id"], r["lang"]): r for r in rows}


def expected_items(base_url: str) -> dict[tuple[str, str], dict[str, Any]]:
    """What the spider must produce (tests/site/expected). Where the source does not say the
    original's language, cleaning detects it: expect the language the fixture was written in."""
    items = {}
    for path in EXPECTED.glob("*.json"):
        item = json.loads(path.read_text())
        item["url"] = item["url"].replace("{base}", base_url)
        if item["original_lang"] is None:
            data = json.loads((DATA / f"{item['external_id']}.json").read_text())
            item["original_lang"] = data["original_lang"].split("-")[0]
        items[(item["external_id"], item["lang"])] = item
    return items


def test_every_fixture_article_stored_once_with_the_right_values(site: FixtureSite, db_url: str) -> None:
    news = crawl(site, db_url, "-a", "langs=en,zh-Hans", "-a", "max_pages=10")
    lists = crawl(site, db_url, "-a", "langs=en,zh-Hans", "-a", f"kol={KOL}", "-a", f"topic={TOPIC}",
                  "-a", f"tag={TAG}")  # fmt: skip
    expected = expected_items(site.base_url)
    rows = stored(db_url)
    assert set(rows) == set(expected)
    assert news["store/inserted"] + lists.get("store/inserted", 0) == len(expected) == 80
    for key, item in expected.items():
        row = rows[key]
        for field in ("url", "raw_title", "raw_body", "raw_original_title", "raw_original_body",
                      "original_lang", "is_machine_translated", "source_url", "account", "tags",
                      "related_feeds"):  # fmt: skip
            assert row[field] == item[field], (key, field)
        published = item["published_at"]
        assert row["published_at"] == (datetime.fromisoformat(published) if published else None), key
        assert row["raw"]["id"] == int(key[0])  # the raw /feed/info payload is kept

    again = crawl(site, db_url, "-a", "langs=en,zh-Hans", "-a", "max_pages=10", "-a", "full=1")
    assert again.get("store/inserted", 0) == 0 and again.get("store/updated", 0) == 0
    assert again["store/unchanged"] == news["store/inserted"]
    assert len(stored(db_url)) == 80


def api_calls(site: FixtureSite) -> list[Any]:
    return [r for r in site.requests if r.method == "POST"]


def test_pagination_stops_when_has_more_is_false(site: FixtureSite, db_url: str) -> None:
    stats = crawl(site, db_url, "-a", "max_pages=10")
    assert len(api_calls(site)) == 1  # HTML first page, then one API page with has_more=false
    assert stats["source/followin/list_pages"] == 2
    assert stats["store/inserted"] == 37  # 38 entries, one listed on both pages


def test_pagination_stops_at_max_pages(site: FixtureSite, db_url: str) -> None:
    stats = crawl(site, db_url, "-a", "max_pages=1")
    assert api_calls(site) == []
    assert stats["store/inserted"] == 20


def test_pagination_stops_at_since(site: FixtureSite, db_url: str) -> None:
    crawl(site, db_url, "-a", "since=2026-01-10", "-a", "max_pages=10")
    rows = stored(db_url)
    assert rows, "articles after the cut-off are stored"
    cut_off = datetime.fromisoformat("2026-01-10T00:00:00+00:00")
    assert all(r["published_at"] >= cut_off for r in rows.values())
    assert (LISTED_TWICE, "en") not in rows  # 2026-01-09T23:50Z: just before
    assert ("22878266", "en") in rows  # 2026-01-10T00:10Z: just after


def test_api_error_code_is_counted_and_the_crawl_goes_on(site: FixtureSite, db_url: str) -> None:
    body = json.dumps({"code": 5001, "msg": "server busy", "data": None}).encode()
    site.add_fault("/feed/list/recommended/news", 200, {"Content-Type": "application/json"}, body)
    stats = crawl(site, db_url, "-a", "max_pages=10")
    assert stats["source/followin/api_error"] == 1
    assert stats["source/followin/api_error/5001"] == 1
    assert stats["store/inserted"] == 20  # the first page's articles are stored all the same


def test_429_is_retried_after_retry_after(site: FixtureSite, db_url: str) -> None:
    path = "/en/feed/22870101"
    site.add_fault(path, 429, {"Retry-After": "2"})
    stats = crawl(site, db_url, "-a", "ids=22870101")
    hits = [r.time for r in site.requests if r.path == path]
    assert len(hits) == 2
    assert hits[1] - hits[0] >= 2.0
    assert stats["retry/retry_after_honoured"] == 1
    assert ("22870101", "en") in stored(db_url)


def test_malformed_page_is_logged_counted_and_skipped(site: FixtureSite, db_url: str) -> None:
    site.add_fault("/en/feed/22870101", 200, {"Content-Type": "text/html"}, b"<html><body>oops</body></html>")
    stats = crawl(site, db_url, "-a", "ids=22870101,22878512")
    assert stats["source/followin/malformed_page"] == 1
    assert set(stored(db_url)) == {("22878512", "en")}


def test_missing_article_is_an_error_not_a_crash(site: FixtureSite, db_url: str) -> None:
    stats = crawl(site, db_url, "-a", "ids=1,22878512")
    assert stats["source/followin/request_failed"] == 1
    assert set(stored(db_url)) == {("22878512", "en")}


def test_robots_txt_is_obeyed(site: FixtureSite, db_url: str) -> None:
    site.robots_txt = "User-agent: *\nDisallow: /en/feed/22870101\n"
    stats = crawl(site, db_url, "-a", "ids=22870101,22878512")
    assert not [r for r in site.requests if r.path == "/en/feed/22870101"]
    assert stats["robotstxt/forbidden"] == 1
    assert set(stored(db_url)) == {("22878512", "en")}


def test_unreachable_site_ends_with_a_message_not_a_traceback(db_url: str) -> None:
    from tests.conftest import free_port

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run_scrapy(
        "crawl", "followin", "-s", f"FOLLOWIN_BASE_URL={dead}", "-s", f"FOLLOWIN_API_URL={dead}",
        "-s", "RETRY_BACKOFF_BASE=0", db_url=db_url, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "The site could not be reached" in result.stderr
    assert "Traceback" not in result.stderr
