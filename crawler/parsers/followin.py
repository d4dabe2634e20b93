"""Followin page data to article fields: pure functions over ``__NEXT_DATA__`` JSON.

Followin pages are Next.js pages; their data sits in ``<script id="__NEXT_DATA__">`` as React-Query
dehydrated state (see ../shared/reference/followin.md). Everything here is defensive: any field
can be missing, null or of another type, and a bad field costs that field, not the article.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipelines.text.urls import SiteUrlRules, canonical_url

_NEXT_DATA = re.compile(
    r'<script[^>]*\bid=["\']__NEXT_DATA__["\'][^>]*>(?P<json>.*?)</script>', re.DOTALL | re.IGNORECASE
)


# Followin ids are positive 64-bit integers; anything longer is not an id.
_MAX_ID_DIGITS = 19
_MAX_ID = 2**63 - 1


class PageDataError(ValueError):
    """The page has no usable Next.js data: malformed, or not the page we expected.

    ``reason`` is a short stable name for the crawl stats; the message says more, for the log.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def decode_page(body: bytes) -> tuple[str, bool]:
    """A page's text, read as UTF-8 whatever charset it declares (Next.js pages are UTF-8).

    Returns the text and whether invalid bytes had to be replaced. Empty and binary bodies are
    not pages: :class:`PageDataError`.
    """
    if not body.strip():
        raise PageDataError("empty_page", "the page is empty")
    if b"\x00" in body[:4096]:
        raise PageDataError("binary_page", "the page is binary data, not HTML or JSON")
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return body.decode("utf-8", errors="replace"), True


def load_json(text: str, what: str) -> Any:
    """``json.loads`` whose every failure is a :class:`PageDataError` (syntax, depth, huge numbers)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise PageDataError("json_too_deep", f"{what} is nested too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError, and numbers longer than Python reads
        raise PageDataError("invalid_json", f"{what} is not valid JSON: {exc}") from None


def next_data(html: str) -> dict[str, Any]:
    match = _NEXT_DATA.search(html)
    if not match:
        if "__NEXT_DATA__" in html:
            raise PageDataError("truncated_next_data", "__NEXT_DATA__ script is not closed: page cut short")
        raise PageDataError("no_next_data", "no __NEXT_DATA__ script in the page")
    data = load_json(match["json"], "__NEXT_DATA__")
    if not isinstance(data, dict):
        raise PageDataError("next_data_not_object", "__NEXT_DATA__ is not a JSON object")
    return data


def queries(data: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(API name, data) for each dehydrated React-Query query of the page."""
    found = _get(data, "props", "pageProps", "dehydratedState", "queries")
    for query in found if isinstance(found, list) else []:
        if not isinstance(query, dict):
            continue
        key = query.get("queryKey")
        if isinstance(key, list) and key and isinstance(key[0], str):
            yield key[0], _get(query, "state", "data")


def query_data(data: dict[str, Any], name: str) -> Any:
    return next((value for key, value in queries(data) if key == name), None)


@dataclass
class FeedPage:
    """One page of a feed list: the list API's ``data`` or an infinite query's first page."""

    items: list[dict[str, Any]] = field(default_factory=list)  # each with a valid integer "id"
    has_more: bool = False
    cursor: str | None = None
    skipped: int = 0  # entries that are not an object with an article id


def feed_page(data: Any) -> FeedPage:
    """Read ``{list, has_more, last_cursor}``, also inside the infinite-query ``pages[0]`` shape.

    A ``list`` that is not a list is a malformed page (:class:`PageDataError`); bad entries in it
    are skipped and counted in ``skipped``.
    """
    if isinstance(data, dict) and isinstance(data.get("pages"), list):
        data = data["pages"][0] if data["pages"] else {}
    if not isinstance(data, dict):
        return FeedPage()
    listed = data.get("list")
    if listed is None:
        listed = []
    if not isinstance(listed, list):
        raise PageDataError("list_not_a_list", f"the feed's list is {type(listed).__name__}, not a list")
    items = [i for i in listed if isinstance(i, dict) and article_id(i.get("id")) is not None]
    cursor = data.get("last_cursor")
    cursor = cursor if isinstance(cursor, str | int) and not isinstance(cursor, bool) else None
    return FeedPage(
        items, bool(data.get("has_more")) and bool(cursor), str(cursor) if cursor else None,
        skipped=len(listed) - len(items),
    )  # fmt: skip


def article_id(value: Any) -> int | None:
    """A Followin article id: a positive integer of at most 19 digits (int or digit string)."""
    number = _int(value)
    return number if number is not None and 0 < number <= _MAX_ID else None


