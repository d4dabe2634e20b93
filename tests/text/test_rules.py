"""The rule files: well-formed, and each rule's own example is removed by that rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.text.boilerplate import (
    RULES_DIR,
    SCOPES,
    all_rules,
    classify_paragraph,
    load_rules,
    selected_rules,
)

RULES = all_rules().rules


def test_rule_files_exist() -> None:
    names = {p.name for p in RULES_DIR.glob("*.json")}
    assert {"followin.json", "en.json", "zh.json"} <= names


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_example_is_matched_by_its_own_rule(rule) -> None:
    assert rule.scope in SCOPES
    found = selected_rules((rule.source.removesuffix(".json"),)).match(rule.example, rule.scope)
    assert found is not None and found.rule.name == rule.name
    position = {"line": "middle", "header": "header", "trailer": "trailer"}[rule.scope]
    assert classify_paragraph(rule.example, position) is not None  # by this rule or another file's


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_first_character_index_agrees_with_the_regex(rule) -> None:
    # The index only skips paragraphs the rule's regex could never match.
    assert all_rules().may_match(rule.example, rule.scope)
    assert rule.compiled().fullmatch(rule.example)


def test_header_and_trailer_rules_do_not_fire_mid_article() -> None:
    for rule in RULES:
        if rule.scope != "line":
            assert classify_paragraph(rule.example, "middle") in (
                None,
                *[r.name for r in RULES if r.scope == "line"],
            )


def _write(tmp_path: Path, rules: list[dict], **extra) -> Path:
    (tmp_path / "x.json").write_text(json.dumps({"rules": rules, **extra}), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "rule",
    [
        {"name": "x.a", "scope": "everywhere", "pattern": "a", "example": "a"},
        {"name": "x.a", "scope": "line", "pattern": "(", "example": "a"},
        {"name": "x.a", "scope": "line", "pattern": "a"},
        {"name": "x.a", "scope": "line", "pattern": "(?P<x>a)(?P=x)", "example": "aa"},
        {"name": "x.a", "scope": "line", "pattern": "a", "example": "a", "extract": ["author"]},
        {"name": "x.a", "scope": "line", "pattern": "{{NOPE}}", "example": "a"},
    ],
)
def test_malformed_rules_are_refused(tmp_path: Path, rule: dict) -> None:
    with pytest.raises(ValueError):
        load_rules(_write(tmp_path, [rule]))


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    rule = {"name": "x.a", "scope": "line", "pattern": "a", "example": "a"}
    with pytest.raises(ValueError):
        load_rules(_write(tmp_path, [rule, rule]))


def test_macros_expand(tmp_path: Path) -> None:
    rule = {"name": "x.a", "scope": "line", "pattern": "{{W}}!", "example": "Hi!"}
    rules = load_rules(_write(tmp_path, [rule], macros={"W": "H{{I}}", "I": "i"}))
    assert rules.match("Hi!", "line") is not None
