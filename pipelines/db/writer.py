"""The one database writer: batched, idempotent writes of articles, with deduplication.

A batch is one transaction. The writer looks up which articles of the batch it already has, by
natural key (source, external id, page language), then locks the keys the new and changed ones
could be linked on (pipelines/db/stories.py): new ones get a story and are COPYed (binary) with
their LSH band keys; changed ones are updated (a trigger keeps the old content in
article_versions); unchanged ones only get ``last_seen_at`` moved. A batch that waits longer than
``lock_timeout`` for another writer, or meets a deadlock, is rolled back and tried again.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pipelines.db import stories
from pipelines.fingerprint import fingerprint
from pipelines.text import fingerprint as fp

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
    ("source_url_key", "text"),
    ("tags", "jsonb"),
    ("related_feeds", "int4"),
    ("images", "text[]"),
    ("raw", "jsonb"),
    ("content_digest", "bytea"),
    ("fetched_at", "timestamptz"),
    ("detected_lang", "text"),
    ("lang_confidence", "float4"),
    ("account", "text"),
    ("raw_original_title", "text"),
    ("raw_original_body", "text"),
)
# Set by deduplication, not by the item.
DEDUPE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("story_id", "int8"),
    ("dedupe_reason", "text"),
    ("text_hash", "bytea"),
    ("minhash", "bytea"),
    ("facts", "text[]"),
)
_NAMES = [name for name, _ in COLUMNS]
# Fields whose change makes a new version of the article (raw and fetch time do not).
_CONTENT_FIELDS = [
    n for n in _NAMES
    if n not in {"source_id", "raw", "content_digest", "fetched_at", "lang_confidence", "source_url_key"}
]
_INT_COLUMNS = [(n, {"int2": 2**15, "int4": 2**31}[t]) for n, t in COLUMNS if t in ("int2", "int4")]
_TEXT_COLUMNS = [n for n, t in COLUMNS if t == "text"]
_TEXT_LIMIT = 1_000_000  # characters; a larger body is cut, and counted, rather than refused

_DEDUPE_NAMES = [name for name, _ in DEDUPE_COLUMNS]
_COPY_NAMES = ["id", *_NAMES, *_DEDUPE_NAMES, "last_run_id"]
_COPY_TYPES = ["int8", *(t for _, t in COLUMNS), *(t for _, t in DEDUPE_COLUMNS), "int8"]
_COPY_SQL = f"COPY articles ({', '.join(_COPY_NAMES)}) FROM STDIN (FORMAT BINARY)"
_EXISTING_SQL = (
    "SELECT external_id, lang, id, content_digest, story_id FROM articles "
    "WHERE source_id = %s AND external_id = ANY(%s)"
)
# A changed article keeps its story and the decision that put it there; its fingerprints follow.
_UPDATABLE = [n for n in _NAMES if n != "source_id"] + ["text_hash", "minhash", "facts"]
_UPDATE_SQL = f"""
UPDATE articles SET {", ".join(f"{n} = %({n})s" for n in _UPDATABLE)},
    updated_at = now(),
    last_seen_at = CASE WHEN %(seen)s THEN now() ELSE last_seen_at END,
    last_run_id = coalesce(%(run_id)s, last_run_id)
