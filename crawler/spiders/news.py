"""News sites by their feeds, sitemaps and list pages: every registered source but Followin.

    scrapy crawl news                                  # every source of crawler/sources/ (spider = news)
    scrapy crawl news -a source=odaily,coindesk        # some of them
    scrapy crawl news -a feed=URL[,URL]                # ad hoc: RSS 0.9x/1.0/2.0, Atom, JSON Feed
    scrapy crawl news -a sitemap=URL[,URL]             # ad hoc: sitemap index, urlset, Google News
                                                       #   sitemap, or a robots.txt (its Sitemap: lines)
    ... -a since=2026-01-10 -a max_items=50 -a render=1

Runs are incremental (crawler/incremental.py): feeds and sitemaps are asked for with the ETag and
Last-Modified of the last run (a 304 costs nothing more), and an article already stored is fetched
again only while it is young (``INCREMENTAL_REFRESH_HOURS``) or when what its feed or sitemap says
about it changed; ``-a full=1`` fetches everything.

An article found twice (in a feed and a sitemap, or under two URLs) is fetched and stored once:
links are compared by canonical URL before fetching, pages by their own canonical URL after.
The stored ``url`` and ``external_id`` are that canonical URL, so a re-crawl updates in place.
Per-source counts go to the stats as ``source/<name>/<what>``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler.incremental import Entry, KnownArticles, entry_digest
from crawler.items import ArticleItem
from crawler.params import SpiderParams, boolean, day, one_or_more_of, param, whole_number
from crawler.parsers.feeds import FeedError, Link, feed_links, robots_sitemaps, sitemap_body, sitemap_links
from crawler.sources import Source, host_of, registry, source_for_url
from pipelines.text.extract import ExtractionError, Hints, extract_article, has_article_text, resolve_language
from pipelines.text.urls import canonical_url

logger = logging.getLogger(__name__)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _link_digest(link: Link) -> str:
    """What a feed or sitemap says about an article: when it changes, the article is fetched again."""
    said = {**asdict(link.hints), "lastmod": link.lastmod}
    return entry_digest(said, ("title", "published_at", "author", "lastmod"))


def merge_hints(first: Hints, other: Hints) -> Hints:
    """Two discoveries of one article: each field from the first that has it."""
    return Hints(**{k: v if v is not None else getattr(other, k) for k, v in asdict(first).items()})


def _source_names(text: str) -> tuple[str, ...]:
    known = sorted(n for n, s in registry().items() if s.spider == "news")
    return one_or_more_of(known)(text)


def _urls(text: str) -> tuple[str, ...]:
    urls = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    if not urls or not all(u.startswith(("http://", "https://")) and urlsplit(u).hostname for u in urls):
        raise ValueError("takes http(s) URLs, comma-separated")
    return urls


@dataclass(frozen=True)
class NewsParams(SpiderParams):
    source: tuple[str, ...] = param((), _source_names, "registered news sources (default: all)")
    feed: tuple[str, ...] = param((), _urls, "ad hoc RSS, Atom or JSON feeds: read only these")
    sitemap: tuple[str, ...] = param((), _urls, "ad hoc sitemaps or robots.txt: read only these")
    since: datetime | None = param(None, day, "a date YYYY-MM-DD: skip articles published before it (UTC)")
    max_items: int | None = param(None, whole_number(1, 1_000_000), "article pages per source")
    render: bool = param(False, boolean, "ad hoc feeds and sitemaps: render article pages in a browser (1/0)")
    full: bool = param(False, boolean, "1: ignore what is stored: read feeds in full, fetch every article")

    @property
    def ad_hoc(self) -> bool:
        return bool(self.feed or self.sitemap)


class NewsSpider(scrapy.Spider):
    name = "news"
    params_class = NewsParams

    def __init__(self, params: NewsParams | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.params = NewsParams.for_spider(params, kwargs)
        known = registry()
        chosen = [known[n] for n in self.params.source]
        if self.params.ad_hoc:
            self.sources = chosen
        else:
            self.sources = chosen or [s for _, s in sorted(known.items()) if s.spider == "news"]
        # canonical URL of each article link requested -> what every feed and sitemap said about it
        self._requested: dict[str, Hints] = {}
        self._extracted: set[tuple[str, str]] = set()  # (source, canonical URL) already yielded
        self._per_source: dict[str, int] = {}  # article requests per source, for max_items
        self._sitemaps: set[str] = set()  # sitemaps already read: an index may list itself
        self.full = self.params.full  # read by the conditional-GET middleware too
        self.known: dict[str, KnownArticles] | None = None  # per source; None: fetch everything

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        # Politeness overrides of the registry, as per-host download slots.
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for source in registry().values():
            if not source.politeness:
                continue
            for host in source.hosts:
                for name in (host, "www." + host):
                    slots.setdefault(name, dict(source.politeness))
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    # --- start ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.full and self.settings.getbool("STORE_ENABLED", True):  # no database, nothing known
            self.known = {}
        for url in self.params.feed:
            yield self._discovery(url, self.parse_feed, None)
        for url in self.params.sitemap:
            yield self._discovery(url, self.parse_sitemap, None)
        if self.params.ad_hoc:
            return
        for source in self.sources:
            for url in source.feeds:
                yield self._discovery(url, self.parse_feed, source)
            for url in source.sitemaps:
                yield self._discovery(url, self.parse_sitemap, source)
            for page in source.lists:
                yield self._discovery(page.url, self.parse_list, source)

    def _discovery(self, url: str, callback: Any, source: Source | None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            cb_kwargs={"source": source},
            # Feeds and sitemaps carry the last run's validators; a 304 ends the request.
            meta={"source": self._name(source, url), "conditional_get": callback != self.parse_list},
            dont_filter=True,  # a feed is read on every run, and may be named twice
        )

    def closed(self, reason: str) -> None:
        for known in (self.known or {}).values():
            known.close()

    def _known(self, name: str) -> KnownArticles | None:
        if self.known is None:
            return None
        if name not in self.known:
            refresh = timedelta(hours=self.settings.getfloat("INCREMENTAL_REFRESH_HOURS"))
            self.known[name] = KnownArticles(self.settings.get("DATABASE_URL"), name, refresh)
        return self.known[name]

    # --- discovery ----------------------------------------------------------------------------
    def parse_feed(self, response: Response, source: Source | None) -> Iterator[scrapy.Request]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            links = feed_links(response.body, response.url, content_type)
        except FeedError as exc:
            self._bad_page(response, exc, self._name(source, response.url))
            return
        self._count(self._name(source, response.url), "feeds")
        yield from self._follow(links, source)

    def parse_sitemap(self, response: Response, source: Source | None) -> Iterator[scrapy.Request]:
        name = self._name(source, response.url)
        if response.url.endswith("/robots.txt"):
            for url in robots_sitemaps(response.body, response.url):
                yield from self._child_sitemap(url, source)
            return
        self._sitemaps.add(canonical_url(response.url))
        max_size = response.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            links = list(sitemap_links(sitemap_body(response.body, max_size), response.url))
        except (FeedError, OSError) as exc:
            self._bad_page(response, exc, name)
            return
        self._count(name, "sitemaps")
        for link in links:
            if link.kind == "sitemap":
                if self._too_old(link.lastmod):
                    continue  # nothing newer in it than its last change
                yield from self._child_sitemap(link.url, source)
        yield from self._follow([link for link in links if link.kind == "article"], source)

    def _child_sitemap(self, url: str, source: Source | None) -> Iterator[scrapy.Request]:
        if canonical_url(url) not in self._sitemaps:
            self._sitemaps.add(canonical_url(url))
            yield self._discovery(url, self.parse_sitemap, source)

    def parse_list(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            self._bad_page(response, ValueError("list page is not text"), source.name)
            return
        page = next((p for p in source.lists if p.url == response.url), None)
        pattern = page.links if page else source.article_pattern
        hrefs = response.css("a::attr(href)").getall()
        urls = [response.urljoin(h) for h in hrefs]
        self._count(source.name, "list_pages")
        yield from self._follow(
            [Link(u, Hints()) for u in dict.fromkeys(urls) if pattern is None or pattern.search(u)], source
        )

    def _follow(self, links: list[Link], source: Source | None) -> Iterator[scrapy.Request]:
        wanted: dict[str, list[tuple[Link, Source | None, str]]] = {}  # per source: new links
        for link in links:
            owner = source or source_for_url(link.url)
            name = self._name(owner, link.url)
            if source is not None and not source.is_article(link.url):
                self._count(name, "off_pattern")
                continue
            if self._too_old(link.hints.published_at or link.lastmod):
                self._count(name, "too_old")
                continue
            key = canonical_url(link.url)
            if key in self._requested:
                # Fetched once; what this feed or sitemap adds still fills the gaps of the others.
                self._requested[key] = merge_hints(self._requested[key], link.hints)
                self._count(name, "duplicate_links")
                continue
            self._requested[key] = link.hints
            wanted.setdefault(name, []).append((link, owner, key))
        for name, found in wanted.items():
            digests = {key: _link_digest(link) for link, _, key in found}
            known = self._known(name)
            if known is not None:
                entries = [Entry(key, link.hints.published_at, digests[key]) for link, _, key in found]
                fetch = {entry.external_id for entry in known.decide(None, entries).fetch}
                self.crawler.stats.inc_value("incremental/articles_skipped", len(found) - len(fetch))
                found = [f for f in found if f[2] in fetch]
            limit = self.params.max_items
            for link, owner, key in found:
                if limit is not None and self._per_source.get(name, 0) >= limit:
                    self._count(name, "over_max_items")
                    continue
                self._per_source[name] = self._per_source.get(name, 0) + 1
                self._count(name, "links")
                yield scrapy.Request(
                    link.url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    cb_kwargs={"source": owner, "link": key, "digest": digests[key]},
                    meta={"source": name, "render": self._render_mode(owner)},
                )

    def _render_mode(self, source: Source | None) -> str:
        """How this source's article pages are fetched: ``never``, ``auto`` or ``always``.

        Read from ``request.meta["render"]`` by the rendering layer (scrapy-playwright).
        """
        if source is None:
            return "always" if self.params.render else "never"
        mode = source.rendering
        return "always" if self.params.render and mode == "never" else mode

    # --- articles --------------------------------------------------------------------------
    def parse_article(
        self, response: Response, source: Source | None, link: str, digest: str = ""
    ) -> Iterator[ArticleItem]:
        hints = self._requested[link]
        name = self._name(source, response.url)
        if response.meta.get("rendered") or "playwright" in response.flags:
            self._count(name, "rendered")
        if not isinstance(response, TextResponse):
            self._bad_page(response, ValueError("not an HTML page"), name)
            return
        try:
            article = extract_article(
                response.text,
                response.url,
                hints,
                selectors=source.selectors if source else None,
                timezone=source.timezone if source else None,
            )
        except ExtractionError as exc:
            self._bad_page(response, exc, name)
            return
        if not has_article_text(article.body):
            logger.warning("No article text in %s (a page built by script?)", response.url)
            self._count(name, "no_text")
            return
        if self._too_old(article.published_at):
            self._count(name, "too_old")
            return
        if (name, article.url) in self._extracted:
            self._count(name, "duplicate_pages")  # another URL of a page already stored
            return
        self._extracted.add((name, article.url))
        lang = resolve_language(article.lang, article.title + "\n" + article.body[:2000])
        if lang is None and source is not None:
            lang = resolve_language(source.languages[0], article.body[:2000])
        self._count(name, "articles")
        known = self._known(name)
        if known is not None and digest and article.url == link:
            known.fetched(link, lang or "und", digest)  # next run: skipped while its entry is the same
        yield ArticleItem(
            source=name,
            external_id=article.url,
            lang=lang or "und",
            url=article.url,
            raw_title=article.title,
            raw_body=article.body,
            raw_original_title=None,
            raw_original_body=None,
            is_machine_translated=False,
            original_lang=None,
            published_at=article.published_at,
            source_url=None,
            author=article.author,
            account=None,
            platform=None,
            tags=[{"name": tag, "symbol": None} for tag in article.tags],
            related_feeds=None,
            images=article.images,
            raw={
                "fetched_url": response.url,
                "status": response.status,
                "found": article.sources,
                "hints": {k: _json_value(v) for k, v in asdict(hints).items()},
                **article.metadata,
                "html": response.text,
            },
            fetched_at=datetime.now(UTC),
        )

    # --- bookkeeping -------------------------------------------------------------------------
    @staticmethod
    def _name(source: Source | None, url: str) -> str:
        if source is not None:
            return source.name
        known = source_for_url(url)
        return known.name if known else host_of(url)

    def _count(self, source: str, what: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"source/{source}/{what}", n)

    def _too_old(self, moment: datetime | None) -> bool:
        return bool(self.params.since and moment and moment < self.params.since)

    def _bad_page(self, response: Response, exc: Exception, source: str) -> None:
        logger.warning("Malformed page %s: %s", response.url, exc)
        self._count(source, "malformed_page")

    def on_error(self, failure: Any) -> None:
        request = failure.request
        logger.error("Request failed %s: %s", request.url, failure.getErrorMessage())
        self._count(request.meta.get("source") or host_of(request.url), "request_failed")

