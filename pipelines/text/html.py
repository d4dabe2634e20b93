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
# there is several times cheaper than editing the parsed tree. The raw HTML is handled as UTF-8
# bytes: lxml parses non-ASCII text faster so, and the byte passes below are cheap.
# Python's "\s" on str (the str.isspace() characters), spelled out for the byte patterns.
_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACE = b"(?:" + b"|".join(re.escape(c.encode()) for c in _SPACES) + b")"


def _by_first_letter(words: tuple[str, ...]) -> str:
    # One group per first letter: the regex engine skips a group on its first character, which
    # is much cheaper than trying all forty names after every "<".
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


# Lowercase tags are the rule: the HTML is split at the "<" of each block tag, and joined back
# with "\n<". The same scan matches, with a group, the "<" of an uppercase tag or of a table
# cell end (both rare; tried first, as "</thead" is both): then the case-blind pattern
# (slower) runs instead, on str.
_BLOCK_OR_UNUSUAL_TAG = re.compile(
    b"<(?:(?=(/?[A-Z]|/t[dh]))|(?=/?(?:%s)(?:[/>]|%s)))" % (_by_first_letter(_BLOCK_TAGS).encode(), _SPACE)
)
_BLOCK_TAG_ANY_CASE = re.compile(r"<(?=/?(?:{})[\s/>])".format("|".join(_BLOCK_TAGS)), re.IGNORECASE)
# Table cells of a row stay on one line, separated by a space.
_CELL_END = re.compile(r"(?=</t[dh][\s>])", re.IGNORECASE)
# The tree is searched for images only if the HTML has a lowercase "<img" (with an uppercase
# tag, it always is): the search costs more than this scan.
_IMG_TAG = re.compile(rb"<i[mM][gG]")

# Anything lxml would read as markup: a tag, end tag, comment, doctype or processing instruction.
_MARKUP_HINT = re.compile(r"<[A-Za-z/!?]")
# A complete tag-like run, as left in text by entities such as "&lt;b&gt;".
_TAG_LIKE = re.compile(r"<[A-Za-z/!?][^<>]*>")
_XML_DECL = re.compile(b"^%s*<\\?xml[^>]*>" % _SPACE)
# lxml refuses or mangles C0 controls and lone surrogates.
_UNPARSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# HTML whitespace is a space ("\n" is kept to mark the end of a block), and the other C0
# controls and DEL are dropped: one translate of the bytes does both.
_BREAKS_TO_SPACES = bytes.maketrans(b"\n\r\t", b"   ")
_UNPARSABLE_BYTES = bytes(c for c in range(32) if c not in b"\t\n\r") + b"\x7f"
_IMAGE_ATTRS = ("src", "data-src", "data-original", "data-lazy-src")

_local = threading.local()


def _parser() -> etree.HTMLParser:
    # lxml parsers must not be shared between threads.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(
            remove_comments=True, remove_pis=True, no_network=True, collect_ids=False, encoding="utf-8"
        )
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
    try:
        data = html.encode()
    except UnicodeEncodeError:  # lone surrogates
        data = _UNPARSABLE.sub("", html).encode()
    data = data.translate(_BREAKS_TO_SPACES, _UNPARSABLE_BYTES)
    declaration = _XML_DECL.match(data)
    if declaration:
        data = data[declaration.end() :]
    parts = _BLOCK_OR_UNUSUAL_TAG.split(data)  # pieces, each followed by the group (or None)
    unusual = any(parts[1::2])
    if unusual:
        marked = _BLOCK_TAG_ANY_CASE.sub("\n<", data.decode())
        data = _CELL_END.sub(" ", marked).encode()
    else:
        data = b"\n<".join(parts[::2])
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError):
        return _TAG_LIKE.sub(" ", data.decode()), []
    if root is None:
        return "", []
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    text = etree.tostring(root, method="text", encoding="unicode")
    images = _image_urls(root) if unusual or _IMG_TAG.search(data) else []
    return text, images


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
