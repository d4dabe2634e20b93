"""End to end: the fixture site's planted duplicates, crawled twice, one story per planted story."""

from __future__ import annotations

import psycopg

from tests.site.server import FixtureSite
from tests.test_followin_crawl import KOL, TAG, TOPIC, crawl

# tests/site/data/README.md: the planted cases.
SAME_STORY = {
    "syndicated exact copy": ("22870455", "22874120"),
    "other source boilerplate": ("22871004", "22872231"),
    "re-translation": ("22870101", "22870342"),
}
NEAR_MISS = ("22873789", "22871004")
FLASHES = ("22875012", "22875230", "9871844", "9872013", "22876601")
EVERYTHING = ("-a", "langs=en,zh-Hans", "-a", "max_pages=10", "-a", "news=1",
              "-a", f"kol={KOL}", "-a", f"topic={TOPIC}", "-a", f"tag={TAG}")  # fmt: skip


def test_planted_duplicates_make_one_story_each_and_a_rerun_adds_nothing(db_url: str) -> None:
    with FixtureSite() as site:
        first = crawl(site, db_url, *EVERYTHING)
        second = crawl(site, db_url, *EVERYTHING)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT external_id, lang, story_id FROM articles").fetchall()
        story = {(ext, lang): story_id for ext, lang, story_id in rows}
        n_stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
        feed = conn.execute("SELECT story_id, articles, sources, languages FROM story_feed").fetchall()
        pointers = conn.execute(
            "SELECT count(*) FROM article_feed f JOIN story_feed s USING (story_id) "
            "WHERE f.duplicate_of IS DISTINCT FROM NULLIF(s.canonical_article_id, f.id)"
        ).fetchone()[0]
    for case, (a, b) in SAME_STORY.items():
        assert story[(a, "en")] == story[(b, "en")] == story[(a, "zh-Hans")] == story[(b, "zh-Hans")], case
    assert story[(NEAR_MISS[0], "en")] != story[(NEAR_MISS[1], "en")]
    assert len({story[(f, "en")] for f in FLASHES}) == len(FLASHES)
    # 40 articles, each one story across its two page languages, less the 3 planted merges.
    assert n_stories == len(feed) == 40 - len(SAME_STORY)
    assert sum(row[1] for row in feed) == 80 and {row[3] for row in feed} == {2}
    assert pointers == 0  # every non-canonical article points at its story's canonical one
    assert first["dedupe/new_story"] == 37 and first["dedupe/cross_language"] == 40
    assert second.get("store/inserted", 0) == 0 and second.get("store/updated", 0) == 0
    assert not any(key.startswith("dedupe/") for key in second)  # nothing new to decide
