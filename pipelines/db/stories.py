"""Story assignment: which stored story, if any, a new article belongs to.

Runs inside the writer's batch transaction, after the writer took the dedupe lock, so what it
reads is everything any process committed before, and nothing can slip in between the look-up
and the write. Candidates come from index look-ups only: the other page languages of the same
source article, the exact text hash, and the LSH band keys of the MinHash signature.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import psycopg

from pipelines.text import fingerprint as fp

# Held for the whole batch transaction by every writer: two crawls can then never both decide
# "new story" for the two halves of one duplicate pair. Any fixed number, distinct from migrate's.
DEDUPE_LOCK = 7_106_302

NEW_STORY, CROSS_LANGUAGE, EXACT, NEAR = "new_story", "cross_language", "exact", "near"

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
_CANONICAL_SQL = """
WITH first AS (
    SELECT DISTINCT ON (story_id) story_id, id FROM articles
    WHERE story_id = ANY(%(stories)s)
    ORDER BY story_id, published_at NULLS LAST, first_seen_at, id
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


def fingerprint(article: dict[str, Any]) -> None:
    """Add the dedupe fields of an article: of its cleaned body, or its title when it has none."""
    text = article.get("body") or article.get("title") or ""
    folded = fp.normalize_for_hash(text)
    sig = fp.signature(text)
    article["text_hash"] = fp.content_hash(text) if folded else None
    article["minhash"] = fp.sig_to_bytes(sig)
    article["facts"] = sorted(fp.facts(text))
    article["band_keys"] = fp.band_keys(sig) if folded else []


def assign(conn: psycopg.Connection, rows: list[dict[str, Any]], threshold: float) -> Counter[str]:
    """Set ``story_id`` and ``dedupe_reason`` on each new row; return the count of each decision.

    Rows are decided in order, and each decided row is a candidate for the rows after it, so
    duplicates within one batch are found too. New stories are created here.
    """
    same_article: dict[tuple[int, str], int] = {}
    for source_id in {r["source_id"] for r in rows}:
        ids = [r["external_id"] for r in rows if r["source_id"] == source_id]
        for ext, story in conn.execute(_SAME_ARTICLE_SQL, (source_id, ids)):
            same_article[(source_id, ext)] = story
    hashes = [r["text_hash"] for r in rows if r["text_hash"]]
    exact: dict[bytes, int] = dict(conn.execute(_EXACT_SQL, (hashes,)).fetchall()) if hashes else {}
    # Candidates by band key: (story, lang, signature, facts) of stored and of decided rows.
    by_band: dict[int, list[tuple[int, str, Any, frozenset[str]]]] = defaultdict(list)
    for row in rows:
        row["_sig"] = fp.sig_from_bytes(row["minhash"])
    bands = sorted({k for r in rows for k in r["band_keys"]})
    if bands:
        parsed: dict[int, tuple[int, str, Any, frozenset[str]]] = {}
        for key, article_id, story, lang, minhash, facts in conn.execute(_BANDS_SQL, (bands,)):
            if article_id not in parsed:
                parsed[article_id] = (story, lang, fp.sig_from_bytes(minhash), frozenset(facts or ()))
            by_band[key].append(parsed[article_id])

    decisions: Counter[str] = Counter()
    pending: list[dict[str, Any]] = []  # rows that open a new story: ids assigned below
    for row in rows:
        story, reason = _match(row, same_article, exact, by_band, threshold)
        if story is None:
            story = -len(pending) - 1  # placeholder until the story row exists
            pending.append(row)
            reason = NEW_STORY
        row["story_id"], row["dedupe_reason"] = story, reason
        decisions[reason] += 1
        same_article.setdefault((row["source_id"], row["external_id"]), story)
        if row["text_hash"]:
            exact.setdefault(row["text_hash"], story)
        entry = (story, row["lang"], row["_sig"], frozenset(row["facts"]))
        for key in row["band_keys"]:
            by_band[key].append(entry)
    if pending:
        created = conn.execute(
            "INSERT INTO stories (created_at) SELECT now() FROM generate_series(1, %s) RETURNING id",
            (len(pending),),
        ).fetchall()
        real = {-(i + 1): story_id for i, (story_id,) in enumerate(created)}
        for row in rows:
            row["story_id"] = real.get(row["story_id"], row["story_id"])
    return decisions


def _match(
    row: dict[str, Any],
    same_article: dict[tuple[int, str], int],
    exact: dict[bytes, int],
    by_band: dict[int, list[tuple[int, str, Any, frozenset[str]]]],
    threshold: float,
) -> tuple[int | None, str]:
    story = same_article.get((row["source_id"], row["external_id"]))
    if story is not None:
        return story, CROSS_LANGUAGE
    if row["text_hash"] and row["text_hash"] in exact:
        return exact[row["text_hash"]], EXACT
    best, best_story = 0.0, None
    facts = frozenset(row["facts"])
    seen: set[int] = set()  # candidates met in an earlier band: compare each once
    for key in row["band_keys"]:
        for candidate in by_band.get(key, ()):
            story, lang, sig, other_facts = candidate
            if id(candidate) in seen or lang != row["lang"]:
                continue  # near duplicates are judged within one language
            seen.add(id(candidate))
            if fp.is_duplicate(row["_sig"], facts, sig, other_facts, threshold):
                score = fp.similarity(row["_sig"], sig)
                if score > best:
                    best, best_story = score, story
    return (best_story, NEAR) if best_story is not None else (None, NEW_STORY)


def refresh_canonical(conn: psycopg.Connection, story_ids: list[int]) -> None:
    """Make each story's earliest article its canonical copy and point the others at it."""
    if story_ids:
        conn.execute(_CANONICAL_SQL, {"stories": story_ids})
        conn.execute(_POINTERS_SQL, {"stories": story_ids})
