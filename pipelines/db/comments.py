"""The consumer contract in psql: ``COMMENT ON`` every view column, from docs/schema.md.

docs/schema.md documents each consumer view in a section headed ``## `view_name` `` with a table
``| column | type | meaning |``. That file is the one source: `scrapy migrate` writes each meaning
as the column's comment after the SQL migrations, so ``\\d+ article_feed`` says what the docs say,
whichever migration last redefined the view. tests/test_schema_docs.py fails on any view column
the docs do not describe.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg import sql

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
_SECTION = re.compile(r"^## `(?P<view>\w+)`\s*$", re.MULTILINE)
_ROW = re.compile(r"^\|\s*`(?P<column>\w+)`\s*\|[^|]*\|\s*(?P<meaning>.+?)\s*\|\s*$", re.MULTILINE)
_MARKUP = re.compile(r"\*\*|`")
_COLUMNS_SQL = """
SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace AND a.attnum > 0
  AND NOT a.attisdropped AND c.relname = ANY(%s)
"""


def documented_columns(text: str) -> dict[str, dict[str, str]]:
    """View -> column -> meaning (plain text), from the column tables of the schema document."""
    views: dict[str, dict[str, str]] = {}
    sections = list(_SECTION.finditer(text))
    for i, section in enumerate(sections):
        end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
        body = text[section.end() : end].split("\n## ", 1)[0]
        columns = {m["column"]: _MARKUP.sub("", m["meaning"]) for m in _ROW.finditer(body)}
        if columns:
            views[section["view"]] = columns
    return views


def apply_comments(conn: psycopg.Connection, doc: Path = SCHEMA_DOC) -> int:
    """Comment every documented column of the views that exist; return how many changed."""
    views = documented_columns(doc.read_text(encoding="utf-8"))
    changed = 0
    for view, column, current in conn.execute(_COLUMNS_SQL, (list(views),)).fetchall():
        meaning = views[view].get(column)
        if meaning is not None and meaning != current:
            # COMMENT takes no bind parameters: the text goes in as a quoted literal.
            conn.execute(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    sql.Identifier(view), sql.Identifier(column), sql.Literal(meaning)
                )
            )
            changed += 1
    return changed
