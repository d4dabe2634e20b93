"""A news page in, an article out: structured data first, then the main text.

Pure (no Scrapy, no database): the ``news`` spider hands over the page's HTML and URL, plus what
its feed or sitemap said (``Hints``), and gets an :class:`Article` back.

Each field is taken from the first place that has it:

- title:  selector override, JSON-LD headline, og:title / twitter:title, feed title, <title>
- time:   selector override, JSON-LD datePublished, article:published_time and kin, feed time,
          the date trafilatura (htmldate) finds in the page
- author: selector override, JSON-LD author (people, not the outlet), author meta tags,
          feed author, trafilatura's guess
- lang:   JSON-LD inLanguage, og:locale, <html lang>, Content-Language, feed language
- url:    <link rel=canonical>, else og:url, else the fetched URL (after redirects), canonicalised
- body:   selector override, else trafilatura's main text (or JSON-LD articleBody when the page
          carries the whole text there and trafilatura found much less)

JSON-LD is read wherever it sits: a list, an object, or inside ``@graph``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, XPath
from trafilatura.settings import use_config

from pipelines.text.language import detect_language
from pipelines.text.urls import canonical_url

# JSON-LD types that describe an article page's own content.
ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
     "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "TechArticle",
     "SocialMediaPosting", "Report"}
)  # fmt: skip
# Meta tags naming a publish time, best first (property= or name= or itemprop=).
TIME_META = (
    "article:published_time", "og:article:published_time", "datepublished", "publishdate",
    "pubdate", "publish-date", "publish_date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
    "dc.date", "dcterms.created", "date", "og:published_time", "bt:pubdate",
)  # fmt: skip
AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")
# JSON-LD articleBody replaces trafilatura's text only when it is this much longer: the page
# then carries the whole text in structured data, and the visible text is cut or script-built.
ARTICLE_BODY_RATIO = 1.5
# A declared page language is trusted unless the text is, with this confidence, in another one
# (templates often say lang="en" on every page of a Chinese or Korean site).
LANG_OVERRIDE_CONFIDENCE = 0.9
# The shortest paragraph that counts as article text (see has_article_text).
MIN_PARAGRAPH_CHARS = 30

# trafilatura falls back to a cruder extraction (paragraphs run together, headline and bylines
# kept) when its main pass finds fewer than 250 characters: a whole Chinese or Korean article
# of three paragraphs, or any flash item. 50 keeps real text on those pages; on the benchmark's
# English pages it changes nothing (F1 0.9471 -> 0.9476).
TRAFILATURA_CONFIG = use_config()
TRAFILATURA_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "50")

_LD_XPATH = XPath('//script[@type="application/ld+json" or @type="application/ld+json; charset=utf-8"]')
_META_XPATH = XPath("//meta[@content]")
_CANONICAL_XPATH = XPath('//link[@href and contains(concat(" ", normalize-space(@rel), " "), " canonical ")]')
_TITLE_XPATH = XPath("//title/text()")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Hints:
    """What a feed or sitemap said about an article: used where the page itself says nothing."""

    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Article:
    url: str  # canonical URL, canonicalised
    title: str
    body: str  # main text, one paragraph per line (or HTML from a selector override)
    published_at: datetime | None  # UTC
    author: str | None
    lang: str | None  # normalised page language ("en", "ko", "zh-Hans", "zh-Hant"), None if unknown
    description: str | None = None
    images: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it was found
    metadata: dict[str, Any] = field(default_factory=dict)  # the JSON-LD article and meta tags read


class ExtractionError(ValueError):
    """The page cannot be read as HTML at all."""


def extract_article(
    html: str | bytes,
    url: str,
    hints: Hints | None = None,
    selectors: dict[str, str] | None = None,
    timezone: tzinfo | None = None,
) -> Article:
    """Read one article page. ``url`` is the URL the page was fetched from (after redirects);
    ``timezone`` applies to times the page writes without an offset (default UTC)."""
    hints = hints or Hints()
    selectors = selectors or {}
    tz = timezone or UTC
    try:
        tree = lxml.html.fromstring(html)
    except (ParserError, ValueError) as exc:
        raise ExtractionError(f"not an HTML page: {exc}") from None
    ld = _jsonld_article(tree)
    meta = _meta_tags(tree)
    found: dict[str, str] = {}

    def first(name: str, *candidates: tuple[str, Any]) -> Any:
        for origin, value in candidates:
            if value:
                found[name] = origin
                return value
        return None

    override = {name: _select(tree, css, name) for name, css in selectors.items() if name != "body"}
    url_out = _canonical(tree, meta, url)
    title = first(
        "title",
        ("selector", override.get("title")),
        ("jsonld", _text(ld.get("headline") or ld.get("name"))),
        ("og", meta.get("og:title") or meta.get("twitter:title")),
        ("feed", hints.title),
    )
    published = first(
        "published_at",
        ("selector", parse_time(override.get("time"), tz)),
        ("jsonld", parse_time(_text(ld.get("datePublished")), tz)),
        ("meta", next(filter(None, (parse_time(meta.get(k), tz) for k in TIME_META)), None)),
        ("feed", hints.published_at),
    )
    author = first(
        "author",
        ("selector", override.get("author")),
        ("jsonld", _ld_author(ld.get("author"))),
        ("meta", next(filter(None, (_author_name(meta.get(k)) for k in AUTHOR_META)), None)),
        ("feed", hints.author),
    )
    lang = first(
        "lang",
        ("jsonld", normalize_lang(_ld_language(ld.get("inLanguage")))),
        ("og", normalize_lang(meta.get("og:locale"))),
        ("html", normalize_lang(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"))),
        ("meta", normalize_lang(meta.get("content-language"))),
        ("feed", normalize_lang(hints.lang)),
    )
    images = _images(ld.get("image"), meta, url)
    tags = _keywords(ld.get("keywords")) or meta.get("article:tag_list", [])
    description = _text(ld.get("description")) or meta.get("og:description") or meta.get("description")

    # The tree is handed to trafilatura last: it prunes it while it works.
    body = select_body_html(tree, selectors["body"]) if selectors.get("body") else None
    if body:
        found["body"] = "selector"
    doc: Any = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=True, with_metadata=True, as_dict=False,
        config=TRAFILATURA_CONFIG,
    )
    text = (getattr(doc, "text", None) or "").strip()
    if not body:
        ld_body = _text(ld.get("articleBody"))
        if ld_body and len(ld_body) > ARTICLE_BODY_RATIO * len(text):
            body, found["body"] = ld_body, "jsonld"
        else:
            body, found["body"] = text, "trafilatura"
    if doc is not None:
        if not title and doc.title:
            title, found["title"] = doc.title, "page"
        if not published and doc.date:
            published = parse_time(doc.date, tz)
            if published:
                found["published_at"] = "page"
        if not author and doc.author:
            author, found["author"] = doc.author, "page"
    if not title:
        title = _text(" ".join(_TITLE_XPATH(tree))) or ""
    return Article(
        url=url_out,
        title=_SPACES.sub(" ", title).strip(),
        body=body or "",
        published_at=published,
        author=author,
        lang=lang,
        description=description or None,
        images=images,
        tags=tags,
        sources=found,
        metadata={"jsonld": ld, "meta": {k: v for k, v in meta.items() if k != "article:tag_list"}},
    )


def has_article_text(body: str) -> bool:
    """False for a page shell: navigation links and "Loading…" are short lines, while an article,
    even a one-paragraph flash item in Chinese, has at least one line of real prose."""
    return any(len(line.strip()) >= MIN_PARAGRAPH_CHARS for line in body.splitlines())


def resolve_language(declared: str | None, text: str) -> str | None:
    """The page's declared language, unless the text is confidently in another; else detected."""
    detected, confidence = detect_language(text)
    detected = normalize_lang(detected)
    if declared is None:
        return detected
    confident = bool(detected and confidence and confidence >= LANG_OVERRIDE_CONFIDENCE)
    if confident and str(detected).split("-")[0] != declared.split("-")[0]:
        return detected
    return declared


