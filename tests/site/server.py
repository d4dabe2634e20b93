"""A loopback HTTP server that imitates Followin's pages and list API, for tests and demos.

    with FixtureSite() as site:
        fetch(site.base_url + "/en/news")

The site and the API share one port. Every request is logged in ``site.requests``, and
``site.add_fault`` makes the next requests to a path fail on purpose (429, 500, ...).
Run it by hand with ``python -m tests.site.server --port 8765``.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tests.site.content import DATA_DIR, FEED_KINDS, LANGS, SiteContent, list_page, parse_cursor

BUILD_ID = "fx7Qm2Lw9RkTz4bN1cVhe"
# Every query claims to be fetched at this moment, so pages are byte-for-byte repeatable.
DATA_UPDATED_AT = 1768953600000  # 2026-01-21T00:00:00Z
DEFAULT_COUNT = 20
FIRST_PAGE_SIZE = {"news": 20, "kol": 10, "topic": 10, "tag": 10}
DEFAULT_ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"

_LANG = r"(?P<lang>[A-Za-z]{2}(?:-[A-Za-z]+)?)"
_NEWS_PAGE = re.compile(rf"^/{_LANG}/news/?$")
_FEED_PAGE = re.compile(rf"^/{_LANG}/(?P<kind>kol|topic|tag)/(?P<id>\d+)/?$")
# /feed/<id> (English), /<lang>/feed/<id>, and share links with a base64 tail
_ARTICLE_PAGE = re.compile(rf"^/(?:{_LANG}/)?feed/(?P<id>\d+)(?:/(?P<tail>[^/]+))?/?$")
_LIST_APIS = {
    "/feed/list/recommended/news": "news",
    "/feed/list/user": "kol",
    "/feed/list/topic": "topic",
    "/feed/list/tag": "tag",
}


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server received it. ``path`` keeps the query string."""

    time: float  # time.monotonic() at arrival
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    body: bytes
    remaining: int


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def share_tail(ic: str = "fx8K2p", su: str = "1006785", ts: int = 1768000000) -> str:
    """A share-link tail like Followin's: base64 of its tracking parameters."""
    query = f"from=webshare&ic={ic}&su={su}&timezone=8&ts={ts}"
    return base64.urlsafe_b64encode(query.encode()).decode()


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _api(code: int, msg: str, data: Any = None, status: int = 200) -> Response:
    body = _json_bytes({"code": code, "msg": msg, "data": data})
    return Response(status, "application/json; charset=utf-8", body)


def _query(key: str, params: dict[str, Any], data: Any) -> dict[str, Any]:
    """A React-Query dehydrated query, as Next.js pages embed them."""
    return {
        "queryKey": [key, params],
        "queryHash": json.dumps([key, params], separators=(",", ":")),
        "state": {
            "data": data,
            "dataUpdateCount": 1,
            "dataUpdatedAt": DATA_UPDATED_AT,
            "error": None,
            "errorUpdateCount": 0,
            "errorUpdatedAt": 0,
            "fetchFailureCount": 0,
            "fetchFailureReason": None,
            "fetchMeta": None,
            "isInvalidated": False,
            "status": "success",
            "fetchStatus": "idle",
        },
    }


def _infinite(page: dict[str, Any]) -> dict[str, Any]:
    """Infinite-query data holding only the first page, as a server render has it."""
    return {"pages": [page], "pageParams": [""]}


def _script_json(value: Any) -> str:
    # Escape like Next.js does, so "</script>" inside an article body cannot end the tag.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _html_page(
    lang: str,
    title: str,
    page: str,
    query: dict[str, Any],
    queries: list[dict[str, Any]],
    main_html: str,
    head_extra: str = "",
    status_page_props: dict[str, Any] | None = None,
) -> bytes:
    """A Next.js-style page: Tailwind noise around a ``__NEXT_DATA__`` JSON blob."""
    # An unrelated query on every page: readers must pick queries by queryKey[0].
    config = _query("/common/config", {}, {"maintenance": False, "min_app_version": "3.2.0"})
    page_props = status_page_props or {"dehydratedState": {"mutations": [], "queries": [config, *queries]}}
    next_data = {
        "props": {"pageProps": page_props, "__N_SSP": True},
        "page": page,
        "query": query,
        "buildId": BUILD_ID,
        "isFallback": False,
        "gssp": True,
        "locale": lang,
        "locales": ["en", "zh-Hans", "zh-Hant", "vi", "ko"],
        "defaultLocale": "en",
        "scriptLoader": [],
    }
    doc = f"""<!DOCTYPE html><html lang="{lang}"><head><meta charSet="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{html.escape(title)} | Followin</title>{head_extra}
<link rel="preload" href="/_next/static/css/a81f0c2d9e.css" as="style"/>
</head><body class="antialiased"><div id="__next">
<div class="flex min-h-screen flex-col bg-white dark:bg-[#0f0f10]">
<header class="sticky top-0 z-40 flex h-[60px] items-center justify-between border-b px-4">
<a class="flex items-center gap-x-2 text-[18px] font-bold" href="/{lang}">Followin</a>
<nav class="hidden items-center gap-x-6 text-sm text-[#666] md:flex"><a href="/{lang}/news">News</a>
<a href="/private/admin" class="hidden">Admin</a></nav></header>
<main class="mx-auto w-full max-w-[1200px] flex-1 px-4 py-5 lg:px-0">{main_html}</main>
<footer class="border-t border-[#eee] py-6 text-center text-xs text-[#999]">© 2026 Followin</footer>
</div></div><script id="__NEXT_DATA__" type="application/json">{_script_json(next_data)}</script>
<script src="/_next/static/chunks/main-3f9e1c.js" defer=""></script></body></html>
"""
    return doc.encode("utf-8")


