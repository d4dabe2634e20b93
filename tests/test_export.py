"""Feed exports: `scrapy crawl followin -O out.jsonl|.json|.csv` writes the cleaned articles, no database."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from crawler.items import EXPORT_FIELDS, ArticleItem
from tests.conftest import run_scrapy
from tests.site.server import FixtureSite
from tests.test_clean_crawl import BOILERPLATE, HEAVY, HTML_TAG, story_paragraphs
from tests.test_followin_crawl import KOL, TAG, TOPIC

INTERNAL = {"raw", "clean_hits", "text_hash", "minhash", "band_keys", "facts"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("export")
    files = {kind: out / f"articles.{kind}" for kind in ("jsonl", "json", "csv")}
    with FixtureSite() as site:
        result = _crawl(site, files)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "not JSON serializable" not in result.stderr
    assert "stored: nothing (storage off or not ready); 80 items scraped" in result.stderr
    return files


def _crawl(site: FixtureSite, files: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    return run_scrapy(
        "crawl", "followin", "-a", "langs=en,zh-Hans", "-a", "max_pages=10", "-a", "news=1",
        "-a", f"kol={KOL}", "-a", f"topic={TOPIC}", "-a", f"tag={TAG}",
        "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "STORE_ENABLED=false",
        *(arg for path in files.values() for arg in ("-O", str(path))),
        db_url=None,  # no DATABASE_URL at all
    )  # fmt: skip


def test_every_field_is_exported_or_internal() -> None:
    assert set(EXPORT_FIELDS) | INTERNAL == set(ArticleItem.fields)
    assert not set(EXPORT_FIELDS) & INTERNAL


def test_jsonl_has_every_article_cleaned(exported: dict[str, Path]) -> None:
    lines = exported["jsonl"].read_text(encoding="utf-8").splitlines()
    items = {(i["external_id"], i["lang"]): i for i in map(json.loads, lines)}
    assert len(lines) == len(items) == 80
    for key, item in items.items():
        assert list(item) == list(EXPORT_FIELDS), key
        body = item["body"]
        assert body and not BOILERPLATE.search(body) and not HTML_TAG.search(body), key
        assert item["raw_body"] and item["account"], key
        assert datetime.fromisoformat(item["published_at"]).utcoffset() is not None, key
        if item["is_machine_translated"]:
            assert item["original_body"] and not BOILERPLATE.search(item["original_body"]), key
    for lang in ("en", "zh-Hans"):
        assert items[(HEAVY, lang)]["body"].split("\n\n") == story_paragraphs(HEAVY, lang)
    assert items[(HEAVY, "en")]["author"] == "Zhou Yuan"


def test_json_and_csv_hold_the_same_articles(exported: dict[str, Path]) -> None:
    jsonl = [json.loads(line) for line in exported["jsonl"].read_text(encoding="utf-8").splitlines()]
    as_json = json.loads(exported["json"].read_text(encoding="utf-8"))
    assert sorted(as_json, key=_key) == sorted(jsonl, key=_key)
    with exported["csv"].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 80 and list(rows[0]) == list(EXPORT_FIELDS)
    by_key = {_key(item): item for item in jsonl}
    for row in rows:
        item = by_key[_key(row)]
        assert row["body"] == item["body"] and row["published_at"] == item["published_at"]
        assert json.loads(row["tags"]) == item["tags"]  # lists as JSON, not a lossy comma join
        assert json.loads(row["images"]) == item["images"]


def _key(item: dict) -> tuple[str, str]:
    return item["external_id"], item["lang"]
