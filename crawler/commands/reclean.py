"""scrapy reclean: re-derive the cleaned fields of stored articles from their raw text.

Run it after the cleaning rules change (or after migration 007). Articles are read in id order,
in batches; each is cleaned again from its raw title and body and its raw original, and those
whose cleaned fields changed are written back through the one writer (one transaction per
batch; the old content goes to article_versions). Prints how many were read and how many changed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any, ClassVar

import psycopg
from psycopg.rows import dict_row
from scrapy.commands import ScrapyCommand

from pipelines.clean import DERIVED_FIELDS, apply_cleaning
from pipelines.db.connect import DatabaseConfigError, connect, one_line
from pipelines.db.migrate import SchemaNotReady, check_schema
from pipelines.db.writer import ArticleWriter
from pipelines.fingerprint import fingerprint

_READ_SQL = """
SELECT a.id, s.name AS source, a.external_id, a.lang, a.url, a.raw_title, a.raw_body,
       a.original_lang, a.original_title, a.original_body, a.is_machine_translated, a.author,
       a.platform, a.published_at, a.source_url, a.tags, a.related_feeds, a.images, a.raw,
       a.fetched_at, a.title, a.body, a.detected_lang, a.lang_confidence, a.account,
       a.raw_original_title, a.raw_original_body
FROM articles a JOIN sources s ON s.id = a.source_id
WHERE a.id > %(after)s AND (%(source)s::text IS NULL OR s.name = %(source)s)
ORDER BY a.id LIMIT %(limit)s
"""


def reclean(conn: psycopg.Connection, batch_size: int = 500, source: str | None = None,
            dry_run: bool = False) -> tuple[int, int, Counter[str]]:  # fmt: skip
    """Re-clean stored articles; return (read, changed, rule hits)."""
    writer = ArticleWriter(conn)
    read = changed = 0
    hits: Counter[str] = Counter()
    after = 0
    while True:
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(_READ_SQL, {"after": after, "source": source, "limit": batch_size}).fetchall()
        if not rows:
            return read, changed, hits
        after = rows[-1]["id"]
        read += len(rows)
        dirty = []
        for row in rows:
            before = {name: row[name] for name in DERIVED_FIELDS}
            row["images"] = []  # derived from the raw body alone
            hits.update(apply_cleaning(row))
            if any(row[name] != before[name] for name in DERIVED_FIELDS):
                fingerprint(row)
                dirty.append(row)
        changed += len(dirty)
        if dirty and not dry_run:
            writer.write(dirty, seen=False)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--batch-size N] [--source NAME] [--dry-run]"

    def short_desc(self) -> str:
        return "Re-derive cleaned title/body of stored articles from their raw text"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--batch-size", type=int, default=500, help="articles per transaction")
        parser.add_argument("--source", help="only the articles of this source (a spider name)")
        parser.add_argument("--dry-run", action="store_true", help="count changes, write nothing")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if opts.batch_size < 1:
            print(f"reclean: --batch-size must be at least 1, got {opts.batch_size}", file=sys.stderr)
            self.exitcode = 2
            return
        try:
            with connect(self.settings.get("DATABASE_URL"), autocommit=True) as conn:
                check_schema(conn)
                read, changed, hits = reclean(conn, opts.batch_size, opts.source, opts.dry_run)
        except (DatabaseConfigError, SchemaNotReady, psycopg.Error) as exc:
            print(f"reclean: {one_line(exc)}", file=sys.stderr)
            self.exitcode = 1
            return
        verb = "would change" if opts.dry_run else "changed"
        print(f"Re-cleaned {read} article(s): {changed} {verb}.")
        for name, count in hits.most_common(10):
            print(f"  {name}: {count}")
