"""Deduplication scaling: the cost of deduplicating and storing one new article, with 10,000 and
with 100,000 articles already stored.

The stored corpus is bulk-loaded in SQL (articles with stories, signatures, and as many random
band keys in article_bands as real articles have, so the index holds as many entries). Then each
new article, with a real
text and real fingerprints, is written alone (a batch of one: lock, look-ups by natural key,
text hash and band keys, story decision, COPY, canonical refresh, commit) and timed.
"""

from __future__ import annotations

import time
from statistics import median
from typing import Any

from pipelines.db.connect import connect
from pipelines.db.writer import ArticleWriter
from pipelines.fingerprint import fingerprint
from pipelines.text import fingerprint as fp
from tests.bench.bench_store import generate
from tests.bench.scratch import scratch_database

SIZES = (10_000, 100_000)
PROBES = 300

_FILL_SQL = """
WITH s AS (
    INSERT INTO stories (created_at) SELECT now() FROM generate_series(1, %(n)s) RETURNING id
), numbered AS (
    SELECT id AS story_id, row_number() OVER () AS i FROM s
)
INSERT INTO articles (id, source_id, external_id, lang, url, title, body, content_digest,
                      story_id, dedupe_reason, text_hash, minhash, facts)
SELECT nextval('articles_id_seq'), %(source)s, 'fill-' || i, 'en', 'https://example.com/' || i,
       'title ' || i, 'body ' || i, sha256(i::text::bytea), story_id, 'new_story',
       sha256(('t' || i)::bytea), decode(repeat(md5(i::text), 15), 'hex'), '{}'
FROM numbered
"""
_FILL_BANDS_SQL = """
INSERT INTO article_bands (band_key, article_id)
SELECT (random() * 9.2e18 - 4.6e18)::bigint, a.id
FROM articles a CROSS JOIN generate_series(1, %(bands)s)
WHERE a.external_id LIKE 'fill-%%'
"""


def _probe_articles(n: int, seed: int) -> list[dict[str, Any]]:
    articles = generate(n, seed=seed)
    for i, article in enumerate(articles):
        article["external_id"] = f"probe-{seed}-{i}"
        fingerprint(article)  # as the fingerprint pipeline does, before storage
    return articles


def time_per_article(db_url: str, stored: int) -> float:
    with connect(db_url, autocommit=True) as conn:
        writer = ArticleWriter(conn)
        source = writer.source_id("bench")
        conn.execute(_FILL_SQL, {"n": stored, "source": source})
        conn.execute(_FILL_BANDS_SQL, {"bands": fp.BANDS})
        conn.execute("VACUUM ANALYZE articles")
        conn.execute("VACUUM ANALYZE article_bands")
        probes = _probe_articles(PROBES, seed=stored)
        timings = []
        for article in probes:
            started = time.perf_counter()
            writer.write([article])
            timings.append(time.perf_counter() - started)
    return median(timings)


def run(url: str) -> dict[str, float]:
    results = {}
    for size in SIZES:
        with scratch_database(url, "newscrawl_bench_scale") as db_url:
            results[f"ms_per_article_{size}"] = time_per_article(db_url, size) * 1000
    return results
