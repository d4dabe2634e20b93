"""Incremental runs on the fixture site: a second run fetches almost nothing, new articles exactly."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.site.server import FixtureSite
from tests.test_followin_crawl import crawl

BOTH = ("-a", "langs=en,zh-Hans", "-a", "max_pages=10")
ON_FIRST_PAGE = 22879944  # the newest fixture article


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as running:
        yield running


def _article_pages(site: FixtureSite) -> set[str]:
    return {r.path for r in site.requests if r.method == "GET" and "/feed/" in r.path}


def _add_articles(site: FixtureSite, n: int) -> list[int]:
    """n new articles, newer than all others: they head the news list."""
    articles = site.content.articles
    template = articles[ON_FIRST_PAGE]
    newest = max(int(a["publish_time"]) for a in articles.values())
    added = []
    for i in range(1, n + 1):
        article = copy.deepcopy(template)
        article["id"] = type(next(iter(articles)))(90_000_000 + i)
        article["publish_time"] = newest + i * 60_000
        article["original"]["title"] = f"Fresh item {i}: " + article["original"]["title"]
        articles[article["id"]] = article
        added.append(int(article["id"]))
    return added


def _key(article_id: int, site: FixtureSite) -> Any:
    return type(next(iter(site.content.articles)))(article_id)


def test_second_run_fetches_almost_nothing_then_exactly_new_articles(site: FixtureSite, db_url: str) -> None:
    first = crawl(site, db_url, *BOTH)
    first_requests = len(site.requests)
    assert first["store/inserted"] == 74

    site.requests.clear()
    second = crawl(site, db_url, *BOTH)
    assert len(site.requests) <= first_requests / 10, [r.path for r in site.requests]
    assert _article_pages(site) == set()
    assert second["incremental/articles_skipped"] == 76  # both list pages read: overlap of 1 page
    assert second.get("store/inserted", 0) == 0

    site.requests.clear()
    no_overlap = crawl(site, db_url, *BOTH, "-s", "INCREMENTAL_OVERLAP_PAGES=0")
    assert [r for r in site.requests if r.method == "POST"] == []  # stopped after the first page
    assert no_overlap["incremental/lists_stopped"] == 2

    site.requests.clear()
    added = _add_articles(site, 5)
    third = crawl(site, db_url, *BOTH)
    assert _article_pages(site) == {f"/{lang}/feed/{i}" for i in added for lang in ("en", "zh-Hans")}
    assert third["store/inserted"] == 10


def test_changed_entries_young_articles_and_full_runs_are_fetched(site: FixtureSite, db_url: str) -> None:
    crawl(site, db_url, "-a", "langs=en", "-a", "max_pages=10")

    site.requests.clear()
    article = site.content.articles[_key(ON_FIRST_PAGE, site)]
    article["original"]["title"] = "A corrected title"  # its list entry changes
    changed = crawl(site, db_url, "-a", "langs=en", "-a", "max_pages=10")
    assert _article_pages(site) == {f"/en/feed/{ON_FIRST_PAGE}"}
    assert changed["store/updated"] == 1

    site.requests.clear()
    crawl(site, db_url, "-a", "langs=en", "-a", "max_pages=10", "-s", "INCREMENTAL_REFRESH_HOURS=100000")
    assert len(_article_pages(site)) == 37  # every fixture article is "young" in a window of 11 years

    site.requests.clear()
    full = crawl(site, db_url, "-a", "langs=en", "-a", "max_pages=10", "-a", "full=1")
    assert len(_article_pages(site)) == 37
    assert "incremental/articles_skipped" not in full
