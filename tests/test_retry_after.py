from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from crawler.middlewares.retry import parse_retry_after


def test_delta_seconds() -> None:
    assert parse_retry_after(b"7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0


def test_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == 90.0


def test_past_date_means_now_and_garbage_means_none() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
