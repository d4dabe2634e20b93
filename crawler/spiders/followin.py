"""Followin (followin.io): flash news and articles, machine-translated from Chinese, Korean and more.

Discovery starts from the flash-news list page ``/<lang>/news`` and follows the list API's
cursor; ``-a kol=``, ``-a topic=``, ``-a tag=`` start from those pages instead (``-a news=1``
keeps the news list too), ``-a ids=`` fetches single articles. Article data is read from the
page's ``__NEXT_DATA__``, never from its CSS classes.

    scrapy crawl followin -a langs=en,zh-Hans -a max_pages=3 -a since=2026-01-10
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy.http import JsonRequest, Response

from crawler.items import ArticleItem
from crawler.parsers.followin import (
    FeedPage,
    PageDataError,
    article_fields,
    article_url,
    feed_page,
    next_data,
    publish_time,
    query_data,
)

logger = logging.getLogger(__name__)

# This source's crawl stats: source/<name>/… is what the crawl summary reads for every source.
STATS = "source/followin"
API_OK = 2000
PAGE_SIZE = 20
# Start-point kinds: (page path, the page's feed query, the list API path).
LISTS = {
    "news": ("news", "/feed/list/recommended/news", "/feed/list/recommended/news"),
    "kol": ("kol/{id}", "/feed/list/user", "/feed/list/user"),
    "topic": ("topic/{id}", "/feed/list/topic", "/feed/list/topic"),
    "tag": ("tag/{id}", "/feed/list/tag", "/feed/list/tag"),
}


def _ids(value: str | None, name: str) -> list[int]:
    if not value:
        return []
    try:
        return [int(v) for v in str(value).split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"-a {name}= takes comma-separated integer ids, got {value!r}") from None


class FollowinSpider(scrapy.Spider):
    name = "followin"
    # Where pages and the list API are fetched; -s overrides them (a mirror, the fixture site).
    custom_settings = {
        "FOLLOWIN_BASE_URL": "https://followin.io",
        "FOLLOWIN_API_URL": "https://api.followin.io",
    }

    def __init__(
        self,
        langs: str = "en",
        max_pages: str | int = 3,
        since: str | None = None,
        kol: str | None = None,
        topic: str | None = None,
        tag: str | None = None,
        ids: str | None = None,
        news: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.langs = [lang.strip() for lang in str(langs).split(",") if lang.strip()]
        if not self.langs:
            raise ValueError("-a langs= needs at least one language, e.g. langs=en,zh-Hans")
        try:
            self.max_pages = int(max_pages)
        except ValueError:
            raise ValueError(f"-a max_pages= takes a whole number, got {max_pages!r}") from None
        try:
            day = date.fromisoformat(since) if since else None
        except ValueError:
            raise ValueError(f"-a since= takes a date YYYY-MM-DD, got {since!r}") from None
        self.since = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
        self.start_points = {k: _ids(v, k) for k, v in {"kol": kol, "topic": topic, "tag": tag}.items()}
        self.article_ids = _ids(ids, "ids")
        # The flash-news list is the default start point; with others given, only on request.
        chosen = any(self.start_points.values()) or bool(self.article_ids)
        self.news = str(news).lower() in ("1", "true", "yes") if news is not None else not chosen
        # Recorded with the crawl run, so a run can be understood and repeated.
        self.arguments = {
            "langs": self.langs, "max_pages": self.max_pages, "since": since,
            "kol": kol, "topic": topic, "tag": tag, "ids": ids, "news": self.news,
        }

    @property
    def base_url(self) -> str:
        return self.settings.get("FOLLOWIN_BASE_URL").rstrip("/")

    @property
    def api_url(self) -> str:
        return self.settings.get("FOLLOWIN_API_URL").rstrip("/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for lang in self.langs:
            for article_id in self.article_ids:
                yield self._article_request(article_id, lang)
            lists: list[tuple[str, int | None]] = [(k, i) for k, v in self.start_points.items() for i in v]
            if self.news:
                lists.insert(0, ("news", None))
            for kind, list_id in lists:
                path = LISTS[kind][0].format(id=list_id)
                yield scrapy.Request(
                    f"{self.base_url}/{lang}/{path}",
                    callback=self.parse_list_page,
                    errback=self.on_error,
                    cb_kwargs={"lang": lang, "kind": kind, "list_id": list_id},
                )

    # --- lists -----------------------------------------------------------------------------
    def parse_list_page(self, response: Response, lang: str, kind: str, list_id: int | None) -> Iterator[Any]:
        try:
            data = next_data(response.text)
        except PageDataError as exc:
            yield from self._malformed(response, exc)
            return
        page = feed_page(query_data(data, LISTS[kind][1]))
        yield from self._follow_page(page, 1, lang, kind, list_id)

    def parse_list_api(
        self, response: Response, lang: str, kind: str, list_id: int | None, page_no: int
    ) -> Iterator[Any]:
        try:
            answer = json.loads(response.text)
        except json.JSONDecodeError as exc:
            yield from self._malformed(response, PageDataError(f"list API answer is not JSON: {exc}"))
            return
        code = answer.get("code") if isinstance(answer, dict) else None
        if code != API_OK:
            msg = answer.get("msg") if isinstance(answer, dict) else None
            logger.error("Followin API error %s (%s) at %s page %d", code, msg, response.url, page_no)
            self.crawler.stats.inc_value(f"{STATS}/api_error")
            self.crawler.stats.inc_value(f"{STATS}/api_error/{code}")
            return
        yield from self._follow_page(feed_page(answer.get("data")), page_no, lang, kind, list_id)

    def _follow_page(
        self, page: FeedPage, page_no: int, lang: str, kind: str, list_id: int | None
    ) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value(f"{STATS}/list_pages")
        reached_since = False
        for entry in page.items:
            published = publish_time(entry.get("publish_time"))
            if self.since and published and published < self.since:
                reached_since = True  # lists are newest first: the rest is older too
                continue
            yield self._article_request(int(entry["id"]), lang)
        if not page.has_more or reached_since:
            return
        if page_no >= self.max_pages:
            logger.info("Stopping %s list (%s) after max_pages=%d", kind, lang, self.max_pages)
            return
        body: dict[str, Any] = {"count": PAGE_SIZE, "last_cursor": page.cursor}
        if kind == "news":
            body |= {"only_important": False, "last_source": "algo"}
        else:
            body["id"] = list_id
        yield JsonRequest(
            self.api_url + LISTS[kind][2],
            data=body,
            headers={"x-bparam": self._bparam(lang)},
            callback=self.parse_list_api,
            errback=self.on_error,
            cb_kwargs={"lang": lang, "kind": kind, "list_id": list_id, "page_no": page_no + 1},
            dont_filter=True,  # same URL, other cursor
        )

    @staticmethod
    def _bparam(lang: str) -> str:
        param = {"a": "web", "b": "", "c": lang, "d": 0, "e": "", "f": "", "g": "", "h": "0.1.0"}
        return json.dumps(param | {"i": "official"}, separators=(",", ":"))

    # --- articles --------------------------------------------------------------------------
    def _article_request(self, article_id: int, lang: str) -> scrapy.Request:
        return scrapy.Request(
            f"{self.base_url}/{lang}/feed/{article_id}",
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"lang": lang},
        )

    def parse_article(self, response: Response, lang: str) -> Iterator[Any]:
        try:
            data = next_data(response.text)
        except PageDataError as exc:
            yield from self._malformed(response, exc)
            return
        info = query_data(data, "/feed/info")
        if not isinstance(info, dict) or info.get("id") is None:
            yield from self._malformed(response, PageDataError("no /feed/info data in the page"))
            return
        fields = article_fields(info, query_data(data, "/feed/thread"), lang)
        if not fields["raw_title"] and not fields["raw_body"]:
            yield from self._malformed(response, PageDataError("article has neither title nor body"))
            return
        self.crawler.stats.inc_value(f"{STATS}/articles/{lang}")
        yield ArticleItem(
            source="followin",
            external_id=str(info["id"]),
            lang=lang,
            url=article_url(response.url),
            raw=info,
            fetched_at=datetime.now(UTC),
            images=[],
            platform=None,
            **fields,
        )

    # --- trouble ---------------------------------------------------------------------------
    def _malformed(self, response: Response, exc: Exception) -> Iterator[Any]:
        logger.warning("Malformed page %s: %s", response.url, exc)
        self.crawler.stats.inc_value(f"{STATS}/malformed_page")
        return iter(())

    def on_error(self, failure: Any) -> None:
        request = failure.request
        logger.error("Request failed %s: %s", request.url, failure.getErrorMessage())
        self.crawler.stats.inc_value(f"{STATS}/request_failed")
