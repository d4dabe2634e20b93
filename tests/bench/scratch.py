"""A scratch database for one benchmark, on the server DATABASE_URL names, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from pipelines.db.migrate import apply_all


@contextmanager
def scratch_database(url: str, name: str) -> Iterator[str]:
    """A freshly migrated database called ``name``; yields its URL."""
    with psycopg.connect(url, autocommit=True) as admin:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        db_url = psycopg.conninfo.make_conninfo(url, dbname=name)
        try:
            with psycopg.connect(db_url) as conn:
                apply_all(conn)
            yield db_url
        finally:
            admin.execute(drop)
