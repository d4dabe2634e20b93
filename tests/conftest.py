"""Shared fixtures: a real PostgreSQL cluster for the session, a fresh database per test.

The cluster is the project-local kind `make db` starts (pipelines.db.localpg), on its own port and
folder, stopped and removed when the session ends. Each test gets a new database cloned from a
migrated template, so tests neither see each other's rows nor pay for migrations.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.db.localpg import LocalCluster
from pipelines.db.migrate import apply_all
from pipelines.db.writer import ArticleWriter
from tests.site.server import FixtureSite

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "newscrawl_template"
_counter = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    directory = ROOT / "var" / f"test-pg-{os.getpid()}"
    cluster = LocalCluster(directory, free_port())
    cluster.start()
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    with psycopg.connect(_db_url(cluster, TEMPLATE)) as conn:
        apply_all(conn)
    yield cluster
    cluster.stop()
    shutil.rmtree(directory, ignore_errors=True)


def _db_url(cluster: LocalCluster, name: str) -> str:
    return cluster.url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def migrated_database(cluster: LocalCluster, template: str = TEMPLATE) -> Iterator[str]:
    """A freshly migrated (or, from template0, empty) database, dropped afterwards."""
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _db_url(cluster, name)
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db_url(pg_cluster: LocalCluster) -> Iterator[str]:
    """A database of its own for one test."""
    with migrated_database(pg_cluster) as url:
        yield url


@pytest.fixture(scope="module")
def module_db_url(pg_cluster: LocalCluster) -> Iterator[str]:
    """A database shared by the tests of one module (one expensive crawl, several checks)."""
    with migrated_database(pg_cluster) as url:
        yield url


@pytest.fixture
def empty_db_url(pg_cluster: LocalCluster) -> Iterator[str]:
    """A database with no schema at all, for migration tests."""
    with migrated_database(pg_cluster, template="template0") as url:
        yield url


@dataclass(frozen=True)
class Demo:
    db_url: str  # the database `make demo` would fill
    stats: dict[str, Any]  # the crawl's stats, from crawl_runs
    export: Path  # the same crawl's feed export (-O articles.jsonl)


@pytest.fixture(scope="session")
def demo(pg_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The `make demo` crawl of the fixture site, once per session, exported too. Read it only."""
    from tests.test_followin_crawl import KOL, TAG, TOPIC, crawl

    export = tmp_path_factory.mktemp("demo") / "articles.jsonl"
    with migrated_database(pg_cluster) as url:
        with FixtureSite() as running:
            stats = crawl(running, url, "-a", "langs=en,zh-Hans", "-a", "max_pages=50", "-a", "news=1",
                          "-a", f"kol={KOL}", "-a", f"topic={TOPIC}", "-a", f"tag={TAG}",
                          "-O", str(export))  # fmt: skip
        yield Demo(url, stats, export)


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    """The fixture site (tests/site) on 127.0.0.1, fresh for each test (faults, request log)."""
    with FixtureSite() as running:
        yield running


@pytest.fixture
def writer(db_url: str) -> Iterator[ArticleWriter]:
    """The one database writer, on an autocommit connection to the test's own database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield ArticleWriter(conn)


def scrapy_env(db_url: str | None) -> dict[str, str]:
    """The environment a `scrapy` command runs in: ours, with DATABASE_URL as given."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def run_scrapy(*args: str, db_url: str | None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the real `scrapy` command line in the project, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=ROOT,
        env=scrapy_env(db_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
