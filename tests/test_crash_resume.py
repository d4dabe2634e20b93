"""SIGKILL at several moments, then the same command again: every article stored exactly once.

With ``-s JOBDIR=…`` the second run resumes: it fetches only the articles the killed run had not
stored. Without it, it starts over, and idempotent writes keep every article once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from crawler.resume import read_fingerprints
from tests.conftest import ROOT, run_scrapy
from tests.site.many import article_ids, write_site
from tests.site.server import FixtureSite

ARTICLES = 200


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureSite]:
    with FixtureSite(data_dir=write_site(tmp_path_factory.mktemp("site"), ARTICLES)) as running:
        yield running


def crawl_args(site: FixtureSite, jobdir: Path | None) -> list[str]:
    args = [
        "crawl", "followin", "-a", "max_pages=100",
        "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "STORE_BATCH_SIZE=25",
        "-s", "STORE_FLUSH_SECONDS=1", "-s", "LOG_LEVEL=INFO",
    ]  # fmt: skip
    return args + (["-s", f"JOBDIR={jobdir}"] if jobdir else [])


def start_scrapy(args: list[str], db_url: str, log: Path | None = None) -> subprocess.Popen[str]:
    """The real command line in the background (run_scrapy waits); stderr to ``log`` if given."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": db_url}
    err = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=err, text=True)  # fmt: skip


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the crawl ended before the moment to kill it"
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.05)


def count(db_url: str, sql: str = "SELECT count(*) FROM articles") -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql).fetchone()[0]


def article_fetches(site: FixtureSite) -> list[int]:
    return [int(r.path.rsplit("/", 1)[1]) for r in site.requests if "/feed/" in r.path and r.method == "GET"]


def kill_after_articles_fetched(n: int) -> Callable[[FixtureSite, str, subprocess.Popen[str]], None]:
    def moment(site: FixtureSite, db_url: str, proc: subprocess.Popen[str]) -> None:
        wait_for(lambda: len(article_fetches(site)) >= n, proc)
        proc.send_signal(signal.SIGKILL)

    return moment


def kill_mid_flush(site: FixtureSite, db_url: str, proc: subprocess.Popen[str]) -> None:
    """Some batches stored, then a flush held inside its transaction (a table lock) and killed."""
    wait_for(lambda: count(db_url) >= 50, proc)
    with psycopg.connect(db_url) as holder:
        holder.execute("LOCK TABLE articles IN SHARE MODE")  # the next batch's insert waits here
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'newscrawl' "
            "AND wait_event_type = 'Lock'"
        )
        wait_for(lambda: count(db_url, waiting) > 0, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        holder.rollback()


MOMENTS = {
    "early": kill_after_articles_fetched(5),
    "after_60_articles": kill_after_articles_fetched(60),
    "mid_flush": kill_mid_flush,
}


@pytest.mark.parametrize(
    ("moment", "resume"),
    [("early", True), ("after_60_articles", True), ("mid_flush", True), ("mid_flush", False)],
    ids=["early-jobdir", "after_60_articles-jobdir", "mid_flush-jobdir", "mid_flush-no_jobdir"],
)
def test_sigkill_then_same_command_stores_every_article_once(
    site: FixtureSite, db_url: str, tmp_path: Path, moment: str, resume: bool
) -> None:
    jobdir = tmp_path / "job" if resume else None
    args = crawl_args(site, jobdir)
    site.requests.clear()
    proc = start_scrapy(args, db_url)
    try:
        MOMENTS[moment](site, db_url, proc)
    finally:
        proc.kill()
        proc.wait()
    stored_at_kill = count(db_url)
    with psycopg.connect(db_url) as conn:
        started, beat = conn.execute("SELECT started_at, heartbeat_at FROM crawl_runs").fetchone()
    if moment != "early":
        assert beat > started  # the killed run's heartbeat moved while it worked
    assert stored_at_kill < ARTICLES, "killed too late to test anything"
    journaled = len(list(read_fingerprints((jobdir / "requests.stored").read_bytes()))) if jobdir else 0

    site.requests.clear()
    again = run_scrapy(*args, "-s", "RUN_STALE_SECONDS=0", db_url=db_url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Traceback" not in again.stderr, again.stderr[again.stderr.find("Traceback") - 1500 :][:5000]

    with psycopg.connect(db_url) as conn:
        ids = [int(r[0]) for r in conn.execute("SELECT external_id FROM articles")]
        runs = dict(conn.execute("SELECT id, status FROM crawl_runs ORDER BY id").fetchall())
    assert sorted(ids) == article_ids(ARTICLES)  # every article, exactly once
    assert list(runs.values()) == ["abandoned", "finished"]  # the killed run is not "running"

    fetched = article_fetches(site)
    if resume:
        # Resumed: only what the killed run had not durably stored is fetched again.
        assert journaled <= stored_at_kill
        assert len(fetched) == ARTICLES - journaled
        if moment != "early":
            assert journaled > 0
    else:
        assert len(fetched) == ARTICLES  # started over
