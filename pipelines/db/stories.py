"""Stories: which articles tell the same news, decided so that arrival order never matters.

Two articles are linked when they are
- the same source article in another page language (source, external id): ``cross_language``,
- the same cleaned text (text hash): ``exact``,
- near duplicates in one page language (an LSH band shared, MinHash similarity over the threshold,
  facts that agree): ``near``,
- an outlet's original and a copy that names it as its source (one's ``source_url`` is the
  other's ``url``, both canonical): ``linked``.
Each link depends on the two articles alone, so a story, a connected component of links, is the
same whatever order articles arrive in, in however many batches or processes. A new article that
links stories which were apart merges them into the lowest id; the others keep their row with
``merged_into`` set, so an id a consumer saw still resolves (view ``story_aliases``).

Runs inside the writer's batch transaction. Before reading candidates, the writer locks, in slot
order, the ``dedupe_lock_slots`` rows of every key its articles could be linked on: two articles
that could be linked share a key, so their writers take turns, while writers of unrelated articles
do not wait for each other. The read-only role cannot read that table, so no consumer can hold
these locks. The story rows a batch joins or merges are locked too (``FOR UPDATE``), and followed
to their survivor if another writer merged them meanwhile.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import psycopg

from pipelines.text import fingerprint as fp
from pipelines.text.urls import canonical_url

NEW_STORY, CROSS_LANGUAGE, EXACT, NEAR, LINKED = "new_story", "cross_language", "exact", "near", "linked"
# Strongest first: an article linked in several ways is recorded under the strongest.
_STRENGTH = {CROSS_LANGUAGE: 0, EXACT: 1, NEAR: 2, LINKED: 3}
LOCK_SLOTS = 16384  # rows of dedupe_lock_slots (migration 004)

_LOCK_SQL = "SELECT slot FROM dedupe_lock_slots WHERE slot = ANY(%s) ORDER BY slot FOR UPDATE"
_SAME_ARTICLE_SQL = (
    "SELECT external_id, story_id FROM articles "
    "WHERE source_id = %s AND external_id = ANY(%s) AND story_id IS NOT NULL"
)
_EXACT_SQL = "SELECT text_hash, story_id FROM articles WHERE text_hash = ANY(%s) AND story_id IS NOT NULL"
_BANDS_SQL = """
SELECT b.band_key, a.id, a.story_id, a.lang, a.minhash, a.facts
FROM article_bands b JOIN articles a ON a.id = b.article_id
WHERE b.band_key = ANY(%b::int8[]) AND a.story_id IS NOT NULL AND a.minhash IS NOT NULL
"""
# An original whose url a new copy names, and copies naming a new original's url.
_LINKS_SQL = """
SELECT url, source_url_key, story_id FROM articles
WHERE (url = ANY(%(sources)s) OR source_url_key = ANY(%(urls)s)) AND story_id IS NOT NULL
"""
_STORY_LOCK_SQL = "SELECT id, merged_into FROM stories WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
_MERGE_STORIES_SQL = """
UPDATE stories SET merged_into = %(into)s, merged_at = coalesce(merged_at, now())
WHERE id = ANY(%(merged)s) OR merged_into = ANY(%(merged)s)
"""
_MERGE_ARTICLES_SQL = "UPDATE articles SET story_id = %(into)s WHERE story_id = ANY(%(merged)s)"
# The canonical copy: earliest published, then an original over a translation, then by name, so
# that it never depends on the order articles were stored in.
_CANONICAL_SQL = """
WITH first AS (
    SELECT DISTINCT ON (a.story_id) a.story_id, a.id
    FROM articles a JOIN sources s ON s.id = a.source_id
    WHERE a.story_id = ANY(%(stories)s)
    ORDER BY a.story_id, a.published_at NULLS LAST, a.is_machine_translated,
             s.name COLLATE "C", a.external_id COLLATE "C", a.lang COLLATE "C"
)
UPDATE stories s SET canonical_article_id = first.id
FROM first WHERE s.id = first.story_id AND s.canonical_article_id IS DISTINCT FROM first.id
"""
_POINTERS_SQL = """
UPDATE articles a SET duplicate_of = NULLIF(s.canonical_article_id, a.id)
FROM stories s
WHERE a.story_id = s.id AND s.id = ANY(%(stories)s)
  AND a.duplicate_of IS DISTINCT FROM NULLIF(s.canonical_article_id, a.id)
