"""A test-only spider for the rendering fixture site (tests/render/site.py).

    scrapy crawl render_fixture -s SPIDER_MODULES=tests.render.spiders \\
        -a base=http://127.0.0.1:PORT -a paths=script/1..3,server/1 -a render=auto

It marks its requests the way a source-driven spider does (``-a render=`` over the source's mode,
``-a source_render=``), and stores what its callback gets, as it gets it: the text of every
paragraph in ``<main>``. A shell that reached the callback would be stored as "Loading…".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.items import ArticleItem
from crawler.rendering import choose_mode, render_argument, render_meta

logger = logging.getLogger(__name__)


def expand(paths: str) -> list[str]:
    """``script/1..3,server/7`` -> script/1, script/2, script/3, server/7."""
    out = []
    for part in filter(None, (p.strip() for p in paths.split(","))):
        prefix, _, numbers = part.rpartition("/")
        first, dots, last = numbers.partition("..")
        out += [f"{prefix}/{i}" for i in range(int(first), int(last) + 1)] if dots else [part]
    return out


class RenderFixtureSpider(scrapy.Spider):
    name = "render_fixture"

    def __init__(
        self, base: str, paths: str, render: str | None = None, source_render: str = "never", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")
        self.paths = expand(paths)
        self.mode = choose_mode(source_render, render_argument(render))
        self.arguments = {"paths": paths, "render": self.mode.value}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for path in self.paths:
            yield scrapy.Request(
                f"{self.base}/{path}",
                callback=self.parse_article,
                errback=self.on_error,
                meta=render_meta(self.mode),
                cb_kwargs={"path": path},
            )

    def parse_article(self, response: Response, path: str) -> Iterator[ArticleItem]:
        paragraphs = [" ".join(p.css("::text").getall()).strip() for p in response.css("main p")]
        published = response.css("main time::attr(datetime)").get()
        yield ArticleItem(
            source="render_fixture",
            external_id=path,
            lang="en",
            url=response.url,
            raw_title=response.css("main h1::text").get() or "",
            raw_body="\n\n".join(p for p in paragraphs if p),
            published_at=datetime.fromisoformat(published) if published else None,
            fetched_at=datetime.now(UTC),
            raw={"rendered": "playwright" in response.flags},
            images=[],
        )

    def on_error(self, failure: Any) -> None:
        if failure.check(IgnoreRequest):
            return  # dropped on purpose (robots.txt, a crawl stopping): logged where it was decided
        logger.error("Request failed %s: %s", failure.request.url, failure.getErrorMessage())
        self.crawler.stats.inc_value("source/render_fixture/request_failed")