# --- values ---------------------------------------------------------------------------------
def normalize_lang(value: str | None) -> str | None:
    """A language tag as the project names page languages: ``en``, ``ko``, ``zh-Hans``, ``zh-Hant``."""
    if not value or not isinstance(value, str):
        return None
    parts = [p for p in re.split(r"[-_]", value.strip()) if p]
    if not parts or not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
        return None
    primary = parts[0].lower()
    if primary == "zh":
        rest = {p.lower() for p in parts[1:]}
        return "zh-Hant" if rest & {"hant", "tw", "hk", "mo"} else "zh-Hans"
    return primary


def parse_time(value: Any, timezone: tzinfo = UTC) -> datetime | None:
    """A publish time in UTC from ISO 8601, RFC 822, a date, or epoch seconds/milliseconds.

    A time written without an offset is read in ``timezone``.
    """
    if isinstance(value, datetime):
        moment = value
    elif not value or not isinstance(value, str | int | float):
        return None
    else:
        text = str(value).strip()
        if _EPOCH.match(text):
            number = int(text)
            return datetime.fromtimestamp(number / 1000 if len(text) == 13 else number, UTC)
        parsed = _parse_text_time(text)
        if parsed is None:
            return None
        moment = parsed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone)
    if not 1990 <= moment.year <= 2100:
        return None
    return moment.astimezone(UTC)


