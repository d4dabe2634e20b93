"""crawler/parsers/feeds.py: every feed and sitemap kind, real outlet feeds, broken input."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.parsers.feeds import FeedError, feed_links, robots_sitemaps, sitemap_body, sitemap_links
from crawler.spiders.news import merge_hints
from pipelines.text.extract import Hints
from tests.shared_data import shared_file

ADHOC = Path(__file__).parent / "adhoc"
BASE = "http://127.0.0.1:9"


def read(name: str) -> bytes:
    return (ADHOC / name).read_bytes().replace(b"{{BASE}}", BASE.encode())


def test_rss2_links_and_fields() -> None:
    links = feed_links(read("rss.xml"), f"{BASE}/rss.xml")
    assert [link.url for link in links] == [
        f"{BASE}/news/a1?utm_source=rss&utm_medium=feed", f"{BASE}/news/a2", f"{BASE}/news/a3",
        f"{BASE}/news/a5?utm_source=rss&utm_campaign=partner",
    ]  # fmt: skip
    a3 = links[2].hints
    assert a3.title == "업비트, 신규 상장 심사 기준 공개" and a3.author == "김하늘 기자" and a3.lang == "en"
    assert a3.published_at == datetime(2026, 1, 14, 6, 0, tzinfo=UTC)  # +0900 -> UTC


def test_atom_with_an_entry_that_has_only_an_id() -> None:
    links = feed_links(read("atom.xml"), f"{BASE}/atom.xml")
    assert [link.url for link in links] == [f"{BASE}/news/a4", f"{BASE}/news/a1", f"{BASE}/old/a6"]
    assert links[0].hints.published_at == datetime(2026, 1, 16, 7, 0, tzinfo=UTC)
    assert links[0].hints.author == "Atom Writer" and links[0].hints.lang == "en"


@pytest.mark.parametrize(("name", "url"), [("rss1.xml", "/news/a3"), ("rss091.xml", "/news/a2")])
def test_rss_1_0_and_0_91(name: str, url: str) -> None:
    (link,) = feed_links(read(name), f"{BASE}/{name}")
    assert link.url == BASE + url and link.hints.title


def test_json_feed() -> None:
    links = feed_links(read("feed.json"), f"{BASE}/feed.json", "application/feed+json")
    assert [link.url for link in links] == [f"{BASE}/news/a2", f"{BASE}/news/a7"]
    assert links[1].hints == Hints(
        title="Tokenised treasury funds double",
        published_at=datetime(2026, 1, 18, 12, 45, tzinfo=UTC),
        author="Jordan Lee",
        lang="en",
    )


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("samples/sources/coindesk/feed-2026-08-18.xml", 25),
        ("samples/sources/coindesk/feed-2026-09-25-trimmed.xml", 3),
        ("samples/sources/cointelegraph/feed-2026-09-30.xml", 30),
        ("samples/sources/theblock/feed-2026-10-08-trimmed.xml", 3),
    ],
)
def test_real_outlet_feeds(path: str, count: int) -> None:
    links = feed_links(shared_file(path).read_bytes(), "https://example.com/feed")
    assert len(links) == count
    for link in links:
        assert link.url.startswith("https://") and link.hints.title and link.hints.published_at
        assert link.hints.author


def test_broken_feeds_are_refused() -> None:
    for body in (b"<html><body>not a feed</body></html>", b"", b"{not json", b'{"items": 3}'):
        with pytest.raises(FeedError):
            feed_links(body, f"{BASE}/feed")


def test_sitemap_index_urlset_and_google_news_fields() -> None:
    index = list(sitemap_links(read("sitemap-index.xml"), f"{BASE}/sitemap.xml"))
    assert [(link.url, link.kind) for link in index] == [
        (f"{BASE}/sitemap-news.xml", "sitemap"), (f"{BASE}/sitemap-pages.xml", "sitemap"),
    ]  # fmt: skip
    news = list(sitemap_links(read("sitemap-news.xml"), f"{BASE}/sitemap-news.xml"))
    assert news[0].hints == Hints(
        title="Layer-2 fees fall after upgrade", published_at=datetime(2026, 1, 15, 12, tzinfo=UTC), lang="en"
    )  # the image:title of the same <url> is not the article's title
    pages = list(sitemap_links(read("sitemap-pages.xml"), f"{BASE}/sitemap-pages.xml"))
    assert pages[0].hints == Hints() and pages[0].lastmod == datetime(2026, 1, 12, 0, 30, tzinfo=UTC)


def test_gzipped_sitemap_and_robots_txt() -> None:
    body = sitemap_body(gzip.compress(read("sitemap-pages.xml")), 10_000_000)
    assert len(list(sitemap_links(body, f"{BASE}/sitemap-pages.xml.gz"))) == 4
    assert robots_sitemaps(read("robots.txt"), f"{BASE}/robots.txt") == [f"{BASE}/sitemap.xml"]
    with pytest.raises(FeedError):
        list(sitemap_links(b"<rss><channel/></rss>", f"{BASE}/x.xml"))


def test_hints_from_two_discoveries_fill_each_other() -> None:
    feed = Hints(title="T", author="A")
    sitemap = Hints(title="Other", published_at=datetime(2026, 1, 1, tzinfo=UTC), lang="ko")
    assert merge_hints(feed, sitemap) == Hints("T", datetime(2026, 1, 1, tzinfo=UTC), "A", "ko")
