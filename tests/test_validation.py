"""The validation step at the item boundary: examples, then hypothesis fuzzing.

Whatever an item holds, validation never raises, and what it lets through is storable: every
string encodes to UTF-8 without NUL, within its bound; numbers are finite; ``raw`` is JSON that
PostgreSQL's jsonb accepts.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipelines.text.storable import MAX_JSON_DEPTH, storable_json, storable_text
from pipelines.validation import IDENTITY_LIMITS, IMAGE_URL_MAX, TEXT_LIMITS, validate_article

NOW = datetime(2026, 1, 21, tzinfo=UTC)


def article(**fields: Any) -> dict[str, Any]:
    return {
        "source": "followin", "external_id": "22870101", "lang": "en",
        "url": "https://followin.io/en/feed/22870101", "raw_title": "Title", "raw_body": "<p>Body</p>",
        "published_at": NOW - timedelta(hours=1), "fetched_at": NOW, "tags": [], "images": [],
        "related_feeds": 3, "raw": {"id": 22870101}, **fields,
    }  # fmt: skip


def test_a_good_article_passes_unchanged() -> None:
    given_article = article()
    result = validate_article(given_article, NOW)
    assert result.refused is None and not result.counts
    assert result.article == given_article


def test_unencodable_text_and_nul_are_repaired_and_counted_per_field() -> None:
    result = validate_article(article(raw_title="a\ud800b\x00c", raw={"t": ["\udfff", {"k\x00": 1}]}), NOW)
    assert result.article["raw_title"] == "a\ufffdbc"
    assert result.article["raw"] == {"t": ["\ufffd", {"k": 1}]}
    assert result.counts == {"repaired/raw_title": 1, "repaired/raw": 2}


def test_numbers_are_finite() -> None:
    result = validate_article(article(related_feeds=float("nan"), lang_confidence=float("inf"),
                                      raw={"a": float("nan"), "b": [float("-inf")]}), NOW)  # fmt: skip
    assert result.article["related_feeds"] is None and result.article["lang_confidence"] is None
    assert result.article["raw"] == {"a": None, "b": [None]}
    assert result.counts == {
        "non_finite/related_feeds": 1, "non_finite/lang_confidence": 1, "non_finite/raw": 2,
    }  # fmt: skip
    assert validate_article(article(related_feeds=2**40), NOW).article["related_feeds"] is None


def test_publish_time_outside_the_plausible_window_is_null_and_counted() -> None:
    absurd = (datetime(9999, 12, 31, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC), NOW + timedelta(days=2),
              datetime(1969, 12, 31, tzinfo=UTC))  # fmt: skip
    for when in absurd:
        result = validate_article(article(published_at=when), NOW)
        assert result.article["published_at"] is None, when
        assert result.counts == {"implausible/published_at": 1}
    for when in (datetime(1990, 1, 1, tzinfo=UTC), NOW + timedelta(hours=23)):
        assert validate_article(article(published_at=when), NOW).article["published_at"] == when


def test_lengths_are_bounded_per_field() -> None:
    result = validate_article(article(raw_title="t" * 5000, raw_body="b" * 1_000_001, source_url="u" * 3000,
                                      tags=[{"name": "n" * 300, "symbol": None}] * 150,
                                      images=["i" * 3000, "ok"]), NOW)  # fmt: skip
    out = result.article
    assert len(out["raw_title"]) == TEXT_LIMITS["raw_title"] and len(out["raw_body"]) == 1_000_000
    assert out["source_url"] is None and out["images"] == ["ok"]
    assert len(out["tags"]) == 100 and len(out["tags"][0]["name"]) == 200
    assert result.counts["truncated/raw_title"] == 1 and result.counts["removed/source_url"] == 1


def test_an_item_that_cannot_be_stored_is_refused_with_its_reason() -> None:
    cases = {
        "missing_url": article(url=None), "missing_external_id": article(external_id=""),
        "missing_source": article(source=None), "external_id_too_long": article(external_id="7" * 10_000),
        "url_too_long": article(url="https://x.example/?" + "a" * 9000), "missing_lang": article(lang=5),
        "url_too_long_in_bytes": article(url="https://x.example/" + "字" * 1000),
    }  # fmt: skip
    for reason, item in cases.items():
        assert validate_article(item, NOW).refused == reason.removesuffix("_in_bytes")


def test_json_deeper_than_the_bound_is_cut_there() -> None:
    nested: Any = 1
    for _ in range(MAX_JSON_DEPTH + 50):
        nested = [nested]
    result = validate_article(article(raw={"deep": nested}), NOW)
    assert result.counts == {"truncated/raw": 1}
    json.dumps(result.article["raw"])


# --- fuzzing -------------------------------------------------------------------------------
# Text with what pages can smuggle in: lone surrogates (Cs) and control characters, NUL included.
TEXT = st.text(st.characters(codec=None, categories=["Cs", "Cc", "L", "N", "P", "S", "Z"]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=30,
)
anything = json_values | st.datetimes(timezones=st.none() | st.just(UTC)) | st.binary(max_size=10)
FIELDS = (
    "raw_title raw_body raw_original_title raw_original_body original_title original_body "
    "is_machine_translated original_lang published_at source_url author account platform tags "
    "related_feeds images raw fetched_at title body detected_lang lang_confidence clean_hits"
).split()
# Identities that pass more often than not, so the other fields' checks get exercised.
IDENTITIES = {
    "source": st.just("followin"),
    "external_id": st.text(st.characters(codec=None, categories=["Cs", "Cc", "N"]), min_size=1, max_size=10),
    "lang": st.sampled_from(["en", "zh-Hans"]),
    "url": TEXT.map(lambda t: f"https://followin.io/en/feed/{t[:100]}"),
}
items = st.fixed_dictionaries(
    {name: st.tuples(st.integers(0, 9), good, anything).map(lambda t: t[2] if t[0] == 9 else t[1])
     for name, good in IDENTITIES.items()},
    optional={name: anything for name in FIELDS},
)
REFUSALS = {f"missing_{name}" for name in IDENTITY_LIMITS} | {f"{name}_too_long" for name in IDENTITY_LIMITS}


def assert_storable(value: Any, bound: int | None = None) -> None:
    if isinstance(value, str):
        value.encode("utf-8")  # raises on anything UTF-8 cannot encode
        assert "\x00" not in value
        assert bound is None or len(value) <= bound
    elif isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for key, inner in value.items():
            assert_storable(key)
            assert_storable(inner)
    elif isinstance(value, list):
        for inner in value:
            assert_storable(inner)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items)
def test_validation_never_raises_and_lets_through_only_storable_values(item: dict[str, Any]) -> None:
    result = validate_article(item, NOW)
    event("refused" if result.refused else "passed")
    if result.refused:
        assert result.refused in REFUSALS and result.detail
        return
    out = result.article
    for name, value in out.items():
        if name in ("raw", "clean_hits"):
            json.dumps(value, allow_nan=False)  # what jsonb accepts
        bound = {**IDENTITY_LIMITS, **TEXT_LIMITS}.get(name, IMAGE_URL_MAX if name == "source_url" else None)
        if not isinstance(value, bytes):
            assert_storable(value, bound)
    published = out.get("published_at")
    window = (datetime(1990, 1, 1, tzinfo=UTC), out["fetched_at"] + timedelta(days=1))
    assert published is None or window[0] <= published <= window[1]
    assert all(isinstance(t["name"], str) and len(t["name"]) <= 200 for t in out.get("tags", []))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_storable_text_keeps_what_is_storable_and_replaces_only_the_rest(text: str) -> None:
    fixed = storable_text(text)
    fixed.encode("utf-8")
    assert "\x00" not in fixed
    expected = "".join("" if c == "\x00" else "\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    assert fixed == expected


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_storable_json_is_jsonb_ready(value: Any) -> None:
    json.dumps(storable_json(value), allow_nan=False)
