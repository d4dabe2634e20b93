"""Rendering cost: rendered pages/s beside plain pages/s, and memory, in the same run.

The rendering fixture site (tests/render/site.py) serves the same articles two ways; the test
spider (tests/render/spiders.py) crawls ``N_PAGES`` server-rendered pages plain, then ``N_PAGES``
script-built pages in Chromium (``-a render=1``), with the project's settings but no politeness
delays (our own loopback server) and 8 requests per host, so the browser's page cap (4) is what
limits rendering. Item pipelines are off: both figures measure fetching, not storage. Memory is
the peak PSS of the crawler and every process below it (Chromium's), sampled from /proc.
"""

from __future__ import annotations

import sys

from tests.bench.bench_crawl import _final_stats
from tests.render.processes import WatchedRun, run_watched
from tests.render.site import RenderSite

N_PAGES = 300
MIB = 2**20
SETTINGS = (
    *("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
    *("-s", "ITEM_PIPELINES={}", "-s", "LOG_LEVEL=INFO"),
)


def _crawl(kind: str, render: str) -> tuple[WatchedRun, float]:
    with RenderSite() as site:
        run = run_watched(
            ["crawl", "render_fixture", "-s", "SPIDER_MODULES=tests.render.spiders", *SETTINGS,
             "-a", f"base={site.base_url}", "-a", f"paths={kind}/1..{N_PAGES}", "-a", f"render={render}"],
            db_url=None, progress=lambda: len(site.paths), every=0.5, timeout=1800, stall=180,
        )  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(f"the {kind} crawl failed:\n{run.stderr[-3000:]}")
    stats = _final_stats(run.stderr)
    if stats.get("item_scraped_count") != N_PAGES:
        raise RuntimeError(f"the {kind} crawl scraped {stats.get('item_scraped_count')} of {N_PAGES} pages")
    return run, N_PAGES / float(stats["elapsed_time_seconds"])


def run() -> dict[str, float]:
    plain, plain_rate = _crawl("server", "0")
    rendered, rendered_rate = _crawl("script", "1")
    return {
        "plain_pages_per_s": plain_rate,
        "rendered_pages_per_s": rendered_rate,
        "plain_peak_mib": plain.peak_memory / MIB,
        "rendered_peak_mib": rendered.peak_memory / MIB,
    }


if __name__ == "__main__":
    print(run(), file=sys.stdout)
