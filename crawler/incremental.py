"""Incremental runs: what a list page holds that is already stored, and whether to fetch it again.

A spider asks :class:`KnownArticles` about the entries of each list page it reads. An entry is
fetched when its article is not stored yet, when its list entry changed since it was last fetched
(a digest the spider computes from the entry's content fields), or when the article was published
less than ``INCREMENTAL_REFRESH_HOURS`` ago (young articles still get edited). A page whose every
entry is stored counts towards stopping the list: after ``INCREMENTAL_OVERLAP_PAGES`` more such
pages, pagination stops. ``-a full=1`` turns all of it off.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from pipelines.db.connect import DatabaseConfigError, connect

logger = logging.getLogger(__name__)


def entry_digest(entry: Mapping[str, Any], fields: Iterable[str]) -> str:
    """A digest of the entry's content fields (not of counters that move all the time)."""
    content = {name: entry.get(name) for name in fields}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    external_id: str
    published_at: datetime | None
    digest: str


@dataclass(frozen=True)
class PageDecision:
    fetch: list[Entry]
    all_stored: bool  # every entry of the page is stored already


class KnownArticles:
    def __init__(self, url: str | None, source: str, refresh: timedelta) -> None:
        self.url = url
        self.source = source
        self.refresh = refresh
        self._conn: psycopg.Connection | None = None
        self._fetched: dict[tuple[str, str], str] = {}  # (external_id, lang) -> digest

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.url, autocommit=True)
        return self._conn

    def decide(self, lang: str | None, entries: list[Entry]) -> PageDecision:
        """Which entries of a list page to fetch (``lang=None``: stored in any page language)."""
        if not entries:
            return PageDecision([], False)
        try:
            rows = self._connection().execute(
                "SELECT a.external_id, a.published_at, e.digest FROM articles a "
                "JOIN sources s ON s.id = a.source_id "
                "LEFT JOIN list_entries e ON e.source = s.name AND e.external_id = a.external_id "
                "AND e.lang = a.lang "
                "WHERE s.name = %s AND (%s::text IS NULL OR a.lang = %s) AND a.external_id = ANY(%s)",
                (self.source, lang, lang, [e.external_id for e in entries]),
            ).fetchall()
        except (psycopg.Error, DatabaseConfigError) as exc:  # fetching everything loses nothing
            logger.warning("Cannot tell which articles are stored (%s): fetching this page's all", exc)
            return PageDecision(entries, False)
        stored = {ext: (published, digest.hex() if digest else None) for ext, published, digest in rows}
        young = datetime.now(UTC) - self.refresh
        fetch = []
        for entry in entries:
            if entry.external_id not in stored:
                fetch.append(entry)
                continue
            published, digest = stored[entry.external_id]
            published = published or entry.published_at
            if digest != entry.digest or (published is not None and published >= young):
                fetch.append(entry)
        return PageDecision(fetch, len(stored) == len({e.external_id for e in entries}))

    def fetched(self, external_id: str, lang: str, digest: str) -> None:
        """Remember the list entry of an article that was fetched and parsed (written by save())."""
        self._fetched[(external_id, lang)] = digest

    def save(self) -> None:
        if not self._fetched:
            return
        rows = [(self.source, ext, lang, bytes.fromhex(d)) for (ext, lang), d in self._fetched.items()]
        try:
            with self._connection().cursor() as cur:
                cur.executemany(
                    "INSERT INTO list_entries (source, external_id, lang, digest) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (source, external_id, lang) DO UPDATE "
                    "SET digest = EXCLUDED.digest, fetched_at = now()",
                    rows,
                )
        except (psycopg.Error, DatabaseConfigError) as exc:  # the next run fetches them again: nothing lost
            logger.warning("Could not record %d list entries: %s", len(rows), exc)
        self._fetched.clear()

    def close(self) -> None:
        self.save()
        if self._conn is not None:
            self._conn.close()
