"""Unit tests of the cleaning stages and the public API."""

from __future__ import annotations

import time

import pytest

from pipelines.text.artifacts import is_cjk_lang, is_cjk_text
from pipelines.text.boilerplate import classify_paragraph, rule_files
from pipelines.text.cleaning import CleanedText, clean_article, clean_text
from pipelines.text.html import html_to_paragraphs, looks_like_html
from pipelines.text.language import detect_language

ARTICLE = "Bitcoin rose 4% on Monday as ETF inflows resumed after a week of outflows."


# --- bylines -------------------------------------------------------------------------------


def test_byline_author_and_platform_are_returned_and_removed() -> None:
    body = f"Author: Jin Yu Source: Aju Business Daily, @ajunews\n\n{ARTICLE}"
    result = clean_article("T", body, "en")
    assert (result.author, result.platform) == ("Jin Yu", "Aju Business Daily")
    assert result.body == ARTICLE
    assert result.hits["en.byline"] == 1


def test_chinese_byline() -> None:
    body = "作者：吴说区块链 来源：Odaily星球日报\n\n比特币周二突破10万美元，创历史新高。"
    result = clean_article(None, body, "zh-Hans")
    assert (result.author, result.platform) == ("吴说区块链", "Odaily星球日报")
    assert result.body == "比特币周二突破10万美元，创历史新高。"


def test_no_byline_means_none() -> None:
    result = clean_article("T", ARTICLE, "en")
    assert result.author is None and result.platform is None


def test_byline_is_only_a_header() -> None:
    # Past the header, "Source: X" is a chart caption: kept, and no platform taken from it.
    paragraphs = [ARTICLE, "Funding rates turned positive.", "Open interest rose.", "Source: Glassnode"]
    result = clean_article(None, "\n\n".join(paragraphs), "en")
    assert result.body.endswith("Source: Glassnode") and result.platform is None


# --- trailers ------------------------------------------------------------------------------


def test_trailer_sentence_in_the_middle_stays() -> None:
    notice = "This article is for informational purposes only and does not constitute investment advice."
    body = "\n\n".join([ARTICLE, notice, "Outflows continued for a third day.", "Like", "Comments"])
    kept = [ARTICLE, notice, "Outflows continued for a third day."]
    assert clean_text(body, "en", source="followin") == "\n\n".join(kept)


def test_trailer_removes_only_the_trailing_run() -> None:
    notice = "The market is risky, and investment requires caution."
    body = "\n\n".join([ARTICLE, notice, "Source", "Like", "Add to Favorites", "Comments"])
    assert clean_text(body, "en", source="followin") == ARTICLE


def test_classify_positions() -> None:
    assert classify_paragraph("Like", "trailer") == "followin.like"
    assert classify_paragraph("Like", "middle") is None
    assert classify_paragraph("Show original", "header") == "followin.show_original"
    assert classify_paragraph("Risk warning: be careful.", "middle") == "en.risk_warning"
    assert classify_paragraph("Risk appetite returned on Friday.", "trailer") is None


# --- CJK and artifacts ---------------------------------------------------------------------


def test_cjk_punctuation_kept_on_cjk_pages() -> None:
    text = "以太坊（ETH）上涨5%，分析师称：“资金持续流入。”"
    assert clean_text(text, "zh-Hans") == text
    assert clean_text(text, "zh-Hant") == text
    assert clean_text(text, "en") == text  # a Chinese paragraph inside an English page


def test_korean_text_unchanged() -> None:
    text = "비트코인 가격이 화요일 10만 달러를 돌파했다. 전문가들은 (기관) 수요를 지목했다."
    assert clean_text(text, "ko") == text
    assert clean_text(text, "en") == text


def test_fullwidth_punctuation_in_english() -> None:
    assert clean_text("Prices rose，then fell。Why？", "en") == "Prices rose, then fell. Why?"


def test_numbers_joined() -> None:
    got = clean_text("It raised $ 500 million from 1 ,000 funds at 3 .5% .", "en")
    assert got == "It raised $500 million from 1,000 funds at 3.5%."


def test_lang_tags() -> None:
    assert is_cjk_lang("zh-Hans") and is_cjk_lang("ko") and is_cjk_lang("ja_JP")
    assert not is_cjk_lang("en") and not is_cjk_lang(None) and not is_cjk_lang("vi")
    assert is_cjk_text("比特币ETF获批") and not is_cjk_text("Sun Yuchen (孙宇晨) said the fund grew.")


