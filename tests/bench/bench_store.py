"""Storage throughput: the store pipeline's writer vs a plain binary COPY of the same rows.

20,000 generated ~3 KB articles, fingerprinted as the fingerprint stage does, go through ArticleWriter
in STORE_BATCH_SIZE batches (item to row, digest, look-up, story decision, COPY of the articles
and their 40 band keys each, canonical refresh), beside a binary COPY of the same article rows
into an equivalent table (same columns, compression and indexes), in the same run. Then the same
articles again, unchanged: the hourly re-crawl.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from pipelines.db.connect import connect
from pipelines.db.writer import COLUMNS, ArticleWriter
from pipelines.fingerprint import fingerprint
from tests.bench.scratch import scratch_database

N_ARTICLES = 20_000
BATCH = 500
def _vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    """Made-up words with Zipf frequencies, like a news vocabulary: unrelated texts share common
    words but few word pairs, as real ones do (a tiny vocabulary would make every text a near
    duplicate of every other)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(size)]
    return words, [1 / rank for rank in range(1, size + 1)]


def generate(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` distinct ~3 KB articles, deterministic for a seed."""
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    articles = []
    for i in range(n):
        paragraphs = [" ".join(rng.choices(words, weights, k=90)).capitalize() + "." for _ in range(5)]
        body = "\n\n".join(paragraphs)  # ~3 KB
        articles.append(
            {
                "source": "bench", "external_id": str(10_000_000 + i), "lang": "en",
                "url": f"https://example.com/en/feed/{10_000_000 + i}",
                "title": " ".join(rng.choices(words, weights, k=10)), "body": body,
                "raw_title": None, "raw_body": None, "original_title": None, "original_body": None,
                "is_machine_translated": True, "original_lang": "zh", "author": "bench",
                "published_at": start + timedelta(minutes=i), "tags": [{"name": "Bitcoin", "symbol": "BTC"}],
                "related_feeds": 3, "images": [], "raw": {"id": i}, "fetched_at": start,
            }
        )
    return articles


def run(url: str) -> dict[str, float]:
    with scratch_database(url, "newscrawl_bench_store") as bench_url:
        articles = generate(N_ARTICLES)
        conn = connect(bench_url, autocommit=True)
        writer = ArticleWriter(conn)
        # Baseline rows: exactly what the writer would COPY, prepared outside the timing.
        rows = [[r[n] for n, _ in COLUMNS] for r in (writer._row(a)[0] for a in articles)]
        conn.execute("CREATE TABLE raw_copy (LIKE articles INCLUDING ALL)")
        names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in COLUMNS)
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with conn.transaction(), conn.cursor() as cur:
                query = sql.SQL("COPY raw_copy ({}) FROM STDIN (FORMAT BINARY)").format(names)
                with cur.copy(query) as copy:
                    copy.set_types([t for _, t in COLUMNS])
                    for row in rows[i : i + BATCH]:
                        copy.write_row(row)
        copy_rate = len(rows) / (time.perf_counter() - started)

        for article in articles:
            fingerprint(article)  # the fingerprint stage's work, done before storage in a crawl
        started = time.perf_counter()
        for i in range(0, len(articles), BATCH):
            writer.write(articles[i : i + BATCH])
        store_rate = len(articles) / (time.perf_counter() - started)

        # The hourly re-crawl: the same articles again, unchanged (only last_seen_at moves).
        started = time.perf_counter()
        for i in range(0, len(articles), BATCH):
            writer.write(articles[i : i + BATCH])
        recrawl_rate = len(articles) / (time.perf_counter() - started)
        conn.close()
    return {
        "store_items_per_s": store_rate,
        "recrawl_items_per_s": recrawl_rate,
        "copy_rows_per_s": copy_rate,
    }
