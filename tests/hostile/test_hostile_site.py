"""The real `scrapy crawl followin` against a hostile site (tests/hostile/server.py), into PostgreSQL.

One crawl, many checks: the crawl survives every case, counts each under its own reason, stores
every good article, logs no traceback, and accounts for every item it scraped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import run_scrapy
from tests.hostile.server import CASES, GOOD, STORED, WRONG_CHARSET_TITLE, HostileSite

EXPECTED = Path(__file__).parent.parent / "site" / "expected"
ID = {name: article_id for article_id, name in CASES.items()}

# Case -> the stat that must count it (the spider's own or the validation step's).
COUNTED_AS = {
    "truncated_next_data": "source/followin/malformed_page/truncated_next_data",
    "non_object_next_data": "source/followin/malformed_page/next_data_not_object",
    "wrong_types": "source/followin/wrong_type/tags",
    "lone_surrogates": "validate/repaired/raw_title",
    "nan": "validate/non_finite/raw",
    "nesting_100": "validate/truncated/raw",
    "nesting_too_deep": "source/followin/malformed_page/json_too_deep",
    "body_20mb": "source/followin/request_failed/too_large",
    "invalid_utf8": "source/followin/invalid_utf8",
    "wrong_charset": "source/followin/charset_ignored",
    "binary": "source/followin/malformed_page/binary_page",
    "empty": "source/followin/malformed_page/empty_page",
    "redirect_loop": "source/followin/request_failed/redirect_loop",
    "hangs": "source/followin/request_failed/DownloadTimeoutError",
    "reset_mid_body": "source/followin/request_failed/ResponseDataLossError",
    "id_differs": "source/followin/malformed_page/id_mismatch",
    "long_redirect": "validate/refused/url_too_long",
    "not_found": "source/followin/request_failed/http_404",
}


@pytest.fixture(scope="module")
def crawled(module_db_url: str) -> Iterator[dict[str, Any]]:
    with HostileSite() as site:
        result = run_scrapy(
            "crawl", "followin", "-a", "langs=en", "-a", "news=1", "-a", "kol=1", "-a", "max_pages=5",
            "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=1",
            db_url=module_db_url, timeout=300,
        )  # fmt: skip
    with psycopg.connect(module_db_url, row_factory=dict_row) as conn:
        run = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        rows = conn.execute("SELECT * FROM articles").fetchall()
        failed = conn.execute("SELECT error, item ->> 'url' AS url FROM failed_items").fetchall()
    assert run is not None and run["stats"] is not None, result.stderr[-3000:]
    by_id = {int(r["external_id"]): r for r in rows}
    yield {"log": result.stderr, "run": run, "stats": run["stats"], "rows": by_id, "failed": failed,
           "returncode": result.returncode}  # fmt: skip


def test_the_crawl_survives_without_a_traceback(crawled: dict[str, Any]) -> None:
    assert crawled["run"]["finish_reason"] == "finished"
    assert "Traceback" not in crawled["log"], crawled["log"][-5000:]
    assert "Request failed" in crawled["log"]  # the log is read: failures are in it, one line each
    assert not [line for line in crawled["log"].splitlines() if line.rstrip().endswith("Request failed")]


@pytest.mark.parametrize("case", sorted(COUNTED_AS))
def test_each_case_is_counted_under_its_own_reason(crawled: dict[str, Any], case: str) -> None:
    assert crawled["stats"].get(COUNTED_AS[case], 0) >= 1, sorted(crawled["stats"])


def test_list_level_cases_are_counted(crawled: dict[str, Any]) -> None:
    stats = crawled["stats"]
    assert stats["source/followin/malformed_page/list_not_a_list"] == 1  # "list": 7 from the list API
    assert stats["source/followin/api_error/5001"] == 1
    assert stats["source/followin/list_entry_skipped"] == 2  # the 10k-character id and "not-an-id"
    assert stats["validate/implausible/published_at"] == 3  # year 9999, 1970, negative
    assert stats["source/followin/request_failed/redirect_loop"] == 2  # endless hops, and A -> B -> A


def test_every_good_article_lands_intact(crawled: dict[str, Any]) -> None:
    rows = crawled["rows"]
    for article_id in GOOD:
        expected = json.loads((EXPECTED / f"{article_id}.en.json").read_text())
        assert article_id in rows, article_id
        assert rows[article_id]["raw_title"] == expected["raw_title"], article_id  # not the impostor's
        assert rows[article_id]["raw_body"] == expected["raw_body"], article_id
    assert set(rows) == set(GOOD) | {ID[name] for name in STORED}


def test_repairable_articles_are_stored_repaired(crawled: dict[str, Any]) -> None:
    rows = crawled["rows"]
    assert "\ufffd" in rows[ID["lone_surrogates"]]["raw_title"]
    assert "\ufffd" in rows[ID["invalid_utf8"]]["raw_title"]
    assert rows[ID["wrong_charset"]]["raw_title"] == WRONG_CHARSET_TITLE  # read as UTF-8, not Latin-1
    assert rows[ID["nan"]]["related_feeds"] is None and rows[ID["nan"]]["raw"]["score"] is None
    wrong = rows[ID["wrong_types"]]
    assert wrong["tags"] == [] and wrong["related_feeds"] is None and wrong["published_at"] is None
    for name, millis in (("year_9999", 253402214400000), ("year_1970", 1000), ("negative_time", -86_400_000)):
        assert rows[ID[name]]["published_at"] is None, name
        assert rows[ID[name]]["raw"]["publish_time"] == millis, name  # the source's value is kept


def test_every_scraped_item_is_accounted_for(crawled: dict[str, Any]) -> None:
    stats = crawled["stats"]
    scraped = sum(v for k, v in stats.items() if k.startswith("source/followin/articles/"))
    stored = sum(stats.get(f"store/{k}", 0) for k in ("inserted", "updated", "unchanged"))
    kept = stats.get("store/set_aside", 0) + stats.get("store/spilled", 0)
    refused = sum(v for k, v in stats.items() if k.startswith("validate/refused/"))
    dropped = stats.get("item_dropped_count", 0) - refused  # dropped by a later stage, with a reason
    assert scraped == stored + kept + dropped
    assert refused == stats["store/set_aside"] == 1  # the 9k-character URL, kept in failed_items
    (failed,) = crawled["failed"]
    assert failed["error"].startswith("Refused: url_too_long") and len(failed["url"]) > 9000
    # An item set aside is not a clean run: exit 1, and the summary says how to replay it.
    assert crawled["returncode"] == 1 and "scrapy crawl ingest -a failed=1" in crawled["log"]
    assert scraped == len(GOOD) + len(STORED) + 1


def test_the_run_records_its_typed_arguments(crawled: dict[str, Any]) -> None:
    args = crawled["run"]["args"]
    assert args == {"langs": ["en"], "max_pages": 5, "since": None, "kol": [1], "topic": [], "tag": [],
                    "ids": [], "news": True, "full": False}  # fmt: skip