def _parse_text_time(text: str) -> datetime | None:
    candidate = text.replace("/", "-")
    if _DATE_ONLY.match(candidate):
        candidate += "T00:00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if not isinstance(value, str):
        return None
    return _SPACES.sub(" ", value).strip() or None


def _author_name(value: Any) -> str | None:
    name = _text(value)
    if not name or urlsplit(name).scheme in ("http", "https"):
        return None  # article:author is often the author's page, not a name
    return name


def _ld_author(value: Any) -> str | None:
    """The people named as authors; an organisation (the outlet itself) is not an author."""
    items = value if isinstance(value, list) else [value]
    people: list[str] = []
    for item in items:
        name = _author_name(item.get("name") if isinstance(item, dict) else item)
        kind = item.get("@type", "Person") if isinstance(item, dict) else "Person"
        if name and kind in ("Person", ["Person"]):
            people.append(name)
    return ", ".join(dict.fromkeys(people)) or None


def _ld_language(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    return value if isinstance(value, str) else None


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(k.strip() for k in value if isinstance(k, str) and k.strip()))


def _images(value: Any, meta: dict[str, Any], base: str) -> list[str]:
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        if isinstance(item, str) and item.strip():
            found.append(urljoin(base, item.strip()))
    if meta.get("og:image"):
        found.append(urljoin(base, meta["og:image"]))
    return list(dict.fromkeys(found))


# --- page structures ------------------------------------------------------------------------
def _jsonld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in _LD_XPATH(tree):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # a broken block: the other sources still count
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"])


def _types(obj: dict[str, Any]) -> set[str]:
    kinds = obj.get("@type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _jsonld_article(tree: Any) -> dict[str, Any]:
    """The first JSON-LD object typed as an article (also inside @graph), else {}.

    Its author may be a reference (``{"@id": …}``) to a Person elsewhere in the page, as
    WordPress SEO plugins write it: references are resolved."""
    objects = list(_jsonld_objects(tree))
    article = next((obj for obj in objects if _types(obj) & ARTICLE_TYPES), None)
    if article is None:
        return {}
    by_id = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}
    authors = article.get("author")
    if authors is not None:
        items = authors if isinstance(authors, list) else [authors]
        resolved = [
            by_id.get(a["@id"], a) if isinstance(a, dict) and "name" not in a and "@id" in a else a
            for a in items
        ]
        article = {**article, "author": resolved}
    return article


def _meta_tags(tree: Any) -> dict[str, Any]:
    """meta property=/name=/itemprop=/http-equiv= -> content (first wins), keys lower-cased;
    every article:tag under ``article:tag_list``."""
    meta: dict[str, Any] = {}
    tags: list[str] = []
    for element in _META_XPATH(tree):
        key = element.get("property") or element.get("name") or element.get("itemprop") or element.get(
            "http-equiv"
        )
        content = (element.get("content") or "").strip()
        if not key or not content:
            continue
        key = key.strip().lower()
        if key == "article:tag":
            tags.append(content)
        meta.setdefault(key, content)
    meta["article:tag_list"] = list(dict.fromkeys(tags))
    return meta


def _canonical(tree: Any, meta: dict[str, Any], fetched: str) -> str:
    for candidate in [*(link.get("href") for link in _CANONICAL_XPATH(tree)), meta.get("og:url")]:
        if not candidate or not candidate.strip():
            continue
        url = urljoin(fetched, candidate.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if parts.path in ("", "/") and urlsplit(fetched).path not in ("", "/"):
            continue  # a template pointing every page at the home page
        return canonical_url(url)
    return canonical_url(fetched)


def _select(tree: Any, css: str, name: str) -> Any:
    """The value of a title, author or time selector override (the body is read as HTML)."""
    elements = CSSSelector(css)(tree)
    if not elements:
        return None
    if name == "time":
        element = elements[0]
        return element.get("datetime") or element.get("content") or element.text_content().strip()
    texts = [_SPACES.sub(" ", e.text_content()).strip() for e in elements]
    return ", ".join(dict.fromkeys(t for t in texts if t)) if name == "author" else (texts[0] or None)


def select_body_html(tree: Any, css: str) -> str | None:
    """The HTML of every element the body selector matches, in page order."""
    elements = CSSSelector(css)(tree)
    return "".join(lxml.html.tostring(e, encoding="unicode") for e in elements) or None

