"""Machine-translation artifacts: CJK punctuation in non-CJK text, split numbers, repeats.

Chinese, Japanese and Korean text keeps its own punctuation: a paragraph is left alone when the
page language is CJK, or when its own script is mostly CJK (a Chinese quote in an English page).
"""

from __future__ import annotations

import re
from collections import Counter

_CJK_LANGS = frozenset({"zh", "ja", "ko", "yue", "cmn", "wuu"})
# Han, kana and Hangul letters (punctuation excluded: it is what gets converted).
_CJK_CHAR = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# Counting by bytes of the UTF-8 form is a C-speed count: U+3000..U+DFFF (kana, Han, Hangul)
# start with bytes E3..ED; Latin letters are the ASCII letter bytes.
_ALL_BUT_CJK_LEADS = bytes(b for b in range(256) if not 0xE3 <= b <= 0xED)
_ALL_BUT_ASCII_LETTERS = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalpha())

# Checks that let clean text through: each is one fast scan (a literal first character).
_SPACE_THEN_PUNCT = re.compile(r" [,.;:!?%)\]]")
_FULLWIDTH_MARKS = "，、。：；！？（）“”％【】"
# Besides " ,"-like pairs, an artifact starts at a full-width mark, or at an opening bracket
# or currency sign followed by a space.
_ASCII_NEEDLES = ("( ", "[ ", "$ ")
_ALL_NEEDLES = (*_FULLWIDTH_MARKS, *_ASCII_NEEDLES, "€ ", "£ ", "¥ ", "₩ ")
_OTHER_CURRENCY_SPACE = re.compile("[€£¥₩] ")
_FULLWIDTH = re.compile("[，、。：；！？（）“”％【】]")
_CJK_NEIGHBOUR = re.compile(f"[{_CJK_CHAR}]")
_ASCII_FORM = {
    "，": ",", "、": ",", "。": ".", "：": ":", "；": ";", "！": "!", "？": "?",
    "（": "(", "）": ")", "“": '"', "”": '"', "％": "%", "【": "[", "】": "]",
}  # fmt: skip
_SPACE_AFTER = frozenset(",.:;!?)]")

# Every pattern below starts with a literal or a small class, which the regex engine scans
# for at C speed; a leading lookbehind would make it try every position. Those starting with
# a space check the next character first, so that most spaces are passed over at once.
# A space to remove before closing punctuation, found in one pass for both of its kinds (no
# space is of both kinds, so one pass removes what two consecutive ones would):
# - group "number": "1 ,000" and "3 .5", a digit, a space, then the separator glued to the
#   next digits;
# - otherwise a space before punctuation that ends a word ("rose 5% ." / "Bitcoin , Ether");
#   ":" after a digit is left alone ("3 : 1").
_SPACE_BEFORE_PUNCT = re.compile(
    r" (?=[,.;:!?%)\]])(?:(?P<number>(?=,\d{3}(?!\d)|\.\d)(?<=\d ))"
    r"|(?=[,.;!?](?:[\s\"'”’)\]]|$)|[)\]])|(?<=\D )(?=:(?:\s|$))|(?<=\d )(?=%))"
)
_SPACE_AFTER_OPENING = re.compile(r"([(\[]) ")
_CURRENCY_SPACE = re.compile(r"([$€£¥₩]) (?=\d)")

# Shorter paragraphs (list items, headings, "Bitcoin") may legitimately repeat.
_MIN_DEDUP_CHARS = 20


def is_cjk_lang(lang: str | None) -> bool:
    """True for Chinese, Japanese and Korean language tags ("zh-Hans", "ko", "ja-JP"...)."""
    if not lang:
        return False
    return lang.strip().lower().replace("_", "-").split("-")[0] in _CJK_LANGS


