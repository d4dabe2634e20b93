"""Retry-After pauses the host that asked, and only that host: real Scrapy, two loopback hosts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_scrapy

SPIDER = Path(__file__).with_name("two_hosts.py")
PAUSE = 3


class _Handler(BaseHTTPRequestHandler):
    """The first page host A (127.0.0.1) asks for gets 429 Retry-After; everything else 200."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        host = (self.headers.get("Host") or "").split(":")[0]
        with server.lock:  # type: ignore[attr-defined]
            first_of_a = host == "127.0.0.1" and not any(h == host for _, h, _ in server.log)  # type: ignore[attr-defined]
            server.log.append((time.monotonic(), host, self.path))  # type: ignore[attr-defined]
        if first_of_a:
            self.send_response(429)
            self.send_header("Retry-After", str(PAUSE))
            body = b"slow down"
        else:
            self.send_response(200)
            body = b"<html><body>ok</body></html>"
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.lock = threading.Lock()  # type: ignore[attr-defined]
    httpd.log = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_retry_after_pauses_only_the_host_that_asked(server: ThreadingHTTPServer) -> None:
    port = server.server_address[1]
    result = run_scrapy("runspider", str(SPIDER), "-a", f"port={port}", db_url=None, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    log = server.log  # type: ignore[attr-defined]
    a = [(t, path) for t, host, path in log if host == "127.0.0.1"]
    b = [t for t, host, _ in log if host == "localhost"]
    assert len(a) == 26 and len(b) == 25  # every page, plus one retry of A's first
    paused_at, first_path = a[0]
    retried_at = next(t for t, path in a[1:] if path == first_path)
    assert retried_at - paused_at >= PAUSE
    # The whole of host A waited: nothing else of A was sent during the pause, but for a request
    # already on its way when the 429 came back (how late that is depends on the machine's load)...
    early = [(round(t - paused_at, 2), path) for t, path in a[1:] if t < paused_at + PAUSE]
    assert len(early) <= 1 and all(t < 1.0 for t, _ in early), early
    # ...while host B's pages kept arriving all through it (one every 0.2 s).
    during = [t for t in b if paused_at < t < paused_at + PAUSE]
    assert len(during) >= 10, (len(during), len(b))
    assert "Pausing requests to 127.0.0.1 for 3.0s (429 Retry-After" in result.stderr
    assert "'retry/paused': 1" in result.stderr