"""


def source_url_key(source_url: str | None) -> str | None:
    """The canonical form of a source URL, as articles' own URLs are stored."""
    return canonical_url(source_url) if source_url and "//" in source_url else None


def _keys(row: dict[str, Any]) -> Iterable[str]:
    """Everything an article can be linked on: two linked articles always share one of these."""
    yield f"a:{row['source_id']}:{row['external_id']}"
    if row["text_hash"]:
        yield "t:" + row["text_hash"].hex()
    yield from (f"b:{key}" for key in row["band_keys"])
    yield "u:" + row["url"]
    if row.get("source_url_key"):
        yield "u:" + row["source_url_key"]


def _slot(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % LOCK_SLOTS


def lock_keys(conn: psycopg.Connection, rows: list[dict[str, Any]]) -> None:
    """Lock the slots of every key of these rows, in slot order (no deadlock between writers)."""
    slots = sorted({_slot(key) for row in rows for key in _keys(row)})
    if slots:
        conn.execute(_LOCK_SQL, (slots,)).fetchall()


class _Components:
    """Union-find over batch rows (ints) and stored stories (("s", id))."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, node: Any) -> Any:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: Any, b: Any) -> None:
        self.parent[self.find(a)] = self.find(b)


def assign(conn: psycopg.Connection, rows: list[dict[str, Any]], threshold: float) -> Counter[str]:
    """Set ``story_id`` and ``dedupe_reason`` on each new row; return the count of each decision.

    Also counts ``merged``: stories that became part of another because a row linked them.
    Rows whose keys were not locked by :func:`lock_keys` in this transaction may race.
    """
    decisions: Counter[str] = Counter()
    if not rows:
        return decisions
    for row in rows:
        row["_sig"] = fp.sig_from_bytes(row["minhash"])
    links = _Components()
    # (row, what it links to, why): what it links to is an earlier row (int) or a stored story.
    found: list[tuple[int, Any, str]] = list(_stored_links(conn, rows, threshold))
    found += _batch_links(rows, threshold)
    reasons: dict[int, str] = {}
    for i, other, reason in found:
        links.union(i, other)
        if _STRENGTH[reason] < _STRENGTH.get(reasons.get(i, NEW_STORY), 99):
            reasons[i] = reason
    current = _lock_stories(conn, sorted({other[1] for _, other, _ in found if isinstance(other, tuple)}))
    groups: dict[Any, list[int]] = defaultdict(list)
    stories_of: dict[Any, set[int]] = defaultdict(set)
    for i in range(len(rows)):
        groups[links.find(i)].append(i)
    for node in list(links.parent):
        if isinstance(node, tuple):
            stories_of[links.find(node)].add(current[node[1]])
    fresh = [root for root in groups if not stories_of[root]]
    created = dict(zip(fresh, _new_stories(conn, len(fresh)), strict=True))
    for root, members in groups.items():
        joined = stories_of[root]
        story = min(joined) if joined else created[root]
        merged = sorted(joined - {story})
        if merged:
            conn.execute(_MERGE_STORIES_SQL, {"into": story, "merged": merged})
            conn.execute(_MERGE_ARTICLES_SQL, {"into": story, "merged": merged})
            decisions["merged"] += len(merged)
        for i in members:
            rows[i]["story_id"] = story
            rows[i]["dedupe_reason"] = reasons.get(i, NEW_STORY)
            decisions[rows[i]["dedupe_reason"]] += 1
    return decisions


def _stored_links(
    conn: psycopg.Connection, rows: list[dict[str, Any]], threshold: float
) -> Iterable[tuple[int, tuple[str, int], str]]:
    """Links from batch rows to stories already stored, by index look-ups only."""
    by_article: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_article[(row["source_id"], row["external_id"])].append(i)
    for source_id in {source for source, _ in by_article}:
        ids = [ext for source, ext in by_article if source == source_id]
        for ext, story in conn.execute(_SAME_ARTICLE_SQL, (source_id, ids)):
            yield from ((i, ("s", story), CROSS_LANGUAGE) for i in by_article[(source_id, ext)])
    by_hash: dict[bytes, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row["text_hash"]:
            by_hash[row["text_hash"]].append(i)
    if by_hash:
        for text_hash, story in conn.execute(_EXACT_SQL, (list(by_hash),)):
            yield from ((i, ("s", story), EXACT) for i in by_hash[text_hash])
    yield from _stored_near(conn, rows, threshold)
    by_url: dict[str, list[int]] = defaultdict(list)
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_url[row["url"]].append(i)
        if row.get("source_url_key"):
            by_source[row["source_url_key"]].append(i)
    query = {"sources": list(by_source), "urls": list(by_url)}
    for url, source_key, story in conn.execute(_LINKS_SQL, query):
        linked = by_source.get(url, []) + by_url.get(source_key, [])
        yield from ((i, ("s", story), LINKED) for i in linked)


def _stored_near(
    conn: psycopg.Connection, rows: list[dict[str, Any]], threshold: float
) -> Iterable[tuple[int, tuple[str, int], str]]:
    bands = sorted({k for r in rows for k in r["band_keys"]})
    if not bands:
        return
    candidates: dict[int, tuple[int, str, Any, frozenset[str]]] = {}
    by_band: dict[int, list[int]] = defaultdict(list)
    for key, article_id, story, lang, minhash, facts in conn.execute(_BANDS_SQL, (bands,)):
        if article_id not in candidates:
            candidates[article_id] = (story, lang, fp.sig_from_bytes(minhash), frozenset(facts or ()))
        by_band[key].append(article_id)
    for i, row in enumerate(rows):
        facts = frozenset(row["facts"])
        met: set[int] = set()
        for key in row["band_keys"]:
            for article_id in by_band.get(key, ()):
                story, lang, sig, other_facts = candidates[article_id]
                if article_id in met or lang != row["lang"]:
                    continue  # near duplicates are judged within one page language
                met.add(article_id)
                if fp.is_duplicate(row["_sig"], facts, sig, other_facts, threshold):
                    yield i, ("s", story), NEAR


def _batch_links(rows: list[dict[str, Any]], threshold: float) -> list[tuple[int, int, str]]:
    """Links between rows of the batch, each from the later row to the earlier one."""
    found: list[tuple[int, int, str]] = []
    first: dict[tuple[str, Any], int] = {}
    by_band: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        for kind, key, reason in (
            ("a", (row["source_id"], row["external_id"]), CROSS_LANGUAGE),
            ("t", row["text_hash"], EXACT),
        ):
            if key is None:
                continue
            if (kind, key) in first:
                found.append((i, first[(kind, key)], reason))
            else:
                first[(kind, key)] = i
        facts = frozenset(row["facts"])
        met: set[int] = set()
        for key in row["band_keys"]:
            for j in by_band[key]:
                other = rows[j]
                if j in met or other["lang"] != row["lang"]:
                    continue
                met.add(j)
                if fp.is_duplicate(row["_sig"], facts, other["_sig"], frozenset(other["facts"]), threshold):
                    found.append((i, j, NEAR))
            by_band[key].append(i)
    urls: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        urls[row["url"]].append(i)
    for i, row in enumerate(rows):
        for j in urls.get(row.get("source_url_key") or "", ()):
            if j != i:
                found.append((max(i, j), min(i, j), LINKED))
    return found


def _lock_stories(conn: psycopg.Connection, story_ids: list[int]) -> dict[int, int]:
    """Lock these stories' rows; return each id's current story (another writer may have merged it)."""
    merged_into: dict[int, int | None] = {}
    wanted = story_ids
    while wanted:
        for story, into in conn.execute(_STORY_LOCK_SQL, (wanted,)).fetchall():
            merged_into[story] = into
        wanted = sorted({into for into in merged_into.values() if into and into not in merged_into})
    current = {}
    for story in merged_into:
        survivor = story
        while merged_into.get(survivor):
            survivor = merged_into[survivor]  # type: ignore[assignment]
        current[story] = survivor
    return current


def _new_stories(conn: psycopg.Connection, count: int) -> list[int]:
    if not count:
        return []
    rows = conn.execute(
        "INSERT INTO stories (created_at) SELECT now() FROM generate_series(1, %s) RETURNING id", (count,)
    ).fetchall()
    return [story for (story,) in rows]


def refresh_canonical(conn: psycopg.Connection, story_ids: list[int]) -> None:
    """Choose each story's canonical article and point the others at it."""
    if story_ids:
        conn.execute(_CANONICAL_SQL, {"stories": story_ids})
        conn.execute(_POINTERS_SQL, {"stories": story_ids})
