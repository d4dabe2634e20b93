"""End to end: the real crawl of the fixture site stores cleaned bodies in article_feed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import Demo

DATA = Path(__file__).parent / "site" / "data" / "articles"
HEAVY = "22871577"  # tests/site/data/README.md: 2 header lines, 4 story paragraphs, 9 trailer lines
BOILERPLATE = re.compile(
    r"Original link|Risk warning|Disclaimer|Follow us|Join our Telegram|^Editor:|Reviewer:|Compiled by|"
    r"原文链接|风险提示|免责声明|关注我们|加入我们|责编|审核：|编辑：|编译：|"
    r"Executive editor|reprinted with permission|"
    r"This article is machine translated",
    re.MULTILINE,
)
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


@pytest.fixture(scope="module")
def feed(demo: Demo) -> dict[tuple[str, str], dict]:
    assert demo.stats["clean/items"] == 80
    with psycopg.connect(demo.db_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT * FROM article_feed").fetchall()
    rows[0]["_stats"] = demo.stats
    rows[0]["_export"] = [json.loads(line) for line in demo.export.read_text(encoding="utf-8").splitlines()]
    return {(r["external_id"], r["lang"]): r for r in rows}


def story_paragraphs(article_id: str, lang: str) -> list[str]:
    data = json.loads((DATA / f"{article_id}.json").read_text())
    text = (data["translations"].get(lang) or data["original"])["content"]
    header = ("Author:", "作者", "This article is from", "本文")
    return [p for p in text.split("\n") if not BOILERPLATE.search(p) and not p.startswith(header)]


def test_boilerplate_heavy_article_keeps_every_sentence_of_its_story(feed: dict) -> None:
    for lang in ("en", "zh-Hans"):
        body = feed[(HEAVY, lang)]["body"]
        paragraphs = body.split("\n\n")
        assert not BOILERPLATE.search(body), (lang, body)
        story = story_paragraphs(HEAVY, lang)
        assert len(story) == 4
        assert paragraphs == story, lang


def test_bodies_are_clean_text(feed: dict) -> None:
    for key, row in feed.items():
        body = row["body"]
        assert body, key
        assert not HTML_TAG.search(body), key
        assert not re.search(r"[\u200b-\u200f\u2028-\u202e\ufeff\x00-\x08]", body), key
        assert "&amp;" not in body and "â€" not in body, key
        assert "\n\n\n" not in body and body == body.strip(), key
        if row["lang"] == "en" and row["detected_lang"] == "en":
            assert not re.search(r"[，。：；！？（）]", body), key
            assert not re.search(r" [,.;:!?](?!\d)", body), key
        assert row["raw_body"], key  # the raw text is kept beside the cleaned one


def test_language_is_detected_with_confidence(feed: dict) -> None:
    for key, row in feed.items():
        if key == ("22877788", "zh-Hans"):
            assert row["detected_lang"] == "vi"  # the Vietnamese original shown untranslated
            continue
        assert row["detected_lang"] == ("zh" if row["lang"] == "zh-Hans" else "en"), key
        assert 0.5 <= row["lang_confidence"] <= 1.0, key


def test_byline_fills_platform_and_rule_hits_reach_crawl_runs(feed: dict) -> None:
    row = feed[(HEAVY, "en")]
    assert row["platform"] == "X"
    stats = next(r["_stats"] for r in feed.values() if "_stats" in r)
    hits = {k: v for k, v in stats.items() if k.startswith("clean/hits/")}
    assert hits["clean/hits/en.byline"] >= 1 and hits["clean/hits/zh.byline"] >= 1


def test_originals_are_cleaned_in_their_language_and_kept_raw(feed: dict) -> None:
    translated = [row for row in feed.values() if row["is_machine_translated"]]
    assert len(translated) >= 40
    for row in translated:
        key = (row["external_id"], row["lang"])
        assert row["original_body"] and row["raw_original_body"], key
        assert not BOILERPLATE.search(row["original_body"]), (key, row["original_body"])
        assert not HTML_TAG.search(row["original_body"]), key
        original_page = feed.get((row["external_id"], "zh-Hans"))
        if row["original_lang"] == "zh" and not original_page["is_machine_translated"]:
            # The Chinese page shows the original: cleaned the same way, it is the same text.
            assert row["original_title"] == original_page["title"], key
            assert row["original_body"] == original_page["body"], key
    heavy = feed[(HEAVY, "en")]
    assert heavy["raw_original_body"].startswith("<p>作者：周远 来源：X，@zhouyuan_eth</p>")
    assert "原文链接" in heavy["raw_original_body"] and "原文链接" not in heavy["original_body"]


def test_the_byline_person_is_the_author_and_the_account_is_kept_apart(feed: dict) -> None:
    for lang, person in (("en", "Zhou Yuan"), ("zh-Hans", "周远")):
        row = feed[(HEAVY, lang)]
        assert (row["author"], row["account"], row["platform"]) == (person, "链闻日报", "X"), lang
    # An article with no byline names no author, whoever posted it.
    for row in feed.values():
        assert row["account"], (row["external_id"], row["lang"])
        assert row["author"] != row["account"], (row["external_id"], row["lang"])


def test_an_export_beside_the_database_holds_what_was_stored(feed: dict) -> None:
    exported = next(r["_export"] for r in feed.values() if "_export" in r)
    assert len(exported) == 80
    for item in exported:
        row = feed[(item["external_id"], item["lang"])]
        for name in ("title", "body", "original_title", "original_body", "author", "account", "platform"):
            assert item[name] == row[name], (item["external_id"], item["lang"], name)
