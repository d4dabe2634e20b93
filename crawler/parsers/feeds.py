"""Feeds and sitemaps -> article links, each with what the feed said about it (``Hints``).

Feeds: RSS 0.9x/1.0/2.0 and Atom by feedparser; JSON Feed (a JSON document, not XML) by its
spec's few fields. Sitemaps: Scrapy's sitemap parser (sitemap index, urlset, robots.txt
``Sitemap:`` lines), extended to keep Google News fields (``news:title``,
``news:publication_date``, ``news:language``), which it otherwise clears unread.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from pipelines.text.extract import Hints, parse_time

__all__ = ["FeedError", "Link", "feed_links", "robots_sitemaps", "sitemap_links"]


GZIP_MAGIC = b"\x1f\x8b"


class FeedError(ValueError):
    """Not a feed or sitemap we can read."""


@dataclass(frozen=True)
class Link:
    url: str
    hints: Hints
    kind: str = "article"  # "article", or "sitemap" for a sitemap index's children
    lastmod: datetime | None = None  # a sitemap's <lastmod>: for -a since=, never a publish time


# --- feeds ------------------------------------------------------------------------------------
def feed_links(body: bytes, url: str, content_type: str = "") -> list[Link]:
    """The article links of an RSS, Atom or JSON feed, in feed order."""
    stripped = body.lstrip()[:1]
    if stripped == b"{" or "json" in content_type:
        return _json_feed_links(body, url)
    parsed = feedparser.parse(
        body, response_headers={"content-location": url, "content-type": content_type or "application/xml"}
    )
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = getattr(parsed, "bozo_exception", None) or "no feed entries"
        raise FeedError(f"not a readable feed: {reason}")
    feed_lang = parsed.feed.get("language")
    links = []
    for entry in parsed.entries:
        link = _entry_link(entry)
        if not link:
            continue
        links.append(
            Link(
                url=urljoin(url, link),
                hints=Hints(
                    title=(entry.get("title") or "").strip() or None,
                    published_at=_struct_time(entry.get("published_parsed") or entry.get("updated_parsed")),
                    author=(entry.get("author") or "").strip() or None,
                    lang=entry.get("language") or feed_lang,
                ),
            )
        )
    return links


def _entry_link(entry: Any) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    if entry.get("link"):
        return entry["link"]
    guid = entry.get("id") or ""  # an Atom entry without an alternate link: its id may be the URL
    return guid if guid.startswith(("http://", "https://")) else None


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)  # feedparser gives UTC


def _json_feed_links(body: bytes, url: str) -> list[Link]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise FeedError(f"not a readable feed: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("not a JSON Feed: no items list")
    links = []
    for item in document["items"]:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        names = [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]
        links.append(
            Link(
                url=urljoin(url, item["url"]),
                hints=Hints(
                    title=(item.get("title") or "").strip() or None,
                    published_at=parse_time(item.get("date_published")),
                    author=", ".join(names) or None,
                    lang=item.get("language") or document.get("language"),
                ),
            )
        )
    return links


# --- sitemaps ---------------------------------------------------------------------------------
class _NewsSitemap(Sitemap):
    """Scrapy's Sitemap, also keeping the Google News fields of each <url>."""

    def _process_sitemap_element(self, elem: etree._Element) -> dict[str, Any] | None:
        news: dict[str, str] = {}
        for child in elem.iter():
            if "sitemap-news" in str(child.tag) and child.text and child.text.strip():
                news.setdefault(self._get_tag_name(child), child.text.strip())
        entry = super()._process_sitemap_element(elem)
        if entry is not None and news:
            entry["news"] = news
        return entry


def sitemap_body(body: bytes, max_size: int) -> bytes:
    """The XML of a sitemap, gunzipped when it came compressed (.xml.gz)."""
    if body[:2] == GZIP_MAGIC:
        return gunzip(body, max_size=max_size)
    return body


def sitemap_links(body: bytes, url: str) -> Iterator[Link]:
    """The pages of a urlset, or the child sitemaps of a sitemap index."""
    try:
        sitemap = _NewsSitemap(body)
    except (etree.XMLSyntaxError, StopIteration) as exc:
        raise FeedError(f"not a readable sitemap: {exc or 'empty'}") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise FeedError(f"not a sitemap: root element <{sitemap.type}>")
    kind = "sitemap" if sitemap.type == "sitemapindex" else "article"
    for entry in sitemap:
        news = entry.get("news", {})
        yield Link(
            url=urljoin(url, entry["loc"]),
            hints=Hints(
                title=news.get("title"),
                published_at=parse_time(news.get("publication_date")),
                lang=news.get("language"),
            ),
            kind=kind,
            lastmod=parse_time(entry.get("lastmod")),
        )


def robots_sitemaps(body: bytes, url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt."""
    return list(sitemap_urls_from_robots(body, base_url=url))
