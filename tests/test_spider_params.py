"""Typed spider arguments: parsed once, before the crawl; bad ones end it with one line, exit 2."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from crawler.params import ArgumentError
from crawler.spiders.followin import FollowinParams, FollowinSpider
from crawler.spiders.ingest import IngestParams
from tests.conftest import run_scrapy

BAD = {
    "since=notadate": "-a since=notadate: takes a date YYYY-MM-DD",
    "max_pages=abc": "-a max_pages=abc: takes a whole number from 1 to 10000",
    "max_pages=-1": "-a max_pages=-1: takes a whole number from 1 to 10000",
    "max_pages=0": "-a max_pages=0: takes a whole number from 1 to 10000",
    "langs=xx": "-a langs=xx: unsupported xx; takes one or more of en, zh-Hans, zh-Hant, vi, ko",
    "langs=": "-a langs=: takes one or more of en",
    "news=maybe": "-a news=maybe: takes 1/0, true/false or yes/no",
    "foo=1": "-a foo=1: unknown argument; this spider takes: langs, max_pages, since, kol, topic, tag, ids, "
    "news",
    "news=0": "-a news=0 and no kol=, topic=, tag= or ids=: nothing to crawl",
    "ids=1,x": "-a ids=1,x: takes comma-separated positive integer ids",
    "since=2999-01-01": "-a since=2999-01-01: is in the future: nothing would be crawled",
}


@pytest.mark.parametrize("argument", sorted(BAD))
def test_bad_argument_is_one_line_naming_what_is_allowed(argument: str) -> None:
    with pytest.raises(ArgumentError) as raised:
        FollowinParams.parse(dict([argument.split("=", 1)]))
    assert str(raised.value).startswith(BAD[argument])
    assert "\n" not in str(raised.value)


def test_values_are_typed_and_recorded_as_json() -> None:
    params = FollowinParams.parse({"langs": "zh-Hans,en,en", "max_pages": "5", "since": "2026-01-10",
                                   "kol": "7,8", "news": "yes"})  # fmt: skip
    assert params.langs == ("zh-Hans", "en") and params.max_pages == 5 and params.kol == (7, 8)
    assert params.since == datetime(2026, 1, 10, tzinfo=UTC) and params.news is True
    assert params.to_json() == {
        "langs": ["zh-Hans", "en"], "max_pages": 5, "since": "2026-01-10T00:00:00+00:00",
        "kol": [7, 8], "topic": [], "tag": [], "ids": [], "news": True, "full": False,
    }  # fmt: skip
    assert FollowinParams.parse({}).to_json()["langs"] == ["en"]  # defaults
    for text, value in (("1", True), ("TRUE", True), ("no", False), ("0", False)):
        assert FollowinParams.parse({"news": text, "ids": "1"}).news is value


def test_the_spider_takes_parsed_params_or_parses_its_own() -> None:
    params = FollowinParams.parse({"ids": "5", "langs": "vi"})
    assert FollowinSpider(params=params).params is params
    spider = FollowinSpider(ids="5", langs="vi")  # another runner, e.g. CrawlerProcess in a script
    assert spider.params == params and spider.article_ids == [5] and spider.news is False
    with pytest.raises(ArgumentError):
        FollowinSpider(max_pages="abc")


def test_every_argument_is_documented() -> None:
    lines = FollowinParams.describe() + IngestParams.describe()
    fields = dataclasses.fields(FollowinParams) + dataclasses.fields(IngestParams)
    assert len(lines) == len(fields) == 11 and all("(default: " in line for line in lines)


@pytest.mark.parametrize("argument", ["since=notadate", "langs=xx", "news=maybe", "foo=1"])
def test_scrapy_crawl_stops_before_crawling_with_one_line_and_exit_2(argument: str) -> None:
    result = run_scrapy("crawl", "followin", "-a", argument, "-s", "LOG_LEVEL=WARNING", db_url=None)
    assert result.returncode == 2
    assert result.stderr.startswith(f"scrapy crawl followin: {BAD[argument]}")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and "Spider opened" not in result.stderr


def test_ingest_arguments_are_checked_too() -> None:
    result = run_scrapy("crawl", "ingest", "-a", "path=/no/such/file.jsonl", "-s", "LOG_LEVEL=WARNING",
                        db_url=None, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == "scrapy crawl ingest: -a path=/no/such/file.jsonl: no such file"
