"""Resuming a crawl with ``-s JOBDIR=…`` after it was killed, without losing or refetching articles.

Scrapy's own JOBDIR state is not crash-safe for us: it records a request as seen the moment it is
scheduled, long before the items of its answer are stored (they may sit in the store's buffer
when the process is killed), and its request queue is only consistent after a clean close. So:

- :class:`StoredRequestsDupeFilter` filters duplicates in memory as usual, but persists in
  ``JOBDIR/requests.stored`` only the fingerprints of requests whose items were *durably handled*
  (written, set aside or kept on disk by the store). On resume those, and only those, are
  skipped; everything else is fetched again. If the previous run did not close cleanly
  (``JOBDIR/crawl.open`` is still there), its request queue is discarded instead of trusted.
- :class:`StoredRequestsJournal` (spider middleware) links each item to the request whose answer
  yielded it, and reports that request as stored once all of its items were handled and its
  callback finished. A request whose callback also yielded requests (a list page) is never
  reported: it is fetched again on resume, so that whatever it led to is found again. So are
  requests that yielded nothing (an error page), or whose items were not handled.

Start pages are list pages, so a resumed crawl walks the lists again and fetches only the
articles the killed run had not stored. Without JOBDIR nothing is persisted and a re-run starts
over; the store's idempotent writes make that safe too.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from pipelines.store import items_stored

logger = logging.getLogger(__name__)

request_stored = object()  # signal, fingerprint=bytes: this request's items were all handled
_SIZE_BYTES = 2  # each record: big-endian length, then the fingerprint (as requests.seen)
_ATTR = "_resume_request"


class StoredRequestsDupeFilter(RFPDupeFilter):
    """Duplicate filter that, with JOBDIR, trusts only requests whose items were stored."""

    def __init__(self, path: str | None = None, debug: bool = False, **kwargs: Any) -> None:
        super().__init__(None, debug, **kwargs)
        self.journal = None
        self.marker: Path | None = None
        if path:
            self.marker = Path(path, "crawl.open")
            if self.marker.exists():
                # Killed last time: its request queue was never closed cleanly.
                shutil.rmtree(Path(path, "requests.queue"), ignore_errors=True)
                logger.info("The last run in %s did not close cleanly: its request queue is dropped, "
                            "requests whose items were not stored will be fetched again", path)  # fmt: skip
            self.marker.touch()
            self.journal = Path(path, "requests.stored").open("a+b")  # noqa: SIM115
            self.journal.seek(0)
            self._fingerprints.update(read_fingerprints(self.journal.read()))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredRequestsDupeFilter:
        dupefilter = cls(
            job_dir(crawler.settings),
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
        crawler.signals.connect(dupefilter.stored, signal=request_stored)
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        fp = self._fingerprint(request)
        if fp in self._fingerprints:
            return True
        self._fingerprints.add(fp)  # in memory only: persisted once its items are stored
        return False

    def stored(self, fingerprints: list[bytes]) -> None:
        if self.journal is None or self.journal.closed:
            return
        self.journal.write(b"".join(len(fp).to_bytes(_SIZE_BYTES, "big") + fp for fp in fingerprints))
        self.journal.flush()
        os.fsync(self.journal.fileno())

    def close(self, reason: str) -> None:
        if self.journal is not None:
            self.journal.close()
        if self.marker is not None:
            self.marker.unlink(missing_ok=True)


def read_fingerprints(data: bytes) -> Iterator[bytes]:
    """The records of a journal; a record cut short by a kill is ignored."""
    pos = 0
    while pos + _SIZE_BYTES <= len(data):
        size = int.from_bytes(data[pos : pos + _SIZE_BYTES], "big")
        fingerprint = data[pos + _SIZE_BYTES : pos + _SIZE_BYTES + size]
        if len(fingerprint) < size:
            return
        yield fingerprint
        pos += _SIZE_BYTES + size


@dataclass
class _Answer:
    """The items one response yielded, and whether its callback finished and yielded requests."""

    fingerprint: bytes
    pending: int = 0
    items: int = 0
    requests: bool = False
    finished: bool = False
    reported: bool = False


class StoredRequestsJournal:
    """Spider middleware: reports a request as stored once every item its answer yielded is."""

    def __init__(self, crawler: Crawler) -> None:
        if not job_dir(crawler.settings):
            raise NotConfigured  # without a message: no warning, nothing to resume
        self.crawler = crawler
        self.fingerprinter = crawler.request_fingerprinter
        crawler.signals.connect(self.items_handled, signal=items_stored)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredRequestsJournal:
        return cls(crawler)

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterator[Any]:
        answer = _Answer(self.fingerprinter.fingerprint(response.request))
        for obj in result:
            self._see(answer, obj)
            yield obj
        self._finish(answer)

    async def process_spider_output_async(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        answer = _Answer(self.fingerprinter.fingerprint(response.request))
        async for obj in result:
            self._see(answer, obj)
            yield obj
        self._finish(answer)

    def _see(self, answer: _Answer, obj: Any) -> None:
        if isinstance(obj, Request):
            answer.requests = True
            return
        answer.items += 1
        try:
            setattr(obj, _ATTR, answer)
            answer.pending += 1
        except (AttributeError, TypeError):  # an item that takes no attribute (a dict): never trusted
            answer.requests = True

    def _finish(self, answer: _Answer) -> None:
        answer.finished = True
        self._maybe_report([answer])

    def items_handled(self, items: list[Any]) -> None:
        answers = []
        for item in items:
            answer = getattr(item, _ATTR, None)
            if answer is not None:
                answer.pending -= 1
                answers.append(answer)
        self._maybe_report(answers)

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Any) -> None:
        self.items_handled([item])  # dropped with a reason, counted: fetching it again changes nothing

    def _maybe_report(self, answers: list[_Answer]) -> None:
        done = []
        for answer in answers:
            complete = answer.finished and not answer.requests and answer.items and not answer.pending
            if complete and not answer.reported:
                answer.reported = True
                done.append(answer.fingerprint)
        if done:
            self.crawler.signals.send_catch_log(request_stored, fingerprints=done)
