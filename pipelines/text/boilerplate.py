"""Boilerplate paragraphs: page chrome and the source media's headers and trailers.

Rules are data: one JSON file per language or source in ``pipelines/rules/``, named
``<source>.json`` (e.g. a site's page chrome) or ``<language>.json`` (ISO 639-1: ``en``, ``zh``).
An article is cleaned with its source's file and the files of its languages (``rule_files``),
never with another source's rules. Each rule has
a ``name``, a ``pattern`` that must match the WHOLE paragraph, a ``scope``, an ``example`` and
optionally ``extract`` (named groups to return, e.g. ``author`` and ``platform`` of a byline)
and ``ignore_case``. A file may define ``macros``: ``{{NAME}}`` in a pattern is replaced by the
macro's text, so shared pieces (credit labels, separators) are written once.

Scopes:
- ``line``: the paragraph goes wherever it is;
- ``header``: only while fewer than ``HEADER_PARAGRAPHS`` article paragraphs have been kept;
- ``trailer``: only in the trailing run, walking back from the end and stopping at the first
  paragraph that matches no trailer rule, so nothing before a trailer is ever removed.

Counting the header in KEPT paragraphs (not raw positions) keeps removal idempotent: cleaning
the output again sees the same kept paragraphs at the same header positions.
"""

from __future__ import annotations

import json
import re
import re._constants as sre_c
import re._parser as sre_parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.text.language import base_language

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
HEADER_PARAGRAPHS = 3
SCOPES = ("line", "header", "trailer")
POSITIONS = ("header", "middle", "trailer")
# Boilerplate is short; a longer paragraph is article text and is not worth a regex pass.
_MAX_BOILERPLATE_CHARS = 2000
_GROUP_NAME = re.compile(r"\(\?P<(\w+)>")
_GROUP_REF = re.compile(r"\(\?P=\w+\)|\\[1-9]")
_MACRO = re.compile(r"\{\{(\w+)\}\}")
# Trimmed off extracted author and platform values.
_VALUE_TRIM = " \t.,;:，。；：|｜丨-—"


@dataclass(frozen=True)
class Rule:
    name: str
    scope: str
    pattern: str  # macros expanded
    example: str
    extract: tuple[str, ...] = ()
    ignore_case: bool = False
    source: str = ""  # rule file name

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)


@dataclass(frozen=True)
class Match:
    rule: Rule
    fields: dict[str, str]  # extracted values, e.g. {"author": "Jin Yu"}


