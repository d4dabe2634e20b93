"""Schema migrations: apply cleanly, twice, through the real `scrapy migrate` command."""

from __future__ import annotations

import psycopg
import pytest

from pipelines.db.migrate import apply_all, available
from tests.conftest import run_scrapy


def test_migrate_command_twice_is_a_noop(empty_db_url: str) -> None:
    first = run_scrapy("migrate", db_url=empty_db_url)
    assert first.returncode == 0, first.stderr
    assert "Applied" in first.stdout
    second = run_scrapy("migrate", db_url=empty_db_url)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    with psycopg.connect(empty_db_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [m.version for m in available()]
        conn.execute("SELECT * FROM article_feed LIMIT 0")


def test_apply_all_returns_nothing_when_current(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        assert apply_all(conn) == []


def test_migrate_without_database_url_says_what_to_do() -> None:
    result = run_scrapy("migrate", db_url=None)
    assert result.returncode == 1
    assert "DATABASE_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_consumer_role_reads_views_only(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET ROLE feed_reader")
        conn.execute("SELECT count(*) FROM article_feed")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM articles")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM crawl_runs")
