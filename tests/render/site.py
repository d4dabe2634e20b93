"""A loopback site with pages a browser is needed for, and pages it is not, for rendering tests.

    /script/<n>   a shell (navigation, "Loading…") whose article a script fetches from /api/article/<n>,
                  which answers late
    /server/<n>   the same kind of article, written into the HTML by the server
    /broken/<n>   a shell whose script never gets its article: it stays "Loading…"
    /static/...   the script, a stylesheet naming a web font, and images, fonts and media that a
                  text crawl must never fetch

Every request is recorded in ``site.paths``. Articles are generated from their number, so each
has its own text and the expected text is known: :func:`article`.
"""

from __future__ import annotations

import html
import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

SHELL_TEXT = "Loading…"
NAV = ("Home", "Markets", "Policy", "Technology", "Opinion", "About us", "Newsletter", "Contact")
_WORDS = (
    "bitcoin ether stablecoin exchange regulator treasury liquidity validator custody ledger token "
    "market fund index yield bond rate inflation reserve auditor protocol bridge wallet miner hash "
    "fee volume spread futures option desk broker issuer charter license court ruling filing vote "
    "policy bank payment network upgrade launch report quarter revenue growth decline rally"
).split()
_ROUTE = re.compile(r"^/(script|server|broken|api/article)/(\d+)$")

# The article API answers this late, after the page's load event, as a busy API does: a renderer
# that took the page at "load" would get the shell.
API_DELAY = 0.25  # s

# Resources the pages reference that rendering must block (images, fonts, media).
HEAVY_PREFIXES = ("/static/img/", "/static/fonts/", "/static/media/")

_APP_JS = """
const id = document.querySelector("main").dataset.article;
fetch("/api/article/" + id)
  .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
  .then((a) => {
    const main = document.querySelector("main");
    main.innerHTML = "<article><h1></h1><time></time></article>";
    main.querySelector("h1").textContent = a.title;
    main.querySelector("time").setAttribute("datetime", a.published);
    for (const text of a.paragraphs) {
      const p = document.createElement("p");
      p.textContent = text;
      main.querySelector("article").appendChild(p);
    }
  })
  .catch(() => {});  // the shell stays as it is
"""
_CSS = """
@font-face { font-family: "Fixture Serif"; src: url("/static/fonts/serif.woff2") format("woff2"); }
body { font-family: "Fixture Serif", serif; background: url("/static/img/paper.png"); }
"""


def article(n: int) -> dict[str, Any]:
    """Article number ``n``: a title and a few paragraphs of words no other number repeats in order."""
    rng = random.Random(n)

    def sentence() -> str:
        words = rng.choices(_WORDS, k=rng.randint(9, 16))
        return " ".join(words).capitalize() + f" in case {n}."

    paragraphs = [" ".join(sentence() for _ in range(rng.randint(2, 4))) for _ in range(4)]
    title = f"Story {n}: " + " ".join(rng.choices(_WORDS, k=6))
    published = f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:00:00Z"
    return {"id": n, "title": title, "published": published, "paragraphs": paragraphs}


def _page(title: str, main: str, extra_head: str = "", main_attrs: str = "") -> bytes:
    nav = "".join(f'<li><a href="/{html.escape(x.lower())}">{html.escape(x)}</a></li>' for x in NAV)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="stylesheet" href="/static/site.css">{extra_head}</head>
<body><header><img src="/static/img/logo.png" alt="Fixture News"><nav><ul>{nav}</ul></nav></header>
<main{main_attrs}>{main}</main>
<video src="/static/media/promo.mp4" autoplay muted></video>
<footer><p>© Fixture News. All rights reserved.</p></footer></body></html>""".encode()


def shell_page(n: int) -> bytes:
    script = '<script src="/static/app.js" defer></script>'
    return _page("Fixture News", f'<p class="loading">{SHELL_TEXT}</p>', script, f' data-article="{n}"')


def server_page(n: int) -> bytes:
    a = article(n)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in a["paragraphs"])
    main = (
        f'<article><h1>{html.escape(a["title"])}</h1><time datetime="{a["published"]}"></time>'
        f'<img src="/static/img/{n}.jpg" alt="">{body}</article>'
    )
    return _page(a["title"], main)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.record(self.path)
        status, kind, body = self.server.route(self.path)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.paths: list[str] = []

    def record(self, path: str) -> None:
        with self.lock:
            self.paths.append(path)

    def route(self, path: str) -> tuple[int, str, bytes]:
        html_type = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        if path == "/static/app.js":
            return 200, "application/javascript", _APP_JS.encode()
        if path == "/static/site.css":
            return 200, "text/css", _CSS.encode()
        if path.startswith(HEAVY_PREFIXES):
            return 200, "application/octet-stream", b"\0" * 2048
        match = _ROUTE.match(path)
        if not match:
            return 404, html_type, b"<html><body>Not found</body></html>"
        kind, n = match[1], int(match[2])
        if kind == "script" or kind == "broken":
            return 200, html_type, shell_page(n if kind == "script" else -n)  # no article -n: 404
        if kind == "server":
            return 200, html_type, server_page(n)
        time.sleep(API_DELAY)
        return 200, "application/json", json.dumps(article(n)).encode()


class RenderSite:
    """The site on 127.0.0.1, on a free port, in a thread: ``with RenderSite() as site: ...``"""

    def __init__(self) -> None:
        self._server = _Server()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def paths(self) -> list[str]:
        with self._server.lock:
            return list(self._server.paths)

    def counts(self) -> Counter[str]:
        return Counter(self.paths)

    def served(self, prefix: str) -> int:
        """How many requests for paths starting with ``prefix`` the site answered so far."""
        with self._server.lock:
            return sum(1 for p in self._server.paths if p.startswith(prefix))

    def __enter__(self) -> RenderSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
