"""Golden cases: input file -> expected cleaned body (and byline fields) in tests/text/golden.

manifest.json gives each case's page language and, where the case needs them, its title and
the expected author, platform and images. Every rule must fire in at least one case.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pipelines.text.boilerplate import all_rules
from pipelines.text.cleaning import clean_article, clean_text
from tests.shared_data import shared_file

GOLDEN = Path(__file__).parent / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text(encoding="utf-8"))


def _input(name: str) -> str:
    (path,) = GOLDEN.glob(f"{name}.in.*")
    return path.read_text(encoding="utf-8")


def _rules(case: dict) -> dict:
    """The case's source and rule languages (default: its page language only)."""
    return {"source": case.get("source"), "langs": case.get("rule_langs", [case["lang"]])}


def _run(name: str):
    case = MANIFEST[name]
    return clean_article(case.get("title"), _input(name), case["lang"], **_rules(case))


def test_enough_cases() -> None:
    assert len(MANIFEST) >= 40


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_golden(name: str) -> None:
    case = MANIFEST[name]
    result = _run(name)
    expected = (GOLDEN / f"{name}.expected.txt").read_text(encoding="utf-8")
    assert result.body == expected
    for field in ("author", "platform", "images"):
        if field in case:
            assert getattr(result, field) == case[field]
    assert clean_text(result.body, case["lang"], **_rules(case)) == result.body


def test_every_rule_fires_in_some_golden_case() -> None:
    fired: Counter[str] = Counter()
    for name in MANIFEST:
        fired.update(_run(name).hits)
    missing = [r.name for r in all_rules().rules if not fired[r.name]]
    assert not missing, f"rules with no golden case: {missing}"


def test_real_followin_page_from_shared_samples() -> None:
    # The golden copy must stay the page the reference describes (../shared/samples).
    shared = shared_file("samples/followin-article-ai-expansion-2026.txt")
    assert _input("followin_sample_page") == shared.read_text(encoding="utf-8")
