"""Sources as data: one TOML file per source in this folder, read with :mod:`tomllib`.

A source says where its articles are found (feeds, sitemaps, list pages with a link pattern),
which URLs are articles, whether its pages need a browser, where the generic extraction needs a
selector, which boilerplate rule files apply, and how politely to crawl it. The ``news`` spider
crawls every source whose ``spider`` is ``news``; a source with a bespoke spider (Followin) is
listed for its metadata only. See README.md ("Adding a source").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SOURCES_DIR = Path(__file__).resolve().parent
RENDERING = ("never", "auto", "always")
SELECTOR_FIELDS = ("title", "body", "time", "author")
POLITENESS_FIELDS = ("delay", "concurrency")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class SourceConfigError(ValueError):
    """A source entry that cannot be used: the crawl stops with this one-line message."""


@dataclass(frozen=True)
class ListPage:
    url: str
    links: re.Pattern[str]  # article links on the page: hrefs matching this pattern


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    homepage: str
    languages: tuple[str, ...]
    spider: str = "news"
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    lists: tuple[ListPage, ...] = ()
    article_pattern: re.Pattern[str] | None = None  # None: every discovered link is an article
    rendering: str = "never"
    timezone: ZoneInfo | None = None  # for times the source writes without an offset
    selectors: dict[str, str] = field(default_factory=dict)  # field -> CSS selector
    rules: tuple[str, ...] = ()  # boilerplate rule files in pipelines/rules/
    politeness: dict[str, float] = field(default_factory=dict)  # delay (s), concurrency

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts whose pages belong to this source (homepage, feeds, sitemaps, list pages)."""
        urls = [self.homepage, *self.feeds, *self.sitemaps, *(page.url for page in self.lists)]
        return frozenset(filter(None, (host_of(u) for u in urls)))

    def is_article(self, url: str) -> bool:
        return self.article_pattern is None or bool(self.article_pattern.search(url))


def host_of(url: str) -> str:
    """Lower-case host without ``www.``: the key that ties a URL to its source."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SourceConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _regex(pattern: Any, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise SourceConfigError(f"{where}: a link pattern must be a non-empty string")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise SourceConfigError(f"{where}: bad pattern {pattern!r}: {exc}") from None


def parse_source(entry: dict[str, Any], where: str) -> Source:
    """One registry entry as a :class:`Source`; raises SourceConfigError naming what is wrong."""
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SourceConfigError(f"{where}: name must be lower-case letters, digits or _, got {name!r}")
    homepage = entry.get("homepage")
    if not isinstance(homepage, str) or urlsplit(homepage).scheme not in ("http", "https"):
        raise SourceConfigError(f"{where}: homepage must be an http(s) URL")
    languages = _strings(entry, "languages", where)
    if not languages:
        raise SourceConfigError(f"{where}: languages must name at least one language")
    discovery = entry.get("discovery", {})
    lists = tuple(
        ListPage(url=page.get("url", ""), links=_regex(page.get("links"), where))
        for page in discovery.get("lists", [])
    )
    article = entry.get("article", {})
    pattern = article.get("url_pattern")
    rendering = entry.get("rendering", "never")
    if rendering not in RENDERING:
        choices = ", ".join(RENDERING)
        raise SourceConfigError(f"{where}: rendering must be one of {choices}, got {rendering!r}")
    selectors = dict(entry.get("extraction", {}))
    unknown = set(selectors) - set(SELECTOR_FIELDS)
    if unknown:
        raise SourceConfigError(f"{where}: unknown extraction override(s) {sorted(unknown)}")
    politeness = dict(entry.get("politeness", {}))
    if set(politeness) - set(POLITENESS_FIELDS) or not all(
        isinstance(v, int | float) and v >= 0 for v in politeness.values()
    ):
        raise SourceConfigError(f"{where}: politeness takes delay and concurrency, as numbers")
    timezone = None
    if entry.get("timezone"):
        try:
            timezone = ZoneInfo(entry["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise SourceConfigError(f"{where}: unknown timezone {entry['timezone']!r}") from None
    spider = entry.get("spider", "news")
    source = Source(
        name=name,
        title=entry.get("title", name),
        homepage=homepage,
        languages=languages,
        spider=spider,
        feeds=_strings(discovery, "feeds", where),
        sitemaps=_strings(discovery, "sitemaps", where),
        lists=lists,
        article_pattern=_regex(pattern, where) if pattern is not None else None,
        rendering=rendering,
        timezone=timezone,
        selectors=selectors,
        rules=_strings(entry, "rules", where),
        politeness=politeness,
    )
    if spider == "news" and not (source.feeds or source.sitemaps or source.lists):
        raise SourceConfigError(f"{where}: discovery needs at least one feed, sitemap or list page")
    return source


def load_sources(directory: Path = SOURCES_DIR) -> dict[str, Source]:
    """Every ``*.toml`` entry of the registry, by name."""
    sources: dict[str, Source] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            entry = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SourceConfigError(f"{path.name}: {exc}") from None
        source = parse_source(entry, path.name)
        if source.name in sources:
            raise SourceConfigError(f"{path.name}: source {source.name!r} is defined twice")
        sources[source.name] = source
    return sources


@lru_cache(maxsize=1)
def registry() -> dict[str, Source]:
    """The project's sources, loaded once."""
    return load_sources()


def source_for_url(url: str, sources: dict[str, Source] | None = None) -> Source | None:
    """The registered source a URL belongs to (by host, subdomains included), if any."""
    host = host_of(url)
    for source in (sources if sources is not None else registry()).values():
        for known in source.hosts:
            if host == known or host.endswith("." + known):
                return source
    return None