class RuleSet:
    """The rules of each scope, indexed by the characters a match can start with."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._index = {scope: _ScopeIndex([r for r in rules if r.scope == scope]) for scope in SCOPES}
        # A header paragraph is tried against line rules, then header rules: one index for both.
        self._line_or_header = _ScopeIndex([r for s in ("line", "header") for r in rules if r.scope == s])

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules]

    def may_match(self, paragraph: str, scope: str) -> bool:
        """Cheap test: False when no rule of ``scope`` can match this paragraph."""
        return self._index[scope].candidates(paragraph) is not None

    def first_characters(self, scope: str) -> frozenset[str] | None:
        """Characters a match of ``scope`` can start with; None when any can."""
        return self._index[scope].first_characters

    def match(self, paragraph: str, scope: str) -> Match | None:
        """The first rule of ``scope`` matching the whole paragraph, with extracted fields."""
        return self._index[scope].match(paragraph)


_Entry = tuple[re.Pattern[str], tuple[int, ...]]  # screen, and the rules it alternates


class _ScopeIndex:
    """Rules of one scope. A paragraph is tried only against the rules that can start with its
    first character (and, if it is ASCII, that can match ASCII text), through one alternation
    of them: a single regex match both rejects article text and, for boilerplate, tells which
    rule matched and what it extracted."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = rules
        first = [_first_chars(rule) for rule in rules]
        screens: dict[tuple[int, ...], _Entry] = {}

        def screen_for(indexes: list[int]) -> _Entry:
            key = tuple(sorted(set(indexes)))  # file order is priority order
            if key not in screens:
                screens[key] = (_screen([rules[i] for i in key]), key)
            return screens[key]

        def by_first_char(indexes: list[int]) -> tuple[dict[str, _Entry], _Entry | None]:
            anywhere = [i for i in indexes if first[i] is None]  # may start with any character
            by_char: dict[str, list[int]] = {}
            for i in indexes:
                for ch in first[i] or ():
                    by_char.setdefault(ch, []).append(i)
            entries = {ch: screen_for(ix + anywhere) for ch, ix in by_char.items()}
            return entries, screen_for(anywhere) if anywhere else None

        self._all = by_first_char(list(range(len(rules))))
        # Rules that need a Chinese or Korean keyword (some start anywhere: slow to reject)
        # are left out for ASCII paragraphs.
        self._ascii = by_first_char([i for i, rule in enumerate(rules) if not _needs_non_ascii(rule)])
        self.first_characters = None if self._all[1] else frozenset(self._all[0])

    def candidates(self, paragraph: str) -> _Entry | None:
        by_char, default = self._all
        return by_char.get(paragraph[:1], default)

    def match(self, paragraph: str) -> Match | None:
        by_char, default = self._ascii if paragraph.isascii() else self._all
        entry = by_char.get(paragraph[:1], default)
        if entry is None or len(paragraph) > _MAX_BOILERPLATE_CHARS:
            return None
        screen, indexes = entry
        m = screen.fullmatch(paragraph)
        if m is None:
            return None
        k = int(str(m.lastgroup)[1:])  # the empty group "_<k>" closing alternative k
        rule = self._rules[indexes[k]]
        fields = {}
        for field in rule.extract:
            value = (m.group(f"_{k}_{field}") or "").strip(_VALUE_TRIM)
            if value:
                fields[field] = value
        return Match(rule, fields)


@dataclass(frozen=True)
class Stripped:
    paragraphs: list[str]
    author: str | None
    platform: str | None


def rule_files(
    source: str | None, langs: Iterable[str | None] = (), directory: Path = RULES_DIR
) -> tuple[str, ...]:
    """The rule files for an article: its source's, then its languages' (in the order given).

    Languages are reduced to their ISO 639-1 base ("zh-Hans" -> "zh"); names without a file are
    left out, so a source or language with no rules of its own just gets none.
    """
    names = [source, *(base_language(lang) for lang in langs)]
    wanted = dict.fromkeys(n for n in names if n and (directory / f"{n}.json").is_file())
    return tuple(wanted)


def load_rules(directory: Path = RULES_DIR, names: Sequence[str] | None = None) -> RuleSet:
    """Read the named rule files, in order (default: every ``*.json``, by name).

    Raise ValueError on a malformed rule or a name used twice.
    """
    if names is None:
        files = sorted(directory.glob("*.json"))
    else:
        files = [directory / f"{name}.json" for name in names]
    documents = [(path, json.loads(path.read_text(encoding="utf-8"))) for path in files]
    rules: list[Rule] = []
    for path, document in documents:
        macros = document.get("macros", {})
        for raw in document.get("rules", []):
            rules.append(_build_rule(raw, macros, path.name))
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate rule names: {duplicates}")
    return RuleSet(rules)


@lru_cache(maxsize=1)
def all_rules() -> RuleSet:
    """Every rule of every file, loaded once: for checking the rules and measuring them."""
    return load_rules()


@lru_cache(maxsize=64)
def selected_rules(names: tuple[str, ...]) -> RuleSet:
    """The rules of these files (see ``rule_files``), loaded once per selection."""
    return load_rules(names=names)


@lru_cache(maxsize=256)
def _rules_for(source: str | None, langs: tuple[str | None, ...]) -> RuleSet:
    # Per article: the file look-ups of rule_files are made once per (source, languages).
    return selected_rules(rule_files(source, langs))


