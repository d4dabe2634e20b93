"""The consumer contract: docs/schema.md describes every view column, psql shows the same words
(`\\d+ article_feed`), and every SQL example of the docs returns rows on the demo data."""

from __future__ import annotations

import re

import psycopg
import pytest

from pipelines.db.comments import SCHEMA_DOC, documented_columns
from tests.conftest import ROOT, Demo

DOCS = (SCHEMA_DOC, ROOT / "README.md")
_SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, str]]:
    """(document, statement) for every statement in a ```sql block of the docs."""
    found = []
    for doc in DOCS:
        for block in _SQL_BLOCK.findall(doc.read_text(encoding="utf-8")):
            for statement in re.split(r";\s*(?:\n|$)", block):
                code = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
                if code.strip():
                    found.append((doc.name, code.strip()))
    return found


def view_comments(db_url: str) -> dict[str, dict[str, str | None]]:
    """View -> column -> comment, for every view of the schema."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, a.attname, col_description(c.oid, a.attnum) FROM pg_class c"
            " JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace"
            " AND a.attnum > 0 AND NOT a.attisdropped"
        ).fetchall()
    comments: dict[str, dict[str, str | None]] = {}
    for view, column, comment in rows:
        comments.setdefault(view, {})[column] = comment
    return comments


def test_every_view_column_is_documented_and_commented(db_url: str) -> None:
    documented = documented_columns(SCHEMA_DOC.read_text(encoding="utf-8"))
    comments = view_comments(db_url)
    assert {"article_feed", "story_feed"} <= set(comments)
    assert set(comments) == set(documented)  # every view documented, no documented view missing
    for view in comments:
        assert set(comments[view]) == set(documented[view]), view  # no column undocumented, none stale
        for column, comment in comments[view].items():
            assert comment == documented[view][column], (view, column)
    assert "cleaned body in the page language" in comments["article_feed"]["body"]  # markup stripped


def test_comments_follow_the_docs_on_every_migrate(db_url: str) -> None:
    from pipelines.db.migrate import apply_all

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("COMMENT ON COLUMN article_feed.account IS NULL")
        assert apply_all(conn) == []  # nothing to migrate: the comments are written all the same
    assert view_comments(db_url)["article_feed"]["account"]


def test_there_are_examples_to_run() -> None:
    assert len(examples()) >= 5


@pytest.mark.parametrize(("doc", "statement"), examples(), ids=lambda v: v[:40] if "\n" in v else v)
def test_every_example_returns_rows_on_the_demo_data(demo: Demo, doc: str, statement: str) -> None:
    with psycopg.connect(demo.db_url, autocommit=True) as conn:
        conn.execute("SET ROLE feed_reader")  # what a consumer can run
        rows = conn.execute(statement).fetchall()
    assert rows, f"{doc}: no rows for\n{statement}"
