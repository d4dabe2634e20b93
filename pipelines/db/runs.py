"""The crawl_runs table: a run starts, beats while it works, finishes, or is found abandoned.

A run whose heartbeat is older than ``stale_after`` seconds was killed (SIGKILL, power loss, OOM)
before it could record its end: :func:`mark_abandoned` says so, so that no report shows it running.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pipelines.text.storable import storable_json

DEFAULT_STALE_AFTER = 600.0  # seconds without a heartbeat before a running run counts as abandoned


def _json(stats: Mapping[str, Any]) -> Jsonb:
    return Jsonb(storable_json(json.loads(json.dumps(dict(stats), default=str))))


def start_run(
    conn: psycopg.Connection,
    spider: str,
    args: Mapping[str, Any],
    worker: str | None = None,
    crawl: str | None = None,
) -> int:
    """Record a run's start: its worker (hostname:pid) and shared crawl id, when distributed."""
    row = conn.execute(
        "INSERT INTO crawl_runs (spider, args, heartbeat_at, worker, distributed_crawl) "
        "VALUES (%s, %s, now(), %s, %s) RETURNING id",
        (spider, _json(args), worker, crawl),
    ).fetchone()
    assert row is not None
    return row[0]


def heartbeat(conn: psycopg.Connection, run_id: int, stats: Mapping[str, Any]) -> None:
    """The run is alive; its stats so far are kept, so an abandoned run still tells what it did."""
    conn.execute(
        "UPDATE crawl_runs SET heartbeat_at = now(), stats = %s WHERE id = %s AND status = 'running'",
        (_json(stats), run_id),
    )


def finish_run(conn: psycopg.Connection, run_id: int, reason: str, stats: Mapping[str, Any]) -> None:
    conn.execute(
        "UPDATE crawl_runs SET finished_at = now(), heartbeat_at = now(), finish_reason = %s, "
        "stats = %s, status = 'finished' WHERE id = %s",
        (reason, _json(stats), run_id),
    )


def mark_abandoned(conn: psycopg.Connection, stale_after: float = DEFAULT_STALE_AFTER) -> list[int]:
    """Mark running runs with a stale heartbeat as abandoned; return their ids."""
    rows = conn.execute(
        "UPDATE crawl_runs SET status = 'abandoned', finish_reason = coalesce(finish_reason, 'abandoned') "
        "WHERE status = 'running' "
        "AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => %s) RETURNING id",
        (stale_after,),
    ).fetchall()
    return sorted(r[0] for r in rows)
