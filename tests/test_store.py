"""Storage: batched idempotent upserts, and items that cannot be written are set aside, not lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from crawler.spiders.ingest import item_from_json
from pipelines.db.writer import ArticleWriter
from tests.conftest import run_scrapy


def article(n: int, lang: str = "en", **over: Any) -> dict[str, Any]:
    base = {
        "source": "followin",
        "external_id": str(n),
        "lang": lang,
        "url": f"https://followin.io/{lang}/feed/{n}",
        "raw_title": f"Title {n}",
        "raw_body": f"<p>Body {n}</p>",
        "title": f"Title {n}",
        "body": f"Body {n}",
        "is_machine_translated": False,
        "published_at": datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
        "tags": [{"name": "Bitcoin", "symbol": "BTC"}],
        "raw": {"id": n},
    }
    return base | over


def test_upsert_counts_new_updated_unchanged(writer: ArticleWriter) -> None:
    first = writer.write([article(1), article(2), article(2, "zh-Hans")])
    assert dict(first.inserted) == {"en": 2, "zh-Hans": 1}
    again = writer.write([article(1), article(2), article(2, "zh-Hans")])
    assert again.unchanged == 3 and not again.inserted and not again.updated
    changed = writer.write([article(1, body="Body one, corrected"), article(2)])
    assert dict(changed.updated) == {"en": 1} and changed.unchanged == 1
    count, body = writer.conn.execute(
        "SELECT count(*), max(body) FILTER (WHERE external_id = '1') FROM articles"
    ).fetchone()
    assert (count, body) == (3, "Body one, corrected")


def test_unchanged_row_only_moves_last_seen(writer: ArticleWriter) -> None:
    writer.write([article(1)])
    before = writer.conn.execute("SELECT updated_at, last_seen_at FROM articles").fetchone()
    writer.write([article(1, raw={"id": 1, "price": 2})])  # raw payload noise is not new content
    after = writer.conn.execute("SELECT updated_at, last_seen_at FROM articles").fetchone()
    assert after[0] == before[0]
    assert after[1] > before[1]


def test_repeated_key_in_one_batch_keeps_last(writer: ArticleWriter) -> None:
    result = writer.write([article(1, body="old"), article(1, body="new")])
    assert sum(result.inserted.values()) == 1
    assert writer.conn.execute("SELECT body FROM articles").fetchone()[0] == "new"


def test_nul_and_huge_bodies_are_stored(writer: ArticleWriter) -> None:
    result = writer.write([article(1, body="a\x00b" + "x" * 1_200_000, raw={"t": "nul\x00"})])
    assert result.truncated == 1
    body, raw = writer.conn.execute("SELECT body, raw FROM articles").fetchone()
    assert body.startswith("abx") and len(body) == 1_000_000
    assert raw == {"t": "nul"}


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    with path.open("w") as out:
        for item in items:
            out.write(json.dumps(item, default=str) + "\n")
    return path


def test_bad_item_is_set_aside_and_replayable(db_url: str, tmp_path: Path) -> None:
    items = [article(n) for n in range(1, 8)]
    with psycopg.connect(db_url) as conn:  # the database refuses one item's data (validation cannot know)
        conn.execute("ALTER TABLE articles ADD CONSTRAINT not_four CHECK (external_id <> '4')")
    result = run_scrapy("crawl", "ingest", "-a", f"path={write_jsonl(tmp_path / 'in.jsonl', items)}",
                        db_url=db_url)
    assert result.returncode == 1, result.stderr  # an item set aside is not a success
    assert "1 items set aside in failed_items" in result.stderr
    with psycopg.connect(db_url) as conn:
        stored = {r[0] for r in conn.execute("SELECT external_id FROM articles")}
        assert stored == {"1", "2", "3", "5", "6", "7"}
        (failed,) = conn.execute("SELECT item FROM failed_items").fetchall()
        assert failed[0]["external_id"] == "4"
        stats = conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC").fetchone()[0]
        assert stats["store/set_aside"] == 1 and stats["store/inserted"] == 6
        # Fix the cause, then replay: stored once, marked replayed.
        conn.execute("ALTER TABLE articles DROP CONSTRAINT not_four")
        conn.commit()
    replay = run_scrapy("crawl", "ingest", "-a", "failed=1", db_url=db_url)
    assert replay.returncode == 0, replay.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
        assert conn.execute("SELECT count(*) FROM failed_items WHERE replayed_at IS NULL").fetchone()[0] == 0


def test_unreachable_database_fails_fast_with_a_message(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [article(1)])
    result = run_scrapy("crawl", "ingest", "-a", f"path={path}",
                        db_url="postgresql://nobody@127.0.0.1:9/none", timeout=60)
    assert result.returncode == 1
    assert "cannot connect to PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_item_kept_before_migration_007_replays_with_its_original_as_the_raw_one() -> None:
    old = item_from_json({"external_id": "1", "original_title": "标题", "original_body": "<p>正文</p>"})
    assert (old["raw_original_title"], old["raw_original_body"]) == ("标题", "<p>正文</p>")
    assert "original_body" not in old  # derived again by cleaning
    new = item_from_json({"raw_original_body": "<p>正文</p>", "original_body": "正文"})
    assert (new["raw_original_body"], new["original_body"]) == ("<p>正文</p>", "正文")
