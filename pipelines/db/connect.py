"""Connecting to PostgreSQL: the URL comes from DATABASE_URL only (secrets stay in the environment).

Every error raised here is a :class:`DatabaseConfigError` whose message is one line with the
password masked: psycopg repeats the whole URL (or just the password) in some of its messages.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

import psycopg

_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


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
                               application_name="newscrawl")  # fmt: skip
    except psycopg.ProgrammingError as exc:  # the URL itself cannot be parsed
        raise DatabaseConfigError(
            f"DATABASE_URL is malformed: {mask(one_line(exc), url)}. "
            "Expected postgresql://user:password@host:port/dbname"
        ) from None
    except psycopg.OperationalError as exc:
        raise DatabaseConfigError(
            f"cannot connect to PostgreSQL at {redact(url)}: {mask(one_line(exc), url)}. "
            "Is the server running (`make db`), and is DATABASE_URL right?"
        ) from None


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _passwords(url: str) -> list[str]:
    """The password a URL or keyword string carries, raw and percent-decoded (it may be malformed)."""
    found = [m[2].strip("'") for m in _KEYWORD_PASSWORD.finditer(url)]
    if "@" in url:  # user:password@host, even when the scheme is mistyped
        before = url[: url.rfind("@")]
        for userinfo in (before.split("://", 1)[-1], before.rsplit("/", 1)[-1]):
            if ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
    found = [p for p in found if p]
    return sorted({*found, *(unquote(p) for p in found)}, key=len, reverse=True)


def mask(text: str, url: str) -> str:
    """``text`` with every appearance of the password in ``url`` replaced by ***."""
    text = _KEYWORD_PASSWORD.sub(r"\1***", text)
    for password in _passwords(url):
        text = text.replace(password, "***")
    return text


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
