"""crawler/sources: the registry's entries load, and a broken entry is refused with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.sources import SourceConfigError, load_sources, parse_source, registry, source_for_url
from crawler.spiders.news import NewsSpider
from pipelines.text.boilerplate import RULES_DIR, rule_files

HERE = Path(__file__).parent
GOOD = {"name": "example", "homepage": "https://www.example.com", "languages": ["en"],
        "discovery": {"feeds": ["https://www.example.com/feed"]}}  # fmt: skip


def test_shipped_entries() -> None:
    sources = registry()
    assert sources["followin"].spider == "followin"
    for source in sources.values():
        for name in source.rules:
            assert (RULES_DIR / name).is_file(), (source.name, name)
        # The entry names the files cleaning selects for the source and its languages.
        selected = [f"{name}.json" for name in rule_files(source.name, source.languages)]
        assert list(source.rules) == selected, source.name
        for url in (*source.feeds, *source.sitemaps, source.homepage):
            assert source_for_url(url) is source, url


def test_every_expected_article_url_matches_its_source() -> None:
    for path in HERE.glob("*/expected/*.json"):
        url = json.loads(path.read_text(encoding="utf-8"))["url"]
        source = registry()[path.parent.parent.name]
        assert source.is_article(url.replace("https://", "https://www.")) or source.is_article(url), url
        assert source_for_url(url) is source


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Bad Name"}, "name must be"),
        ({"homepage": "ftp://x"}, "homepage must be"),
        ({"languages": []}, "languages must name"),
        ({"rendering": "sometimes"}, "rendering must be one of"),
        ({"discovery": {}}, "discovery needs"),
        ({"article": {"url_pattern": "("}}, "bad pattern"),
        ({"extraction": {"headline": "h1"}}, "unknown extraction override"),
        ({"politeness": {"delay": "slow"}}, "politeness takes"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ],
)
def test_broken_entries_are_refused(change: dict, message: str) -> None:
    with pytest.raises(SourceConfigError, match=message):
        parse_source(GOOD | change, "example.toml")


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    entry = 'name = "x1"\nhomepage = "https://x.example"\nlanguages = ["en"]\n[discovery]\nfeeds = ["https://x.example/f"]\n'
    (tmp_path / "a.toml").write_text(entry)
    (tmp_path / "b.toml").write_text(entry)
    with pytest.raises(SourceConfigError, match="defined twice"):
        load_sources(tmp_path)


def test_politeness_becomes_download_slots() -> None:
    settings = Settings({"DOWNLOAD_SLOTS": {"other.example": {"delay": 5}}})
    NewsSpider.update_settings(settings)
    slots = settings.getdict("DOWNLOAD_SLOTS")
    assert slots["www.odaily.news"] == {"delay": 1.0, "concurrency": 2}
    assert slots["rss.odaily.news"] == slots["odaily.news"] == slots["www.odaily.news"]
    assert slots["other.example"] == {"delay": 5}
