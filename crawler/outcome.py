"""What went wrong in a crawl run, by reason, read from its stats (as stored in crawl_runs).

Spiders count their trouble as ``source/<name>/request_failed``, ``…/malformed_page`` and
``…/api_error``; the store counts ``store/set_aside`` and ``store/spilled``; Scrapy counts
dropped items, HTTP statuses and download exceptions. These group them without naming a source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

_ERROR_SUFFIXES = {"request_failed": "request failed", "malformed_page": "malformed page",
                   "api_error": "API error"}  # fmt: skip
_STORE_ERRORS = {"store/set_aside": "item set aside", "store/spilled": "item spilled to disk"}


def errors_by_reason(stats: Mapping[str, Any]) -> Counter[str]:
    """Errors of one run: requests that failed for good, bad pages, items not stored."""
    found: Counter[str] = Counter()
    for key, value in stats.items():
        if not isinstance(value, int) or not value:
            continue
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "source" and parts[2] in _ERROR_SUFFIXES:
            found[_ERROR_SUFFIXES[parts[2]]] += value
        elif key in _STORE_ERRORS:
            found[_STORE_ERRORS[key]] += value
    return found


def drops_by_reason(stats: Mapping[str, Any]) -> Counter[str]:
    """Items dropped on purpose (empty after cleaning, ...) and HTTP answers that were not 2xx/3xx."""
    found: Counter[str] = Counter()
    for key, value in stats.items():
        if not isinstance(value, int) or not value:
            continue
        if key.startswith("item_dropped_reasons_count/"):
            found["dropped: " + key.split("/", 1)[1]] += value
        elif key.startswith("downloader/response_status_count/") and key.rsplit("/", 1)[1][:1] in "45":
            found["HTTP " + key.rsplit("/", 1)[1]] += value
        elif key.startswith("downloader/exception_type_count/"):
            found[key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]] += value
    return found


def error_rate(stats: Mapping[str, Any]) -> float:
    """Errors per request made: 0.0 for a clean run."""
    errors = sum(errors_by_reason(stats).values())
    requests = stats.get("downloader/request_count") or 0
    return errors / requests if requests else float(errors > 0)


def rendered_share(stats: Mapping[str, Any]) -> float:
    """Share of the run's pages rendered in a browser (scrapy-playwright's page count)."""
    responses = stats.get("downloader/response_count") or 0
    return min(1.0, (stats.get("playwright/page_count") or 0) / responses) if responses else 0.0


def unclean(stats: Mapping[str, Any] | None, max_error_rate: float) -> str | None:
    """Why a run does not count as clean (for scheduled jobs), or None when it does."""
    if stats is None:
        return "its end was not recorded (still running, or it died)"
    rate = error_rate(stats)
    if rate > max_error_rate:
        return f"error rate {rate:.1%} is over {max_error_rate:.1%}"
    return None
