"""The fixture site's content: load ``tests/site/data`` and render what Followin would serve.

One JSON file per article holds the original text, its original language and one
translation per page language. ``render_article`` turns it into the article object a page
of that language carries, in the field layout described in
``/work/shared/reference/followin.md``. The server and ``make_expected.py`` both read
articles through this module, so the expected items always match what is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

# The page languages the fixture site serves.
LANGS = ("en", "zh-Hans")

# Fields of the data file that the real site would never show: they only drive rendering.
_FIXTURE_ONLY = {"original_lang", "untranslated_fields", "original", "translations", "thread"}

# Field names of the original text and of its translation, in the served article object.
_TEXT_FIELDS = (
    ("title", "translated_title"),
    ("content", "translated_content"),
    ("full_content", "translated_full_content"),
)

# Feed kinds: the page path segment and the list API it pairs with.
FEED_KINDS = {"kol": "user", "topic": "topic", "tag": "tag"}


@dataclass(frozen=True)
class Feed:
    """A KOL, topic or tag page: its header data and the article ids it lists."""

    kind: str  # "kol", "topic" or "tag"
    id: int
    info: dict[str, Any]
    ids: list[int]


def publish_ms(article: dict[str, Any]) -> int:
    """Publish time in ms, for sorting; tolerates the string form some fixtures use."""
    return int(article.get("publish_time") or 0)


class SiteContent:
    """All articles and list pages of the fixture site, read once from ``data_dir``."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        self.articles: dict[int, dict[str, Any]] = {}
        for path in sorted((data_dir / "articles").glob("*.json")):
            article = json.loads(path.read_text(encoding="utf-8"))
            self.articles[article["id"]] = article
        lists = json.loads((data_dir / "lists.json").read_text(encoding="utf-8"))
        self.hidden_from_news: set[int] = set(lists["news"]["hidden"])
        self.listed_twice: int | None = lists["news"].get("listed_twice")
        self.feeds: dict[tuple[str, int], Feed] = {}
        for kind, group in (("kol", "kols"), ("topic", "topics"), ("tag", "tags")):
            for key, entry in lists[group].items():
                info = {k: v for k, v in entry.items() if k != "feeds"}
                ids = self._newest_first(entry["feeds"])
                self.feeds[(kind, int(key))] = Feed(kind, int(key), info, ids)

    def _newest_first(self, ids: list[int]) -> list[int]:
        return sorted(ids, key=lambda i: publish_ms(self.articles[i]), reverse=True)

    def news_ids(self) -> list[int]:
        """The news list, newest first.

        The ``listed_twice`` article appears a second time right after itself, as a real
        feed does when a new item arrives between two page loads and shifts the list.
        """
        ids = self._newest_first([i for i in self.articles if i not in self.hidden_from_news])
        if self.listed_twice in ids:
            ids.insert(ids.index(self.listed_twice) + 1, self.listed_twice)
        return ids

    def render_article(self, article_id: int, lang: str) -> dict[str, Any]:
        """The article object a ``lang`` page shows: original text plus its translation."""
        data = self.articles[article_id]
        served = {k: v for k, v in data.items() if k not in _FIXTURE_ONLY}
        original = data["original"]
        translation = data["translations"].get(lang)
        for field, translated_field in _TEXT_FIELDS:
            served[field] = original[field]
            if translation is not None:
                served[translated_field] = translation[field]
            elif data.get("untranslated_fields") == "empty":
                served[translated_field] = ""
            elif data.get("untranslated_fields") == "null":
                served[translated_field] = None
            # else: absent, the most common shape when no translation was made
        return served

    def render_thread(self, article_id: int, lang: str) -> list[dict[str, Any]] | None:
        """The parts of a thread post for a ``lang`` page, or None for a plain article."""
        parts = self.articles[article_id].get("thread")
        if parts is None:
            return None
        return [
            {
                "content": part["content"],
                "translated_content": part["translations"].get(lang, ""),
                "images": part["images"],
                "link_previews": part["link_previews"],
            }
            for part in parts
        ]

    def render_list_item(self, article_id: int, lang: str) -> dict[str, Any]:
        """A list entry: the article object without the HTML bodies (lists are light)."""
        item = self.render_article(article_id, lang)
        item.pop("full_content", None)
        item.pop("translated_full_content", None)
        return item


def parse_cursor(cursor: str, total: int) -> int | None:
    """Offset named by a cursor; None if the cursor is not one this site handed out.

    Cursors look opaque to clients ("c20", "c40"): "" starts the list.
    """
    if cursor == "":
        return 0
    if cursor.startswith("c") and cursor[1:].isdigit():
        offset = int(cursor[1:])
        if 0 < offset <= total:
            return offset
    return None


def list_page(content: SiteContent, ids: list[int], lang: str, offset: int, count: int) -> dict[str, Any]:
    """One page of a feed list in the API's shape: ``list``, ``has_more``, ``last_cursor``."""
    end = min(offset + count, len(ids))
    return {
        "list": [content.render_list_item(i, lang) for i in ids[offset:end]],
        "has_more": end < len(ids),
        "last_cursor": f"c{end}",
    }
