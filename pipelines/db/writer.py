"""The one database writer: batched upserts of articles on their natural key.

A batch is one transaction: the rows are COPYed (binary) into a temporary table, then merged
into ``articles`` with one INSERT … ON CONFLICT. A row whose content digest did not change is
not rewritten: only its ``last_seen_at`` moves.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

# (column, PostgreSQL type) in the order rows are copied; the item field has the same name.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("source_id", "int2"),
    ("external_id", "text"),
    ("lang", "text"),
    ("url", "text"),
    ("title", "text"),
    ("body", "text"),
    ("raw_title", "text"),
    ("raw_body", "text"),
    ("original_lang", "text"),
    ("original_title", "text"),
    ("original_body", "text"),
    ("is_machine_translated", "bool"),
    ("author", "text"),
    ("platform", "text"),
    ("published_at", "timestamptz"),
    ("source_url", "text"),
    ("tags", "jsonb"),
    ("related_feeds", "int4"),
    ("images", "text[]"),
    ("raw", "jsonb"),
    ("content_digest", "bytea"),
    ("fetched_at", "timestamptz"),
)
_NAMES = [name for name, _ in COLUMNS]
# Fields whose change makes a new version of the article (raw and fetch time do not).
_CONTENT_FIELDS = [n for n in _NAMES if n not in {"source_id", "raw", "content_digest", "fetched_at"}]
_INT_COLUMNS = [(n, {"int2": 2**15, "int4": 2**31}[t]) for n, t in COLUMNS if t in ("int2", "int4")]
_TEXT_COLUMNS = [n for n, t in COLUMNS if t == "text"]
_TEXT_LIMIT = 1_000_000  # characters; a larger body is cut, and counted, rather than refused

_COPY_SQL = f"COPY articles ({', '.join(_NAMES)}, last_run_id) FROM STDIN (FORMAT BINARY)"
_EXISTING_SQL = (
    "SELECT external_id, lang, id, content_digest FROM articles "
    "WHERE source_id = %s AND external_id = ANY(%s)"
)
_UPDATE_SQL = f"""
UPDATE articles SET {", ".join(f"{n} = %({n})s" for n in _NAMES if n != "source_id")},
    updated_at = now(), last_seen_at = now(), last_run_id = %(run_id)s
WHERE id = %(id)s
"""
_TOUCH_SQL = "UPDATE articles SET last_seen_at = now(), last_run_id = %s WHERE id = ANY(%s)"
_CONFLICT_RETRIES = 3  # another writer inserted one of our new keys first: look again


@dataclass
class BatchResult:
    inserted: Counter[str] = field(default_factory=Counter)  # by page language
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    truncated: int = 0

    def add(self, other: BatchResult) -> None:
        self.inserted.update(other.inserted)
        self.updated.update(other.updated)
        self.unchanged += other.unchanged
        self.truncated += other.truncated


def _clip(value: Any) -> tuple[Any, bool]:
    """PostgreSQL text cannot hold NUL; cap huge strings so one page cannot stall a batch."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if len(value) > _TEXT_LIMIT:
            return value[:_TEXT_LIMIT], True
    return value, False


def _no_nul(value: Any) -> Any:
    """JSON for jsonb: NUL is refused there too, at any depth."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def content_digest(article: Mapping[str, Any]) -> bytes:
    """A digest of the article's content fields, stable across runs and processes."""
    # repr() of None, bool, int, datetime and JSON lists is deterministic, and far cheaper than JSON.
    payload = "\x1f".join(
        v if isinstance(v, str) else repr(v) for v in (article.get(n) for n in _CONTENT_FIELDS)
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).digest()