def is_cjk_text(text: str) -> bool:
    """True when CJK characters outweigh Latin words (a CJK character is about a word)."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    cjk = len(data.translate(None, _ALL_BUT_CJK_LEADS))
    return cjk > 0 and cjk * 3 >= len(data.translate(None, _ALL_BUT_ASCII_LETTERS))


def fix_artifacts(text: str, lang: str | None, hits: Counter[str]) -> str:
    """Fix translation artifacts in the non-CJK paragraphs of "\n"-joined text."""
    if is_cjk_lang(lang):
        return text
    targets = _lines_to_fix(text)
    if not targets:
        return text
    lines = text.split("\n")
    for i in targets:
        if not is_cjk_text(lines[i]):
            lines[i] = fix_line(lines[i], hits)
    return "\n".join(filter(None, lines))


def _lines_to_fix(text: str) -> set[int]:
    # Found on the whole text, then mapped to lines: checking line by line costs a call per
    # line and check.
    starts = [m.start() for m in _SPACE_THEN_PUNCT.finditer(text)]
    for needle in _ASCII_NEEDLES if text.isascii() else _ALL_NEEDLES:
        # Walks the occurrences of the first character (a memchr each); most are absent.
        first = needle[0]
        at = text.find(first)
        while at >= 0:
            if text.startswith(needle, at):
                starts.append(at)
            at = text.find(first, at + 1)
    # Line numbers, counting newlines once over the text (starts in order).
    lines: set[int] = set()
    line = counted = 0
    for start in sorted(starts):
        line += text.count("\n", counted, start)
        counted = start
        lines.add(line)
    return lines


def fix_line(line: str, hits: Counter[str]) -> str:
    """Artifact fixes for one non-CJK paragraph, or several joined by "\\n".

    Spaces must already be collapsed.
    """
    if not line.isascii():
        converted = [0]
        line, marks = _FULLWIDTH.subn(lambda m: _ascii_punct(m, converted), line)
        if converted[0]:
            hits["artifacts.fullwidth_punct"] += converted[0]
        if marks:
            while "  " in line:
                line = line.replace("  ", " ")
    # Converted marks often leave the line ASCII: no other currency sign to look for then.
    if ("$" in line and "$ " in line) or (not line.isascii() and _OTHER_CURRENCY_SPACE.search(line)):
        line, n = _CURRENCY_SPACE.subn(r"\1", line)
        if n:
            hits["artifacts.currency_space"] += n
    if _SPACE_THEN_PUNCT.search(line):
        removed = [0, 0]  # split numbers, other spaces before punctuation

        def remove(match: re.Match[str]) -> str:
            removed[match.group("number") is None] += 1
            return ""

        line = _SPACE_BEFORE_PUNCT.sub(remove, line)
        if removed[0]:
            hits["artifacts.split_number"] += removed[0]
        if removed[1]:
            hits["artifacts.space_before_punct"] += removed[1]
    if ("(" in line and "( " in line) or ("[" in line and "[ " in line):
        line, n = _SPACE_AFTER_OPENING.subn(r"\1", line)
        hits["artifacts.space_before_punct"] += n
    return line.strip(" ")


def _ascii_punct(match: re.Match[str], converted: list[int]) -> str:
    # Full-width punctuation carries its own spacing; the ASCII form needs real spaces.
    mark = match.group()
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if not (before + after).isascii() and (_CJK_NEIGHBOUR.match(before) or _CJK_NEIGHBOUR.match(after)):
        return mark  # part of a CJK phrase quoted in the paragraph
    converted[0] += 1
    ascii_mark = _ASCII_FORM[mark]
    if ascii_mark in ",.:" and before.isdigit() and after.isdigit():
        return ascii_mark  # "1，000", "3。5", "10：30"
    if mark in "（【“":
        return (" " if before.isalnum() or before in ',.:;!?)]"' else "") + ascii_mark
    if (ascii_mark in _SPACE_AFTER or mark == "”") and (after.isalnum() or after in '(["“'):
        return ascii_mark + " "
    return ascii_mark


def dedupe_paragraphs(paragraphs: list[str], hits: Counter[str]) -> list[str]:
    """Keep the first of paragraphs repeated verbatim (translations sometimes emit one twice)."""
    if len(set(paragraphs)) == len(paragraphs):  # the usual case, at C speed
        return paragraphs
    seen: set[str] = set()
    kept: list[str] = []
    for p in paragraphs:
        if len(p) >= _MIN_DEDUP_CHARS:
            if p in seen:
                hits["dedup.repeated_paragraph"] += 1
                continue
            seen.add(p)
        kept.append(p)
    return kept
