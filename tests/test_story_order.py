"""Stories do not depend on arrival order: the same articles give the same partition and the same
canonical rows whatever the order, the batch sizes and the number of writers."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
import pytest

from pipelines.clean import apply_cleaning
from pipelines.db.writer import ArticleWriter
from pipelines.fingerprint import fingerprint
from tests.conftest import migrated_database
from tests.test_followin_crawl import expected_items

Partition = frozenset[frozenset[tuple[str, str]]]


def fixture_articles() -> list[dict[str, Any]]:
    """The fixture site's 80 pages as the spider and the cleaning stage make them."""
    articles = []
    for item in expected_items("https://followin.io").values():
        article = item | {"source": "followin", "raw": {"id": item["external_id"]}}
        if isinstance(article.get("published_at"), str):
            article["published_at"] = datetime.fromisoformat(article["published_at"])
        apply_cleaning(article)
        fingerprint(article)
        articles.append(article)
    return sorted(articles, key=lambda a: (a["external_id"], a["lang"]))


@pytest.fixture(scope="module")
def articles() -> list[dict[str, Any]]:
    return fixture_articles()


def outcome(url: str) -> tuple[Partition, frozenset[tuple[str, str]]]:
    """The partition into stories, and each story's canonical (external id, page language)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT external_id, lang, story_id FROM articles").fetchall()
        canonical = conn.execute(
            "SELECT c.external_id, c.lang FROM story_feed f JOIN articles c ON c.id = f.canonical_article_id"
        ).fetchall()
        live = conn.execute("SELECT count(*) FROM story_feed").fetchone()[0]
    groups: dict[int, set[tuple[str, str]]] = {}
    for ext, lang, story in rows:
        groups.setdefault(story, set()).add((ext, lang))
    assert live == len(groups), "every live story has articles, every article a live story"
    return frozenset(frozenset(g) for g in groups.values()), frozenset(canonical)


def write_in(url: str, items: Iterable[dict[str, Any]], batch: int) -> None:
    items = list(items)
    with psycopg.connect(url, autocommit=True) as conn:
        writer = ArticleWriter(conn)
        for start in range(0, len(items), batch):
            writer.write(items[start : start + batch])


Articles = list[dict[str, Any]]


def test_any_order_and_batch_size_gives_the_same_stories(pg_cluster: Any, articles: Articles) -> None:
    zh_first = sorted(articles, key=lambda a: a["lang"] != "zh-Hans")
    en_first = sorted(articles, key=lambda a: a["lang"] != "en")
    orders = [("zh-Hans first", zh_first, 500), ("en first", en_first, 500), ("one by one", zh_first, 1)]
    rng = random.Random(8)
    for seed in range(3):
        shuffled = articles[:]
        rng.shuffle(shuffled)
        orders.append((f"shuffled {seed}, batches of 7", shuffled, 7))
        orders.append((f"shuffled {seed}, batches of 1", shuffled, 1))
    results = {}
    for name, items, batch in orders:
        with migrated_database(pg_cluster) as url:
            write_in(url, items, batch)
            results[name] = outcome(url)
    reference = results["zh-Hans first"]
    assert len(reference[0]) == 37  # 40 articles, 3 planted duplicate pairs
    for name, got in results.items():
        assert got[0] == reference[0], f"{name}: other stories"
        assert got[1] == reference[1], f"{name}: other canonical rows"


def write_at_once(url: str, parts: list[Articles], batch: int) -> None:
    """One writer per part, all started at the same moment."""
    start = threading.Barrier(len(parts))
    errors: list[BaseException] = []

    def run(items: Articles) -> None:
        try:
            start.wait()
            write_in(url, items, batch)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_two_concurrent_writers_give_the_same_stories(pg_cluster: Any, articles: Articles) -> None:
    with migrated_database(pg_cluster) as url:
        write_in(url, articles, 500)
        reference = outcome(url)
    halves = [[a for a in articles if a["lang"] == lang] for lang in ("en", "zh-Hans")]
    for batch in (1, 5):
        with migrated_database(pg_cluster) as url:
            write_at_once(url, halves, batch)
            assert outcome(url) == reference, f"batches of {batch}"


def test_canonical_copy_is_the_original_not_the_translation(db_url: str, articles: Articles) -> None:
    write_in(db_url, articles, 500)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT c.is_machine_translated, f.canonical_lang, c.original_lang, c.lang, c.external_id, "
            "  (SELECT bool_and(a.is_machine_translated) FROM articles a WHERE a.story_id = f.story_id) "
            "FROM story_feed f JOIN articles c ON c.id = f.canonical_article_id"
        ).fetchall()
    # A translation is canonical only when the story has no original (Korean originals here).
    assert len(rows) == 37
    assert all(only_translations for translated, *_, only_translations in rows if translated)
    assert sum(translated for translated, *_ in rows) == 3
    for translated, canonical_lang, original_lang, lang, ext, _ in rows:
        # The language of the canonical text: the Vietnamese original on a zh-Hans page says vi.
        text_lang = lang if translated or lang.split("-")[0] == original_lang else original_lang
        assert canonical_lang == text_lang, ext
    assert ("vi", "22877788") in {(r[1], r[4]) for r in rows}
