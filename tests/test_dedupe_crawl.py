"""End to end: the fixture site's planted duplicates, crawled twice, one story per planted story."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import psycopg
import pytest

from tests.conftest import ROOT, migrated_database, scrapy_env
from tests.site.server import FixtureSite
from tests.test_followin_crawl import KOL, TAG, TOPIC, crawl
from tests.test_story_order import outcome

# tests/site/data/README.md: the planted cases.
SAME_STORY = {
    "syndicated exact copy": ("22870455", "22874120"),
    "other source boilerplate": ("22871004", "22872231"),
    "re-translation": ("22870101", "22870342"),
}
NEAR_MISS = ("22873789", "22871004")
FLASHES = ("22875012", "22875230", "9871844", "9872013", "22876601")
LISTS = ("-a", "max_pages=10", "-a", "news=1", "-a", f"kol={KOL}", "-a", f"topic={TOPIC}", "-a", f"tag={TAG}")
EVERYTHING = ("-a", "langs=en,zh-Hans", *LISTS)


def test_planted_duplicates_make_one_story_each_and_a_rerun_adds_nothing(db_url: str) -> None:
    with FixtureSite() as site:
        first = crawl(site, db_url, *EVERYTHING)
        second = crawl(site, db_url, *EVERYTHING)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT external_id, lang, story_id FROM articles").fetchall()
        story = {(ext, lang): story_id for ext, lang, story_id in rows}
        n_stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
        feed = conn.execute("SELECT story_id, articles, sources, languages FROM story_feed").fetchall()
        pointers = conn.execute(
            "SELECT count(*) FROM article_feed f JOIN story_feed s USING (story_id) "
            "WHERE f.duplicate_of IS DISTINCT FROM NULLIF(s.canonical_article_id, f.id)"
        ).fetchone()[0]
    for case, (a, b) in SAME_STORY.items():
        assert story[(a, "en")] == story[(b, "en")] == story[(a, "zh-Hans")] == story[(b, "zh-Hans")], case
    assert story[(NEAR_MISS[0], "en")] != story[(NEAR_MISS[1], "en")]
    assert len({story[(f, "en")] for f in FLASHES}) == len(FLASHES)
    # 40 articles, each one story across its two page languages, less the 3 planted merges.
    assert n_stories == len(feed) == 40 - len(SAME_STORY)
    assert sum(row[1] for row in feed) == 80 and {row[3] for row in feed} == {2}
    assert pointers == 0  # every non-canonical article points at its story's canonical one
    # A page may open a story that a later page merges into another: stories opened less merged.
    assert first["dedupe/new_story"] - first.get("dedupe/merged", 0) == 37
    assert first["dedupe/cross_language"] == 40
    assert second.get("store/inserted", 0) == 0 and second.get("store/updated", 0) == 0
    assert not any(key.startswith("dedupe/") for key in second)  # nothing new to decide


def crawl_at_once(site: FixtureSite, db_url: str, *runs: tuple[str, ...]) -> None:
    """Several `scrapy crawl followin` processes into one database at the same time."""
    site_args = ("-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0")  # fmt: skip
    command = [sys.executable, "-m", "scrapy", "crawl", "followin", *site_args]
    env = scrapy_env(db_url)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True}
    procs = [subprocess.Popen([*command, *args], cwd=ROOT, env=env, **quiet) for args in runs]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert "Traceback" not in err, err[-3000:]


@pytest.mark.timeout(900)  # eight crawls: seconds each alone, minutes on a busy machine
def test_crawl_order_batch_size_and_concurrent_writers_give_the_same_stories(pg_cluster: Any) -> None:
    """The fixture site crawled zh-Hans first, en first, one item per batch, and by two crawls at
    once: the same partition into stories and the same canonical rows every time."""
    orders = {
        "zh-Hans first": [("-a", "langs=zh-Hans", *LISTS), ("-a", "langs=en", *LISTS)],
        "en first": [("-a", "langs=en", *LISTS), ("-a", "langs=zh-Hans", *LISTS)],
        "batches of 1": [(*EVERYTHING, "-s", "STORE_BATCH_SIZE=1")],
        "batches of 500": [(*EVERYTHING, "-s", "STORE_BATCH_SIZE=500")],
    }
    results = {}
    with FixtureSite() as site:
        for name, runs in orders.items():
            with migrated_database(pg_cluster) as url:
                for args in runs:
                    crawl(site, url, *args)
                results[name] = outcome(url)
        with migrated_database(pg_cluster) as url:
            crawl_at_once(site, url, *(("-a", f"langs={lang}", *LISTS, "-s", "STORE_BATCH_SIZE=3")
                                       for lang in ("en", "zh-Hans")))  # fmt: skip
            results["two writers at once"] = outcome(url)
    reference = results["zh-Hans first"]
    assert len(reference[0]) == 37 and len(reference[1]) == 37
    for name, got in results.items():
        assert got == reference, name
