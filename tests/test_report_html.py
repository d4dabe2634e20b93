"""`scrapy report --html`: a real crawl's report opened in the real Chromium; the error-rate gate."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import run_scrapy
from tests.site.server import FixtureSite

CHROMIUM = "/usr/bin/chromium"
CHARTS = ("runs", "articles", "duplicates", "trouble", "rendered")
BROKEN_ARTICLE = "/en/feed/22879944"  # on the first page of the news list


@pytest.fixture(scope="module")
def crawled(module_db_url: str) -> Iterator[str]:
    """Two runs: a clean one, then one where an article page answers 404."""
    with FixtureSite() as site:
        args = ["crawl", "followin", "-a", "max_pages=1",
                "-s", f"FOLLOWIN_BASE_URL={site.base_url}", "-s", f"FOLLOWIN_API_URL={site.base_url}",
                "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]  # fmt: skip
        assert run_scrapy(*args, "-a", "langs=zh-Hans", db_url=module_db_url).returncode == 0
        site.add_fault(BROKEN_ARTICLE, 404)
        assert run_scrapy(*args, "-a", "langs=en", db_url=module_db_url).returncode == 0
        assert any(r.path == BROKEN_ARTICLE for r in site.requests)
    yield module_db_url


def _svg_text(src: str) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix):]).decode("utf-8")


def test_html_report_renders_its_charts_in_chromium(crawled: str, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    result = run_scrapy("report", "--html", str(page_file), db_url=crawled)
    assert result.returncode == 0, result.stderr
    assert "Crawl finished" in result.stdout  # the terminal keeps its table
    assert f"written to {page_file}" in result.stdout

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(page_file.as_uri())
        charts: list[dict[str, Any]] = page.eval_on_selector_all(
            "figure.chart img",
            """imgs => imgs.map(img => ({id: img.closest('figure').id, src: img.src, complete: img.complete,
                 width: img.naturalWidth, height: img.naturalHeight,
                 shown: img.getBoundingClientRect().width}))""",
        )
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()

    assert [c["id"] for c in charts] == [f"chart-{name}" for name in CHARTS]
    for chart in charts:  # decoded and laid out by the browser: a broken image has no size
        assert chart["complete"] and chart["width"] > 200 and chart["height"] > 80, chart["id"]
        assert chart["shown"] > 200, chart["id"]
    # Self-contained: nothing but the file itself and its inline images was requested.
    assert {url.split(":", 1)[0] for url in fetched} <= {"file", "data"}
    svgs = {c["id"]: _svg_text(c["src"]) for c in charts}
    assert "HTTP 404" in svgs["chart-trouble"] and "request failed" in svgs["chart-trouble"]
    assert "followin" in svgs["chart-articles"]
    assert "joined an existing story" in svgs["chart-duplicates"]
    assert "<path" in svgs["chart-runs"]


def test_error_rate_gate_fails_an_unclean_run(crawled: str) -> None:
    strict = run_scrapy("report", "--fail-over-error-rate", "0.01", db_url=crawled)
    assert strict.returncode == 1
    assert "error rate" in strict.stderr and "is over 1.0%" in strict.stderr
    assert "Crawl finished" in strict.stdout
    lenient = run_scrapy("report", "--fail-over-error-rate", "0.5", db_url=crawled)
    assert lenient.returncode == 0, lenient.stderr
    clean_run = run_scrapy("report", "--run", "1", "--fail-over-error-rate", "0", db_url=crawled)
    assert clean_run.returncode == 0, clean_run.stderr
