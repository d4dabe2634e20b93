"""PostgreSQL stopped in the middle of a crawl, then started again.

The crawl keeps going and keeps on disk what it cannot write, exits non-zero and prints the
command that replays it; that command stores every article exactly once and marks the file.
The cluster here is the test's own: stopping the shared one would stop every other test.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pipelines.db.localpg import LocalCluster
from pipelines.db.migrate import apply_all
from tests.conftest import ROOT, free_port, run_scrapy
from tests.site.many import article_ids, write_site
from tests.site.server import FixtureSite
from tests.test_crash_resume import article_fetches, count, crawl_args, start_scrapy, wait_for

ARTICLES = 150


@pytest.fixture
def own_cluster() -> Iterator[LocalCluster]:
    port = free_port()
    cluster = LocalCluster(ROOT / "var" / f"test-pg-outage-{port}", port)
    cluster.start()
    with psycopg.connect(cluster.url) as conn:
        apply_all(conn)
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.directory, ignore_errors=True)


def test_database_stopped_mid_crawl_items_kept_on_disk_and_replayed_once(
    own_cluster: LocalCluster, tmp_path: Path
) -> None:
    url, log = own_cluster.url, tmp_path / "crawl.log"
    with FixtureSite(data_dir=write_site(tmp_path / "site", ARTICLES)) as site:
        failed_dir = tmp_path / "failed"
        args = [*crawl_args(site, None), "-s", f"FAILED_ITEMS_DIR={failed_dir}", "-s", "STORE_RETRIES=2"]
        proc = start_scrapy(args, url, log)
        try:
            wait_for(lambda: count(url) >= 25, proc)
            own_cluster.stop()
            status = proc.wait(timeout=240)
        finally:
            proc.kill()
        assert sorted(set(article_fetches(site))) == article_ids(ARTICLES)  # the crawl went on
    err = log.read_text()
    assert "Traceback" not in err, err[-3000:]

    # Honest outcome: non-zero, says what was kept where, and how to replay it.
    assert status == 1
    kept = int(re.search(r"(\d+) items kept on disk \(database unreachable\)", err)[1])
    assert "the end of the run could not be recorded" in err
    replay = re.search(r"replay with: (scrapy crawl ingest -a path=\S+)", err)[1]
    spill = Path(replay.rsplit("=", 1)[1])
    assert spill.parent == tmp_path / "failed" and spill.exists()
    assert len(spill.read_text().splitlines()) == kept > 0

    own_cluster.start()
    stored_before = count(url)
    assert stored_before + kept >= ARTICLES  # nothing lost: in the database or on disk
    again = run_scrapy(*shlex.split(replay)[1:], "-s", "STORE_BATCH_SIZE=25", db_url=url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "outcome: ok" in again.stderr
    with psycopg.connect(url) as conn:
        ids = [int(r[0]) for r in conn.execute("SELECT external_id FROM articles")]
    assert sorted(ids) == article_ids(ARTICLES)  # every article exactly once
    assert not spill.exists() and spill.with_name(spill.name + ".replayed").exists()