def strip_boilerplate(
    paragraphs: list[str],
    hits: Counter[str],
    title: str | None = None,
    *,
    source: str | None = None,
    langs: Sequence[str | None] = (),
) -> Stripped:
    """Drop boilerplate paragraphs (and a repeat of the title in the header), by the rules of
    ``source`` and of ``langs`` (the page's language, and its original's for a translation).

    Author and platform come from the first removed byline that names them.
    """
    rules = _rules_for(source, tuple(langs))
    line, line_or_header, trailer = rules._index["line"], rules._line_or_header, rules._index["trailer"]
    title_key = title.casefold() if title else None
    kept: list[str] = []
    fields: dict[str, str] = {}
    i = 0
    while i < len(paragraphs) and len(kept) < HEADER_PARAGRAPHS:
        p = paragraphs[i]
        i += 1
        if title_key is not None and p.casefold() == title_key:
            hits["title.repeated"] += 1
        elif (found := line_or_header.match(p)) is not None:
            _record(found, hits, fields)
        else:
            kept.append(p)
    # Past the header only line rules apply; most paragraphs are passed over on their first
    # character. A line rule's verdict depends on the text alone, so removal goes by text.
    rest = paragraphs[i:]
    line_starts = line.first_characters
    candidates = rest if line_starts is None else [p for p in rest if p[:1] in line_starts]
    removed = [(p, found) for p in candidates if (found := line.match(p)) is not None]
    if removed:
        for _, found in removed:
            _record(found, hits, fields)
        texts = {p for p, _ in removed}
        rest = [p for p in rest if p not in texts]
    kept.extend(rest)
    while kept and (found := trailer.match(kept[-1])) is not None:
        _record(found, hits, fields)
        kept.pop()
    return Stripped(kept, fields.get("author"), fields.get("platform"))


def _record(found: Match, hits: Counter[str], fields: dict[str, str]) -> None:
    hits[found.rule.name] += 1
    for key, value in found.fields.items():
        fields.setdefault(key, value)


def classify_paragraph(text: str, position: str = "middle") -> str | None:
    """Name of the rule that would remove this cleaned paragraph at ``position``, else None.

    ``position`` is "header", "middle" or "trailer": the scopes that apply there. Used to
    measure precision and recall on a labelled set.
    """
    rules = all_rules()
    paragraph = " ".join(text.split())
    found = rules.match(paragraph, "line")
    if found is None and position in ("header", "trailer"):
        found = rules.match(paragraph, position)
    return found.rule.name if found else None


def _build_rule(raw: dict, macros: dict[str, str], source: str) -> Rule:
    name = raw.get("name")
    if not name or raw.get("scope") not in SCOPES or not raw.get("pattern"):
        raise ValueError(f"{source}: rule needs name, scope {SCOPES} and pattern: {raw}")
    if not raw.get("example"):
        raise ValueError(f"{source}: rule {name} has no example")
    pattern = _expand(raw["pattern"], macros, f"{source}:{name}")
    extract = tuple(raw.get("extract", ()))
    rule = Rule(
        name=name,
        scope=raw["scope"],
        pattern=pattern,
        example=raw["example"],
        extract=extract,
        ignore_case=bool(raw.get("ignore_case", False)),
        source=source,
    )
    try:
        compiled = rule.compiled()
    except re.error as exc:
        raise ValueError(f"{source}: rule {name}: bad pattern: {exc}") from exc
    if _GROUP_REF.search(pattern):
        raise ValueError(f"{source}: rule {name}: backreferences are not supported")
    missing = set(extract) - set(compiled.groupindex)
    if missing:
        raise ValueError(f"{source}: rule {name}: extract names unknown groups {missing}")
    return rule


def _expand(pattern: str, macros: dict[str, str], where: str) -> str:
    # Macros may use other macros; a few rounds settle any sane nesting.
    for _ in range(5):
        if "{{" not in pattern:
            return pattern
        try:
            pattern = _MACRO.sub(lambda m: macros[m.group(1)], pattern)
        except KeyError as exc:
            raise ValueError(f"{where}: unknown macro {exc}") from exc
    raise ValueError(f"{where}: macros nest too deeply")


def _screen(rules: list[Rule]) -> re.Pattern[str]:
    # The rules in priority order, so the first that matches is the one found. Each rule's
    # named groups are renamed apart, and an empty group "_<k>" closes alternative k: being the
    # last group closed, it names the rule. Markers go last, so the engine still rejects most
    # alternatives on their first character.
    parts = []
    for k, rule in enumerate(rules):
        pattern = _GROUP_NAME.sub(rf"(?P<_{k}_\1>", rule.pattern)
        flags = "(?i:" if rule.ignore_case else "(?:"
        parts.append(f"{flags}{pattern})(?P<_{k}>)")
    return re.compile("|".join(parts))


