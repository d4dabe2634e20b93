"""Rendering in a browser, as a property of a request: which pages get one, and how.

A spider marks a request with :func:`render_meta` (from its source's ``rendering`` entry, or
``-a render=``); :class:`crawler.middlewares.render.RenderMiddleware` does the rest:

- ``never``: fetched plain, as every request not marked is.
- ``always``: fetched by Chromium through scrapy-playwright, which waits for the content (not for a
  fixed time) and hands the callback the rendered HTML.
- ``auto``: fetched plain first; when its HTML yields too little article text (the page's text is
  built by script), the same URL is fetched again, rendered.

Nothing here starts a browser: :class:`LazyBrowserProvider` starts Playwright and Chromium only when
the first rendered request is downloaded, so a crawl that renders nothing never runs either.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import trafilatura
from playwright.async_api import Browser
from playwright.async_api import Request as BrowserRequest
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider

# Request meta keys (plain strings, so requests stay serialisable for scrapy-redis queues).
MODE_KEY = "render"
WAIT_FOR_KEY = "render_wait_for"

# Where an article's text is when the source names no selector: the first element that exists.
CONTENT_SELECTORS = ("article", "main", "[role=main]", "body")
# Resource types a text crawl never needs: aborted in the browser, never requested from the site.
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})

# True once the first of `selectors` present in the page holds at least `min` characters of text.
_CONTENT_READY = """([selectors, min]) => {
  for (const selector of selectors) {
    const el = document.querySelector(selector);
    if (el) return el.innerText.trim().length >= min;
  }
  return false;
}"""


class RenderMode(StrEnum):
    NEVER = "never"
    AUTO = "auto"
    ALWAYS = "always"


_ARGUMENT = {
    "1": RenderMode.ALWAYS, "true": RenderMode.ALWAYS, "yes": RenderMode.ALWAYS, "always": RenderMode.ALWAYS,
    "auto": RenderMode.AUTO,
    "0": RenderMode.NEVER, "false": RenderMode.NEVER, "no": RenderMode.NEVER, "never": RenderMode.NEVER,
}  # fmt: skip


def render_argument(value: str | None) -> RenderMode | None:
    """A spider's ``-a render=`` value: ``1`` renders every article page, ``auto`` where needed,
    ``0`` none; not given (None or empty): each source decides."""
    if value is None or not str(value).strip():
        return None
    try:
        return _ARGUMENT[str(value).strip().lower()]
    except KeyError:
        raise ValueError(f"-a render= takes 1 (always), auto or 0 (never), got {value!r}") from None


def choose_mode(source_mode: RenderMode | str, argument: RenderMode | None = None) -> RenderMode:
    """The mode for one request: the spider argument when given, else the source's entry."""
    return argument if argument is not None else RenderMode(source_mode)


def render_meta(mode: RenderMode | str, wait_for: str | None = None) -> dict[str, Any]:
    """Request meta for ``mode``; merge it into the request's own meta.

    ``wait_for`` is a CSS selector of the article's text (the source's body selector, if it has
    one): a rendered page is taken once that element holds text. Without one, the first of
    ``article``, ``main``, ``[role=main]``, ``body`` present in the page is watched.
    """
    mode = RenderMode(mode)
    if mode is RenderMode.NEVER:
        return {}
    meta: dict[str, Any] = {MODE_KEY: mode.value}
    if wait_for:
        meta[WAIT_FOR_KEY] = wait_for
    return meta


def playwright_meta(wait_for: str | None, min_chars: int, timeout_s: float) -> dict[str, Any]:
    """scrapy-playwright's meta for one rendered download: wait until the content element holds
    ``min_chars`` characters of text, at most ``timeout_s`` seconds (then the download fails).

    The page is not handed to the callback (no ``playwright_include_page``): scrapy-playwright
    closes it itself once the HTML is read, and on every error.
    """
    selectors = [wait_for] if wait_for else list(CONTENT_SELECTORS)
    wait = PageMethod(
        "wait_for_function", _CONTENT_READY, arg=[selectors, min_chars], timeout=timeout_s * 1000
    )
    return {"playwright": True, "playwright_page_methods": [wait]}


def block_heavy_resources(request: BrowserRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts and media are never fetched."""
    return request.resource_type in BLOCKED_RESOURCES


def article_text_length(html: str, url: str) -> int:
    """Characters of article text the plain HTML yields (trafilatura): the ``auto`` decision's
    measure. Swappable with the RENDER_AUTO_MEASURE setting (any ``(html, url) -> int``)."""
    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True)
    return len(text.strip()) if text else 0


class LazyBrowserProvider(PlaywrightBrowserProvider):
    """PLAYWRIGHT_BROWSER_PROVIDER: starts Playwright's driver and Chromium at the first rendered
    download instead of at engine start, so plain crawls run neither."""

    async def start(self) -> None:
        """Nothing to do until a browser is needed."""

    async def launch_browser(self) -> Browser:
        if self.playwright is None:
            await super().start()
        return await super().launch_browser()
