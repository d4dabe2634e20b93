"""Followin (followin.io): flash news and articles, machine-translated from Chinese, Korean and more.

Discovery starts from the flash-news list page ``/<lang>/news`` and follows the list API's
cursor; ``-a kol=``, ``-a topic=``, ``-a tag=`` start from those pages instead (``-a news=1``
keeps the news list too), ``-a ids=`` fetches single articles. Article data is read from the
page's ``__NEXT_DATA__``, never from its CSS classes.

    scrapy crawl followin -a langs=en,zh-Hans -a max_pages=3 -a since=2026-01-10

Runs are incremental (crawler/incremental.py): articles already stored are fetched again only
when their list entry changed or they are young, and a list stops after pages holding only stored
articles; ``-a full=1`` fetches everything.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import JsonRequest, Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.incremental import Entry, KnownArticles, entry_digest
from crawler.items import ArticleItem
from crawler.params import (
    ArgumentError,
    SpiderParams,
    boolean,
    day,
    id_list,
    one_or_more_of,
    param,
    whole_number,
)
from crawler.parsers.followin import (
    FeedPage,
    PageDataError,
    article_fields,
    article_id,
    article_url,
    decode_page,
    feed_page,
    load_json,
    next_data,
    publish_time,
    query_data,
    wrong_types,
)
from pipelines.validation import EARLIEST_PUBLISHED

logger = logging.getLogger(__name__)

# This source's crawl stats: source/<name>/… is what the crawl summary reads for every source.
STATS = "source/followin"
API_OK = 2000
PAGE_SIZE = 20
# What a list entry says about its article's content; counters (tag prices, related_feeds) move
# all the time and are not a reason to fetch the article again.
ENTRY_FIELDS = ("title", "content", "translated_title", "translated_content", "publish_time",
                "source_url", "nickname")  # fmt: skip
# Languages Followin serves pages in (URLs show en, zh-Hans, zh-Hant, vi; the API also lists ko).
LANGS = ("en", "zh-Hans", "zh-Hant", "vi", "ko")
# Start-point kinds: (page path, the page's feed query, the list API path).
LISTS = {
    "news": ("news", "/feed/list/recommended/news", "/feed/list/recommended/news"),
    "kol": ("kol/{id}", "/feed/list/user", "/feed/list/user"),
    "topic": ("topic/{id}", "/feed/list/topic", "/feed/list/topic"),
    "tag": ("tag/{id}", "/feed/list/tag", "/feed/list/tag"),
}
_ARTICLE_PATH = re.compile(r"/feed/(\d+)(?:[/?#]|$)")
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class FollowinParams(SpiderParams):
    langs: tuple[str, ...] = param(("en",), one_or_more_of(LANGS), "page languages, comma-separated")
    max_pages: int = param(3, whole_number(1, 10_000), "list pages per start point, 1 to 10000")
    since: datetime | None = param(
        None, day, "a date YYYY-MM-DD: stop following a list at articles published before it (UTC)"
    )
    kol: tuple[int, ...] = param((), id_list, "start from these KOL (account) pages, comma-separated ids")
    topic: tuple[int, ...] = param((), id_list, "start from these topic pages, comma-separated ids")
    tag: tuple[int, ...] = param((), id_list, "start from these tag pages, comma-separated ids")
    ids: tuple[int, ...] = param((), id_list, "fetch these articles, comma-separated ids")
    news: bool | None = param(
        None, boolean, "follow the flash-news list (1/0); default: yes, unless other start points are given"
    )
    full: bool = param(False, boolean, "1: ignore what is stored, fetch every list page and article")

    def check(self) -> None:
        if self.news is False and not self.chosen:
            raise ArgumentError("-a news=0 and no kol=, topic=, tag= or ids=: nothing to crawl")

    @property
    def chosen(self) -> bool:
        """Start points other than the news list were asked for."""
        return bool(self.kol or self.topic or self.tag or self.ids)


class Stats:
    """Every stat this spider counts, named in one place (``source/followin/...``)."""

    def __init__(self, spider: scrapy.Spider) -> None:
        self.spider = spider

    def inc(self, name: str, count: int = 1) -> None:
        self.spider.crawler.stats.inc_value(f"{STATS}/{name}", count)

    def list_page(self) -> None:
        self.inc("list_pages")

    def article(self, lang: str) -> None:
        self.inc(f"articles/{lang}")

    def malformed(self, reason: str) -> None:
        self.inc("malformed_page")
        self.inc(f"malformed_page/{reason}")

    def api_error(self, code: str) -> None:
        self.inc("api_error")
        self.inc(f"api_error/{code}")

    def request_failed(self, reason: str) -> None:
        self.inc("request_failed")
        self.inc(f"request_failed/{reason}")

    def skipped_entries(self, count: int) -> None:
        self.inc("list_entry_skipped", count)

    def wrong_type(self, field: str) -> None:
        self.inc(f"wrong_type/{field}")

    def invalid_utf8(self) -> None:
        self.inc("invalid_utf8")

    def charset_ignored(self) -> None:
        self.inc("charset_ignored")


class FollowinSpider(scrapy.Spider):
    name = "followin"
    params_class = FollowinParams
    # Where pages and the list API are fetched; -s overrides them (a mirror, the fixture site).
    custom_settings = {
        "FOLLOWIN_BASE_URL": "https://followin.io",
        "FOLLOWIN_API_URL": "https://api.followin.io",
    }

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FollowinSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        return spider

    def __init__(self, params: FollowinParams | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.params = FollowinParams.for_spider(params, kwargs)
        self.langs = list(self.params.langs)
        self.max_pages = self.params.max_pages
        self.since = self.params.since
        self.start_points = {"kol": self.params.kol, "topic": self.params.topic, "tag": self.params.tag}
        self.article_ids = list(self.params.ids)
        # The flash-news list is the default start point; with others given, only on request.
        self.news = self.params.news if self.params.news is not None else not self.params.chosen
        self.count = Stats(self)
        self.full = self.params.full
        self.known: KnownArticles | None = None

    @property
    def base_url(self) -> str:
        return self.settings.get("FOLLOWIN_BASE_URL").rstrip("/")

    @property
    def api_url(self) -> str:
        return self.settings.get("FOLLOWIN_API_URL").rstrip("/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.full and self.settings.getbool("STORE_ENABLED", True):  # no database, nothing known
            refresh = timedelta(hours=self.settings.getfloat("INCREMENTAL_REFRESH_HOURS"))
            self.known = KnownArticles(self.settings.get("DATABASE_URL"), self.name, refresh)
        for lang in self.langs:
            for wanted in self.article_ids:
                yield self._article_request(wanted, lang)
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

    def closed(self, reason: str) -> None:
        if self.known is not None:
            self.known.close()

    # --- lists -----------------------------------------------------------------------------
    def parse_list_page(self, response: Response, lang: str, kind: str, list_id: int | None) -> Iterator[Any]:
        try:
            page = feed_page(query_data(next_data(self._text(response)), LISTS[kind][1]))
        except PageDataError as exc:
            self._malformed(response, exc)
            return
        yield from self._follow_page(response, page, 1, lang, kind, list_id)

    def parse_list_api(
        self,
        response: Response,
        lang: str,
        kind: str,
        list_id: int | None,
        page_no: int,
        stored_pages: int = 0,
    ) -> Iterator[Any]:
        try:
            answer = load_json(self._text(response), "the list API answer")
            code = answer.get("code") if isinstance(answer, dict) else None
            if code != API_OK:
                msg = answer.get("msg") if isinstance(answer, dict) else None
                name = str(code)[:20] if isinstance(code, int | str) else type(code).__name__
                logger.error("Followin API error %s (%.200s) at %s page %d", name, msg, response.url, page_no)
                self.count.api_error(name)
                return
            page = feed_page(answer.get("data"))
        except PageDataError as exc:
            self._malformed(response, exc)
            return
        yield from self._follow_page(response, page, page_no, lang, kind, list_id, stored_pages)

    def _follow_page(
        self,
        response: Response,
        page: FeedPage,
        page_no: int,
        lang: str,
        kind: str,
        list_id: int | None,
        stored_pages: int = 0,
    ) -> Iterator[scrapy.Request]:
        self.count.list_page()
        if page.skipped:
            logger.warning("%d list entries without an article id skipped at %s", page.skipped, response.url)
            self.count.skipped_entries(page.skipped)
        reached_since = False
        entries = []
        for entry in page.items:
            published = publish_time(entry.get("publish_time"))
            # An absurd time (before 1990) must not end the list: it is the validation step's to count.
            if self.since and published and EARLIEST_PUBLISHED <= published < self.since:
                reached_since = True  # lists are newest first: the rest is older too
                continue
            digest = entry_digest(entry, ENTRY_FIELDS)
            entries.append(Entry(str(article_id(entry["id"]) or 0), published, digest))
        fetch = entries
        if self.known is not None:
            decision = self.known.decide(lang, entries)
            fetch = decision.fetch
            self.crawler.stats.inc_value("incremental/articles_skipped", len(entries) - len(fetch))
            stored_pages = stored_pages + 1 if decision.all_stored else 0
        for wanted in fetch:
            yield self._article_request(int(wanted.external_id), lang, wanted.digest)
        if not page.has_more or reached_since:
            return
        if page_no >= self.max_pages:
            logger.info("Stopping %s list (%s) after max_pages=%d", kind, lang, self.max_pages)
            return
        if self.known is not None and stored_pages > self.settings.getint("INCREMENTAL_OVERLAP_PAGES"):
            logger.info("Stopping %s list (%s) at page %d: %d page(s) of articles stored already",
                        kind, lang, page_no, stored_pages)  # fmt: skip
            self.crawler.stats.inc_value("incremental/lists_stopped")
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
            cb_kwargs={
                "lang": lang,
                "kind": kind,
                "list_id": list_id,
                "page_no": page_no + 1,
                "stored_pages": stored_pages,
            },
            dont_filter=True,  # same URL, other cursor
        )

    @staticmethod
    def _bparam(lang: str) -> str:
        param = {"a": "web", "b": "", "c": lang, "d": 0, "e": "", "f": "", "g": "", "h": "0.1.0"}
        return json.dumps(param | {"i": "official"}, separators=(",", ":"))

    # --- articles --------------------------------------------------------------------------
    def _article_request(self, article_id: int, lang: str, list_digest: str | None = None) -> scrapy.Request:
        return scrapy.Request(
            f"{self.base_url}/{lang}/feed/{article_id}",
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"lang": lang, "list_digest": list_digest},
        )

    def parse_article(self, response: Response, lang: str, list_digest: str | None = None) -> Iterator[Any]:
        try:
            data = next_data(self._text(response))
            info = query_data(data, "/feed/info")
            if not isinstance(info, dict) or info.get("id") is None:
                raise PageDataError("no_feed_info", "no /feed/info data in the page")
            # The page must be the article its URL names: another id would overwrite that article.
            in_url = _ARTICLE_PATH.search(response.url)
            if in_url is None or article_id(info["id"]) != int(in_url[1]):
                raise PageDataError("id_mismatch", f"the page's id {str(info['id'])[:40]!r} is not its URL's")
            thread = query_data(data, "/feed/thread")
            fields = article_fields(info, thread, lang)
            if not fields["raw_title"] and not fields["raw_body"]:
                raise PageDataError("no_text", "article has neither title nor body")
        except PageDataError as exc:
            self._malformed(response, exc)
            return
        wrong = wrong_types(info, thread)
        if wrong:
            logger.warning("Fields of an unexpected type ignored at %s: %s", response.url, ", ".join(wrong))
            for name in wrong:
                self.count.wrong_type(name)
        self.count.article(lang)
        if self.known is not None and list_digest:
            self.known.fetched(str(info["id"]), lang, list_digest)
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
    def _text(self, response: Response) -> str:
        """The body as text: Followin serves UTF-8 whatever a header says; bad bytes are counted."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        declared = _CHARSET.search(content_type)
        if declared and declared[1].lower().replace("_", "-") not in ("utf-8", "utf8"):
            logger.warning("Charset %.40s declared by %s ignored: read as UTF-8", declared[1], response.url)
            self.count.charset_ignored()
        text, replaced = decode_page(response.body)
        if replaced:
            logger.warning("Invalid UTF-8 replaced in %s", response.url)
            self.count.invalid_utf8()
        return text

    def _malformed(self, response: Response, exc: PageDataError) -> None:
        logger.warning("Malformed page %s: %s", response.url, exc)
        self.count.malformed(exc.reason)

    def on_error(self, failure: Any) -> None:
        """A request that failed for good: one line with its URL and why, counted by reason."""
        request, error = failure.request, failure.value
        if isinstance(error, HttpError):
            reason, why = f"http_{error.response.status}", f"HTTP {error.response.status}"
        elif isinstance(error, IgnoreRequest) and "redirections" in str(error):
            reason, why = "redirect_loop", "too many redirects (a redirect loop?)"
        elif isinstance(error, IgnoreRequest) and "robots.txt" in str(error):
            self.count.inc("robots_forbidden")  # not an error: already logged by Scrapy
            return
        elif isinstance(error, DownloadCancelledError):
            self.count.request_failed("too_large")  # Scrapy logged it, with the size and the limit
            return
        else:
            reason = type(error).__name__
            why = f"{reason}: {failure.getErrorMessage()}" if failure.getErrorMessage() else reason
        logger.error("Request failed %s: %s", request.url, why)
        self.count.request_failed(reason)

    def on_dropped(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """A redirect back to a page already seen is dropped by the duplicate filter: a loop."""
        visited: list[str] = request.meta.get("redirect_urls") or []
        if request.url in visited:
            logger.error("Request failed %s: redirect loop (back to %s)", visited[0], request.url)
            self.count.request_failed("redirect_loop")