# Characters a paragraph may start with; "\s" is listed since it is small and finite.
_SPACES = frozenset(" \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)
}
_ZERO_WIDTH_OPS = (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)


def _first_chars(rule: Rule) -> frozenset[str] | None:
    """Characters a match of the rule can start with; None for "any"."""
    flags = re.IGNORECASE if rule.ignore_case else 0
    try:  # re._parser is CPython's own; should it change, the index just stops narrowing
        first, nullable = _first_of(list(sre_parse.parse(rule.pattern, flags)), rule.ignore_case)
    except Exception:
        return None
    return None if first is None or nullable else frozenset(first)


def _needs_non_ascii(rule: Rule) -> bool:
    """True when every match of the rule contains a non-ASCII literal character."""
    try:
        parsed = sre_parse.parse(rule.pattern, re.IGNORECASE if rule.ignore_case else 0)
        return _has_non_ascii_literal(list(parsed), bool(parsed.state.flags & re.IGNORECASE))
    except Exception:
        return False


def _has_non_ascii_literal(items: list, ignore_case: bool) -> bool:
    """Whether every match of a parsed regex sequence contains a non-ASCII literal. Only exact
    literals count: case-blind matching pairs some non-ASCII letters with ASCII ones (K, ſ)."""
    for op, arg in items:
        if op is sre_c.LITERAL:
            found = arg > 0x7F and not ignore_case
        elif op is sre_c.SUBPATTERN:
            found = _has_non_ascii_literal(list(arg[3]), ignore_case or bool(arg[1] & re.I))
        elif op is sre_c.BRANCH:
            found = all(_has_non_ascii_literal(list(a), ignore_case) for a in arg[1])
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            found = arg[0] > 0 and _has_non_ascii_literal(list(arg[2]), ignore_case)
        else:
            found = False
        if found:
            return True
    return False


def _first_of(items: list, ignore_case: bool) -> tuple[set[str] | None, bool]:
    """Characters that can start a match of a parsed regex sequence, and whether it can be
    empty. None means "any character" (anything this walk does not model)."""
    chars: set[str] = set()
    for op, arg in items:
        if op in _ZERO_WIDTH_OPS:
            continue
        if op is sre_c.LITERAL:
            ch = chr(arg)
            chars |= {ch, ch.lower(), ch.upper()} if ignore_case else {ch}
            return chars, False
        if op is sre_c.IN:
            first = _charset(arg, ignore_case)
            return (None if first is None else chars | first), False
        if op is sre_c.BRANCH:
            nullable = False
            for alternative in arg[1]:
                first, empty = _first_of(list(alternative), ignore_case)
                if first is None:
                    return None, False
                chars |= first
                nullable = nullable or empty
            if not nullable:
                return chars, False
        elif op is sre_c.SUBPATTERN:
            add_flags = arg[1]
            first, empty = _first_of(list(arg[3]), ignore_case or bool(add_flags & re.I))
            if first is None:
                return None, False
            chars |= first
            if not empty:
                return chars, False
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            first, empty = _first_of(list(arg[2]), ignore_case)
            if first is None:
                return None, False
            chars |= first
            if arg[0] > 0 and not empty:
                return chars, False
        else:
            return None, False
    return chars, True


def _charset(items: list, ignore_case: bool) -> set[str] | None:
    chars: set[str] = set()
    for op, arg in items:
        if op is sre_c.LITERAL:
            chars.add(chr(arg))
        elif op is sre_c.RANGE and arg[1] - arg[0] <= 12_000:  # up to all of Hangul
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre_c.CATEGORY and arg is sre_c.CATEGORY_SPACE:
            chars |= _SPACES
        else:
            return None  # negated sets, \d, \w, wide ranges: any character
    if ignore_case:
        chars |= {c.lower() for c in chars} | {c.upper() for c in chars}
    return chars
