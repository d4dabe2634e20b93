"""Unit tests of the URL canonicalizer (pipelines/text/urls.py) and of a source's own URL rules."""

from __future__ import annotations

import pytest

from crawler.parsers.followin import article_url
from pipelines.text.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host: lower case, no www., no default port, no trailing dot
        ("HTTPS://WWW.Example.COM/News/Story", "https://example.com/News/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("//example.com/a", "https://example.com/a"),
        # path: trailing slash and fragment dropped, root kept
        ("https://example.com/a/b/#comments", "https://example.com/a/b"),
        ("https://example.com", "https://example.com/"),
        # query: tracking dropped everywhere, the rest sorted
        (
            "https://example.com/a?utm_source=x&b=2&fbclid=y&a=1&UTM_Medium=z&gclid=q",
            "https://example.com/a?a=1&b=2",
        ),
        ("https://example.com/a?ref_src=twsrc&share=1&spm=a.b", "https://example.com/a"),
        # "from" and "ts" can mean something: only a source that knows its site drops them
        ("https://example.com/list?from=20&ts=5", "https://example.com/list?from=20&ts=5"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_followin_share_parameters_are_tracking_on_followin_pages() -> None:
    url = "https://followin.io/en/feed/123?from=webshare&ic=a&su=b&timezone=8&ts=1700000000&utm_source=x"
    assert article_url(url) == "https://followin.io/en/feed/123"


@pytest.mark.parametrize(
    "url",
    [
        "https://followin.io/feed/22870101",
        "https://followin.io/en/feed/22870101",
        "https://www.followin.io/en/feed/22870101/",
        "http://followin.io/en/feed/22870101#top",
        "https://followin.io/en/feed/22870101/ZnJvbT13ZWJzaGFyZSZpYz1hYmM=",
        "https://followin.io/feed/22870101/ZnJvbT13ZWJzaGFyZQ?utm_source=tg",
    ],
)
def test_followin_article_urls_are_one_page(url: str) -> None:
    canonical = article_url(url)
    expected = "https://followin.io/en/feed/22870101"
    assert canonical == (expected.replace("https:", "http:") if url.startswith("http:") else expected)


def test_followin_languages_stay_apart() -> None:
    assert article_url("https://followin.io/zh-Hans/feed/1/abc") == "https://followin.io/zh-Hans/feed/1"
    assert article_url("https://followin.io/vi/feed/1") != article_url("https://followin.io/feed/1")


def test_the_shared_canonicalizer_knows_no_source() -> None:
    # A /feed/<id> path is just a path to it, on any host: no language added, no tail dropped.
    for host in ("example.com", "followin.io"):
        assert canonical_url(f"https://{host}/feed/123/page2") == f"https://{host}/feed/123/page2"
        assert canonical_url(f"https://{host}/feed/1?from=2") == f"https://{host}/feed/1?from=2"


def test_non_numeric_port_does_not_crash() -> None:
    assert canonical_url("https://example.com:abc/a") == "https://example.com/a"


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://WWW.Example.COM/a/?b=2&a=1&utm_source=x#f",
        "https://followin.io/feed/5/dGFpbA==?from=webshare",
        "https://example.com/search?q=bitcoin+etf&page=2",
    ],
)
def test_canonical_url_is_idempotent(url: str) -> None:
    assert canonical_url(canonical_url(url)) == canonical_url(url)
    assert article_url(article_url(url)) == article_url(url)
