"""Unicode repair of extracted text: entities, mojibake, invisible characters, odd spaces, NFC.

Text here is paragraphs joined by "\\n"; no step may create or remove a "\\n", so the paragraph
structure set by the HTML stage survives.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter

import ftfy
from ftfy.badness import is_bad

from pipelines.text.html import strip_markup

# Entities with their semicolon only: "AT&T" or "&copy" without ";" stay as written.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Decoding "&#10;" must not split a paragraph.
_ENTITY_WHITESPACE = str.maketrans(dict.fromkeys("\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", " "))

# Zero-width, bidi, BOM, soft hyphen and control characters: invisible, or harmful when stored.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]+"
)
# Every other kind of space or in-paragraph separator reads as a plain space.
_ODD_SPACE = re.compile("[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
# UTF-8 read as Latin-1/cp1252 shows as a lead byte (Â..ô) followed by a continuation byte
# (C1 control, Latin-1 sign or a cp1252 extra): "â€™", "Ã©", "ä¸­". ftfy decides; this only
# spares it the clean lines, which it is slow to prove clean.
_MOJIBAKE_HINT = re.compile(
    "[\xc2-\xf4][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)

# Characters that never need a repair (ASCII, CJK, Hangul, kana, common punctuation): text made
# only of these skips the slower checks below. Each was checked with unicodedata: printable,
# combining class 0, unchanged by NFC and never the second of a composed pair (so NFC whatever
# its neighbours), and not a mojibake lead (U+00C0..U+00FF are left out).
_PLAIN = re.compile(
    "[\n -~\xa1-\xac\xae-\xbf\u2010-\u2027\u2030-\u205e\u20a0-\u20c0\u3001-\u3029"
    "\u3030-\u303f\u3041-\u3096\u309b-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff5e]*"
)
_ASCII_CONTROLS = bytes(c for c in range(32) if c != 10) + b"\x7f"

# Bounds the repair loops; real text settles in one or two rounds.
_MAX_ROUNDS = 4


def fix_unicode(text: str, hits: Counter[str]) -> str:
    """Repair entities, mojibake, invisible characters and spaces; NFC; collapse spaces."""
    if "&" in text or "<" in text:
        text = _decode_entities(text, hits)
    # Repairs run on collapsed text (ftfy's verdict can hang on a stray space), and again
    # after each change, so that the result is a fixed point: cleaning it again changes nothing.
    text = collapse_spaces(text)
    for _ in range(_MAX_ROUNDS):
        fixed, changed = _fix_characters(text, hits)
        if not changed:
            break
        text = collapse_spaces(fixed)
    return text


def collapse_spaces(text: str) -> str:
    """One space between words, none at line ends, no empty lines."""
    while "  " in text:
        text = text.replace("  ", " ")
    return "\n".join(filter(None, map(str.strip, text.split("\n"))))


def _decode_entities(text: str, hits: Counter[str]) -> str:
    # "&amp;amp;" needs two rounds, and "&lt;p&gt;" turns into markup to remove.
    for _ in range(_MAX_ROUNDS):
        decoded, count = _ENTITY.subn(_decode_one, text)
        stripped = strip_markup(decoded)
        if stripped != decoded:
            hits["html.markup_residue"] += 1
        if stripped == text:
            break
        if decoded != text:
            hits["unicode.entities"] += count
        text = stripped
    return text


def _decode_one(match: re.Match[str]) -> str:
    return html.unescape(match.group()).translate(_ENTITY_WHITESPACE)


def _fix_characters(text: str, hits: Counter[str]) -> tuple[str, bool]:
    if _is_plain(text):  # the usual case, in one C-speed pass
        return text, False
    changed = False
    # isprintable() is false for every control, format (zero-width, bidi) and odd space
    # character: a C-speed test that lets most text skip the regex scans.
    if not text.replace("\n", "").isprintable():
        text, removed = _INVISIBLE.subn("", text)
        if removed:
            hits["unicode.invisible"] += removed
        text, spaces = _ODD_SPACE.subn(" ", text)
        if spaces:
            hits["unicode.spaces"] += spaces
        changed = bool(removed or spaces)
    if text.isascii():
        return text, changed
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        hits["unicode.nfc"] += 1
        changed = True
    # Mojibake needs a Latin-1 letter (Â..ô), UTF-8 byte C3: a C-speed test on Chinese text.
    if b"\xc3" in text.encode("utf-8", "surrogatepass") and _MOJIBAKE_HINT.search(text):
        fixed = _fix_mojibake(text, hits)
        changed = changed or fixed != text
        text = fixed
    return text, changed


def _is_plain(text: str) -> bool:
    if text.isascii():  # only a control can need a repair: counted on bytes, 4x isprintable()
        return len(text.encode().translate(None, _ASCII_CONTROLS)) == len(text)
    return _PLAIN.fullmatch(text) is not None


def _fix_mojibake(text: str, hits: Counter[str]) -> str:
    # Line by line: one clean Chinese paragraph must not stop ftfy from fixing its neighbour.
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _MOJIBAKE_HINT.search(line) and is_bad(line):
            fixed = ftfy.fix_encoding(line)
            if fixed != line:
                lines[i] = fixed
                hits["unicode.mojibake"] += 1
    return "\n".join(lines)