class FixtureSite:
    """The fixture site on 127.0.0.1, served from a background thread."""

    def __init__(self, port: int = 0, data_dir: Path = DATA_DIR, *, verbose: bool = False) -> None:
        self.content = SiteContent(data_dir)
        self.robots_txt: str = DEFAULT_ROBOTS_TXT
        self.requests: list[RequestRecord] = []
        self.verbose = verbose
        self._port = port
        self._lock = threading.Lock()
        self._faults: dict[str, list[_Fault]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Bind the port (0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _Handler)
        server.daemon_threads = True
        server.site = self  # type: ignore[attr-defined]  # the handler finds us here
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fixture-site", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FixtureSite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FixtureSite is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test hooks ------------------------------------------------------------------
    def add_fault(
        self,
        path: str,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (query ignored) with this instead.

        Faults on one path are used in the order they were added.
        """
        fault = _Fault(status, dict(headers or {}), body, times)
        with self._lock:
            self._faults.setdefault(path, []).append(fault)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    # --- routing ---------------------------------------------------------------------
    def route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        """The normal answer to a request (faults are applied before this)."""
        if path in _LIST_APIS:
            if method != "POST":
                return Response(405, "text/plain; charset=utf-8", b"Method Not Allowed", (("Allow", "POST"),))
            return self._list_api(_LIST_APIS[path], headers, body)
        if method != "GET":
            return _api(4040, "not found", status=404)
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", self.robots_txt.encode("utf-8"))
        if path.startswith("/private/"):
            # Disallowed by robots.txt: a polite crawler never gets here.
            return Response(200, "text/html; charset=utf-8", b"<html><body>private</body></html>")
        if match := _NEWS_PAGE.match(path):
            return self._news_page(match["lang"])
        if match := _FEED_PAGE.match(path):
            return self._feed_page(match["lang"], match["kind"], int(match["id"]))
        if match := _ARTICLE_PAGE.match(path):
            return self._article_page(match["lang"] or "en", int(match["id"]))
        return self._not_found("en")

    def _not_found(self, lang: str) -> Response:
        body = _html_page(
            lang if lang in LANGS else "en",
            "404",
            "/_error",
            {},
            [],
            '<div class="py-20 text-center text-[#999]">This page could not be found.</div>',
            status_page_props={"statusCode": 404},
        )
        return Response(404, "text/html; charset=utf-8", body)

    def _news_page(self, lang: str) -> Response:
        if lang not in LANGS:
            return self._not_found(lang)
        ids = self.content.news_ids()
        first = list_page(self.content, ids, lang, 0, FIRST_PAGE_SIZE["news"])
        params = {"count": FIRST_PAGE_SIZE["news"], "only_important": False, "lang": lang}
        queries = [_query("/feed/list/recommended/news", params, _infinite(first))]
        teaser = "".join(
            f'<div class="border-b border-[#f2f2f2] py-3"><p class="line-clamp-2 text-[15px]">'
            f"{html.escape(item.get('translated_title') or item['title'])}</p></div>"
            for item in first["list"]
        )
        body = _html_page(lang, "News", "/news", {}, queries, teaser)
        return Response(200, "text/html; charset=utf-8", body)

    def _feed_page(self, lang: str, kind: str, feed_id: int) -> Response:
        feed = self.content.feeds.get((kind, feed_id))
        if lang not in LANGS or feed is None:
            return self._not_found(lang)
        first = list_page(self.content, feed.ids, lang, 0, FIRST_PAGE_SIZE[kind])
        list_key = f"/feed/list/{FEED_KINDS[kind]}"
        list_params = {"id": feed_id, "count": FIRST_PAGE_SIZE[kind]}
        if kind == "kol":
            header = _query("/user/get_profile", {"id": feed_id}, {"id": feed_id, **feed.info})
            title = feed.info["nickname"]
        elif kind == "topic":
            header = _query("/topic/info", {"id": feed_id}, {"id": feed_id, **feed.info})
            title = feed.info["title"]
        else:
            header = _query("/tag/info/v2", {"id": feed_id}, {"base_info": {"id": feed_id, **feed.info}})
            title = feed.info["name"]
        queries = [header, _query(list_key, list_params, _infinite(first))]
        main = f'<h1 class="text-[22px] font-semibold">{html.escape(title)}</h1>'
        body = _html_page(lang, title, f"/{kind}/[id]", {"id": str(feed_id)}, queries, main)
        return Response(200, "text/html; charset=utf-8", body)

    def _article_page(self, lang: str, article_id: int) -> Response:
        if lang not in LANGS or article_id not in self.content.articles:
            return self._not_found(lang)
        article = self.content.render_article(article_id, lang)
        queries = [_query("/feed/info", {"id": article_id, "lang": lang}, article)]
        thread = self.content.render_thread(article_id, lang)
        if thread is not None:
            queries.append(_query("/feed/thread", {"id": article_id}, {"list": thread}))
        title = article.get("translated_title") or article.get("title") or ""
        canonical = f"{self.base_url}/{lang}/feed/{article_id}"
        head = f'\n<link rel="canonical" href="{canonical}"/>' + "".join(
            f'\n<link rel="alternate" hreflang="{other}" href="{self.base_url}/{other}/feed/{article_id}"/>'
            for other in LANGS
        )
        notice = (
            '<div class="mt-2 text-xs text-[#999]">This article is machine translated'
            '<button class="ml-2 text-[#3b82f6]">Show original</button></div>'
            if article.get("translated_title")
            else ""
        )
        main = (
            f'<article class="rounded-lg bg-white p-4"><h1 class="text-[22px] font-semibold '
            f'leading-[30px]">{html.escape(title)}</h1>{notice}'
            '<div class="mt-4 break-words text-[15px] leading-[26px] text-[#333]">…</div>'
            '<div class="mt-6 text-xs text-[#999]">Disclaimer: The content above is only the '
            "author's opinion which does not represent any position of Followin.</div>"
            "</article>"
        )
        body = _html_page(lang, title, "/feed/[id]", {"id": str(article_id)}, queries, main, head)
        return Response(200, "text/html; charset=utf-8", body)

    def _list_api(self, kind: str, headers: dict[str, str], body: bytes) -> Response:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _api(4000, "bad request", status=400)
        if not isinstance(request, dict):
            return _api(4000, "bad request", status=400)
        lang = _bparam_lang(headers.get("x-bparam", ""))
        if lang not in LANGS:
            return _api(4002, "unsupported language")
        count = request.get("count", DEFAULT_COUNT)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100:
            return _api(4000, "invalid count")
        if kind == "news":
            ids = self.content.news_ids()
        else:
            feed_id = request.get("id")
            feed = self.content.feeds.get((kind, feed_id)) if isinstance(feed_id, int) else None
            if feed is None:
                return _api(4004, "not found")
            ids = feed.ids
        cursor = request.get("last_cursor") or ""
        offset = parse_cursor(cursor, len(ids)) if isinstance(cursor, str) else None
        if offset is None:
            return _api(4001, "invalid cursor")
        return _api(2000, "success", list_page(self.content, ids, lang, offset, count))


def _fault_response(fault: _Fault) -> Response:
    content_type = "text/plain; charset=utf-8"
    others = []
    for name, value in fault.headers.items():
        if name.lower() == "content-type":
            content_type = value
        else:
            others.append((name, value))
    return Response(fault.status, content_type, fault.body, tuple(others))


def _bparam_lang(value: str) -> str:
    """The page language from the ``x-bparam`` header (key "c"); English when missing."""
    try:
        bparam = json.loads(value) if value else {}
    except ValueError:
        return "en"
    lang = bparam.get("c") if isinstance(bparam, dict) else None
    return lang if isinstance(lang, str) and lang else "en"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FixtureSite/1.0"
    timeout = 10  # close idle keep-alive connections, so stop() leaves nothing behind

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        site: FixtureSite = self.server.site  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        site._record(RequestRecord(time.monotonic(), self.command, self.path, headers, body))
        path = urlsplit(self.path).path
        fault = site._take_fault(path)
        if fault is not None:
            response = _fault_response(fault)
        else:
            method = "GET" if self.command == "HEAD" else self.command
            response = site.route(method, path, headers, body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.site.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Followin fixture site on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    site = FixtureSite(args.port, args.data_dir, verbose=not args.quiet)
    site.start()
    print(f"Fixture site serving on {site.base_url}  (Ctrl-C to stop)", flush=True)
    print(f"  try {site.base_url}/en/news", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
        print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
