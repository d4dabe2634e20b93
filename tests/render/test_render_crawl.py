"""End to end: `scrapy crawl` with pages that need a browser, through real Chromium into PostgreSQL.

The fixture site (tests/render/site.py) serves script-built pages (a shell saying "Loading…"
until a script fetches the article) and server-rendered ones; it records every request it gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import migrated_database
from tests.render.conftest import crawl_fixture, stored
from tests.render.processes import browser_programs
from tests.render.site import HEAVY_PREFIXES, SHELL_TEXT, RenderSite, article

SCRIPT, SERVER = ["script/1", "script/2", "script/3"], ["server/11", "server/12"]


def expected_body(path: str) -> str:
    return "\n\n".join(article(int(path.rsplit("/", 1)[1]))["paragraphs"])


def assert_stored_with_text(rows: dict[str, dict[str, Any]], paths: list[str]) -> None:
    for path in paths:
        row = rows[path]
        assert row["raw_body"] == expected_body(path), path
        assert row["body"], path  # cleaning kept it
        assert row["raw_title"] == article(int(path.rsplit("/", 1)[1]))["title"], path
    for path, row in rows.items():
        assert SHELL_TEXT not in (row["raw_body"] or "") + (row["body"] or ""), path
        assert "Loading" not in (row["raw_body"] or ""), path


def assert_pages_closed(stats: dict[str, Any]) -> None:
    assert stats["playwright/page_count"] >= 1
    assert stats["playwright/page_count/closed"] == stats["playwright/page_count"]


@pytest.fixture(scope="module")
def always(chromium: str, module_db_url: str) -> tuple[RenderSite, dict[str, Any], dict[str, Any]]:
    """`-a render=1` over a source that says never: every article page rendered."""
    with RenderSite() as site:
        run, stats = crawl_fixture(site, module_db_url, "-a", f"paths={','.join(SCRIPT + SERVER)}",
                                   "-a", "render=1", "-a", "source_render=never")  # fmt: skip
    # The watch sees the browser when there is one (so its absence in a plain crawl means something).
    seen = browser_programs(run.programs)
    assert any(p.startswith("chrom") for p in seen) and any(p.startswith("node") for p in seen), run.programs
    return site, stats, stored(module_db_url)


def test_always_stores_the_text_scripts_build(always: tuple) -> None:
    site, stats, rows = always
    assert set(rows) == set(SCRIPT + SERVER)
    assert_stored_with_text(rows, SCRIPT + SERVER)
    assert all(row["raw"] == {"rendered": True} for row in rows.values())
    assert stats["render/pages"] == 5
    assert stats.get("render/errors", 0) == 0
    counts = site.counts()
    for path in SCRIPT + SERVER:
        assert counts[f"/{path}"] == 1, path  # rendered straight away, no plain fetch first
    for n in (1, 2, 3):
        assert counts[f"/api/article/{n}"] == 1


def test_images_fonts_and_media_never_reach_the_site(always: tuple) -> None:
    site, stats, _ = always
    heavy = [p for p in site.paths if p.startswith(HEAVY_PREFIXES)]
    assert heavy == []
    # The browser did ask for them (the pages reference them), and they were aborted.
    assert stats["playwright/request_count/aborted"] >= 5 * 3
    assert stats["playwright/request_count/resource_type/font"] >= 1
    assert site.counts()["/static/site.css"] >= 1  # stylesheets still load


def test_every_rendered_page_is_closed(always: tuple) -> None:
    _, stats, _ = always
    assert_pages_closed(stats)
    assert stats["playwright/page_count"] == 5


@pytest.fixture(scope="module")
def auto(chromium: str, pg_cluster: Any) -> Iterator[tuple[RenderSite, dict[str, Any], dict[str, Any], str]]:
    """A source whose entry says auto, with a page whose script never delivers (broken/7)."""
    with migrated_database(pg_cluster) as db_url, RenderSite() as site:
        # broken/7's content never comes: a short wait for it
        run, stats = crawl_fixture(site, db_url, "-a", f"paths={','.join(SCRIPT + SERVER)},broken/7",
                                   "-a", "source_render=auto", "-s", "RENDER_WAIT_TIMEOUT=10")  # fmt: skip
        yield site, stats, stored(db_url), run.stderr


def test_auto_renders_only_pages_whose_html_has_no_article(auto: tuple) -> None:
    site, stats, rows, _ = auto
    assert set(rows) == set(SCRIPT + SERVER)
    assert_stored_with_text(rows, SCRIPT + SERVER)
    assert {path for path, row in rows.items() if row["raw"]["rendered"]} == set(SCRIPT)
    counts = site.counts()
    for path in SERVER:
        assert counts[f"/{path}"] == 1, path  # plain only
    for path in SCRIPT:
        assert counts[f"/{path}"] == 2, path  # plain, then rendered
    assert stats["render/auto_checked"] == 6
    assert stats["render/auto_plain"] == 2
    assert stats["render/auto_rendered"] == 4  # 3 script pages and the broken one
    assert stats["render/pages"] == 3


def test_a_page_that_fails_to_render_is_closed_counted_and_logged_once(auto: tuple) -> None:
    _, stats, rows, log = auto
    assert "broken/7" not in rows
    assert stats["render/errors"] == 1
    assert stats["render/errors/TimeoutError"] == 1
    assert_pages_closed(stats)
    assert stats["playwright/page_count"] == 4
    errors = [line for line in log.splitlines() if "] ERROR:" in line and "/broken/7" in line]
    assert len(errors) == 1, errors
    assert stats["finish_reason"] == "finished"
    assert "rendered: 3 pages in Chromium (4 of 6 auto pages needed it), 1 failed" in log
    assert not [line for line in log.splitlines() if "WARNING" in line and "scrapy-playwright" in line]


def test_a_plain_crawl_starts_no_browser(db_url: str) -> None:
    with RenderSite() as site:
        run, stats = crawl_fixture(site, db_url, "-a", f"paths={','.join(SERVER)},script/1")
    assert run.returncode == 0
    assert len(run.samples) >= 5  # the tree was watched while it ran
    assert "python3" in run.programs or "python" in run.programs, run.programs
    assert not browser_programs(run.programs), run.programs
    assert not [k for k in stats if k.startswith(("playwright/", "render/"))]
    assert "Launching browser" not in run.stderr
    rows = stored(db_url)
    # What the script page is without a browser: the shell, which is why sources need rendering.
    assert rows["script/1"]["raw_body"] == SHELL_TEXT
    assert rows["server/11"]["raw_body"] == expected_body("server/11")


def test_missing_chromium_stops_the_crawl_with_one_line(db_url: str) -> None:
    with RenderSite() as site:
        run, stats = crawl_fixture(site, db_url, "-a", "paths=script/1,script/2", "-a", "render=1",
                                   env={"CHROMIUM_PATH": "/nonexistent/chromium"})  # fmt: skip
    assert run.returncode == 1
    assert stats["finish_reason"] == "render_not_configured"
    errors = [line for line in run.stderr.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1, errors
    assert "Chromium is not installed at /nonexistent/chromium" in errors[0]
    assert "/script/" not in " ".join(site.paths)
