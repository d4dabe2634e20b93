"""A hostile Followin: the fixture site's good articles among pages that try to break the crawler.

    with HostileSite() as site:
        crawl followin -a langs=en -a news=1 -a kol=1 against site.base_url

Good articles (``GOOD``) are served exactly as tests/site serves them. Every other article id
listed is one hostile case (``CASES``: id -> what the crawler must count it as). The lists:

- ``/en/news`` lists the good articles and every hostile article, then the list API's next page
  lists a 10k-character id and an entry that is no id, and the page after that answers with
  API code 5001;
- ``/en/kol/1`` lists one good article, then the list API answers ``"list": 7``.

Run it by hand with ``python -m tests.hostile.server --port 8766``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import struct
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.site.server import (
    FixtureSite,
    RequestRecord,
    Response,
    _api,
    _Handler,
    _html_page,
    _infinite,
    _query,
)

GOOD = (9871844, 9872013, 22870101, 22871577, 22876100, 22877015, 22878001, 22878120, 22878266,
        22878390, 22878512, 22878644, 22879003)  # fmt: skip
HANG_SECONDS = 15  # longer than the test's DOWNLOAD_TIMEOUT
MAXSIZE_PLUS = 20 * 1024 * 1024  # above DOWNLOAD_MAXSIZE (16 MB)

# Hostile article id -> case name. Each case is served by HostileSite._case.
CASES = {
    9100001: "truncated_next_data",
    9100002: "non_object_next_data",
    9100003: "wrong_types",
    9100004: "lone_surrogates",
    9100005: "nan",
    9100006: "nesting_100",
    9100007: "nesting_too_deep",
    9100008: "body_20mb",
    9100009: "invalid_utf8",
    9100010: "wrong_charset",
    9100011: "binary",
    9100012: "empty",
    9100013: "redirect_loop",
    9100014: "redirect_cycle",
    9100015: "hangs",
    9100016: "reset_mid_body",
    9100017: "id_differs",
    9100018: "long_redirect",
    9100019: "year_9999",
    9100020: "year_1970",
    9100021: "negative_time",
    9100022: "not_found",
}
# Cases whose article is stored all the same (with the bad part repaired, dropped or counted).
STORED = ("wrong_types", "lone_surrogates", "nan", "nesting_100", "invalid_utf8", "wrong_charset",
          "year_9999", "year_1970", "negative_time")  # fmt: skip
LONG_ID = "7" * 10_000
WRONG_CHARSET_TITLE = "Café – “quoted” 标题 ünïcode"
PUBLISHED = 1767225600000  # 2026-01-01T00:00:00Z
_HTML = "text/html; charset=utf-8"


def _info(article_id: int | str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": article_id, "title": title, "translated_title": None, "content": f"{title}. Body text.",
        "full_content": f"<p>{title}. A paragraph of body text for a hostile case.</p>",
        "publish_time": PUBLISHED, "nickname": "Hostile", "tags": [], "related_feeds": 0, **extra,
    }  # fmt: skip


def _page(article_id: int, info: Any, placeholders: dict[str, bytes] | None = None) -> bytes:
    query = _query("/feed/info", {"id": article_id, "lang": "en"}, info)
    body = _html_page("en", "hostile", "/feed/[id]", {"id": str(article_id)}, [query], "<article/>")
    for placeholder, raw in (placeholders or {}).items():
        body = body.replace(placeholder.encode(), raw)
    return body


class HostileSite(FixtureSite):
    def start(self) -> None:
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _HostileHandler)
        server.daemon_threads = True
        server.site = self  # type: ignore[attr-defined]
        self._server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=server.serve_forever, name="hostile-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()
        super().stop()

    # --- lists -------------------------------------------------------------------------
    def route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        if path == "/en/news":
            first = self._list_entries([*GOOD, *CASES], cursor="p2")
            query = _query("/feed/list/recommended/news", {"count": 20}, _infinite(first))
            return Response(200, _HTML, _html_page("en", "News", "/news", {}, [query], ""))
        if path == "/en/kol/1":
            first = self._list_entries([GOOD[0]], cursor="k2")
            query = _query("/feed/list/user", {"id": 1, "count": 10}, _infinite(first))
            return Response(200, _HTML, _html_page("en", "KOL", "/kol/[id]", {}, [query], ""))
        if path in ("/feed/list/recommended/news", "/feed/list/user"):
            cursor = json.loads(body or b"{}").get("last_cursor")
            if cursor == "p2":
                listed = [{"id": LONG_ID, "publish_time": PUBLISHED}, {"id": "not-an-id"}]
                return _api(2000, "success", {"list": listed, "has_more": True, "last_cursor": "p3"})
            if cursor == "p3":
                return _api(5001, "server busy")
            if cursor == "k2":
                return _api(2000, "success", {"list": 7, "has_more": True, "last_cursor": "k3"})
            return _api(4001, "invalid cursor")
        return super().route(method, path, headers, body)

    def _list_entries(self, ids: list[int], cursor: str) -> dict[str, Any]:
        entries = [
            self.content.render_list_item(i, "en") if i in GOOD else {"id": i, "publish_time": PUBLISHED}
            for i in ids
        ]
        return {"list": entries, "has_more": True, "last_cursor": cursor}

    # --- articles ----------------------------------------------------------------------
    def case(self, path: str) -> tuple[str, int] | None:
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["en", "feed"] and parts[2].isdigit() and int(parts[2]) in CASES:
            return CASES[int(parts[2])], int(parts[2])
        return None


class _HostileHandler(_Handler):
    def _handle(self) -> None:
        site: HostileSite = self.server.site  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        found = site.case(split.path)
        if found is None:
            super()._handle()
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        site._record(RequestRecord(time.monotonic(), self.command, self.path, headers, b""))
        name, article_id = found
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the crawler gave up: fine
            self._serve_case(site, name, article_id, split.path, split.query)

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _serve_case(self, site: HostileSite, name: str, article_id: int, path: str, query: str) -> None:
        title = f"Hostile case {name}"
        if name == "truncated_next_data":
            page = _page(article_id, _info(article_id, title))
            self._send(200, page[: page.index(b"__NEXT_DATA__") + 200])
        elif name == "non_object_next_data":
            page = _page(article_id, None)
            start = page.index(b'{"props"')
            self._send(200, page[:start] + b"[1,2,3]" + page[page.index(b"</script>", start):])
        elif name == "wrong_types":
            info = _info(article_id, title, tags="BTC", related_feeds="many", publish_time={"ms": 1},
                         nickname=["x"], source_url=5)  # fmt: skip
            self._send(200, _page(article_id, info))
        elif name == "lone_surrogates":
            info = _info(article_id, f"{title} XSURROGATEX", extra="XSURROGATEX")
            self._send(200, _page(article_id, info, {"XSURROGATEX": rb"\ud800"}))
        elif name == "nan":
            info = _info(article_id, title, related_feeds=float("nan"), score=float("inf"))
            self._send(200, _page(article_id, info))
        elif name == "nesting_100":
            nested: Any = "core"
            for _ in range(100):
                nested = [nested]
            self._send(200, _page(article_id, _info(article_id, title, extra=nested)))
        elif name == "nesting_too_deep":
            deep = b"[" * 100_000 + b"]" * 100_000
            self._send(200, _page(article_id, _info(article_id, title, extra="XDEEPX"), {'"XDEEPX"': deep}))
        elif name == "body_20mb":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(MAXSIZE_PLUS))
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_536 + b"</p>"
            for _ in range(MAXSIZE_PLUS // len(chunk)):
                self.wfile.write(chunk)
        elif name == "invalid_utf8":
            info = _info(article_id, f"{title} XBADX")
            self._send(200, _page(article_id, info, {"XBADX": b"\xff\xfe\xc3"}))
        elif name == "wrong_charset":
            info = _info(article_id, WRONG_CHARSET_TITLE)
            self._send(200, _page(article_id, info), "text/html; charset=iso-8859-1")
        elif name == "binary":
            self._send(200, bytes(range(256)) * 64)
        elif name == "empty":
            self._send(200, b"")
        elif name == "redirect_loop":  # a new URL every time, never an answer
            hop = int(query.split("=")[1]) + 1 if query.startswith("hop=") else 1
            self._send(302, b"", headers={"Location": f"{path}?hop={hop}"})
        elif name == "redirect_cycle":  # A -> A/again -> A
            target = path.removesuffix("/again") if path.endswith("/again") else path + "/again"
            self._send(302, b"", headers={"Location": target})
        elif name == "hangs":
            site._stopping.wait(HANG_SECONDS)
        elif name == "reset_mid_body":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html><body>" + b"x" * 1000)
            self.wfile.flush()
            # Abortive close: the client sees a connection reset, not a clean end.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif name == "id_differs":
            self._send(200, _page(article_id, _info(GOOD[10], "Impostor of another article")))
        elif name == "long_redirect":
            if query:
                self._send(200, _page(article_id, _info(article_id, title)))
            else:
                self._send(301, b"", headers={"Location": f"{path}?to={'a' * 9000}"})
        elif name in ("year_9999", "year_1970", "negative_time"):
            millis = {"year_9999": 253402214400000, "year_1970": 1000, "negative_time": -86_400_000}[name]
            self._send(200, _page(article_id, _info(article_id, title, publish_time=millis)))
        elif name == "not_found":
            self._send(404, b"<html><body>gone</body></html>")
        else:
            raise AssertionError(name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the hostile Followin fixture site on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    site = HostileSite(args.port, verbose=True)
    site.start()
    print(f"Hostile site serving on {site.base_url}  (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
