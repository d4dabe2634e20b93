"""The labelled boilerplate set, and the precision/recall the rules reach on it."""

from __future__ import annotations

import json
from collections import Counter

from tests.bench.bench_clean import LABELS, precision_recall


def test_labelled_set_is_well_formed() -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    for row in rows:
        assert set(row) == {"text", "lang", "position", "label"}
        assert row["position"] in ("header", "middle", "trailer")
        assert row["label"] in ("boilerplate", "article")
        assert row["text"].strip()
    kinds = Counter((row["lang"], row["label"]) for row in rows)
    assert min(kinds[(lang, label)] for lang in ("en", "zh") for label in ("boilerplate", "article")) >= 40


def test_precision_and_recall_targets() -> None:
    precision, recall, _, errors = precision_recall()
    assert precision >= 0.98, errors
    assert recall >= 0.95, errors
