"""A loopback HTTP server for saved news sites: files served by path, for tests and demos.

    with StaticSite({"/feed.xml": Page(body, "application/rss+xml")}) as site:
        fetch(site.base_url + "/feed.xml")

``{{BASE}}`` in a served text file is replaced by the server's own base URL, so a fixture can link
to itself whatever port it gets. A site is described by a folder (see ``site_from_folder``).
Every request is logged in ``site.requests`` (path with query).
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from tests.shared_data import shared_file

TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
    ".js": "text/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


class StaticSite:
    def __init__(self, pages: dict[str, Page], port: int = 0) -> None:
        self.pages = pages
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                path = urlsplit(self.path).path
                page = site.pages.get(self.path) or site.pages.get(path) or site.pages.get(path.rstrip("/"))
                if page is None:
                    page = Page(b"not found", "text/plain", 404)
                body = page.body
                if not page.content_type.startswith("application/gzip"):
                    body = body.replace(b"{{BASE}}", site.base_url.encode())
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in page.headers:
                    self.send_header(name, value.replace("{{BASE}}", site.base_url))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()


def site_from_folder(folder: Path) -> tuple[dict[str, Page], list[str]]:
    """The pages of a saved site, and the origins it stands for.

    ``site.toml`` maps each real URL to a file of the folder::

        [routes]
        "https://rss.odaily.news/rss/post" = "feed.xml"
        "https://www.odaily.news/post/5209999" = "pages/post-5209999.html"

    A page is served at ``/<host><path>`` (with its query), which is where
    ``SOURCE_MIRRORS = {origin: base_url + "/" + host}`` sends the real URL. A route that is a
    bare path ("/rss.xml") is served at that path; a file named ``shared:<path>`` is read from
    the shared folder. ``[redirects]`` maps a path to a
    ``Location`` (301).
    """
    spec = tomllib.loads((folder / "site.toml").read_text(encoding="utf-8"))
    pages: dict[str, Page] = {}
    origins: list[str] = []
    for url, name in spec["routes"].items():
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
            path = f"/{parts.netloc}{path}"
        # "shared:samples/…" is a file of the shared folder (a real feed kept there)
        file = shared_file(name[len("shared:"):]) if name.startswith("shared:") else folder / name
        pages[path] = Page(file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))
    for path, location in spec.get("redirects", {}).items():
        pages[path] = Page(b"", "text/plain", 301, (("Location", location),))
    return pages, origins


def mirrors(base_url: str, origins: list[str]) -> dict[str, str]:
    """SOURCE_MIRRORS for a site served by ``site_from_folder``."""
    return {origin: f"{base_url}/{urlsplit(origin).netloc}" for origin in origins}
