"""Versioned schema migrations: numbered .sql files, each applied once, in order, in a transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipelines.db.comments import apply_comments

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Any fixed number: concurrent `scrapy migrate` runs wait for each other instead of racing.
_LOCK_KEY = 7_106_301


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(match[1], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a number in {directory}")
    return found


def apply_all(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration not applied yet; return the names applied (empty: up to date).

    Then (re)write the view column comments from docs/schema.md (pipelines/db/comments.py).
    """
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in available(directory):
            if migration.version in done:
                continue
            conn.execute(migration.path.read_text())
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.path.name),
            )
            applied.append(migration.path.name)
        apply_comments(conn)
    return applied


class SchemaNotReady(RuntimeError):
    """Migrations are missing: the message says to run `scrapy migrate`."""


def check_schema(conn: psycopg.Connection) -> None:
    """Fail fast when `scrapy migrate` has not been run on this database (autocommit connection)."""
    wanted = {m.version for m in available()}
    try:
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    except psycopg.errors.UndefinedTable:
        if not conn.autocommit:
            conn.rollback()
        done = set()
    if wanted - done:
        raise SchemaNotReady(
            f"the database schema is not up to date (missing migrations {sorted(wanted - done)}): "
            "run `scrapy migrate` first"
        )
