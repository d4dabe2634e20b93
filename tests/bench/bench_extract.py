"""Article extraction on the public article-extraction benchmark, beside trafilatura's own score.

The benchmark (../shared/eval/article-extraction-benchmark, Zyte, MIT) scores a body against the
true one by 4-gram shingles of ``\\w+`` tokens: per-document precision, recall and F1, averaged
over all documents (an empty extraction scores 0). Ours is the stored body: extraction by
pipelines/text/extract.py, then the project's cleaning. Trafilatura's is ``trafilatura.extract``
with its defaults, on the same pages in the same run.

    python -m tests.bench.bench_extract
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Callable

import trafilatura

from pipelines.text.cleaning import clean_article
from pipelines.text.extract import extract_article
from tests.shared_data import SHARED, shared_file

BENCHMARK = SHARED / "eval" / "article-extraction-benchmark"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return {tuple(tokens[i : i + n]) for i in range(max(len(tokens) - n + 1, 1))} if tokens else set()


def prf(predicted: str, truth: str) -> tuple[float, float, float]:
    got, want = shingles(predicted), shingles(truth)
    if not got or not want:
        return 0.0, 0.0, 0.0
    common = len(got & want)
    precision, recall = common / len(got), common / len(want)
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def pages() -> list[tuple[str, str, str, str]]:
    """(id, url, html, true body) of every benchmark page."""
    truth = json.loads(shared_file("eval/article-extraction-benchmark/ground-truth.json").read_text("utf-8"))
    out = []
    for page_id, item in sorted(truth.items()):
        html = gzip.decompress((BENCHMARK / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        out.append((page_id, item.get("url") or "", html, item["articleBody"]))
    return out


def ours(html: str, url: str) -> str:
    article = extract_article(html, url or "https://example.com/")
    return clean_article(article.title, article.body, article.lang).body


def theirs(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url or None) or ""


def score(extractor: Callable[[str, str], str], data: list[tuple[str, str, str, str]]) -> dict[str, float]:
    started = time.perf_counter()
    results = [prf(extractor(html, url), truth) for _, url, html, truth in data]
    n = len(results)
    return {
        "precision": sum(r[0] for r in results) / n,
        "recall": sum(r[1] for r in results) / n,
        "f1": sum(r[2] for r in results) / n,
        "pages_per_s": n / (time.perf_counter() - started),
        "pages": n,
    }


def run() -> dict[str, dict[str, float]]:
    data = pages()
    return {"ours": score(ours, data), "trafilatura": score(theirs, data)}


if __name__ == "__main__":
    for name, figures in run().items():
        print(name, {k: round(v, 4) for k, v in figures.items()})
