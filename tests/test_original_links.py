"""An outlet's original crawled by the news spider and Followin's translations of it, which name it
as their source, are one story, whichever is crawled first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import migrated_database, run_scrapy
from tests.site.server import DATA_DIR, FixtureSite
from tests.sources.server import StaticSite, mirrors, site_from_folder

ORIGINAL = "https://odaily.news/post/5209001"  # tests/sources/odaily: its canonical URL
COPY = "22871577"  # a Followin article, here naming that post as its source (with a share tail)


@pytest.fixture
def followin_data(tmp_path: Path) -> Path:
    data = shutil.copytree(DATA_DIR, tmp_path / "data")
    path = data / "articles" / f"{COPY}.json"
    article = json.loads(path.read_text(encoding="utf-8"))
    article["source_url"] = "https://www.odaily.news/post/5209001/?utm_source=followin"
    path.write_text(json.dumps(article, ensure_ascii=False), encoding="utf-8")
    return data


def crawl_followin(site: FixtureSite, db_url: str) -> None:
    result = run_scrapy(
        "crawl", "followin", "-a", f"ids={COPY}", "-a", "langs=en,zh-Hans",
        "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", db_url=db_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def crawl_odaily(site: StaticSite, origins: list[str], db_url: str) -> None:
    result = run_scrapy(
        "crawl", "news", "-a", "source=odaily",
        "-s", f"SOURCE_MIRRORS={json.dumps(mirrors(site.base_url, origins))}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", db_url=db_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("original_first", [True, False], ids=["original first", "translation first"])
def test_original_and_its_followin_translations_are_one_story(
    pg_cluster: Any, followin_data: Path, original_first: bool
) -> None:
    pages, origins = site_from_folder(Path(__file__).parent / "sources" / "odaily")
    with FixtureSite(data_dir=followin_data) as followin, StaticSite(pages) as odaily, \
            migrated_database(pg_cluster) as url:  # fmt: skip
        crawls = [lambda: crawl_odaily(odaily, origins, url), lambda: crawl_followin(followin, url)]
        for crawl in crawls if original_first else crawls[::-1]:
            crawl()
        with psycopg.connect(url) as conn:
            story = dict(conn.execute(
                "SELECT source || ':' || external_id || ':' || lang, story_id FROM article_feed "
                "WHERE url = %s OR external_id = %s", (ORIGINAL, COPY),
            ).fetchall())  # fmt: skip
            feed = conn.execute(
                "SELECT source_names, langs FROM story_feed WHERE story_id = %s",
                (story[f"followin:{COPY}:en"],),
            ).fetchone()
    assert len(story) == 3 and len(set(story.values())) == 1, story
    assert feed == (["followin", "odaily"], ["en", "zh-Hans"])
