"""scrapy migrate: apply the schema migrations to the database DATABASE_URL names."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from pipelines.db.connect import DatabaseConfigError, connect, redact
from pipelines.db.migrate import apply_all


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Apply database schema migrations (a no-op when up to date)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            with connect(self.settings.get("DATABASE_URL")) as conn:
                applied = apply_all(conn)
                where = redact(conn.info.dsn)
        except DatabaseConfigError as exc:
            print(f"migrate: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        if applied:
            print(f"Applied {len(applied)} migration(s) to {where}: {', '.join(applied)}")
        else:
            print(f"Schema of {where} is up to date")
