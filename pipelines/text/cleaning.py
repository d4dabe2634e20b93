"""The text-cleaning entry points: article title and body in, clean text and findings out.

Stages, in order (each in its own module):
  html.py        HTML -> one paragraph per line, image URLs aside (plain text: one per line)
  unicode.py     entities, mojibake, invisible characters, odd spaces, NFC, space collapsing
  artifacts.py   translation artifacts in non-CJK paragraphs, repeated paragraphs
  boilerplate.py page chrome and source-media headers/trailers (rules in pipelines/rules/)
  language.py    language of the result (clean_article only)

Boilerplate rules are chosen by the article's ``source`` and its languages (``langs``, default
the page language ``lang``): see pipelines/rules/README.md.

``clean_text`` is idempotent: its output, cleaned again with the same language, is unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.text.artifacts import dedupe_paragraphs, fix_artifacts
from pipelines.text.boilerplate import strip_boilerplate
from pipelines.text.html import html_to_text, looks_like_html, neutralize_markup
from pipelines.text.language import detect_language
from pipelines.text.unicode import fix_unicode

# Far above any real article (a long one is ~100 KB of HTML); bounds the work on junk input.
MAX_INPUT_CHARS = 1_000_000


@dataclass(frozen=True)
class CleanedText:
    title: str
    body: str  # paragraphs separated by exactly one blank line ("\n\n")
    images: list[str]
    author: str | None  # from a removed byline, else None
    platform: str | None  # from a removed byline ("Source: X"), else None
    lang: str | None  # detected ISO 639-1 code of the cleaned body (title if body empty)
    lang_confidence: float | None
    hits: dict[str, int]  # rule/fix name -> times fired


@dataclass(frozen=True)
class _Body:
    text: str
    images: list[str]
    author: str | None
    platform: str | None


def clean_article(
    title: str | None,
    body: str | None,
    lang: str | None,
    *,
    source: str | None = None,
    langs: Sequence[str | None] | None = None,
    detect: bool = True,
) -> CleanedText:
    """Clean an article's title and body (HTML or plain text), written in ``lang``.

    ``source`` and ``langs`` (default ``[lang]``) select the boilerplate rules; ``detect=False``
    skips language detection (``lang`` and ``lang_confidence`` are then None).
    """
    hits: Counter[str] = Counter()
    rules = _Rules(source, tuple(langs) if langs is not None else (lang,))
    clean_title = _clean_title(title, lang, hits)
    cleaned = _clean_body(body, lang, hits, rules, title=clean_title or None)
    detected, confidence = detect_language(cleaned.text or clean_title) if detect else (None, None)
    return CleanedText(
        title=clean_title,
        body=cleaned.text,
        images=cleaned.images,
        author=cleaned.author,
        platform=cleaned.platform,
        lang=detected,
        lang_confidence=confidence,
        hits=dict(hits),
    )


def clean_text(
    text: str,
    lang: str | None = None,
    *,
    source: str | None = None,
    langs: Sequence[str | None] | None = None,
) -> str:
    """Clean a body (HTML or plain text): the idempotent core, without language detection."""
    rules = _Rules(source, tuple(langs) if langs is not None else (lang,))
    return _clean_body(text, lang, Counter(), rules).text


@dataclass(frozen=True)
class _Rules:
    """Which boilerplate rules apply: the source's, and its languages'."""

    source: str | None
    langs: tuple[str | None, ...]


def _as_text(value: object) -> str:
    # The spider's fields can be of any type; never fail on one.
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif not isinstance(value, str):
        value = str(value)
    return value[:MAX_INPUT_CHARS]


def _to_lines(text: str) -> tuple[str, list[str]]:
    if looks_like_html(text):
        return html_to_text(text)
    return "\n".join(text.splitlines()), []


def _clean_title(title: str | None, lang: str | None, hits: Counter[str]) -> str:
    text, _ = _to_lines(_as_text(title))
    text = neutralize_markup(fix_artifacts(fix_unicode(text, hits), lang, hits))
    return text.replace("\n", " ")


def _clean_body(
    body: str | None, lang: str | None, hits: Counter[str], rules: _Rules, title: str | None = None
) -> _Body:
    text, images = _to_lines(_as_text(body))
    # Removing a space ("< ?" -> "<?") can make markup again: neutralized last.
    text = neutralize_markup(fix_artifacts(fix_unicode(text, hits), lang, hits))
    paragraphs = dedupe_paragraphs(text.split("\n"), hits) if text else []
    stripped = strip_boilerplate(paragraphs, hits, title, source=rules.source, langs=rules.langs)
    return _Body("\n\n".join(stripped.paragraphs), images, stripped.author, stripped.platform)
