"""Property tests: never raises, idempotent, no control characters, clean text left alone."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.text.cleaning import clean_article, clean_text

LANGS = st.sampled_from([None, "", "en", "zh-Hans", "zh-Hant", "ko", "vi", "ja", "xx-??"])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Markup-looking noise: tags, entities, mojibake, invisible and CJK characters.
_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<li>", "<div class='x'>", "</div>", "<script>", "</script>",
        "<a href='u'>", "</a>", "<img src='https://i/x.png'>", "<!--", "-->", "<?xml?>", "&amp;",
        "&amp;amp;", "&lt;b&gt;", "&#10;", "&#0;", "&nbsp;", "\u00e2\u20ac\u2122", "\u200b",
        "\u202e", "\x00", "\x85", "\u2028", "\u3000", "，", "。", "“", "）", "$ ", " ,", " .",
        "1 ,000", "3 .5", "Source", "Author: A Source: B", "风险提示：", "\n", "\n\n", " ", "<",
        ">", "比特币", "비트코인", "Bitcoin", "Like", "Comments", "\r\n", "\t",
    ]
)  # fmt: skip
NOISY = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=300), NOISY)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c != "\n" for c in text)


@SETTINGS
@given(ANY_TEXT, LANGS)
def test_clean_text_is_idempotent_and_clean(text: str, lang: str | None) -> None:
    once = clean_text(text, lang)
    assert clean_text(once, lang) == once
    assert not _has_control(once)
    assert "\n\n\n" not in once and once == once.strip()


@SETTINGS
@given(ANY_TEXT, ANY_TEXT, LANGS)
def test_clean_article_never_raises(title: str, body: str, lang: str | None) -> None:
    result = clean_article(title, body, lang)
    assert not _has_control(result.title + result.body)
    assert result.lang is None or (len(result.lang) == 2 and 0 <= result.lang_confidence <= 1)
    assert all(isinstance(v, int) and v > 0 for v in result.hits.values())


# Clean paragraphs, built from plain words so that nothing in them is an artifact.
_EN_FIRST = ["Bitcoin", "Analysts", "Investors", "Markets", "Ethereum", "Regulators", "Miners"]
_EN_WORDS = [
    "rose", "fell", "after", "the", "report", "on", "Tuesday", "while", "funds", "bought",
    "more", "tokens", "than", "expected", "and", "prices", "held", "steady", "$500", "3.5%",
    "1,000", "in", "Asia", "ETF", "inflows", "said", "banks", "AI", "chips",
]  # fmt: skip
_ZH_WORDS = ["比特币", "价格", "周二", "突破", "十万美元", "分析师", "认为", "机构", "资金", "持续",
             "流入", "以太坊", "网络", "升级", "市场", "预期"]  # fmt: skip
_KO_WORDS = ["비트코인", "가격이", "화요일", "사상", "최고치를", "기록했다", "전문가들은", "기관",
             "자금", "유입이", "계속될", "것으로", "보고", "있다"]  # fmt: skip


def _english() -> st.SearchStrategy[str]:
    words = st.lists(st.sampled_from(_EN_WORDS), min_size=4, max_size=25)
    clause = st.tuples(st.sampled_from(_EN_FIRST), words, st.booleans()).map(
        lambda t: t[0] + " " + " ".join(t[1][:2]) + ("," if t[2] else "") + " " + " ".join(t[1][2:])
    )
    return clause.map(lambda s: s.strip() + ".")


def _chinese() -> st.SearchStrategy[str]:
    part = st.lists(st.sampled_from(_ZH_WORDS), min_size=2, max_size=8).map("".join)
    return st.lists(part, min_size=1, max_size=4).map(lambda parts: "，".join(parts) + "。")


def _korean() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_KO_WORDS), min_size=3, max_size=12).map(lambda w: " ".join(w) + ".")


@SETTINGS
@given(st.lists(_english(), min_size=1, max_size=6, unique=True))
def test_clean_english_is_unchanged(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    assert clean_text(text, "en") == text


@SETTINGS
@given(st.lists(_chinese(), min_size=1, max_size=6, unique=True), st.sampled_from(["zh-Hans", "en"]))
def test_clean_chinese_is_unchanged(paragraphs: list[str], lang: str) -> None:
    # Also on an English page: Chinese paragraphs keep their punctuation there too.
    text = "\n\n".join(paragraphs)
    assert clean_text(text, lang) == text


@SETTINGS
@given(st.lists(_korean(), min_size=1, max_size=6, unique=True))
def test_clean_korean_is_unchanged(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    assert clean_text(text, "ko") == text
