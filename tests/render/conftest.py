"""Rendering tests run a real Chromium: missing, they fail with what to do, never skip."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.render.processes import WatchedRun, run_watched
from tests.render.site import RenderSite

CHROMIUM = PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]
# Our own loopback site: no politeness delays.
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0")


@pytest.fixture(scope="session")
def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make install` as root (it runs apt-get)")
    return CHROMIUM


def crawl_fixture(
    site: RenderSite, db_url: str, *args: str, **watch: Any
) -> tuple[WatchedRun, dict[str, Any]]:
    """`scrapy crawl render_fixture` against ``site``; the run and its stats from crawl_runs.
    ``watch``: run_watched's options (progress defaults to the requests the site got)."""
    watch = {"progress": lambda: len(site.paths), "timeout": 300, "stall": 120} | watch
    run = run_watched(
        ["crawl", "render_fixture", "-s", "SPIDER_MODULES=tests.render.spiders",
         "-a", f"base={site.base_url}", *FAST, *args],
        db_url, **watch,
    )  # fmt: skip
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    assert row is not None and row[0] is not None, run.stderr[-4000:]
    return run, row[0]


def stored(db_url: str) -> dict[str, dict[str, Any]]:
    """Stored articles by external id (the fixture path)."""
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT * FROM articles").fetchall()
    return {r["external_id"]: r for r in rows}
