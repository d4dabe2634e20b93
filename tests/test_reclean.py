"""`scrapy reclean`: cleaned fields re-derived from the raw ones, changes counted and versioned."""

from __future__ import annotations

import psycopg

from pipelines.clean import apply_cleaning
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
