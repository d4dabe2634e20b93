"""One item's bad data costs that item only: it is set aside with its reason, the rest is written.

Items are fed with the real `scrapy crawl ingest -a path=FILE` through the store pipeline alone
(no validation step in front of it), so that what reaches the writer is exactly what a hostile
page could make: a lone surrogate, an id or URL too long for a btree index, NaN in the JSON.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import run_scrapy

STORE_ONLY = json.dumps({"pipelines.store.StorePipeline": 800})
_rng = random.Random(7)


def _noise(n: int) -> str:
    """Incompressible text: PostgreSQL compresses index entries, so a repeated letter would fit."""
    return "".join(_rng.choices(string.ascii_letters + string.digits, k=n))


def good(n: int) -> dict[str, Any]:
    return {
        "source": "followin", "external_id": f"g{n}", "lang": "en",
        "url": f"https://followin.io/en/feed/g{n}", "raw_title": f"Title {n}", "raw_body": f"Body {n}.",
        "title": f"Title {n}", "body": f"Body number {n} of the batch.",
        "published_at": "2026-01-05T10:00:00+00:00", "raw": {"id": n},
    }  # fmt: skip


def bad_items() -> dict[str, dict[str, Any]]:
    """What goes wrong -> an item that makes it go wrong."""
    return {
        "lone surrogate": good(100) | {"external_id": "b-surrogate", "title": "broken \ud800 title"},
        "10k-character id": good(101) | {"external_id": _noise(10_000)},
        "9k-character URL": good(102) | {"external_id": "b-url", "url": "https://x.example/" + _noise(9_000)},
        "NaN in the JSON": good(103) | {"external_id": "b-nan", "raw": {"price": float("nan")}},
    }


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    # json.dumps escapes the lone surrogate (\ud800) and writes NaN: both as a spill file would.
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def ingest(db_url: str, tmp_path: Path, *args: str) -> Any:
    return run_scrapy(
        "crawl", "ingest", *args, "-s", f"ITEM_PIPELINES={STORE_ONLY}", "-s", "STORE_BATCH_SIZE=100",
        "-s", f"FAILED_ITEMS_DIR={tmp_path / 'failed'}", db_url=db_url,
    )  # fmt: skip


def rows(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    """30 good items with the 4 bad ones among them, in one batch."""
    items: list[dict[str, Any]] = [good(n) for n in range(30)]
    for position, bad in zip((3, 11, 19, 27), bad_items().values(), strict=True):
        items.insert(position, bad)
    return write_jsonl(tmp_path / "mixed.jsonl", items)


def last_stats(db_url: str) -> dict[str, Any]:
    return rows(db_url, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")[0][0]


def test_bad_items_are_set_aside_and_every_good_item_is_written(
    db_url: str, tmp_path: Path, mixed_file: Path
) -> None:
    result = ingest(db_url, tmp_path, "-a", f"path={mixed_file}")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]

    stored = {r[0] for r in rows(db_url, "SELECT external_id FROM articles")}
    assert stored == {f"g{n}" for n in range(30)}
    failed = rows(db_url, "SELECT item, error FROM failed_items ORDER BY id")
    assert len(failed) == 4
    assert {item["raw_title"] for item, _ in failed} == {f"Title {n}" for n in (100, 101, 102, 103)}
    errors = " | ".join(error for _, error in failed)
    assert "UnicodeEncodeError" in errors and "index row" in errors
    surrogate = next(item for item, _ in failed if item["external_id"] == "b-surrogate")
    assert surrogate["title"] == "broken \ufffd title"  # kept, made storable
    nan = next(item for item, _ in failed if item["external_id"] == "b-nan")
    assert nan["raw"] == {"price": None}

    # Not an outage: nothing went to disk.
    assert not (tmp_path / "failed").exists()
    # The stats are what was committed, and the summary says so.
    stats = last_stats(db_url)
    assert stats["store/inserted"] == len(stored) == 30
    assert stats["store/set_aside"] == 4
    assert "store/spilled" not in stats and "store/lost" not in stats
    assert "stored: 30 new" in result.stderr
    # Honest outcome: non-zero, says which, prints the replay command.
    assert result.returncode == 1
    assert "4 items set aside in failed_items" in result.stderr
    assert "replay with: scrapy crawl ingest -a failed=1" in result.stderr
    # The replayed file was handled completely: renamed, not replayed twice by accident.
    assert not mixed_file.exists() and mixed_file.with_name("mixed.jsonl.replayed").exists()


def test_replaying_a_bad_item_sets_it_aside_again_instead_of_spilling(
    db_url: str, tmp_path: Path, mixed_file: Path
) -> None:
    ingest(db_url, tmp_path, "-a", f"path={mixed_file}")
    again = ingest(db_url, tmp_path, "-a", "failed=1")
    assert "Traceback" not in again.stderr, again.stderr[-3000:]
    assert again.returncode == 1
    assert not (tmp_path / "failed").exists()
    replayed, open_rows = rows(
        db_url,
        "SELECT count(*) FILTER (WHERE replayed_at IS NOT NULL), count(*) FILTER (WHERE replayed_at IS NULL) "
        "FROM failed_items",
    )[0]
    # The old rows are replayed. Kept in storable form, the surrogate and NaN items now store
    # (U+FFFD, null); the id and URL still do not fit: set aside anew, with their reason.
    assert (replayed, open_rows) == (4, 2)
    assert rows(db_url, "SELECT count(*) FROM articles")[0][0] == 32
    still_failing = rows(db_url, "SELECT error FROM failed_items WHERE replayed_at IS NULL")
    assert all("index row" in error for (error,) in still_failing)
    stats = last_stats(db_url)
    assert (stats["store/inserted"], stats["store/set_aside"]) == (2, 2)


def test_a_clean_replay_exits_zero(db_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "good.jsonl", [good(n) for n in range(5)])
    result = ingest(db_url, tmp_path, "-a", f"path={path}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "outcome: ok" in result.stderr
    assert rows(db_url, "SELECT count(*) FROM articles")[0][0] == 5
