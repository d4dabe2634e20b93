"""`scrapy reclean`: cleaned fields re-derived from the raw ones, changes counted and versioned."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from pipelines.clean import apply_cleaning
from pipelines.db.migrate import MIGRATIONS_DIR, apply_all, available
from pipelines.db.writer import ArticleWriter
from pipelines.text.cleaning import clean_article
from tests.conftest import run_scrapy
from tests.test_store import article

DIRTY = (
    "<p>Author: Jin Yu Source: Aju Business Daily, @ajunews</p>"
    "<p>Bitcoin rose 5% on Monday，as ETF inflows reached $ 500 million .</p>"
    "<p>Risk warning: Cryptocurrency investment carries high risk.</p>"
)


def test_reclean_rederives_changed_articles_only(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        # 1 as stored by an older cleaning (title and body as raw); 2 as today's cleaning stores it.
        stale = article(1, raw_body=DIRTY, body=DIRTY, raw_title="Bitcoin ，up", title="Bitcoin ，up")
        current = article(2, raw_body="<p>Markets were calm on Monday as traders waited for data.</p>")
        apply_cleaning(current)
        ArticleWriter(conn).write([stale, current])
        seen_before = dict(conn.execute("SELECT external_id, last_seen_at FROM articles").fetchall())

    dry = run_scrapy("reclean", "--dry-run", db_url=db_url)
    assert dry.returncode == 0, dry.stderr
    assert "Re-cleaned 2 article(s): 1 would change." in dry.stdout

    result = run_scrapy("reclean", "--batch-size", "1", db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert "Re-cleaned 2 article(s): 1 changed." in result.stdout

    expected = clean_article("Bitcoin ，up", DIRTY, "en")
    with psycopg.connect(db_url) as conn:
        title, body, platform = conn.execute(
            "SELECT title, body, platform FROM article_feed WHERE external_id = '1'"
        ).fetchone()
        assert (title, body) == (expected.title, expected.body)
        assert body == "Bitcoin rose 5% on Monday, as ETF inflows reached $500 million."
        assert platform == "Aju Business Daily"
        assert conn.execute("SELECT body FROM article_versions").fetchall() == [(DIRTY,)]
        seen_after = dict(conn.execute("SELECT external_id, last_seen_at FROM articles").fetchall())
        assert seen_after == seen_before  # re-cleaning is not seeing the article on the site

    again = run_scrapy("reclean", db_url=db_url)
    assert "Re-cleaned 2 article(s): 0 changed." in again.stdout


ORIGINAL = (
    "<p>作者：周远 来源：X，@zhouyuan_eth</p><p>比特币周一上涨5%，ETF资金流入达5亿美元。</p>"
    "<p>原文链接：https://chainnews-daily.example/article/88120</p>"
)
TRANSLATION = (
    "<p>Author: Zhou Yuan Source: X, @zhouyuan_eth</p><p>Bitcoin rose 5% on Monday as ETF inflows "
    "reached $500 million.</p><p>Original link: https://chainnews-daily.example/article/88120</p>"
)


def test_rows_stored_before_migration_007_get_accounts_then_clean_originals(
    empty_db_url: str, tmp_path: Path
) -> None:
    # A row as the schema before 007 stored it: the raw original in original_*, the account as author.
    before = tmp_path / "before"
    before.mkdir()
    for migration in available():
        if migration.version < "007":
            shutil.copy(migration.path, before)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        apply_all(conn, before)
        conn.execute("INSERT INTO sources (name) VALUES ('followin')")
        conn.execute(
            "INSERT INTO articles (source_id, external_id, lang, url, title, body, raw_title, raw_body,"
            " original_lang, original_title, original_body, is_machine_translated, author, raw,"
            " content_digest) VALUES (1, '7', 'en', 'https://followin.io/en/feed/7', 'Bitcoin up',"
            " %s, 'Bitcoin up', %s, 'zh', '比特币上涨', %s, true, '链闻日报', %s, '\\x00')",
            (TRANSLATION, TRANSLATION, ORIGINAL, Jsonb({"id": 7, "nickname": "链闻日报"})),
        )
        old_item = {"external_id": "8", "original_body": ORIGINAL, "author": "链闻日报",
                    "raw": {"id": 8, "nickname": "链闻日报"}}  # fmt: skip
        conn.execute("INSERT INTO failed_items (item, error) VALUES (%s, 'x')", (Jsonb(old_item),))
        assert "007_originals_accounts.sql" in apply_all(conn, MIGRATIONS_DIR)
        (item,) = conn.execute("SELECT item FROM failed_items").fetchone()
        assert (item["raw_original_body"], item["account"]) == (ORIGINAL, "链闻日报")
        assert "author" not in item  # it was the account
        moved = conn.execute(
            "SELECT author, account, raw_original_title, raw_original_body FROM article_feed"
        ).fetchone()
        assert moved == (None, "链闻日报", "比特币上涨", ORIGINAL)

    result = run_scrapy("reclean", db_url=empty_db_url)
    assert result.returncode == 0, result.stderr
    assert "Re-cleaned 1 article(s): 1 changed." in result.stdout
    with psycopg.connect(empty_db_url) as conn:
        row = conn.execute(
            "SELECT body, original_title, original_body, raw_original_body, author, account, platform"
            " FROM article_feed"
        ).fetchone()
    assert row == (
        "Bitcoin rose 5% on Monday as ETF inflows reached $500 million.", "比特币上涨",
        "比特币周一上涨5%，ETF资金流入达5亿美元。", ORIGINAL, "Zhou Yuan", "链闻日报", "X",
    )  # fmt: skip
