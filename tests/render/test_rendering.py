"""The rendering helpers a spider calls: modes, spider argument, request meta, the auto measure."""

from __future__ import annotations

import pickle

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict

from crawler.rendering import (
    CONTENT_SELECTORS,
    RenderMode,
    article_text_length,
    choose_mode,
    playwright_meta,
    render_argument,
    render_meta,
)
from crawler.settings import RENDER_AUTO_MIN_CHARS
from tests.render.site import SHELL_TEXT, server_page, shell_page


@pytest.mark.parametrize(
    ("value", "mode"),
    [("1", "always"), ("true", "always"), ("always", "always"), (" Auto ", "auto"), ("0", "never"),
     ("never", "never"), ("no", "never"), (None, None), ("", None)],
)  # fmt: skip
def test_render_argument(value: str | None, mode: str | None) -> None:
    assert render_argument(value) == mode


def test_a_bad_render_argument_says_what_is_accepted() -> None:
    with pytest.raises(
        ValueError, match=r"-a render= takes 1 \(always\), auto or 0 \(never\), got 'sometimes'"
    ):
        render_argument("sometimes")


def test_the_argument_overrides_the_source_entry() -> None:
    assert choose_mode("never", render_argument("1")) is RenderMode.ALWAYS
    assert choose_mode("always", render_argument("0")) is RenderMode.NEVER
    assert choose_mode("auto", render_argument(None)) is RenderMode.AUTO
    with pytest.raises(ValueError):
        choose_mode("sometimes")


def test_render_meta_is_plain_data_that_survives_a_queue() -> None:
    assert render_meta("never") == {}
    assert render_meta(RenderMode.AUTO) == {"render": "auto"}
    meta = render_meta("always", wait_for="div.article-body")
    assert meta == {"render": "always", "render_wait_for": "div.article-body"}
    request = Request("https://example.com/a", meta=meta)
    # scrapy-redis and disk queues serialise requests: the meta must come back as it was.
    assert request_from_dict(pickle.loads(pickle.dumps(request.to_dict()))).meta == meta


def test_playwright_meta_waits_for_the_content_then_lets_the_page_close() -> None:
    meta = playwright_meta(None, 50, 15.0)
    assert meta["playwright"] is True
    assert "playwright_include_page" not in meta  # scrapy-playwright closes the page on every path
    (wait,) = meta["playwright_page_methods"]
    assert wait.method == "wait_for_function"
    assert wait.kwargs == {"arg": [list(CONTENT_SELECTORS), 50], "timeout": 15000.0}
    (wait,) = playwright_meta("div.body", 50, 2)["playwright_page_methods"]
    assert wait.kwargs["arg"] == [["div.body"], 50]


def test_the_auto_measure_tells_a_script_shell_from_an_article() -> None:
    shell = shell_page(1).decode()
    assert SHELL_TEXT in shell
    assert article_text_length(shell, "http://127.0.0.1/script/1") < RENDER_AUTO_MIN_CHARS
    assert article_text_length(server_page(1).decode(), "http://127.0.0.1/server/1") >= RENDER_AUTO_MIN_CHARS
    assert article_text_length("", "http://127.0.0.1/empty") == 0
