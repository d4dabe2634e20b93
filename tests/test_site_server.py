"""Quick checks of the fixture site itself (tests/site): pages, list API, faults, 404s."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest

from tests.site.content import SiteContent
from tests.site.make_expected import stale_files
from tests.site.server import FixtureSite, share_tail

NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_list(site: FixtureSite, path: str, payload: dict[str, Any], lang: str) -> dict[str, Any]:
    request = urllib.request.Request(
        site.base_url + path,
        data=json.dumps(payload).encode(),
        headers={"content-type": "application/json", "x-bparam": json.dumps({"a": "web", "c": lang})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def queries(page: bytes) -> dict[str, Any]:
    """queryKey[0] -> state.data of a page's __NEXT_DATA__."""
    match = NEXT_DATA.search(page.decode("utf-8"))
    assert match, "no __NEXT_DATA__"
    data = json.loads(match.group(1))
    assert data["buildId"]
    found = data["props"]["pageProps"]["dehydratedState"]["queries"]
    return {q["queryKey"][0]: q["state"]["data"] for q in found}


def test_news_page_carries_first_page(site: FixtureSite) -> None:
    status, headers, body = get(site.base_url + "/en/news")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    feed = queries(body)["/feed/list/recommended/news"]
    first = feed["pages"][0]
    assert len(first["list"]) == 20 and first["has_more"] is True and first["last_cursor"]
    assert feed["pageParams"] == [""]


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_news_api_paginates_to_the_end(site: FixtureSite, lang: str) -> None:
    content = SiteContent()
    _, _, body = get(f"{site.base_url}/{lang}/news")
    page = queries(body)["/feed/list/recommended/news"]["pages"][0]
    pages = [page]
    while page["has_more"]:
        payload = {
            "count": 20,
            "only_important": False,
            "last_cursor": page["last_cursor"],
            "last_source": "algo",
        }
        answer = post_list(site, "/feed/list/recommended/news", payload, lang)
        assert answer["code"] == 2000
        page = answer["data"]
        pages.append(page)
    assert len(pages) >= 2 and pages[-1]["has_more"] is False

    seen = Counter(item["id"] for p in pages for item in p["list"])
    listed = set(content.articles) - content.hidden_from_news
    assert set(seen) == listed
    twice = content.listed_twice
    assert {i: n for i, n in seen.items() if n != 1} == {twice: 2}
    on_pages = [n for n, p in enumerate(pages) if any(item["id"] == twice for item in p["list"])]
    assert len(on_pages) == 2

    times = [int(item["publish_time"]) for p in pages for item in p["list"]]
    assert times == sorted(times, reverse=True)


def test_list_api_errors_are_codes(site: FixtureSite) -> None:
    answer = post_list(site, "/feed/list/recommended/news", {"count": 20, "last_cursor": "zz"}, "en")
    assert answer == {"code": 4001, "msg": "invalid cursor", "data": None}
    answer = post_list(site, "/feed/list/tag", {"id": 999, "count": 5, "last_cursor": ""}, "en")
    assert answer["code"] != 2000


def test_kol_topic_tag_pages_reach_hidden_articles(site: FixtureSite) -> None:
    content = SiteContent()
    reached: set[int] = set()
    for kind, list_key in (
        ("kol", "/feed/list/user"),
        ("topic", "/feed/list/topic"),
        ("tag", "/feed/list/tag"),
    ):
        feed_id = next(fid for k, fid in content.feeds if k == kind)
        status, _, body = get(f"{site.base_url}/en/{kind}/{feed_id}")
        assert status == 200
        page = queries(body)[list_key]["pages"][0]
        reached.update(item["id"] for item in page["list"])
        while page["has_more"]:
            payload = {"id": feed_id, "count": 10, "last_cursor": page["last_cursor"]}
            page = post_list(site, list_key, payload, "en")["data"]
            reached.update(item["id"] for item in page["list"])
    assert content.hidden_from_news <= reached


def test_share_link_and_bare_path_serve_the_canonical_article(site: FixtureSite) -> None:
    thread_id = 22876733
    canonical = queries(get(f"{site.base_url}/en/feed/{thread_id}")[2])
    shared = queries(get(f"{site.base_url}/en/feed/{thread_id}/{share_tail()}")[2])
    bare = queries(get(f"{site.base_url}/feed/{thread_id}")[2])
    assert canonical == shared == bare
    assert canonical["/feed/info"]["id"] == thread_id
    assert len(canonical["/feed/thread"]["list"]) >= 3


def test_fault_injection_then_recovery(site: FixtureSite) -> None:
    path = "/en/feed/22870101"
    site.add_fault(path, 429, {"Retry-After": "1"}, b"slow down", times=2)
    first, second, third = (get(site.base_url + path + "?x=1") for _ in range(3))
    assert first[0] == second[0] == 429 and first[1]["Retry-After"] == "1"
    assert first[2] == b"slow down"
    assert third[0] == 200
    logged = [r for r in site.requests if r.path.startswith(path)]
    assert len(logged) >= 3 and logged[-1].method == "GET" and logged[-1].path == path + "?x=1"


def test_unknown_pages_are_404(site: FixtureSite) -> None:
    assert get(site.base_url + "/en/feed/1234567")[0] == 404
    assert get(site.base_url + "/vi/feed/22870101")[0] == 404
    assert get(site.base_url + "/no/such/page")[0] == 404


def test_robots_txt(site: FixtureSite) -> None:
    status, _, body = get(site.base_url + "/robots.txt")
    assert status == 200 and b"Disallow: /private/" in body


def test_expected_files_are_in_sync() -> None:
    assert stale_files() == [], "run: python -m tests.site.make_expected"
