"""Write ``tests/site/expected/<id>.<lang>.json``: the item the spider must build per page.

    python -m tests.site.make_expected           # rewrite the files
    python -m tests.site.make_expected --check   # exit 1 if they are stale

The rules below are the spider's contract for the source fields of ``ArticleItem``; they
are applied to exactly what the fixture server serves (``SiteContent``), so data and
expectations cannot drift apart. ``url`` keeps the literal ``{base}`` placeholder: tests
substitute the running site's base URL.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.site.content import DATA_DIR, LANGS, SiteContent

EXPECTED_DIR = Path(__file__).parent / "expected"


def _text(value: Any) -> str:
    """The value if it is a non-empty string, else "" (None, missing and blanks count as empty)."""
    return value if isinstance(value, str) and value.strip() else ""


def _first(*values: Any) -> str:
    return next((text for text in map(_text, values) if text), "")


def base_lang(code: str) -> str:
    """ISO 639-1 base of a language tag: "zh-Hans" -> "zh", "en-US" -> "en", "KO" -> "ko"."""
    return code.replace("_", "-").split("-")[0].lower()


def iso_utc(publish_time: Any) -> str | None:
    """ms-epoch (int or string of digits) to ISO 8601 UTC; None when missing or unparseable."""
    if isinstance(publish_time, bool):
        return None
    if isinstance(publish_time, str) and publish_time.strip().isdigit():
        publish_time = int(publish_time)
    if not isinstance(publish_time, int):
        return None
    seconds, millis = divmod(publish_time, 1000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=millis * 1000)
    return moment.isoformat()


def expected_item(article: dict[str, Any], thread: list[dict[str, Any]] | None, lang: str) -> dict[str, Any]:
    """The spider's item for one article page, from the page's ``/feed/info`` (+ thread)."""
    translated_title = _text(article.get("translated_title"))
    if thread is not None:
        # Thread posts: the body is the parts, each in translation where there is one.
        raw_parts = [_text(p.get("translated_content")) or _text(p.get("content")) for p in thread]
        raw_body = "\n\n".join(raw_parts)
        original_body = "\n\n".join(_text(p.get("content")) for p in thread)
        body_translated = any(_text(p.get("translated_content")) for p in thread)
    else:
        translated_body = _first(article.get("translated_full_content"), article.get("translated_content"))
        original_body = _first(article.get("full_content"), article.get("content"))
        raw_body = translated_body or original_body
        body_translated = bool(translated_body)
    is_translated = bool(translated_title) or body_translated

    source_lang = _text(article.get("source_lang"))
    if source_lang:
        original_lang: str | None = base_lang(source_lang)
    elif not is_translated:
        original_lang = base_lang(lang)
    else:
        original_lang = None  # translated from an unknown language

    related = article.get("related_feeds")
    tags = article.get("tags") or []
    return {
        "source": "followin",
        "external_id": str(article["id"]),
        "lang": lang,
        "url": f"{{base}}/{lang}/feed/{article['id']}",
        "raw_title": translated_title or _text(article.get("title")),
        "raw_body": raw_body,
        "raw_original_title": _text(article.get("title")) or None,
        "raw_original_body": original_body or None,
        "is_machine_translated": is_translated,
        "original_lang": original_lang,
        "published_at": iso_utc(article.get("publish_time")),
        "source_url": _text(article.get("source_url")) or None,
        "account": _text(article.get("nickname")) or None,
        "tags": [
            {"name": tag["name"], "symbol": _text(tag.get("symbol")) or None}
            for tag in tags
            if isinstance(tag, dict) and _text(tag.get("name"))
        ],
        "related_feeds": related if isinstance(related, int) and not isinstance(related, bool) else None,
    }


def build_all(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """File name -> file text, for every (article, page language)."""
    content = SiteContent(data_dir)
    files = {}
    for article_id in sorted(content.articles):
        for lang in LANGS:
            item = expected_item(
                content.render_article(article_id, lang),
                content.render_thread(article_id, lang),
                lang,
            )
            text = json.dumps(item, ensure_ascii=False, indent=2) + "\n"
            files[f"{article_id}.{lang}.json"] = text
    return files


def stale_files(expected_dir: Path = EXPECTED_DIR, data_dir: Path = DATA_DIR) -> list[str]:
    """Names of expected files that are missing, outdated or no longer produced."""
    wanted = build_all(data_dir)
    present = {p.name for p in expected_dir.glob("*.json")}
    stale = [
        name
        for name, text in wanted.items()
        if name not in present or (expected_dir / name).read_text(encoding="utf-8") != text
    ]
    return sorted(stale + [name for name in present if name not in wanted])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if stale else 0
    EXPECTED_DIR.mkdir(exist_ok=True)
    wanted = build_all()
    for old in EXPECTED_DIR.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (EXPECTED_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} files to {EXPECTED_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
