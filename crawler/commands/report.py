"""scrapy report: the summary of the last crawl run (or of run N), read back from crawl_runs."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

import psycopg
from scrapy.commands import ScrapyCommand

from crawler.extensions.summary import summarize
from pipelines.db.connect import DatabaseConfigError, connect


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--run ID]"

    def short_desc(self) -> str:
        return "Print the summary of the last crawl run"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--run", type=int, help="crawl run id (default: the last one)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            with connect(self.settings.get("DATABASE_URL")) as conn:
                row = conn.execute(
                    "SELECT id, spider, args, started_at, finish_reason, stats FROM crawl_runs "
                    "WHERE %(run)s::bigint IS NULL OR id = %(run)s ORDER BY id DESC LIMIT 1",
                    {"run": opts.run},
                ).fetchone()
                totals = conn.execute(
                    "SELECT lang, count(*) FROM articles GROUP BY lang ORDER BY lang"
                ).fetchall()
        except (DatabaseConfigError, psycopg.Error) as exc:
            print(f"report: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        if row is None:
            print("No crawl run recorded yet.")
            return
        run_id, spider, run_args, started, reason, stats = row
        print(f"Run {run_id}: {spider} {run_args}, started {started:%Y-%m-%d %H:%M:%S %Z}")
        if stats is None:
            print("  (not finished, or it ended without recording its stats)")
        else:
            print(summarize(stats, reason or "unknown"))
        print("Articles in the database: " + (", ".join(f"{lang} {n}" for lang, n in totals) or "none"))
