"""Unit tests of the URL canonicalizer (pipelines/text/urls.py)."""

from __future__ import annotations

import pytest

from pipelines.text.urls import canonical_url, followin_article_id


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
        # "from" and "ts" can mean something elsewhere: only Followin's are tracking
        ("https://example.com/list?from=20&ts=5", "https://example.com/list?from=20&ts=5"),
        (
            "https://followin.io/en/feed/123?from=webshare&ic=a&su=b&timezone=8&ts=1700000000",
            "https://followin.io/en/feed/123",
        ),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


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
    canonical = canonical_url(url)
    expected = "https://followin.io/en/feed/22870101"
    assert canonical == (expected.replace("https:", "http:") if url.startswith("http:") else expected)


def test_followin_languages_stay_apart() -> None:
    assert canonical_url("https://followin.io/zh-Hans/feed/1/abc") == "https://followin.io/zh-Hans/feed/1"
    assert canonical_url("https://followin.io/vi/feed/1") != canonical_url("https://followin.io/feed/1")


def test_followin_rules_stay_on_followin() -> None:
    # Another site's /feed/<id> is its own page: no language added, no tail dropped.
    assert canonical_url("https://example.com/feed/123") == "https://example.com/feed/123"
    assert canonical_url("https://example.com/feed/123/page2") == "https://example.com/feed/123/page2"


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


@pytest.mark.parametrize(
    ("url", "article_id"),
    [
        ("https://followin.io/en/feed/22870101", "22870101"),
        ("https://followin.io/feed/22870101", "22870101"),
        ("https://followin.io/zh-Hant/feed/3220153/c2hhcmU=", "3220153"),
        ("/vi/feed/42", "42"),
        ("https://followin.io/en/kol/123", None),
        ("https://followin.io/en/news", None),
        ("https://example.com/feed/123", None),
    ],
)
def test_followin_article_id(url: str, article_id: str | None) -> None:
    assert followin_article_id(url) == article_id