WHERE id = %(id)s
"""
_NEW_IDS_SQL = "SELECT nextval('articles_id_seq') FROM generate_series(1, %s)"
_OLD_SIGNATURES_SQL = "SELECT id, minhash FROM articles WHERE id = ANY(%s) AND minhash IS NOT NULL"
# By the primary key (band_key, article_id): the old keys come from the old signature.
_BANDS_DELETE_SQL = (
    "DELETE FROM article_bands WHERE (band_key, article_id) IN "
    "(SELECT * FROM unnest(%b::int8[], %b::int8[]))"
)
_BANDS_COPY_SQL = "COPY article_bands (band_key, article_id) FROM STDIN (FORMAT BINARY)"
_TOUCH_SQL = "UPDATE articles SET last_seen_at = now(), last_run_id = %s WHERE id = ANY(%s)"


@dataclass
class BatchResult:
    inserted: Counter[str] = field(default_factory=Counter)  # by page language
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    truncated: int = 0
    decisions: Counter[str] = field(default_factory=Counter)  # dedupe decision -> new articles
    lock_retries: int = 0  # times the batch waited too long for another writer and was tried again

    def add(self, other: BatchResult) -> None:
        self.inserted.update(other.inserted)
        self.updated.update(other.updated)
        self.unchanged += other.unchanged
        self.truncated += other.truncated
        self.decisions.update(other.decisions)
        self.lock_retries += other.lock_retries


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

    def __init__(
        self,
        conn: psycopg.Connection,
        threshold: float = fp.DEFAULT_THRESHOLD,
        *,
        lock_timeout: float = 10.0,
        lock_attempts: int = 6,
    ) -> None:
        self.threshold = threshold
        self.lock_timeout = lock_timeout
        self.lock_attempts = lock_attempts
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

    def start_run(
        self, spider: str, args: Mapping[str, Any], worker: str | None = None, crawl: str | None = None
    ) -> int:
        """Record a run's start: its worker (hostname:pid) and shared crawl id, when distributed."""
        with self.conn.transaction():
            row = self.conn.execute(
                "INSERT INTO crawl_runs (spider, args, worker, distributed_crawl) "
                "VALUES (%s, %s, %s, %s) RETURNING id",
                (spider, Jsonb(dict(args)), worker, crawl),
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
        values["source_url_key"] = stories.source_url_key(values["source_url"])
        values["content_digest"] = content_digest(values)
        for name in ("text_hash", "minhash", "facts", "band_keys"):  # from pipelines/fingerprint.py
            values[name] = article.get(name)
        values["tags"] = Jsonb(_no_nul(values["tags"]))
        values["raw"] = Jsonb(_no_nul(values["raw"])) if values["raw"] is not None else None
        return values, cut

    def write(
        self, articles: Iterable[Mapping[str, Any]], run_id: int | None = None, *, seen: bool = True
    ) -> BatchResult:
        """Store a batch in one transaction; the last copy of a repeated key wins.

        ``seen=False`` for re-derived rows (`scrapy reclean`): they were not seen on the site again.
        """
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        truncated = 0
        for article in articles:
            row, cut = self._row(article)
            truncated += cut
            rows[(row["source_id"], row["external_id"], row["lang"])] = row
        retries = 0
        while True:
            batch = [dict(row) for row in rows.values()]  # a rolled-back attempt leaves no trace
            try:
                with self.conn.transaction():
                    self.conn.execute(
                        "SELECT set_config('lock_timeout', %s, true)", (f"{int(self.lock_timeout * 1000)}ms",)
                    )
                    result = self._merge(batch, run_id, seen)
                break
            except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
                retries += 1
                if retries >= self.lock_attempts:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * 2**retries)  # jitter: two writers don't meet again
        result.truncated = truncated
        result.lock_retries = retries
        return result

    def _classify(
        self, rows: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:
        """Split rows into new, changed (with their id and story) and the ids of unchanged ones."""
        existing: dict[tuple[Any, ...], tuple[int, bytes, int | None]] = {}
        for source_id in {r["source_id"] for r in rows}:
            ids = [r["external_id"] for r in rows if r["source_id"] == source_id]
            for ext, lang, row_id, digest, story in self.conn.execute(_EXISTING_SQL, (source_id, ids)):
                existing[(source_id, ext, lang)] = (row_id, digest, story)
        new, changed, unchanged = [], [], []
        for row in rows:
            found = existing.get((row["source_id"], row["external_id"], row["lang"]))
            if found is None:
                new.append(row)
            elif found[1] != row["content_digest"]:
                row["id"], row["story_id"] = found[0], found[2]
                changed.append(row)
            else:
                unchanged.append(found[0])
        return new, changed, unchanged

    def _merge(self, rows: list[dict[str, Any]], run_id: int | None, seen: bool) -> BatchResult:
        result = BatchResult()
        new, changed, unchanged = self._classify(rows)
        for row in new + changed:
            if row["minhash"] is None:  # not through the fingerprint pipeline (a replay, a script)
                fingerprint(row)
        stories.lock_keys(self.conn, new + changed)
        if new:  # another writer may have stored one of them before we held its key
            new, changed_since, unchanged_since = self._classify(new)
            changed += changed_since
            unchanged += unchanged_since
        result.decisions = stories.assign(self.conn, new, self.threshold)
        with self.conn.cursor() as cur:
            if new:
                ids = cur.execute(_NEW_IDS_SQL, (len(new),)).fetchall()
                for row, (row_id,) in zip(new, ids, strict=True):
                    row["id"], row["last_run_id"] = row_id, run_id
                with cur.copy(_COPY_SQL) as copy:
                    copy.set_types(_COPY_TYPES)
                    for row in new:
                        copy.write_row([row[n] for n in _COPY_NAMES])
                result.inserted.update(row["lang"] for row in new)
            if changed:
                self._drop_bands([row["id"] for row in changed])
                cur.executemany(_UPDATE_SQL, [row | {"run_id": run_id, "seen": seen} for row in changed])
                result.updated.update(row["lang"] for row in changed)
            if new or changed:
                with cur.copy(_BANDS_COPY_SQL) as copy:
                    copy.set_types(["int8", "int8"])
                    for row in new + changed:
                        for key in row["band_keys"]:
                            copy.write_row((key, row["id"]))
            if unchanged:
                cur.execute(_TOUCH_SQL, (run_id, unchanged))
                result.unchanged = len(unchanged)
        stories.refresh_canonical(self.conn, sorted({r["story_id"] for r in new + changed if r["story_id"]}))
        return result

    def _drop_bands(self, article_ids: list[int]) -> None:
        """Remove the band keys of articles whose text is about to change."""
        keys: list[int] = []
        owners: list[int] = []
        for article_id, minhash in self.conn.execute(_OLD_SIGNATURES_SQL, (article_ids,)):
            old = fp.band_keys(fp.sig_from_bytes(minhash))
            keys += old
            owners += [article_id] * len(old)
        if keys:
            self.conn.execute(_BANDS_DELETE_SQL, (keys, owners))

    def set_aside(self, article: Mapping[str, Any], error: str, run_id: int | None) -> None:
        """Keep an item whose write failed, whole, for `scrapy crawl ingest -a failed=1`."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO failed_items (run_id, item, error) VALUES (%s, %s, %s)",
                (run_id, Jsonb(to_json(article)), error[:2000]),
            )


def to_json(article: Mapping[str, Any]) -> dict[str, Any]:
    """The item as JSON-safe values (datetimes as ISO 8601), for dead letters and replays.

    Binary fingerprints are left out: a replay goes through the pipelines, which derive them again.
    """
    kept = {k: v for k, v in article.items() if not k.startswith("_") and not isinstance(v, bytes)}
    return _no_nul(json.loads(json.dumps(kept, default=_json_default, ensure_ascii=False)))
