"""scrapy report: the summary of the last crawl run (or of run N), read back from crawl_runs."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, ClassVar

import psycopg
from scrapy.commands import ScrapyCommand

from crawler.extensions.summary import problems, summarize
from crawler.outcome import unclean
from crawler.report_html import write_report
from pipelines.db import runs
from pipelines.db.connect import DatabaseConfigError, connect, one_line
from pipelines.db.migrate import SchemaNotReady, check_schema


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--run ID] [--html FILE [--days N]] [--fail-over-error-rate RATE]"

    def short_desc(self) -> str:
        return "Print the summary of the last crawl run"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--run", type=int, help="crawl run id (default: the last one)")
        parser.add_argument("--html", metavar="FILE", help="also write a page of charts to FILE")
        parser.add_argument("--days", type=int, default=30, help="period of the --html page (default 30)")
        parser.add_argument("--fail-over-error-rate", type=float, metavar="RATE",
                            help="exit 1 when the errors per request of the run exceed RATE")  # fmt: skip

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        stale_after = self.settings.getfloat("RUN_STALE_SECONDS", runs.DEFAULT_STALE_AFTER)
        try:
            with connect(self.settings.get("DATABASE_URL"), autocommit=True) as conn:
                check_schema(conn)
                runs.mark_abandoned(conn, stale_after)
                row = conn.execute(
                    "SELECT id, spider, args, started_at, finish_reason, stats, status, heartbeat_at "
                    "FROM crawl_runs WHERE %(run)s::bigint IS NULL OR id = %(run)s ORDER BY id DESC LIMIT 1",
                    {"run": opts.run},
                ).fetchone()
                totals = conn.execute(
                    "SELECT lang, count(*) FROM articles GROUP BY lang ORDER BY lang"
                ).fetchall()
                if opts.html:
                    write_report(conn, opts.html, opts.days)
        except (DatabaseConfigError, SchemaNotReady, psycopg.Error, OSError) as exc:
            print(f"report: {one_line(exc)}", file=sys.stderr)
            self.exitcode = 1
            return
        if row is None:
            if opts.run is not None:
                print(f"report: no crawl run {opts.run}", file=sys.stderr)
                self.exitcode = 1
            else:
                print("No crawl run recorded yet.")
                self.exitcode = int(opts.fail_over_error_rate is not None)
            return
        run_id, spider, run_args, started, reason, stats, status, heartbeat = row
        print(f"Run {run_id}: {spider} {run_args}, started {started:%Y-%m-%d %H:%M:%S %Z}")
        if status == "abandoned":
            print(f"  ABANDONED: stopped without recording its end (last heartbeat {_when(heartbeat)}); "
                  "what it stored is kept: run the same command again to finish")  # fmt: skip
        elif status == "running":
            print(f"  still running (last heartbeat {_when(heartbeat)})")
        if stats is None:
            print("  (no stats recorded)")
        else:
            if status == "abandoned":
                stats = stats | {"store/run_not_recorded": 1}
            heading = "Crawl finished" if status == "finished" else "Crawl until its last heartbeat"
            print(summarize(stats, reason or status, heading))
        print("Articles in the database: " + (", ".join(f"{lang} {n}" for lang, n in totals) or "none"))
        if opts.html:
            print(f"Report with charts written to {opts.html}")
        if opts.fail_over_error_rate is not None:
            problem = unclean(stats, opts.fail_over_error_rate) or "; ".join(problems(stats))
            if problem:
                print(f"Run {run_id}: {problem}", file=sys.stderr)
                self.exitcode = 1


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}" if moment else "never"
