"""One test per shipped source: `scrapy crawl news` over every registered source at once, each
served from its saved (or modelled) pages on the loopback server, compared with expected JSON.

A source's folder (tests/sources/<name>/): site.toml (real URL -> file, and what kind of fixture
it is), the feed, the article pages, and expected/<page>.json, the stored row's fields.
Regenerate the expected files after a reviewed change: python -m tests.sources.make_expected
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from crawler.sources import registry
from tests.conftest import migrated_database, run_scrapy
from tests.sources.server import Page, StaticSite, mirrors, site_from_folder

HERE = Path(__file__).parent
FIELDS = ("url", "external_id", "lang", "title", "body", "author", "published_at", "tags", "images")
SOURCES = sorted(n for n, s in registry().items() if s.spider == "news")
MAX_ITEMS = 2  # articles per source: the first two of each feed


def source_folders() -> list[Path]:
    return sorted(p.parent for p in HERE.glob("*/site.toml") if p.parent.name != "adhoc")


def serve_all() -> tuple[dict[str, Page], dict[str, str]]:
    pages: dict[str, Page] = {}
    origins: list[str] = []
    for folder in source_folders():
        more, seen = site_from_folder(folder)
        pages |= more
        origins += [o for o in seen if o not in origins]
    return pages, origins  # type: ignore[return-value]


def crawl_all(db_url: str) -> dict[str, Any]:
    """Crawl every news source from the fixture sites; the run's stats."""
    pages, origins = serve_all()
    with StaticSite(pages) as site:
        result = run_scrapy(
            "crawl", "news", "-a", f"max_items={MAX_ITEMS}",
            "-s", f"SOURCE_MIRRORS={json.dumps(mirrors(site.base_url, origins))}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "DOWNLOAD_SLOTS={}",
            db_url=db_url,
        )  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: row[name] for name in FIELDS}
    out["published_at"] = row["published_at"].isoformat() if row["published_at"] else None
    return out


def stored_by_source(db_url: str) -> dict[str, dict[str, dict[str, Any]]]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT * FROM article_feed ORDER BY url").fetchall()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["source"], {})[row["url"]] = as_json(row)
    return out


def expected(name: str) -> dict[str, dict[str, Any]]:
    files = sorted((HERE / name / "expected").glob("*.json"))
    items = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    return {item["url"]: item for item in items}


@pytest.fixture(scope="module")
def crawled(pg_cluster: Any) -> Iterator[tuple[dict[str, Any], dict[str, dict[str, dict[str, Any]]]]]:
    with migrated_database(pg_cluster) as db_url:
        stats = crawl_all(db_url)
        yield stats, stored_by_source(db_url)


def test_every_shipped_source_has_a_fixture_site() -> None:
    assert [f.name for f in source_folders()] == SOURCES
    for folder in source_folders():
        spec = tomllib.loads((folder / "site.toml").read_text(encoding="utf-8"))
        assert spec["source"] == folder.name and spec["kind"] and spec["notes"]
        assert len(list((folder / "expected").glob("*.json"))) >= 2, folder.name


@pytest.mark.parametrize("name", SOURCES)
def test_source(name: str, crawled: tuple[dict[str, Any], dict[str, Any]]) -> None:
    stats, stored = crawled
    want = expected(name)
    got = stored.get(name, {})
    assert sorted(got) == sorted(want), name
    for url, item in want.items():
        assert got[url] == item, url
    assert stats[f"source/{name}/articles"] == len(want)
    assert not stats.get(f"source/{name}/request_failed") and not stats.get(f"source/{name}/malformed_page")
