"""Connecting to PostgreSQL: the URL comes from DATABASE_URL only (secrets stay in the environment)."""

from __future__ import annotations

import os

import psycopg


class DatabaseConfigError(RuntimeError):
    """The database setting is missing or the server cannot be reached: a message says what to fix."""


def database_url(url: str | None = None) -> str:
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise DatabaseConfigError(
            "DATABASE_URL is not set. Set it to a PostgreSQL URL "
            "(postgresql://user@host:port/db), or run `make db` to start the local database "
            "and use the URL it prints."
        )
    return url


def connect(url: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    url = database_url(url)
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10,
                               application_name="newscrawl")
    except psycopg.OperationalError as exc:
        raise DatabaseConfigError(
            f"cannot connect to PostgreSQL at {redact(url)}: {str(exc).strip()}. "
            "Is the server running (`make db`), and is DATABASE_URL right?"
        ) from exc


def redact(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparseable DATABASE_URL>"
    params.pop("password", None)
    host, port, db = params.get("host", "?"), params.get("port", "5432"), params.get("dbname", "?")
    return f"postgresql://{params.get('user', '')}@{host}:{port}/{db}"
