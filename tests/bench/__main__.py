"""`make bench`: every figure beside a baseline measured in the same run, as a ratio.

    python -m tests.bench [crawl] [workers] [store] [scale] [clean] [dedupe] [extract] [render]
        (default: all)

Needs DATABASE_URL (make bench starts the local database); scratch databases are created and
dropped on that server.
"""

from __future__ import annotations

import os
import sys

from pipelines.db.connect import database_url


def _row(name: str, value: float, unit: str, baseline: str, base: float, target: str) -> str:
    ratio = value / base if base else float("nan")
    return f"| {name} | {value:,.1f} {unit} | {baseline} | {base:,.1f} {unit} | {ratio:.2f} | {target} |"


def main(argv: list[str]) -> int:
    wanted = set(argv) or {"crawl", "workers", "store", "scale", "clean", "dedupe", "extract", "render"}
    url = database_url(os.environ.get("DATABASE_URL"))
    rows = []
    if "crawl" in wanted:
        from tests.bench import bench_crawl

        print("crawl: followin spider on the scaled fixture site, and scrapy bench …", flush=True)
        crawl = bench_crawl.run(url)
        spider, baseline = crawl["followin_pages_per_min"], crawl["scrapy_bench_pages_per_min"]
        rows.append(_row("followin spider", spider, "pages/min", "scrapy bench", baseline, "≥ 0.5"))
    if "workers" in wanted:
        from tests.bench import bench_distributed

        print("workers: followin spider, one and two workers sharing Redis …", flush=True)
        workers = bench_distributed.run(url)
        rows.append(_row("two workers sharing Redis", workers["pages_per_min_2"], "pages/min",
                         "one worker, same Redis scheduler", workers["pages_per_min_1"], "> 1"))  # fmt: skip
    if "store" in wanted:
        from tests.bench import bench_store

        print(f"store: {bench_store.N_ARTICLES} articles of ~3 KB …", flush=True)
        store = bench_store.run(url)
        rows.append(_row("store new articles (with dedupe)", store["store_items_per_s"], "items/s",
                         "binary COPY, same rows", store["copy_rows_per_s"], "≥ 0.5"))  # fmt: skip
        rows.append(_row("store re-crawled, unchanged articles", store["recrawl_items_per_s"], "items/s",
                         "binary COPY, same rows", store["copy_rows_per_s"], "≥ 0.5"))  # fmt: skip
    if "scale" in wanted:
        from tests.bench import bench_dedupe_scale

        print("scale: dedupe + store one new article with 10k and 100k stored …", flush=True)
        scale = bench_dedupe_scale.run(url)
        rows.append(_row("dedupe+store one article, 100k stored", scale["ms_per_article_100000"], "ms",
                         "same, 10k stored", scale["ms_per_article_10000"], "< 1.5"))  # fmt: skip
    if "extract" in wanted:
        from tests.bench import bench_extract

        print("extract: article extraction on the 181 pages of the extraction benchmark …", flush=True)
        ext = bench_extract.run()
        ours, theirs = ext["ours"], ext["trafilatura"]
        for key in ("f1", "precision", "recall"):
            ratio = ours[key] / theirs[key] if theirs[key] else float("nan")
            target = "≥ 1.0" if key == "f1" else "(for reading the F1)"
            rows.append(f"| article extraction {key} (stored body) | {ours[key]:.4f} | trafilatura.extract, "
                        f"same pages | {theirs[key]:.4f} | {ratio:.3f} | {target} |")  # fmt: skip
        rows.append(_row("article extraction speed", ours["pages_per_s"], "pages/s",
                         "trafilatura.extract", theirs["pages_per_s"], "≥ 0.5"))  # fmt: skip
    if "render" in wanted:
        from tests.bench import bench_render

        n = bench_render.N_PAGES
        print(f"render: {n} pages plain, then {n} in Chromium …", flush=True)
        render = bench_render.run()
        rows.append(_row("rendered pages (Chromium, 4 at once)", render["rendered_pages_per_s"], "pages/s",
                         "plain pages, same spider", render["plain_pages_per_s"], "≥ 0.05"))  # fmt: skip
        rows.append(_row(f"peak memory after {n} rendered pages", render["rendered_peak_mib"], "MiB",
                         "peak memory, plain crawl", render["plain_peak_mib"], "(informative)"))  # fmt: skip
    if rows:
        print("\n| measure | value | baseline | baseline value | ratio | target |")
        print("|---|---|---|---|---|---|")
        print("\n".join(rows))
    if "clean" in wanted:
        from tests.bench import bench_clean

        print("\nclean:", flush=True)
        bench_clean.main([])
    if "dedupe" in wanted:
        from tests.bench import bench_dedupe_quality

        print("\ndedupe quality:", flush=True)
        sys.argv = [sys.argv[0]]
        bench_dedupe_quality.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
