"""End to end: `scrapy crawl news -a feed=` / `-a sitemap=` against an invented loopback news site.

Every linked article is stored once, clean, with title, publish time (UTC), author, language and
canonical URL; an article reached by a feed and by a sitemap, or under two URLs, is stored once;
a second run adds nothing. Pages and expectations: tests/sources/adhoc/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import run_scrapy
from tests.sources.server import StaticSite, site_from_folder

FOLDER = Path(__file__).parent / "adhoc"
CHROME = re.compile(
    r"首页|快讯|关于我们|隐私政策|风险提示|作者：|Home|Sign in|Most read|Disclaimer|By Maria|"
    r"Copyright|저작권자|기자 \(|sky@example|홈"
)


@pytest.fixture(scope="module")
def site() -> Iterator[StaticSite]:
    pages, _ = site_from_folder(FOLDER)
    with StaticSite(pages) as running:
        yield running


def crawl_news(db_url: str, *args: str) -> dict[str, Any]:
    """Run `scrapy crawl news` for real; return the run's stats from crawl_runs."""
    result = run_scrapy(
        "crawl", "news", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", *args, db_url=db_url
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, result.stderr[-3000:]
    with psycopg.connect(db_url) as conn:
        stats = conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert stats is not None, result.stderr[-3000:]
    return stats


def rows(db_url: str) -> dict[str, dict[str, Any]]:
    """Stored articles by fixture name (a1 … a7)."""
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        found = conn.execute("SELECT * FROM article_feed").fetchall()
    by_name: dict[str, dict[str, Any]] = {}
    for row in found:
        name = row["url"].rsplit("/", 1)[-1]
        assert name not in by_name, f"{name} stored twice"
        by_name[name] = row
    return by_name


def expected(base_url: str) -> dict[str, dict[str, Any]]:
    data = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
    data.pop("_comment")
    return {k: {f: v.replace("{{BASE}}", base_url[len("http://"):]) for f, v in item.items()}
            for k, item in data.items()}  # fmt: skip


def check(row: dict[str, Any], want: dict[str, Any], name: str) -> None:
    assert row["url"] == "http://" + want["url"], name
    assert row["external_id"] == row["url"], name
    assert row["title"] == want["title"], name
    assert row["published_at"].isoformat() == want["published_at"], name
    assert row["author"] == want["author"], name
    assert row["lang"] == want["lang"], name
    body = row["body"]
    assert body.startswith(want["body_starts"]) and body.endswith(want["body_ends"]), (name, body)
    assert not CHROME.search(body), (name, body)
    assert body.count("\n\n") == 2, (name, body)  # the three story paragraphs, nothing else


def test_rss_feed_stores_every_linked_article_once_then_nothing_new(site: StaticSite, db_url: str) -> None:
    stats = crawl_news(db_url, "-a", f"feed={site.base_url}/rss.xml")
    stored = rows(db_url)
    assert sorted(stored) == ["a1", "a2", "a3", "a5"]
    want = expected(site.base_url)
    for name, row in stored.items():
        check(row, want[name], name)
    assert stats["store/inserted"] == 4
    assert stats["source/127.0.0.1/inserted"] == 4
    # a3 says nothing about itself: title, time and author come from the feed, and the feed's
    # language (en) gives way to the text's (Korean).
    assert stored["a3"]["source"] == "127.0.0.1"

    # The next run fetches none of the stored articles again (old, and their feed entries the same)...
    site.requests.clear()
    again = crawl_news(db_url, "-a", f"feed={site.base_url}/rss.xml")
    assert again["incremental/articles_skipped"] == 4
    assert [r for r in site.requests if r.startswith("/news/")] == []
    assert [again.get(f"store/{what}", 0) for what in ("inserted", "updated", "unchanged")] == [0, 0, 0]
    # ...and -a full=1 fetches them all: nothing new, nothing changed.
    again = crawl_news(db_url, "-a", f"feed={site.base_url}/rss.xml", "-a", "full=1")
    assert again.get("store/inserted", 0) == 0 and again.get("store/updated", 0) == 0
    assert again["store/unchanged"] == 4
    assert len(rows(db_url)) == 4
    report = run_scrapy("report", db_url=db_url)
    line = "127.0.0.1: 0 new, 0 updated, 4 unchanged; duplicates 0, rendered 0, errors 0"
    assert line in report.stdout, report.stdout


def test_atom_feed_with_redirect_and_id_only_entry(site: StaticSite, db_url: str) -> None:
    crawl_news(db_url, "-a", f"feed={site.base_url}/atom.xml")
    stored = rows(db_url)
    assert sorted(stored) == ["a1", "a4", "a6"]  # a6: an entry with an id only, redirected
    want = expected(site.base_url)
    for name, row in stored.items():
        check(row, want[name], name)


def test_sitemap_index_and_robots_txt(site: StaticSite, db_url: str) -> None:
    stats = crawl_news(db_url, "-a", f"sitemap={site.base_url}/robots.txt")
    stored = rows(db_url)
    # news sitemap: a5, a3; page sitemap: a1, a2/ (a2 under another URL), a6, a7
    assert sorted(stored) == ["a1", "a2", "a3", "a5", "a6", "a7"]
    want = expected(site.base_url)
    for name in ("a1", "a2", "a5", "a6"):
        check(stored[name], want[name], name)
    # Google News fields are the fallback for a3, which has no metadata of its own.
    assert stored["a3"]["title"] == want["a3"]["title"]
    assert stored["a3"]["published_at"].isoformat() == want["a3"]["published_at"]
    assert stored["a3"]["lang"] == "ko"
    assert stats["source/127.0.0.1/sitemaps"] == 3  # the index and its two sitemaps


def test_feeds_and_sitemap_together_store_each_article_once(site: StaticSite, db_url: str) -> None:
    names = ("rss.xml", "atom.xml", "rss1.xml", "rss091.xml", "feed.json")
    feeds = ",".join(f"{site.base_url}/{name}" for name in names)
    before = len(site.requests)
    stats = crawl_news(db_url, "-a", f"feed={feeds}", "-a", f"sitemap={site.base_url}/sitemap.xml")
    stored = rows(db_url)
    assert sorted(stored) == ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
    assert stats["store/inserted"] == 7
    assert stats["source/127.0.0.1/articles"] == 7
    # a1, a2, a3, a5 are linked from several places: each page fetched once
    fetched = [p.split("?")[0].rstrip("/") for p in site.requests[before:] if p.startswith("/news/")]
    assert sorted(fetched) == [f"/news/a{n}" for n in range(1, 8)]
    assert stats["source/127.0.0.1/duplicate_links"] >= 6
    want = expected(site.base_url)
    for name in ("a1", "a2", "a4", "a5", "a6", "a7"):
        check(stored[name], want[name], name)


def test_since_and_max_items(site: StaticSite, db_url: str) -> None:
    stats = crawl_news(db_url, "-a", f"feed={site.base_url}/rss.xml", "-a", "since=2026-01-14")
    assert sorted(rows(db_url)) == ["a3", "a5"]
    assert stats["source/127.0.0.1/too_old"] == 2
    stats = crawl_news(db_url, "-a", f"feed={site.base_url}/feed.json", "-a", "max_items=1")
    assert stats["source/127.0.0.1/links"] == 1


def test_bad_feed_and_missing_page_are_counted_and_the_crawl_goes_on(site: StaticSite, db_url: str) -> None:
    feeds = f"{site.base_url}/news/a2,{site.base_url}/nowhere.xml,{site.base_url}/feed.json"
    stats = crawl_news(db_url, "-a", f"feed={feeds}")  # a page as a feed, a 404, a good feed
    assert stats["source/127.0.0.1/malformed_page"] == 1
    assert stats["source/127.0.0.1/request_failed"] == 1
    assert sorted(rows(db_url)) == ["a2", "a7"]
    report = run_scrapy("report", db_url=db_url).stdout
    assert "127.0.0.1: 2 new, 0 updated, 0 unchanged; duplicates 0, rendered 0, errors 2" in report, report


def test_bad_arguments_stop_the_crawl_with_one_line(db_url: str) -> None:
    for args, message in (
        (("-a", "source=nosuchsource"), "-a source=nosuchsource: unsupported nosuchsource"),
        (("-a", "since=yesterday"), "-a since=yesterday: takes a date"),
        (("-a", "feed=ftp://example.com/feed"), "takes http(s) URLs"),
        (("-a", "max_items=0"), "-a max_items=0: takes a whole number"),
        (("-a", "render=maybe"), "-a render=maybe: takes 1/0"),
    ):
        result = run_scrapy("crawl", "news", *args, db_url=db_url)
        assert result.returncode == 2, result.stderr[-2000:]
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr[-2000:]


def test_a_page_built_by_script_is_not_stored_as_its_shell(site: StaticSite, db_url: str) -> None:
    stats = crawl_news(db_url, "-a", f"feed={site.base_url}/shell.xml")
    assert rows(db_url) == {}
    assert stats["source/127.0.0.1/no_text"] == 1


def test_a_sitemap_index_listing_itself_is_read_once(site: StaticSite, db_url: str) -> None:
    before = len(site.requests)
    stats = crawl_news(db_url, "-a", f"sitemap={site.base_url}/sitemap-loop.xml")
    assert sorted(rows(db_url)) == ["a1", "a2", "a6", "a7"]
    assert stats["source/127.0.0.1/sitemaps"] == 2
    read = [p for p in site.requests[before:] if p.startswith("/sitemap")]
    assert sorted(read) == ["/sitemap-loop.xml", "/sitemap-pages.xml"]


def test_a_page_built_by_script_is_stored_with_its_text_when_rendered(site: StaticSite, db_url: str) -> None:
    """-a render=1: the article page is rendered in Chromium (crawler/rendering.py) and its text is
    what the script built; the shell (navigation, "Loading…") is never stored."""
    stats = crawl_news(db_url, "-a", f"feed={site.base_url}/shell.xml", "-a", "render=1")
    (row,) = rows(db_url).values()
    assert row["title"] == "Validators vote on a fee cut"
    assert row["body"].startswith("Validators of the Loopback chain voted on Thursday")
    assert row["body"].count("\n\n") == 2 and "Loading" not in row["body"] and "Sign in" not in row["body"]
    assert stats["render/pages"] == 1 and stats["source/127.0.0.1/rendered"] == 1
