"""Quality and speed of near-duplicate detection.

    .venv/bin/python -m tests.bench.bench_dedupe_quality [--seed N] [--errors N]

Builds the labelled pairs of tests/dedupe/pairs.py (real article bodies of the shared
extraction benchmark, transformed), judges each with ``is_duplicate`` at DEFAULT_THRESHOLD and
prints precision, recall, the results per transformation, a threshold sweep (with and without
the facts check), the LSH S-curve and the share of duplicates the band lookup would find, and
the throughput of signatures on ~3 KB texts beside datasketch's.
Targets: precision >= 0.99, recall >= 0.95.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from datasketch import MinHash

from pipelines.text import fingerprint as fp
from tests.dedupe.pairs import Pair, build_pairs, fingerprint_pairs, judge, load_articles, score


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def _per_kind(pairs: list[Pair], prints: dict, threshold: float) -> None:
    print(
        f"\n{'transformation':24} {'label':9} {'pairs':>5} {'judged dup':>10} {'correct':>8}"
        f"   similarity p05 / median / max"
    )
    kinds: dict[tuple[str, bool], list[Pair]] = {}
    for pair in pairs:
        kinds.setdefault((pair.kind, pair.duplicate), []).append(pair)
    for (kind, duplicate), group in sorted(kinds.items(), key=lambda item: (not item[0][1], item[0][0])):
        judged = sum(judge(pair, prints, threshold) for pair in group)
        correct = judged if duplicate else len(group) - judged
        sims = [fp.similarity(prints[p.a].signature, prints[p.b].signature) for p in group]
        label = "same" if duplicate else "different"
        spread = f"{_quantile(sims, 0.05):.2f} / {statistics.median(sims):.2f} / {max(sims):.2f}"
        print(f"{kind:24} {label:9} {len(group):5} {judged:10} {correct / len(group):8.1%}   {spread}")


def _sweep(pairs: list[Pair], prints: dict) -> None:
    print("\nthreshold  precision  recall   precision without the facts check")
    sims = {id(p): fp.similarity(prints[p.a].signature, prints[p.b].signature) for p in pairs}
    for step in range(6, 17):
        threshold = step / 20
        scores = score(pairs, prints, threshold)
        judged = [p for p in pairs if sims[id(p)] >= threshold]
        bare = sum(p.duplicate for p in judged) / len(judged) if judged else 1.0
        mark = "  <- DEFAULT_THRESHOLD" if abs(threshold - fp.DEFAULT_THRESHOLD) < 1e-9 else ""
        print(f"{threshold:9.2f}  {scores.precision:9.4f}  {scores.recall:6.4f}   {bare:.4f}{mark}")


def _lsh(pairs: list[Pair], prints: dict) -> None:
    print(f"\nLSH: {fp.BANDS} bands x {fp.ROWS} rows = {fp.NUM_PERM} permutations")
    print("  similarity " + " ".join(f"{s:6.2f}" for s in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)))
    print(
        "  candidate  "
        + " ".join(f"{fp.lsh_candidate_probability(s):6.3f}" for s in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6))
    )
    keys = {text: set(fp.band_keys(p.signature)) for text, p in prints.items()}
    found = [p for p in pairs if p.duplicate and judge(p, prints, fp.DEFAULT_THRESHOLD)]
    missed = sum(1 for p in found if not keys[p.a] & keys[p.b])
    # Candidates below the threshold are wasted fetches: the lookup's cost.
    below = [
        p for p in pairs if fp.similarity(prints[p.a].signature, prints[p.b].signature) < fp.DEFAULT_THRESHOLD
    ]
    fetched = sum(1 for p in below if keys[p.a] & keys[p.b])
    print(f"  judged duplicates the band lookup misses:   {missed} of {len(found)}")
    print(f"  pairs below the threshold fetched anyway:   {fetched} of {len(below)}")


def _rate(function: Callable[[str], object], texts: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            function(text)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def _datasketch_signature(text: str) -> MinHash:
    minhash = MinHash(num_perm=fp.NUM_PERM)
    minhash.update_batch([s.encode() for s in fp.shingles(text)])
    return minhash


def _speed() -> None:
    texts = [body[:3000] for body in load_articles().values() if len(body) >= 3000]
    print(f"\nspeed on {len(texts)} texts of 3,000 characters (best of 3):")
    for name, function in (
        ("signature", fp.signature),
        ("signature with datasketch update_batch", _datasketch_signature),
        ("facts", fp.facts),
        ("content_hash", fp.content_hash),
    ):
        print(f"  {name:40} {_rate(function, texts):8.0f} /s")


def _errors(pairs: list[Pair], prints: dict, limit: int) -> None:
    wrong = [p for p in pairs if judge(p, prints, fp.DEFAULT_THRESHOLD) != p.duplicate]
    if wrong and limit:
        print(f"\nfirst {min(limit, len(wrong))} of {len(wrong)} errors:")
    for pair in wrong[:limit]:
        sim = fp.similarity(prints[pair.a].signature, prints[pair.b].signature)
        print(f"  {pair.kind} ({pair.source}), similarity {sim:.2f}")
        print(f"    a: {pair.a[:150]!r}\n    b: {pair.b[:150]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--errors", type=int, default=5, help="how many errors to show")
    args = parser.parse_args()

    start = time.perf_counter()
    pairs = build_pairs(args.seed)
    prints = fingerprint_pairs(pairs)
    scores = score(pairs, prints, fp.DEFAULT_THRESHOLD)
    positives = sum(p.duplicate for p in pairs)
    print(
        f"{len(pairs)} pairs ({positives} same story, {len(pairs) - positives} different), "
        f"{len(prints)} texts, fingerprinted in {time.perf_counter() - start:.1f} s"
    )
    print(
        f"DEFAULT_THRESHOLD {fp.DEFAULT_THRESHOLD}: precision {scores.precision:.4f} "
        f"(target 0.99), recall {scores.recall:.4f} (target 0.95)"
    )
    print(
        f"  true positives {scores.true_positives}, false positives {scores.false_positives}, "
        f"false negatives {scores.false_negatives}, true negatives {scores.true_negatives}"
    )
    _per_kind(pairs, prints, fp.DEFAULT_THRESHOLD)
    _sweep(pairs, prints)
    _lsh(pairs, prints)
    _errors(pairs, prints, args.errors)
    _speed()


if __name__ == "__main__":
    main()