class ArticleWriter:
    """Writes batches of article dicts (item fields) through one autocommit connection.

    Autocommit, so that each ``transaction()`` block is a real transaction, not a savepoint.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        if not conn.autocommit:
            raise ValueError("ArticleWriter needs an autocommit connection")
        self.conn = conn
        self._source_ids: dict[str, int] = {}
        conn.execute("SET default_toast_compression = lz4")

    def source_id(self, name: str) -> int:
        if name not in self._source_ids:
            row = self.conn.execute(
                "INSERT INTO sources (name) VALUES (%s) ON CONFLICT (name) "
                "DO UPDATE SET name = EXCLUDED.name RETURNING id",
                (name,),
            ).fetchone()
            assert row is not None
            self._source_ids[name] = row[0]
        return self._source_ids[name]

    def start_run(self, spider: str, args: Mapping[str, Any]) -> int:
        with self.conn.transaction():
            row = self.conn.execute(
                "INSERT INTO crawl_runs (spider, args) VALUES (%s, %s) RETURNING id",
                (spider, Jsonb(dict(args))),
            ).fetchone()
        assert row is not None
        return row[0]

    def finish_run(self, run_id: int, reason: str, stats: Mapping[str, Any]) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "UPDATE crawl_runs SET finished_at = now(), finish_reason = %s, stats = %s "
                "WHERE id = %s",
                (reason, Jsonb(json.loads(json.dumps(stats, default=str))), run_id),
            )

    def _row(self, article: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        values: dict[str, Any] = {n: article.get(n) for n in _NAMES}
        values["source_id"] = self.source_id(article["source"])
        values["title"] = values["title"] or ""
        values["body"] = values["body"] or ""
        values["tags"] = values["tags"] or []
        values["images"] = list(values["images"] or [])
        values["is_machine_translated"] = bool(values["is_machine_translated"])
        for name, limit in _INT_COLUMNS:
            # Binary COPY wraps an out-of-range integer silently: refuse it instead.
            value = values[name]
            if value is not None and not -limit <= value < limit:
                raise ValueError(f"{name}={value!r} does not fit the column")
        cut = False
        for name in _TEXT_COLUMNS:
            values[name], clipped = _clip(values[name])
            cut |= clipped
        values["content_digest"] = content_digest(values)
        values["tags"] = Jsonb(_no_nul(values["tags"]))
        values["raw"] = Jsonb(_no_nul(values["raw"])) if values["raw"] is not None else None
        return values, cut

    def write(self, articles: Iterable[Mapping[str, Any]], run_id: int | None = None) -> BatchResult:
        """Store a batch in one transaction; the last copy of a repeated key wins.

        New articles are COPYed straight into ``articles``; changed ones are updated; unchanged
        ones only get ``last_seen_at`` moved. Looking first costs one indexed query per batch and
        spares re-writing (and re-compressing) what we already have.
        """
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        truncated = 0
        for article in articles:
            row, cut = self._row(article)
            truncated += cut
            rows[(row["source_id"], row["external_id"], row["lang"])] = row
        for attempt in range(1, _CONFLICT_RETRIES + 1):
            try:
                with self.conn.transaction():
                    result = self._merge(list(rows.values()), run_id)
                result.truncated = truncated
                return result
            except psycopg.errors.UniqueViolation:
                if attempt == _CONFLICT_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _merge(self, rows: list[dict[str, Any]], run_id: int | None) -> BatchResult:
        result = BatchResult()
        existing: dict[tuple[Any, ...], tuple[int, bytes]] = {}
        for source_id in {r["source_id"] for r in rows}:
            ids = [r["external_id"] for r in rows if r["source_id"] == source_id]
            for ext, lang, row_id, digest in self.conn.execute(_EXISTING_SQL, (source_id, ids)):
                existing[(source_id, ext, lang)] = (row_id, digest)
        new, changed, unchanged = [], [], []
        for row in rows:
            found = existing.get((row["source_id"], row["external_id"], row["lang"]))
            if found is None:
                new.append(row)
            elif found[1] != row["content_digest"]:
                changed.append(row | {"id": found[0], "run_id": run_id})
            else:
                unchanged.append(found[0])
        with self.conn.cursor() as cur:
            if new:
                with cur.copy(_COPY_SQL) as copy:
                    copy.set_types([t for _, t in COLUMNS] + ["int8"])
                    for row in new:
                        copy.write_row([row[n] for n in _NAMES] + [run_id])
                result.inserted.update(row["lang"] for row in new)
            if changed:
                cur.executemany(_UPDATE_SQL, changed)
                result.updated.update(row["lang"] for row in changed)
            if unchanged:
                cur.execute(_TOUCH_SQL, (run_id, unchanged))
                result.unchanged = len(unchanged)
        return result

    def set_aside(self, article: Mapping[str, Any], error: str, run_id: int | None) -> None:
        """Keep an item whose write failed, whole, for `scrapy ingest --failed`."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO failed_items (run_id, item, error) VALUES (%s, %s, %s)",
                (run_id, Jsonb(to_json(article)), error[:2000]),
            )


def to_json(article: Mapping[str, Any]) -> dict[str, Any]:
    """The item as JSON-safe values (datetimes as ISO 8601), for dead letters and replays."""
    return _no_nul(json.loads(json.dumps(dict(article), default=_json_default, ensure_ascii=False)))
