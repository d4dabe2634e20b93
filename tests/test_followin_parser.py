"""The Followin page parser against saved pages (the fixture site's, rendered without HTTP),
each checked against its expected JSON, fundus-style; and its tolerance of broken data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.parsers.followin import (
    PageDataError,
    article_fields,
    feed_page,
    next_data,
    publish_time,
    query_data,
    tags,
)
from tests.site.server import FixtureSite

EXPECTED = sorted((Path(__file__).parent / "site" / "expected").glob("*.json"))
FIELDS = ("raw_title", "raw_body", "raw_original_title", "raw_original_body", "is_machine_translated",
          "original_lang", "source_url", "account", "tags", "related_feeds")  # fmt: skip


def page(site: FixtureSite, path: str) -> str:
    """A saved page: the fixture site's answer, rendered without going over HTTP."""
    return site.route("GET", path, {}, b"").body.decode("utf-8")


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.stem)
def test_article_page_matches_expected_json(site: FixtureSite, expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text())
    data = next_data(page(site, f"/{expected['lang']}/feed/{expected['external_id']}"))
    got = article_fields(query_data(data, "/feed/info"), query_data(data, "/feed/thread"), expected["lang"])
    assert {f: got[f] for f in FIELDS} == {f: expected[f] for f in FIELDS}
    published = got["published_at"].isoformat() if got["published_at"] else None
    assert published == expected["published_at"]


def test_news_page_lists_first_page_with_cursor(site: FixtureSite) -> None:
    listing = feed_page(query_data(next_data(page(site, "/en/news")), "/feed/list/recommended/news"))
    assert len(listing.items) == 20 and listing.has_more and listing.cursor


@pytest.mark.parametrize(
    "html",
    ["<html></html>", '<script id="__NEXT_DATA__" type="application/json">{not json</script>',
     '<script id="__NEXT_DATA__" type="application/json">[1, 2]</script>'],
)  # fmt: skip
def test_pages_without_usable_data_raise_page_data_error(html: str) -> None:
    with pytest.raises(PageDataError):
        next_data(html)


def test_every_field_may_be_missing_or_of_another_type() -> None:
    info = {"id": 1, "title": 5, "translated_title": None, "content": ["x"], "publish_time": "soon",
            "tags": "BTC", "related_feeds": -3, "nickname": {"a": 1}, "source_lang": 7}  # fmt: skip
    got = article_fields(info, {"list": "nope"}, "en")
    assert got["raw_title"] == "" and got["raw_body"] == "" and got["published_at"] is None
    assert got["tags"] == [] and got["related_feeds"] is None and got["account"] is None
    assert got["original_lang"] == "en"  # not translated: the page language
    assert query_data({"props": {"pageProps": {"dehydratedState": {"queries": "x"}}}}, "/feed/info") is None
    assert feed_page({"pages": []}).items == [] and feed_page(None).has_more is False


def test_helpers() -> None:
    assert publish_time(1_767_225_600_000).isoformat() == "2026-01-01T00:00:00+00:00"
    assert publish_time("1767225600000") == publish_time(1_767_225_600_000)
    assert publish_time(True) is None and publish_time(10**30) is None
    bitcoin = {"name": "Bitcoin", "symbol": "BTC"}
    assert tags([bitcoin, {"name": ""}, "x"]) == [bitcoin]
