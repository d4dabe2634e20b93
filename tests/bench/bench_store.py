"""Storage throughput: the store pipeline's writer vs a plain binary COPY of the same rows.

20,000 generated ~3 KB articles go through ArticleWriter in STORE_BATCH_SIZE batches (item to row,
digest, COPY into the staging table, merge into articles), beside a binary COPY of the same rows
into an equivalent table (same columns, compression and indexes), in the same run.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from pipelines.db.connect import connect
from pipelines.db.migrate import apply_all
from pipelines.db.writer import COLUMNS, ArticleWriter

N_ARTICLES = 20_000
BATCH = 500
WORDS = (
    "bitcoin ether market price token exchange fund investors regulators China Korea AI model chip "
    "network block chain wallet whale transfer billion million analysts report growth quarter rate "
    "policy launch startup platform users data security hack stable coin ETF listing trading"
).split()


def generate(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    articles = []
    for i in range(n):
        paragraphs = [" ".join(rng.choices(WORDS, k=90)).capitalize() + "." for _ in range(5)]
        body = "\n\n".join(paragraphs)  # ~3 KB
        articles.append(
            {
                "source": "bench", "external_id": str(10_000_000 + i), "lang": "en",
                "url": f"https://example.com/en/feed/{10_000_000 + i}",
                "title": " ".join(rng.choices(WORDS, k=10)), "body": body,
                "raw_title": None, "raw_body": None, "original_title": None, "original_body": None,
                "is_machine_translated": True, "original_lang": "zh", "author": "bench",
                "published_at": start + timedelta(minutes=i), "tags": [{"name": "Bitcoin", "symbol": "BTC"}],
                "related_feeds": 3, "images": [], "raw": {"id": i}, "fetched_at": start,
            }
        )
    return articles


def run(url: str) -> dict[str, float]:
    admin = psycopg.connect(url, autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS newscrawl_bench WITH (FORCE)")
    admin.execute("CREATE DATABASE newscrawl_bench")
    bench_url = psycopg.conninfo.make_conninfo(url, dbname="newscrawl_bench")
    try:
        with connect(bench_url) as conn:
            apply_all(conn)
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

        started = time.perf_counter()
        for i in range(0, len(articles), BATCH):
            writer.write(articles[i : i + BATCH])
        store_rate = len(articles) / (time.perf_counter() - started)
        conn.close()
        return {"store_items_per_s": store_rate, "copy_rows_per_s": copy_rate}
    finally:
        admin.execute("DROP DATABASE IF EXISTS newscrawl_bench WITH (FORCE)")
        admin.close()
