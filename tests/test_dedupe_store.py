"""Deduplication in PostgreSQL: stories, decisions, versions, canonical copies, concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from pipelines.db.writer import ArticleWriter
from pipelines.fingerprint import fingerprint
from tests.bench.bench_store import generate
from tests.test_story_order import write_at_once

STORY = (
    "The central bank of Korea said on Tuesday that it would keep its base rate at 3.5 percent, "
    "citing slowing exports and a weaker won against the dollar in the first quarter.\n\n"
    "Governor Lee told reporters that the board saw inflation easing toward its target of 2 percent "
    "by the end of the year, while household debt remained a concern for financial stability.\n\n"
    "Analysts at three brokerages had expected the decision, and bond yields barely moved after the "
    "announcement, with the three-year yield steady near 3.2 percent."
)
RETOLD = STORY.replace("said on Tuesday", "announced on Tuesday").replace("barely moved", "hardly moved")
OTHER = (
    "Ethereum developers scheduled the next network upgrade for March after a final test on the "
    "Holesky network completed without errors, according to the core developers call on Thursday.\n\n"
    "The upgrade raises the blob limit and changes how validators withdraw their stake."
)


def article(ext: str, body: str, lang: str = "en", minutes: int = 0, **over: Any) -> dict[str, Any]:
    item = {
        "source": "followin", "external_id": ext, "lang": lang, "url": f"https://followin.io/{lang}/feed/{ext}",
        "title": body.split(".")[0][:60], "body": body, "raw_title": None, "raw_body": body,
        "is_machine_translated": False, "tags": [], "raw": {"id": ext},
        "published_at": datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=minutes),
    } | over  # fmt: skip
    fingerprint(item)
    return item


def stories(writer: ArticleWriter) -> dict[str, tuple[int, int | None, str]]:
    query = "SELECT external_id, lang, story_id, duplicate_of, dedupe_reason FROM articles"
    rows = writer.conn.execute(query)
    return {f"{ext}:{lang}": (story, dup, reason) for ext, lang, story, dup, reason in rows}


def test_decisions_exact_near_cross_language_and_new(writer: ArticleWriter) -> None:
    result = writer.write([article("1", STORY), article("2", STORY, minutes=5)])  # syndicated copy
    result.add(writer.write([article("3", RETOLD, minutes=9), article("1", "한국은행 기준금리 동결", "ko")]))
    result.add(writer.write([article("4", OTHER)]))
    assert dict(result.decisions) == {"new_story": 2, "exact": 1, "near": 1, "cross_language": 1}
    got = stories(writer)
    assert got["1:en"][0] == got["2:en"][0] == got["3:en"][0] == got["1:ko"][0] != got["4:en"][0]


def test_earliest_article_is_canonical_even_when_it_arrives_late(writer: ArticleWriter) -> None:
    writer.write([article("late", STORY, minutes=60)])
    writer.write([article("early", STORY, minutes=0)])
    ids = dict(writer.conn.execute("SELECT external_id, id FROM articles").fetchall())
    got = stories(writer)
    assert got["early:en"][1] is None
    assert got["late:en"][1] == ids["early"]
    canonical = writer.conn.execute("SELECT canonical_article_id FROM stories").fetchone()[0]
    assert canonical == ids["early"]


def test_changed_content_keeps_old_version_in_same_transaction(writer: ArticleWriter) -> None:
    writer.write([article("0", STORY)])
    writer.write([article("1", STORY, minutes=5)])  # joins the story as an exact copy
    writer.write([article("1", RETOLD, minutes=5)])
    writer.write([article("1", RETOLD, minutes=5)])  # unchanged: no new version
    versions = writer.conn.execute("SELECT body FROM article_versions").fetchall()
    assert versions == [(STORY,)]
    assert writer.conn.execute("SELECT body FROM articles WHERE id = 2").fetchone()[0] == RETOLD
    # The band keys follow the text: the old ones are gone, the new ones are there.
    bands = {key for (key,) in writer.conn.execute("SELECT band_key FROM article_bands WHERE article_id = 2")}
    assert bands == set(article("1", RETOLD)["band_keys"])
    assert stories(writer)["1:en"][2] == "exact"  # a changed article keeps its story and decision


def test_formulaic_flash_items_about_different_events_stay_apart(writer: ArticleWriter) -> None:
    flashes = [
        "Whale Alert: 1,200 ETH (about $4.1 million) transferred from an unknown wallet to Binance.",
        "Whale Alert: 5,000 SOL (about $1.1 million) transferred from an unknown wallet to Coinbase.",
        "Whale Alert: 300 BTC (about $28.5 million) transferred from an unknown wallet to Kraken.",
    ]
    result = writer.write([article(str(i), text) for i, text in enumerate(flashes)])
    assert result.decisions == {"new_story": 3}


def test_two_concurrent_writers_never_split_a_duplicate_pair(pg_cluster: Any, db_url: str) -> None:
    """Writer A stores one half of each pair while writer B stores the other half, at once."""
    pairs = 40
    texts = [generated["body"] for generated in generate(pairs)]  # unrelated stories
    halves = {
        "a": [article(f"a{i}", texts[i], minutes=i) for i in range(pairs)],
        "b": [article(f"b{i}", texts[i], minutes=i) for i in range(pairs)],
    }
    write_at_once(db_url, list(halves.values()), batch=1)
    with psycopg.connect(db_url) as conn:
        story = dict(conn.execute("SELECT external_id, story_id FROM articles").fetchall())
    assert all(story[f"a{i}"] == story[f"b{i}"] for i in range(pairs))
    assert len(set(story.values())) == pairs


def test_an_article_that_links_two_stories_merges_them_and_old_ids_resolve(writer: ArticleWriter) -> None:
    # The zh-Hans page of article 1 carries OTHER's text: it is the same source article as 1:en
    # and an exact copy of 2:zh-Hans, so all three are one story, whichever arrives last.
    writer.write([article("1", STORY)])
    writer.write([article("2", OTHER, "zh-Hans")])
    before = dict(writer.conn.execute("SELECT external_id, story_id FROM articles").fetchall())
    assert before["1"] != before["2"]
    result = writer.write([article("1", OTHER, "zh-Hans")])
    assert result.decisions == {"cross_language": 1, "merged": 1}
    after = {s for (s,) in writer.conn.execute("SELECT DISTINCT story_id FROM articles")}
    assert after == {min(before.values())}
    aliases = dict(writer.conn.execute("SELECT story_id, current_story_id FROM story_aliases").fetchall())
    assert aliases == {before["1"]: min(before.values()), before["2"]: min(before.values())}
    assert writer.conn.execute("SELECT count(*) FROM story_feed").fetchone()[0] == 1


@pytest.mark.parametrize("original_first", [True, False])
def test_an_original_and_the_copy_naming_it_as_source_are_one_story(
    writer: ArticleWriter, original_first: bool
) -> None:
    original = article("https://www.odaily.example/post/51", STORY, "zh-Hans", source="odaily",
                       url="https://odaily.example/post/51")  # fmt: skip
    copy = article("77", OTHER, source_url="https://www.odaily.example/post/51/?utm_source=followin")
    for item in [original, copy] if original_first else [copy, original]:
        writer.write([item])
    assert writer.conn.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 1
    names, langs = writer.conn.execute("SELECT source_names, langs FROM story_feed").fetchone()
    assert (names, langs) == (["followin", "odaily"], ["en", "zh-Hans"])
    reasons = {r for (r,) in writer.conn.execute("SELECT dedupe_reason FROM articles")}
    assert reasons == {"new_story", "linked"}


def test_the_read_only_role_cannot_hold_a_lock_writers_need(db_url: str, writer: ArticleWriter) -> None:
    with psycopg.connect(db_url) as reader:
        reader.execute("SET ROLE feed_reader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("SELECT * FROM dedupe_lock_slots FOR UPDATE")
        reader.rollback()
        reader.execute("SET ROLE feed_reader")
        # What a consumer can do: hold any advisory lock, keep a transaction open on the views.
        reader.execute("SELECT pg_advisory_lock(k) FROM generate_series(7106300, 7106310) k")
        reader.execute("SELECT count(*) FROM story_feed, article_feed")
        writer.lock_timeout = 0.5
        writer.lock_attempts = 1
        result = writer.write([article("1", STORY)])
        assert sum(result.inserted.values()) == 1


def _hold_keys(db_url: str, items: list[dict[str, Any]]) -> psycopg.Connection:
    """Another writer, mid-transaction, holding the keys of ``items``."""
    from pipelines.db import stories

    other = psycopg.connect(db_url)
    holder = ArticleWriter(psycopg.connect(db_url, autocommit=True))
    rows = [holder._row(item)[0] for item in items]
    stories.lock_keys(other, rows)
    holder.conn.close()
    return other


def test_unrelated_writers_do_not_wait_and_related_ones_wait(db_url: str, writer: ArticleWriter) -> None:
    other = _hold_keys(db_url, [article("1", STORY)])
    writer.lock_timeout, writer.lock_attempts = 0.3, 1
    assert sum(writer.write([article("2", OTHER)]).inserted.values()) == 1  # unrelated: no wait
    with pytest.raises(psycopg.errors.LockNotAvailable):
        writer.write([article("3", STORY)])  # the same text: waits for the other writer
    writer.lock_attempts = 20
    threading.Timer(1.0, other.commit).start()
    result = writer.write([article("3", STORY)])  # tried again until the other writer is done
    assert result.lock_retries >= 1 and sum(result.inserted.values()) == 1
    other.close()
