"""The cleaning stage on one item: page text and original cleaned, byline person vs posting account."""

from __future__ import annotations

from typing import Any

from pipelines.clean import apply_cleaning

STORY_EN = "Bitcoin miners earned $312 million in the first week of January, up 18% on the week before."
STORY_ZH = "2026年1月第一周比特币矿工总收入约为3.12亿美元，较前一周增长18%。"
ORIGINAL = (
    "<p>作者：林默 来源：Odaily星球日报</p>"
    f"<p>{STORY_ZH}</p>"
    "<p>原文链接：https://odaily.example/post/5201</p>"
    "<p>风险提示：本文不构成投资建议，币市有风险，投资需谨慎。</p>"
    "<p>本文经授权转载自Odaily星球日报，转载请注明出处。</p>"
)


def item(**over: Any) -> dict[str, Any]:
    base = {
        "source": "followin", "lang": "en", "account": "ODAILY", "is_machine_translated": True,
        "original_lang": "zh", "raw_title": "Miners earned more", "raw_original_title": "矿工收入增长",
        "raw_body": f"<p>Author: Lin Mo Source: Odaily Planet Daily</p><p>{STORY_EN}</p>",
        "raw_original_body": ORIGINAL,
    }  # fmt: skip
    return base | over


def test_the_byline_person_is_the_author_and_the_account_stays_the_account() -> None:
    article = item()
    apply_cleaning(article)
    assert (article["author"], article["account"], article["platform"]) == (
        "Lin Mo", "ODAILY", "Odaily Planet Daily",
    )  # fmt: skip
    assert article["body"] == STORY_EN


def test_the_original_is_cleaned_in_its_own_language_and_kept_raw() -> None:
    article = item()
    hits = apply_cleaning(article)
    assert (article["original_title"], article["original_body"]) == ("矿工收入增长", STORY_ZH)
    assert article["raw_original_body"] == ORIGINAL
    for rule in ("zh.byline", "zh.original_link", "zh.risk_warning", "zh.reprint"):
        assert hits.get(rule) == 1, rule


def test_no_byline_no_author() -> None:
    article = item(raw_body=f"<p>{STORY_EN}</p>", raw_original_body=f"<p>{STORY_ZH}</p>")
    apply_cleaning(article)
    assert article.get("author") is None and article["account"] == "ODAILY"


def test_a_byline_only_in_the_original_still_names_the_author() -> None:
    article = item(raw_body=f"<p>{STORY_EN}</p>")
    apply_cleaning(article)
    assert article["author"] == "林默"


def test_an_untranslated_page_is_its_own_original() -> None:
    article = item(lang="zh-Hans", is_machine_translated=False, raw_title="矿工收入增长", raw_body=ORIGINAL)
    apply_cleaning(article)
    assert (article["original_title"], article["original_body"]) == (article["title"], article["body"])
    assert article["body"] == STORY_ZH and article["author"] == "林默"
