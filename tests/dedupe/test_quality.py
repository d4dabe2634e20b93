"""Near-duplicate detection on the labelled evaluation pairs: precision and recall targets."""

from __future__ import annotations

import pytest

from pipelines.text import fingerprint as fp
from tests.dedupe.pairs import Fingerprint, Pair, build_pairs, fingerprint_pairs, score

# The pairs are built from ../shared/eval (tests/shared_data.py): without it these tests fail.


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return build_pairs(seed=0)


@pytest.fixture(scope="module")
def prints(pairs: list[Pair]) -> dict[str, Fingerprint]:
    return fingerprint_pairs(pairs)


def test_the_set_is_large_deterministic_and_balanced_enough(pairs: list[Pair]) -> None:
    assert len(pairs) >= 500
    assert sum(p.duplicate for p in pairs) >= 200
    assert sum(not p.duplicate for p in pairs) >= 200
    assert build_pairs(seed=0)[:50] == pairs[:50]


def test_precision_and_recall_at_the_default_threshold(
    pairs: list[Pair], prints: dict[str, Fingerprint]
) -> None:
    scores = score(pairs, prints, fp.DEFAULT_THRESHOLD)
    assert scores.precision >= 0.99, scores
    assert scores.recall >= 0.95, scores


def test_no_transformation_is_mostly_wrong(pairs: list[Pair], prints: dict[str, Fingerprint]) -> None:
    scores = score(pairs, prints, fp.DEFAULT_THRESHOLD)
    labels = {p.kind: p.duplicate for p in pairs}
    for kind, (total, judged) in scores.by_kind.items():
        correct = judged if labels[kind] else total - judged
        assert correct / total >= 0.9, kind
