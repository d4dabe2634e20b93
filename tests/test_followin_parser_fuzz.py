"""Hypothesis against the Followin page parser: whatever a page holds, the parser raises nothing
but PageDataError, and what it returns, once through the validation step, is storable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.parsers.followin import (
    PageDataError,
    article_fields,
    decode_page,
    feed_page,
    next_data,
    query_data,
    wrong_types,
)
from pipelines.validation import validate_article
from tests.test_validation import TEXT, assert_storable

# JSON text as a hostile page may hold it: lone surrogates, NaN, huge numbers, any nesting.
leaves = (st.none() | st.booleans() | st.integers() | st.floats() | TEXT
          | st.sampled_from(["\ud800", "a\x00b", "7" * 30, -(10**20)]))  # fmt: skip
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=40,
)  # fmt: skip
INFO_KEYS = ["id", "title", "translated_title", "content", "translated_content", "full_content",
             "translated_full_content", "publish_time", "nickname", "source_url", "tags", "related_feeds",
             "source_lang"]  # fmt: skip
infos = st.dictionaries(st.sampled_from(INFO_KEYS), json_values, max_size=len(INFO_KEYS))


def page(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=True)  # escapes lone surrogates as \ud800, as pages do
    return f'<html><script id="__NEXT_DATA__" type="application/json">{text}</script></html>'


def wrapped(info: Any, thread: Any) -> dict[str, Any]:
    queries = [{"queryKey": ["/feed/info", {}], "state": {"data": info}},
               {"queryKey": ["/feed/thread", {}], "state": {"data": thread}}]  # fmt: skip
    return {"props": {"pageProps": {"dehydratedState": {"queries": queries}}}}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(infos, json_values | st.fixed_dictionaries({"list": st.lists(json_values, max_size=3)}))
def test_article_pages_parse_to_storable_items(info: dict[str, Any], thread: Any) -> None:
    data = next_data(page(wrapped(info, thread)))
    got_info = query_data(data, "/feed/info")
    fields = article_fields(got_info, query_data(data, "/feed/thread"), "en")
    wrong_types(got_info, query_data(data, "/feed/thread"))
    assert isinstance(fields["raw_title"], str) and isinstance(fields["raw_body"], str)
    assert isinstance(fields["tags"], list)
    assert fields["related_feeds"] is None or 0 <= fields["related_feeds"] < 2**31
    item = {"source": "followin", "external_id": "1", "lang": "en", "url": "https://followin.io/en/feed/1",
            "raw": got_info, "fetched_at": datetime(2026, 1, 21, tzinfo=UTC), **fields}  # fmt: skip
    result = validate_article(item)
    assert result.refused is None
    for name, value in result.article.items():
        if name == "raw":
            json.dumps(value, allow_nan=False)
        assert_storable(value)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_feed_pages_never_raise_anything_but_page_data_error(data: Any) -> None:
    for shape in (data, {"list": data, "has_more": True, "last_cursor": data}, {"pages": [data]}):
        try:
            listing = feed_page(shape)
        except PageDataError as exc:
            assert exc.reason == "list_not_a_list"
            continue
        assert all(isinstance(entry, dict) for entry in listing.items)
        assert listing.cursor is None or isinstance(listing.cursor, str)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_a_page_or_a_page_data_error(body: bytes) -> None:
    script = b'<script id="__NEXT_DATA__">'
    for candidate in (body, script + body + b"</script>", script + body):
        try:
            data = next_data(decode_page(candidate)[0])
        except PageDataError as exc:
            assert exc.reason and str(exc)
            continue
        assert isinstance(data, dict)


def test_deep_nesting_and_huge_numbers_are_page_data_errors() -> None:
    for text, reason in (("[" * 100_000 + "]" * 100_000, "json_too_deep"), ("1" * 5000, "invalid_json"),
                         ("[1, 2]", "next_data_not_object"), ('{"a": ', "invalid_json")):  # fmt: skip
        try:
            next_data(f'<script id="__NEXT_DATA__">{text}</script>')
        except PageDataError as exc:
            assert exc.reason == reason, text[:20]
        else:
            raise AssertionError(f"{text[:20]} parsed")
    try:
        feed_page({"list": 5})
    except PageDataError as exc:
        assert exc.reason == "list_not_a_list"
    else:
        raise AssertionError("a list that is a number parsed")