# --- language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (ARTICLE, "en"),
        ("比特币价格周二突破十万美元，创下历史新高。分析师认为，机构资金持续流入。", "zh"),
        ("비트코인 가격이 화요일 10만 달러를 돌파하며 사상 최고치를 기록했다.", "ko"),
    ],
)
def test_language_detection(text: str, code: str) -> None:
    detected, confidence = detect_language(text)
    assert detected == code
    assert confidence is not None and 0.5 < confidence <= 1.0


def test_short_text_has_no_language() -> None:
    assert detect_language("") == (None, None)
    assert detect_language("OK 42") == (None, None)
    assert detect_language(None) == (None, None)


def test_title_decides_language_when_body_is_empty() -> None:
    result = clean_article("Bitcoin climbs as investors return to crypto funds", "", "en")
    assert result.body == "" and result.lang == "en"


# --- HTML ----------------------------------------------------------------------------------


def test_html_to_paragraphs() -> None:
    html = (
        '<h1>Title</h1><p>One <a href="x">link</a>.</p><ul><li>a</li><li>b</li></ul>'
        '<img src="https://i/1.png"><img data-src="https://i/2.png"><img src="https://i/1.png">'
        '<img src="data:image/gif;base64,AA"><script>bad()</script><style>.c{}</style>'
    )
    paragraphs, images = html_to_paragraphs(html)
    assert paragraphs == ["Title", "One link.", "a", "b"]
    assert images == ["https://i/1.png", "https://i/2.png"]


def test_markup_detection() -> None:
    assert looks_like_html("<p>x</p>") and looks_like_html("a <br/> b")
    assert not looks_like_html("3 < 5 and 7 > 2") and not looks_like_html("plain")


def test_text_that_looks_like_a_tag_is_stable() -> None:
    once = clean_text("<p>Use &lt;b&gt; and a&lt;b</p>", "en")
    assert clean_text(once, "en") == once and "<" not in once.replace("＜", "")


# --- robustness and visibility -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [None, "", "   ", "<", "<p>", "</div></div>", "<?xml version='1.0' encoding='utf-8'?><p>x</p>",
     "\x00\x01\x02", "\ud800 lone surrogate", "<p>" * 5000, b"<p>bytes \xff</p>", 12345],
)  # fmt: skip
def test_never_raises(body) -> None:
    result = clean_article(body, body, "en")
    assert isinstance(result, CleanedText)
    assert isinstance(clean_text(body), str)


def test_huge_input_is_capped_and_fast() -> None:
    body = ("<p>" + ARTICLE + "</p>") * 20000  # ~1.7 MB
    start = time.perf_counter()
    result = clean_article("T", body, "en")
    assert time.perf_counter() - start < 10
    assert result.body.startswith(ARTICLE)


def test_hits_are_visible() -> None:
    body = (
        "<p>This article is machine translated</p>"
        + "<p>It\u00e2\u20ac\u2122s\u200b up，&amp;amp; the fee is $ 5 .</p>" * 2
        + "<p>Like</p>"
    )
    hits = clean_article(None, body, "en", source="followin").hits
    for name in (
        "followin.machine_translated", "followin.like", "unicode.mojibake", "unicode.invisible",
        "unicode.entities", "artifacts.fullwidth_punct", "artifacts.currency_space",
        "artifacts.space_before_punct", "dedup.repeated_paragraph",
    ):  # fmt: skip
        assert hits.get(name, 0) >= 1, name


# --- rules chosen by source and language ----------------------------------------------------


def test_a_source_s_rules_apply_to_its_articles_only() -> None:
    body = "\n\n".join(["Show original", ARTICLE, "Like"])
    assert clean_text(body, "en", source="followin") == ARTICLE
    assert clean_text(body, "en", source="theblock") == body  # another site's "Like" is its text
    assert rule_files("followin", ["en"]) == ("followin", "en")
    assert rule_files("theblock", ["zh-Hans", "ko", None]) == ("zh", "ko")  # no file: no rules


def test_language_rules_follow_the_article_s_languages() -> None:
    warning = "风险提示：本文不构成投资建议。"
    body = "\n\n".join([ARTICLE, warning])
    assert clean_text(body, "en") == body  # an English original quoting a Chinese notice
    assert clean_text(body, "en", langs=["en", "zh"]) == ARTICLE  # a translation from Chinese
    assert clean_text(body, "zh-Hans") == ARTICLE
