"""Distributed crawl throughput: one worker and two workers sharing Redis, on the scaled fixture site.

Both runs use the same Redis scheduler (crawler.distributed), the real item pipelines and a scratch
database each; only the number of `scrapy crawl` processes differs. Pages per minute are counted
where they land, on the fixture server: pages served / (last request - first request), so the
workers' start-up and their idle wait before leaving (REDIS_IDLE_CLOSE) are not counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.bench_crawl import ROOT, scaled_site_data
from tests.bench.scratch import scratch_database
from tests.redis_server import RedisServer
from tests.site.server import FixtureSite

N_ARTICLES = 1200


def _crawl(n_workers: int, data_dir: Path, db_url: str) -> tuple[float, int]:
    with FixtureSite(data_dir=data_dir) as site, RedisServer() as server:
        env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=server.url)
        args = [
            sys.executable, "-m", "scrapy", "crawl", "followin", "-a", f"max_pages={N_ARTICLES}",
            "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            "-s", "REDIS_IDLE_CLOSE=5", "-s", "LOG_LEVEL=WARNING",
        ]  # fmt: skip
        logs = [data_dir / f"worker{i}.log" for i in range(n_workers)]
        procs = [
            subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
            for log in logs
        ]
        for proc, log in zip(procs, logs, strict=True):
            if proc.wait(timeout=900) != 0:
                raise RuntimeError(f"a worker failed ({proc.returncode}):\n{log.read_text()[-2000:]}")
        pages = [r for r in site.requests if r.path != "/robots.txt"]
    span = pages[-1].time - pages[0].time
    return len(pages) * 60 / span, len(pages)


def run(url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        scaled_site_data(Path(tmp), N_ARTICLES)
        figures: dict[str, float] = {}
        for n in (1, 2):
            with scratch_database(url, f"newscrawl_bench_workers_{n}") as db_url:
                figures[f"pages_per_min_{n}"], figures[f"pages_{n}"] = _crawl(n, Path(tmp), db_url)
    return figures