def publish_time(value: Any) -> datetime | None:
    """Milliseconds since the epoch (int, float or digit string) as an aware UTC datetime.

    Any representable time is returned, however absurd: whether it is plausible is for the
    validation step to say (pipelines/validation.py), which counts what it refuses.
    """
    millis = _int(value)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def base_lang(code: Any) -> str | None:
    """ISO 639-1 base of a language tag: "zh-Hans" -> "zh", "EN" -> "en"."""
    if not isinstance(code, str) or not code.strip():
        return None
    return re.split(r"[-_]", code.strip())[0].lower() or None


def article_fields(info: dict[str, Any], thread: Any, lang: str) -> dict[str, Any]:
    """The item fields of one article page, from its ``/feed/info`` (and ``/feed/thread``) data."""
    listed = _get(thread, "list")
    parts = [p for p in listed if isinstance(p, dict)] if isinstance(listed, list) else []
    if parts:
        translated = [_text(p.get("translated_content")) for p in parts]
        originals = [_text(p.get("content")) for p in parts]
        page_body = "\n\n".join(t or o for t, o in zip(translated, originals, strict=True) if t or o)
        original_body = "\n\n".join(o for o in originals if o)
        body_translated = any(translated)
    else:
        translated_body = _first(info, "translated_full_content", "translated_content")
        original_body = _first(info, "full_content", "content")
        page_body = translated_body or original_body
        body_translated = bool(translated_body)
    translated_title = _text(info.get("translated_title"))
    original_title = _text(info.get("title"))
    machine_translated = bool(translated_title) or body_translated
    original_lang = base_lang(info.get("source_lang"))
    if original_lang is None and not machine_translated:
        original_lang = base_lang(lang)
    return {
        "raw_title": translated_title or original_title,
        "raw_body": page_body,
        "raw_original_title": original_title,
        "raw_original_body": original_body,
        "is_machine_translated": machine_translated,
        "original_lang": original_lang,
        "published_at": publish_time(info.get("publish_time")),
        "source_url": _text(info.get("source_url")) or None,
        "account": _text(info.get("nickname")) or None,
        "tags": tags(info.get("tags")),
        "related_feeds": _count(info.get("related_feeds")),
    }


_TEXT_FIELDS = ("title", "translated_title", "content", "translated_content", "full_content",
                "translated_full_content", "source_url", "nickname", "source_lang")  # fmt: skip


def wrong_types(info: dict[str, Any], thread: Any = None) -> list[str]:
    """Names of the page's fields that are present but not of their type: each costs its field."""
    wrong = [n for n in _TEXT_FIELDS if info.get(n) is not None and not isinstance(info[n], str)]
    if info.get("publish_time") is not None and publish_time(info["publish_time"]) is None:
        wrong.append("publish_time")
    if info.get("tags") is not None and not isinstance(info["tags"], list):
        wrong.append("tags")
    related = info.get("related_feeds")
    if related is not None and _int(related) is None:
        wrong.append("related_feeds")
    if thread is not None and not isinstance(_get(thread, "list"), list):
        wrong.append("thread")
    return wrong


def tags(value: Any) -> list[dict[str, str | None]]:
    found = []
    for tag in value if isinstance(value, list) else []:
        if isinstance(tag, dict) and _text(tag.get("name")):
            found.append({"name": _text(tag["name"]), "symbol": _text(tag.get("symbol")) or None})
    return found


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first(data: dict[str, Any], *names: str) -> str:
    return next((t for t in (_text(data.get(n)) for n in names) if t), "")


def _count(value: Any) -> int | None:
    """A non-negative count that fits the database's integer; anything else is unknown."""
    number = _int(value)
    return number if number is not None and 0 <= number < 2**31 else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = value.strip()
        body = digits[1:] if digits.startswith("-") else digits
        if body.isascii() and body.isdigit() and len(body) <= _MAX_ID_DIGITS:
            return int(digits)
    return None


# --- URLs ------------------------------------------------------------------------------------
# Article paths: /feed/<id>, /<lang>/feed/<id>, optionally with a base64 share tail.
_FEED_PATH = re.compile(r"^/(?:(?P<lang>[A-Za-z]{2}(?:-[A-Za-z]{2,4})?)/)?feed/(?P<id>\d+)(?:/[^/]*)?/?$")


def _article_path(path: str) -> str:
    """``/feed/<id>`` and ``/en/feed/<id>/<share tail>`` are ``/en/feed/<id>``: English is the default."""
    match = _FEED_PATH.match(path)
    return f"/{match['lang'] or 'en'}/feed/{match['id']}" if match else path


# A share link's parameters (its tail decodes to from=webshare&ic=…&su=…&timezone=8&ts=…) only
# track on Followin; elsewhere "from" and "ts" can select content.
URL_RULES = SiteUrlRules(frozenset({"from", "ic", "su", "ts", "timezone"}), _article_path)


def article_url(url: str) -> str:
    """The canonical URL of a Followin page."""
    return canonical_url(url, URL_RULES)
