"""Every command's failure is one line without a secret, and its exit status tells the truth."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from pipelines.db import runs
from pipelines.db.connect import DatabaseConfigError, connect
from tests.conftest import run_scrapy

PASSWORD = "s3cret-Pw9"
MALFORMED = {
    "bad port": f"postgresql://crawler:{PASSWORD}@127.0.0.1:notaport/news",
    "bad parameter": f"postgresql://crawler:{PASSWORD}@127.0.0.1:5432/news?sslmode=require&bogus=1",
    "unclosed IPv6 host": f"postgresql://crawler:{PASSWORD}@[::1/news",
    "missing colon": f"postgresql//crawler:{PASSWORD}@db.example/news",
}
COMMANDS = {
    "crawl": ["crawl", "followin", "-s", "FOLLOWIN_BASE_URL=http://127.0.0.1:9"],
    "ingest file": ["crawl", "ingest", "-a", "path=README.md"],
    "ingest failed": ["crawl", "ingest", "-a", "failed=1"],
    "migrate": ["migrate"],
    "report": ["report"],
    "reclean": ["reclean"],
}


@pytest.mark.parametrize("url", list(MALFORMED))
def test_malformed_database_url_error_is_one_line_without_the_password(url: str) -> None:
    with pytest.raises(DatabaseConfigError) as raised:
        connect(MALFORMED[url])
    message = str(raised.value)
    assert PASSWORD not in message and "\n" not in message
    assert "DATABASE_URL" in message


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_prints_one_line_for_a_malformed_url(command: str) -> None:
    # psycopg repeats this URL, password included, in its own message.
    result = run_scrapy(*COMMANDS[command], db_url=MALFORMED["unclosed IPv6 host"], timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert PASSWORD not in output
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in output.splitlines() if "DATABASE_URL" in line or "PostgreSQL at" in line]
    assert len(errors) == 1, output[-3000:]


@pytest.mark.parametrize("command", ["report", "reclean"])
def test_unmigrated_database_says_to_migrate(command: str, empty_db_url: str) -> None:
    result = run_scrapy(command, db_url=empty_db_url, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "run `scrapy migrate`" in result.stderr


def test_report_of_a_run_that_does_not_exist_fails(db_url: str) -> None:
    result = run_scrapy("report", "--run", "999", db_url=db_url, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "report: no crawl run 999"


def test_reclean_refuses_batch_size_zero(db_url: str) -> None:
    result = run_scrapy("reclean", "--batch-size", "0", db_url=db_url, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "reclean: --batch-size must be at least 1, got 0"


def test_stale_heartbeat_is_reported_as_abandoned_not_running(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        stale = runs.start_run(conn, "followin", {"langs": ["en"]})
        runs.heartbeat(conn, stale, {"store/run_id": stale, "store/inserted": 7})
        conn.execute("UPDATE crawl_runs SET heartbeat_at = now() - interval '1 hour' WHERE id = %s", (stale,))
        fresh = runs.start_run(conn, "followin", {})
    shown_fresh = run_scrapy("report", "--run", str(fresh), db_url=db_url, timeout=60)
    assert "still running" in shown_fresh.stdout
    shown = run_scrapy("report", "--run", str(stale), db_url=db_url, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "ABANDONED" in shown.stdout and "still running" not in shown.stdout
    assert "stored: 7 new" in shown.stdout  # what it did before it died, from its last heartbeat
    assert "FAILED: the end of the run could not be recorded" in shown.stdout
    with psycopg.connect(db_url) as conn:
        status = dict(conn.execute("SELECT id, status FROM crawl_runs").fetchall())
    assert status == {stale: "abandoned", fresh: "running"}


def test_summary_is_shown_at_every_log_level(db_url: str, tmp_path: Path) -> None:
    items = tmp_path / "one.jsonl"
    item = {"source": "followin", "external_id": "1", "lang": "en", "url": "https://x.example/1",
            "raw_title": "A title", "raw_body": "A body.", "title": "A title", "body": "A body."}  # fmt: skip
    items.write_text(json.dumps(item) + "\n")
    result = run_scrapy("crawl", "ingest", "-a", f"path={items}", "-s", "LOG_LEVEL=CRITICAL", db_url=db_url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Crawl finished (finished)" in result.stderr and "outcome: ok" in result.stderr
