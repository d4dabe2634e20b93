"""HTML fragment -> plain-text paragraphs, plus the image URLs it carried.

Bodies are small fragments, so lxml's HTML parser is used directly (no page-level extraction).
Paragraphs come back one per line: block elements and <br> end a line, inline markup
(links, emphasis) melts into the surrounding text, images leave only their URL behind.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

# Their text never reaches the reader.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "head", "iframe", "object", "embed",
    "svg", "math", "canvas", "audio", "video",
)  # fmt: skip

# Each of these starts and ends a paragraph (a heading or list item is a line of its own).
_BLOCK_TAGS = (
    "p", "br", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ul", "ol", "dl", "dt",
    "dd", "tr", "table", "thead", "tbody", "tfoot", "caption", "blockquote", "pre", "figure",
    "figcaption", "section", "article", "main", "header", "footer", "aside", "nav", "address",
    "details", "summary", "center", "form", "fieldset", "legend",
)  # fmt: skip
# A newline goes before every block tag, opening or closing, in the raw HTML: one regex pass
# there is several times cheaper than editing the parsed tree. Lowercase is the rule; the
# case-blind pattern (twice as slow) runs only when an uppercase tag is present.
_BLOCK_TAG_PATTERN = r"<(?=/?(?:{})[\s/>])".format("|".join(_BLOCK_TAGS))
_BLOCK_TAG = re.compile(_BLOCK_TAG_PATTERN)
_BLOCK_TAG_ANY_CASE = re.compile(_BLOCK_TAG_PATTERN, re.IGNORECASE)
# Table cells of a row stay on one line, separated by a space.
_CELL_END = re.compile(r"(?=</t[dh][\s>])", re.IGNORECASE)
# Uppercase tags or table cells: both rare, so one scan decides whether the slower passes run.
_UNUSUAL_TAGS = re.compile(r"</?[A-Z]|</t[dh]")

# Anything lxml would read as markup: a tag, end tag, comment, doctype or processing instruction.
_MARKUP_HINT = re.compile(r"<[A-Za-z/!?]")
# A complete tag-like run, as left in text by entities such as "&lt;b&gt;".
_TAG_LIKE = re.compile(r"<[A-Za-z/!?][^<>]*>")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
# lxml refuses or mangles C0 controls and lone surrogates.
_UNPARSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_IMAGE_ATTRS = ("src", "data-src", "data-original", "data-lazy-src")

_local = threading.local()


def _parser() -> etree.HTMLParser:
    # lxml parsers must not be shared between threads.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False)
        _local.parser = parser
    return parser


def looks_like_html(text: str) -> bool:
    """True when the text holds anything lxml would treat as markup."""
    return _MARKUP_HINT.search(text) is not None


def strip_markup(text: str) -> str:
    """Remove tag-like runs left in plain text ("&lt;b&gt;" decoded), then neutralize any "<"
    that could still open markup.

    The output never looks like HTML, so cleaning it again takes the plain-text path.
    """
    if "<" not in text:
        return text
    previous = None
    while previous != text:  # "<<b>b>" leaves "<b>" behind: repeat until stable
        previous = text
        text = _TAG_LIKE.sub(" ", text)
    return neutralize_markup(text)


def neutralize_markup(text: str) -> str:
    """Turn a "<" that lxml would read as markup into the full-width "＜" (text unchanged
    otherwise: no space is added or removed, so no other stage is disturbed)."""
    if "<" not in text:
        return text
    return _MARKUP_HINT.sub(lambda m: "＜" + m.group()[1:], text)


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Paragraphs of an HTML fragment, one per line, and its image URLs in order.

    The text is not yet normalized (entities that were escaped twice, odd spaces and the like
    are left for the unicode stage).
    """
    # HTML whitespace is a space: "\n" is kept to mark the end of a block.
    html = html.replace("\n", " ")
    if "\r" in html or "\t" in html:
        html = html.replace("\r", " ").replace("\t", " ")
    if not html.isprintable():
        html = _UNPARSABLE.sub("", html)
    if html.lstrip().startswith("<?xml"):
        html = _XML_DECL.sub("", html)
    if _UNUSUAL_TAGS.search(html):
        html = _CELL_END.sub(" ", _BLOCK_TAG_ANY_CASE.sub("\n<", html))
    else:
        html = _BLOCK_TAG.sub("\n<", html)
    try:
        root = etree.fromstring(html, _parser())
    except (etree.LxmlError, ValueError):
        return _TAG_LIKE.sub(" ", html), []
    if root is None:
        return "", []
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    text = etree.tostring(root, method="text", encoding="unicode")
    return text, _image_urls(root)


def html_to_paragraphs(html: str) -> tuple[list[str], list[str]]:
    """Non-empty paragraphs (whitespace-trimmed) of an HTML fragment, and its image URLs."""
    text, images = html_to_text(html)
    return [p for p in (line.strip() for line in text.split("\n")) if p], images


def _image_urls(root: etree._Element) -> list[str]:
    urls: list[str] = []
    for img in root.iter("img"):
        for attr in _IMAGE_ATTRS:
            url = (img.get(attr) or "").strip()
            if url and not url.startswith("data:"):
                if url not in urls:
                    urls.append(url)
                break
    return urls
