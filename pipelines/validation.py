"""The item boundary: every spider's article made storable, bounded and plausible, or refused.

Pure functions over an article dict (the fields of crawler.items.ArticleItem), no Scrapy:
pipelines/validate.py applies :func:`validate_article` to every item before cleaning, so the
stages after it, and PostgreSQL, only see values they can handle.

- Text: NUL removed, unencodable code points (lone surrogates) replaced by U+FFFD, in every
  string, also inside ``raw`` and ``tags``.
- Lengths: identity fields (source, external id, page language, URL) that are too long to be what
  they claim refuse the item; titles, names and bodies are cut; an over-long optional URL is
  dropped.
- Numbers: NaN and infinities become null; counts outside the column's range become null.
- Publish time: inside 1990-01-01 .. fetch time + 1 day, else null (``raw`` keeps the source's
  value).

Each change is counted under ``<kind>/<field>`` (kinds: repaired, truncated, removed, non_finite,
implausible); a refused item says why in ``refused`` (a stable name for the stats) and ``detail``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.text.storable import storable_json, storable_text

# An identity longer than this many UTF-8 bytes is not an identity: the item is refused (an index
# cannot hold it either: a btree entry is at most ~2.7 kB). Other limits are in characters.
IDENTITY_LIMITS = {"source": 64, "external_id": 200, "lang": 35, "url": 2048}
# Cut to this length, counted.
TEXT_LIMITS = {
    "raw_title": 2000, "raw_original_title": 2000, "title": 2000, "original_title": 2000,
    "author": 500, "account": 500, "platform": 200, "detected_lang": 35,
    "raw_body": 1_000_000, "raw_original_body": 1_000_000,  # as the writer cuts
    "body": 1_000_000, "original_body": 1_000_000,
}  # fmt: skip
# Optional codes and URLs: too long means wrong, so dropped (null), counted.
DROP_LIMITS = {"original_lang": 35, "source_url": 2048}
TAGS_MAX, TAG_NAME_MAX = 100, 200
IMAGES_MAX, IMAGE_URL_MAX = 100, 2048
EARLIEST_PUBLISHED = datetime(1990, 1, 1, tzinfo=UTC)
PUBLISHED_AHEAD = timedelta(days=1)  # clocks differ; a day after the fetch is already absurd
_INT4 = 2**31


@dataclass
class Validated:
    article: dict[str, Any]
    counts: Counter[str] = field(default_factory=Counter)  # "<kind>/<field>" -> times
    refused: str | None = None  # why the item cannot be stored, as a stat name
    detail: str = ""


def validate_article(article: Mapping[str, Any], now: datetime | None = None) -> Validated:
    """The article with every field storable and plausible, or the reason it cannot be stored."""
    out = Validated(dict(article))
    values, counts = out.article, out.counts
    for name, value in values.items():
        if isinstance(value, str):
            fixed = storable_text(value)
            if fixed is not value:
                values[name] = fixed
                counts[f"repaired/{name}"] += 1
    for name, limit in IDENTITY_LIMITS.items():
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            out.refused, out.detail = f"missing_{name}", f"no {name}"
            return out
        if len(value) > limit or len(value.encode("utf-8")) > limit:  # indexes hold bytes
            out.refused = f"{name}_too_long"
            out.detail = f"{name} of {len(value)} characters (at most {limit} bytes)"
            return out
    for name, limit in TEXT_LIMITS.items():
        _bound_text(values, counts, name, limit, cut=True)
    for name, limit in DROP_LIMITS.items():
        _bound_text(values, counts, name, limit, cut=False)
    _numbers(values, counts)
    _published(values, counts, now or datetime.now(UTC))
    _tags(values, counts)
    _images(values, counts)
    for name in ("raw", "clean_hits"):
        if values.get(name) is not None:
            found: Counter[str] = Counter()
            values[name] = storable_json(values[name], found)
            counts.update({f"{kind}/{name}": n for kind, n in found.items()})
    return out


def _bound_text(values: dict[str, Any], counts: Counter[str], name: str, limit: int, *, cut: bool) -> None:
    value = values.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        values[name] = None
        counts[f"removed/{name}"] += 1
    elif len(value) > limit:
        values[name] = value[:limit] if cut else None
        counts[f"{'truncated' if cut else 'removed'}/{name}"] += 1


def _numbers(values: dict[str, Any], counts: Counter[str]) -> None:
    related = values.get("related_feeds")
    if related is not None and (
        isinstance(related, bool) or not isinstance(related, int) or not 0 <= related < _INT4
    ):
        values["related_feeds"] = None
        counts["non_finite/related_feeds" if _non_finite(related) else "removed/related_feeds"] += 1
    confidence = values.get("lang_confidence")
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0 <= confidence <= 1
    ):
        values["lang_confidence"] = None
        counts["non_finite/lang_confidence" if _non_finite(confidence) else "removed/lang_confidence"] += 1
    if "is_machine_translated" in values and not isinstance(values["is_machine_translated"], bool):
        values["is_machine_translated"] = bool(values["is_machine_translated"])


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _published(values: dict[str, Any], counts: Counter[str], now: datetime) -> None:
    fetched = _aware(values.get("fetched_at"))
    if "fetched_at" in values and values["fetched_at"] is not None and fetched is None:
        counts["removed/fetched_at"] += 1
    values["fetched_at"] = fetched or now
    if values.get("published_at") is None:
        return
    published = _aware(values["published_at"])
    if published is None:
        counts["removed/published_at"] += 1
    elif not EARLIEST_PUBLISHED <= published <= values["fetched_at"] + PUBLISHED_AHEAD:
        counts["implausible/published_at"] += 1
        published = None
    values["published_at"] = published


def _tags(values: dict[str, Any], counts: Counter[str]) -> None:
    if "tags" not in values:
        return
    given = values["tags"]
    entries = given if isinstance(given, list) else []
    kept = []
    for tag in entries[:TAGS_MAX]:
        name = tag.get("name") if isinstance(tag, dict) else None
        symbol = tag.get("symbol") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        fixed: dict[str, str | None] = {
            "name": storable_text(name)[:TAG_NAME_MAX],
            "symbol": storable_text(symbol)[:TAG_NAME_MAX] if isinstance(symbol, str) and symbol else None,
        }
        if fixed["name"] != name or fixed["symbol"] != (symbol or None):
            counts["repaired/tags"] += 1
        kept.append(fixed)
    dropped = len(given) - len(kept) if isinstance(given, list) else int(given is not None)
    if dropped:
        counts["removed/tags"] += dropped
    values["tags"] = kept


def _images(values: dict[str, Any], counts: Counter[str]) -> None:
    if "images" not in values:
        return
    given = values["images"]
    entries = given if isinstance(given, list | tuple) else []
    kept = [storable_text(url) for url in entries[:IMAGES_MAX] if isinstance(url, str) and url]
    kept = [url for url in kept if len(url) <= IMAGE_URL_MAX]
    dropped = len(entries) - len(kept) if isinstance(given, list | tuple) else int(given is not None)
    if dropped:
        counts["removed/images"] += dropped
    values["images"] = kept
