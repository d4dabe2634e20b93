"""Crawl throughput: the followin spider on a scaled-up fixture site beside `scrapy bench`.

The fixture articles are copied under new ids until the site holds ``N_ARTICLES``; the spider
crawls its news list and every article page, through the real item pipelines (clean, dedupe,
store) into a scratch database, as `scrapy crawl followin` does. Politeness delays are off (it is
our own loopback server), concurrency is Scrapy's default, as in `scrapy bench`, which runs in
the same invocation outside the project (so with Scrapy's default settings).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.scratch import scratch_database
from tests.site.server import FixtureSite

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "site" / "data"
N_ARTICLES = 1200


def scaled_site_data(directory: Path, n_articles: int) -> None:
    """Write a fixture data dir holding ``n_articles`` copies of the fixture articles."""
    originals = [json.loads(p.read_text()) for p in sorted((DATA / "articles").glob("*.json"))]
    (directory / "articles").mkdir(parents=True)
    for i in range(n_articles):
        article = dict(originals[i % len(originals)])
        article["id"] = 50_000_000 + i
        article["publish_time"] = 1_767_225_600_000 + i * 60_000  # distinct, newest last
        (directory / "articles" / f"{article['id']}.json").write_text(json.dumps(article))
    lists = {"news": {"hidden": [], "listed_twice": None}, "kols": {}, "topics": {}, "tags": {}}
    (directory / "lists.json").write_text(json.dumps(lists))


def _final_stats(log: str) -> dict[str, object]:
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.DOTALL)
    if not match:
        raise RuntimeError("no stats in the crawl log:\n" + log[-2000:])
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", match[1])
    return ast.literal_eval(text)


def pages_per_minute(stats: dict[str, object]) -> float:
    return float(stats["response_received_count"]) * 60 / float(stats["elapsed_time_seconds"])


def scrapy_bench() -> float:
    """`scrapy bench` run outside the project: Scrapy's own reference figure on this machine."""
    with tempfile.TemporaryDirectory() as outside:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", "CLOSESPIDER_TIMEOUT=10"],
            cwd=outside, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    return pages_per_minute(_final_stats(result.stderr))


def followin_crawl(db_url: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        scaled_site_data(Path(tmp), N_ARTICLES)
        with FixtureSite(data_dir=Path(tmp)) as site:
            env = dict(os.environ, DATABASE_URL=db_url)
            result = subprocess.run(
                [
                    sys.executable, "-m", "scrapy", "crawl", "followin", "-a", f"max_pages={N_ARTICLES}",
                    "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
                    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
                    "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                    "-s", "LOG_LEVEL=INFO",
                ],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
    stats = _final_stats(result.stderr)
    return pages_per_minute(stats), int(stats.get("store/inserted", 0))


def run(url: str) -> dict[str, float]:
    with scratch_database(url, "newscrawl_bench_crawl") as db_url:
        baseline = scrapy_bench()
        spider, stored = followin_crawl(db_url)
    return {"followin_pages_per_min": spider, "scrapy_bench_pages_per_min": baseline, "stored": stored}
