"""A long rendered crawl ends, and Chromium's memory stays bounded while it runs.

Memory growth and hangs after many pages are what users of scrapy-playwright complain about most
(pages never closed, contexts piling up). A few hundred script-built pages are rendered here with
several pages open at once; the crawl and its browser processes are watched from /proc.
"""

from __future__ import annotations

import statistics

import pytest

from tests.render.conftest import crawl_fixture, stored
from tests.render.site import RenderSite

N_PAGES = 300
MIB = 2**20


@pytest.mark.timeout(1800)
def test_hundreds_of_rendered_pages_end_with_bounded_memory(chromium: str, db_url: str) -> None:
    with RenderSite() as site:
        run, stats = crawl_fixture(
            site, db_url, "-a", f"paths=script/1..{N_PAGES}", "-a", "render=1",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",  # more than the browser's page cap (4)
            "-s", "RENDER_WAIT_TIMEOUT=60",  # about memory and ending, not speed: a busy machine is fine
            progress=lambda: site.served("/api/article/"), every=0.5, timeout=1500, stall=180,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    render = {k: v for k, v in stats.items() if k.startswith(("render/", "playwright/page"))}
    errors = [line for line in run.stderr.splitlines() if "] ERROR:" in line]
    assert stats["render/pages"] == N_PAGES and stats.get("render/errors", 0) == 0, (render, errors)
    assert stats["playwright/page_count/closed"] == stats["playwright/page_count"] == N_PAGES
    assert stats["playwright/page_count/max_concurrent"] == 4
    assert stats["playwright/browser_count"] == 1 and stats["playwright/context_count"] == 1
    assert len(stored(db_url)) == N_PAGES

    # PSS of the crawler and its browser processes, by how far the crawl had got.
    first = [s.memory for s in run.samples if N_PAGES / 10 <= s.progress < N_PAGES / 3]
    last = [s.memory for s in run.samples if 2 * N_PAGES / 3 <= s.progress < N_PAGES]
    assert len(first) >= 5 and len(last) >= 5, (len(first), len(last))
    summary = (
        f"first third: median {statistics.median(first) / MIB:.0f} MiB, max {max(first) / MIB:.0f} MiB; "
        f"last third: median {statistics.median(last) / MIB:.0f} MiB, max {max(last) / MIB:.0f} MiB"
    )
    print(summary)
    # Generous: the browser's caches may still fill a little; a leak of pages or contexts would not
    # fit (and would first hang the crawl at the page cap, which `stall` catches).
    assert statistics.median(last) <= 1.25 * statistics.median(first) + 64 * MIB, summary
    assert max(last) <= 1.25 * max(first) + 64 * MIB, summary
