"""Labelled pairs of texts (same story or not) for the near-duplicate evaluation.

Built deterministically from the real article bodies of the shared extraction benchmark (read
at run time, never copied into the project) and from a few formulaic crypto flash templates.

Positives imitate how one story reaches us again: re-crawled with other boilerplate, syndicated
with another byline and trailer, re-translated (about one word in ten changed), paragraphs
moved or one dropped, cut to a feed excerpt, and combinations. Negatives are different stories
that look alike: same site, most shared vocabulary, same outlet boilerplate, and short flash
items that differ only in their facts (asset, number, exchange).
"""

from __future__ import annotations

import itertools
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.text import fingerprint
from tests.shared_data import shared_file

EVAL_FILE = "eval/article-extraction-benchmark/ground-truth.json"  # under ../shared


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    duplicate: bool
    kind: str  # the transformation (positives) or the way the pair was chosen (negatives)
    source: str  # the article id(s) or flash template it came from


def _load(path: Path | None) -> dict[str, dict[str, str]]:
    data = json.loads((path or shared_file(EVAL_FILE)).read_text(encoding="utf-8"))
    return {key: data[key] for key in sorted(data)}


def load_articles(path: Path | None = None) -> dict[str, str]:
    """Article id -> body, in a stable order."""
    return {key: article["articleBody"] for key, article in _load(path).items()}


# --- boilerplate that outlets add around the same story ---------------------------------------

_FIRST = ["Anna", "David", "Li", "Min-jun", "Sofia", "Tom", "Wei", "Yuki", "Olga", "Marco"]
_LAST = ["Chen", "Park", "Smith", "Nguyen", "Rossi", "Tanaka", "Ivanova", "Garcia", "Wang"]
_OUTLETS = [
    "CoinDesk", "The Block", "PANews", "Odaily", "BlockBeats", "Cointelegraph", "Decrypt",
    "Foresight News", "ChainCatcher", "BeInCrypto", "TechFlow", "Wu Blockchain",
]  # fmt: skip
_BYLINES = [
    "By {name} | {outlet}",
    "Author: {name} Source: {outlet}, @{handle}",
    "{outlet} reporter {name}",
    "Written by {name}; compiled by {name2}",
    "Original author: {name}, {outlet}",
]
_TRAILERS = [
    "Follow us on Twitter and join our Telegram channel for the latest updates.",
    "Disclaimer: This article is for reference only and does not constitute investment advice.",
    "Risk warning: Investing in digital assets carries high risk. Please comply with local laws.",
    "This article is reproduced from {outlet}; the copyright belongs to the original author.",
    "Editor: {name} | Reviewer: {name2}",
    "Original link: https://example.com/{handle}/article",
    "Subscribe to the {outlet} newsletter to get stories like this in your inbox.",
    "© {outlet}. All rights reserved.",
    "For more news, download the {outlet} app.",
]


def _fill(template: str, rng: random.Random, outlet: str) -> str:
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    name2 = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    handle = outlet.replace(" ", "").lower()
    return template.format(name=name, name2=name2, outlet=outlet, handle=handle)


def _wrap(body: str, rng: random.Random, outlet: str | None = None) -> str:
    """The body with one outlet's byline on top and one or two trailer lines below."""
    outlet = outlet or rng.choice(_OUTLETS)
    head = _fill(rng.choice(_BYLINES), rng, outlet)
    tails = [_fill(t, rng, outlet) for t in rng.sample(_TRAILERS, rng.randint(1, 2))]
    return "\n\n".join([head, body, *tails])


# --- edits a re-translation makes -------------------------------------------------------------

_SYNONYM_GROUPS = [
    "said stated noted", "big large major", "buy purchase acquire", "also additionally",
    "but however", "show reveal indicate", "shows reveals indicates", "help assist support",
    "start begin launch", "started began launched", "new novel fresh", "important key crucial",
    "many numerous several", "people individuals persons", "about approximately around",
    "use utilize employ", "used utilized employed", "make create produce", "get obtain receive",
    "very highly extremely", "fast quick rapid", "small little minor", "job work task",
    "company firm business", "companies firms businesses", "market marketplace",
    "increase rise growth", "decrease decline drop", "because since", "often frequently",
    "think believe consider", "expected anticipated projected", "plan intend aim",
    "problem issue", "problems issues", "way method manner", "need require", "needs requires",
    "so therefore thus", "still yet", "just only merely", "really truly",
    "whole entire", "enough sufficient", "main primary",
    "find discover", "found discovered", "told informed", "says states", "want wish desire",
    "good great fine", "bad poor", "hard difficult", "easy simple", "quickly rapidly",
    "end finish conclude", "give provide offer", "gave provided offered",
    "almost nearly", "maybe perhaps possibly", "house home", "world globe", "area region",
]  # fmt: skip
_SYNONYMS = {
    word: [other for other in group.split() if other != word]
    for group in _SYNONYM_GROUPS
    for word in group.split()
}
_AFFIXES = re.compile(r"(\W*)(.*?)(\W*)", re.DOTALL)
_FILLERS = ["also", "now", "reportedly", "currently", "indeed", "then", "further"]
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


_SCALE_WORDS = {"thousand", "million", "billion", "trillion", "percent"}


def _is_fact(word: str) -> bool:
    # Translations keep numbers, amounts and names: the edits leave them alone.
    core = word.strip(".,;:!?\"'()“”‘’")
    return any(c.isdigit() for c in core) or core[:1].isupper() or core.lower() in _SCALE_WORDS


def _edit_word(words: list[str], i: int, rng: random.Random) -> None:
    word = words[i]
    match = _AFFIXES.fullmatch(word)
    assert match is not None  # every part of the pattern may be empty
    lead, core, tail = match.groups()
    if core.lower() in _SYNONYMS and rng.random() < 0.8:
        words[i] = lead + rng.choice(_SYNONYMS[core.lower()]) + tail
        return
    choice = rng.randrange(4)
    if choice == 0:  # a word left out
        words[i] = ""
    elif choice == 1:  # a filler word put in
        words[i] = f"{rng.choice(_FILLERS)} {word}"
    elif choice == 2 and i + 1 < len(words) and not _is_fact(words[i + 1]):  # word order
        words[i], words[i + 1] = words[i + 1], words[i]
    else:  # another inflection
        words[i] = lead + (core[:-1] if core.endswith("s") else core + "s") + tail


def reword(text: str, rate: float, rng: random.Random) -> str:
    """About ``rate`` of the words (characters in CJK text) changed the way a translator would."""
    out = []
    for para in text.split("\n\n"):
        if len(_CJK_CHAR.findall(para)) > len(para) / 3:
            chars = list(para)
            for i, char in enumerate(chars):
                if _CJK_CHAR.match(char) and rng.random() < rate:
                    chars[i] = rng.choice(["", char + char, rng.choice(chars)])
            out.append("".join(chars))
            continue
        words = para.split(" ")
        for i in range(len(words)):
            if words[i] and not _is_fact(words[i]) and rng.random() < rate:
                _edit_word(words, i, rng)
        out.append(" ".join(w for w in words if w))
    return "\n\n".join(out)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def truncate(text: str, share: float) -> str:
    """The first ``share`` of the text's characters, cut at a space, like a feed excerpt."""
    end = int(len(text) * share)
    cut = text.rfind(" ", 0, end)
    # Text without spaces (Japanese) is cut anywhere.
    return text[: cut if cut > 0.9 * end else end].rstrip() + "…"


def _reformat(text: str, rng: random.Random) -> str:
    # Cosmetic differences only: case, spacing, quotes and dashes.
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    text = text.replace(" - ", " — ").replace(", ", " , ")
    return "\n\n\n".join(p.upper() if rng.random() < 0.2 else p for p in _paragraphs(text))


# --- positive pairs from one article ------------------------------------------------------------


def _positives(key: str, body: str, rng: random.Random) -> list[Pair]:
    paras = _paragraphs(body)
    pairs = []

    def add(kind: str, a: str, b: str) -> None:
        pairs.append(Pair(a, b, True, kind, key))

    add("reformatted", body, _reformat(body, rng))
    add("boilerplate_added", body, _wrap(body, rng))
    outlet_a, outlet_b = rng.sample(_OUTLETS, 2)
    add("boilerplate_swapped", _wrap(body, rng, outlet_a), _wrap(body, rng, outlet_b))
    add("reworded", body, reword(body, 0.1, rng))
    add("truncated", body, truncate(body, rng.uniform(0.7, 0.8)))
    add(
        "reworded_syndicated",
        _wrap(body, rng, outlet_a),
        _wrap(reword(body, 0.1, rng), rng, outlet_b),
    )
    add("excerpt_with_byline", body, _wrap(truncate(body, rng.uniform(0.8, 0.9)), rng))
    if len(paras) >= 3:
        shuffled = paras[:]
        while shuffled == paras:
            rng.shuffle(shuffled)
        add("reordered", body, "\n\n".join(shuffled))
    if len(paras) >= 5:
        # One paragraph of many, and a short one: at most 15% of the story.
        small = [i for i, p in enumerate(paras) if len(p) <= 0.15 * len(body)]
        if small:
            drop = rng.choice(small)
            add("paragraph_dropped", body, "\n\n".join(p for i, p in enumerate(paras) if i != drop))
            moved = [p for i, p in enumerate(paras) if i != drop]
            moved.insert(0, moved.pop(rng.randrange(len(moved))))
            combo = _wrap(reword("\n\n".join(moved), 0.05, rng), rng)
            add("combined", _wrap(body, rng), combo)
    return pairs


# --- negative pairs between different articles ---------------------------------------------------


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _negatives(bodies: dict[str, str], sites: dict[str, str], rng: random.Random) -> list[Pair]:
    keys = list(bodies)
    pairs: list[Pair] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, x: str, y: str, a: str | None = None, b: str | None = None) -> None:
        # Each pair of articles once, whichever way it was chosen.
        if x == y or (min(x, y), max(x, y)) in seen:
            return
        seen.add((min(x, y), max(x, y)))
        pairs.append(Pair(a or bodies[x], b or bodies[y], False, kind, f"{x[:12]}+{y[:12]}"))

    by_site: dict[str, list[str]] = {}
    for key in keys:
        by_site.setdefault(sites[key], []).append(key)
    for group in by_site.values():
        for x, y in itertools.combinations(group, 2):
            add("same_site", x, y)

    vocab = {key: _words(bodies[key]) for key in keys}
    for x in keys:
        nearest = max(
            (y for y in keys if y != x),
            key=lambda y: len(vocab[x] & vocab[y]) / len(vocab[x] | vocab[y]),
        )
        add("nearest_vocabulary", x, nearest)

    for _ in range(len(keys)):
        add("random", *rng.sample(keys, 2))

    # Two stories from one outlet, both with its byline and trailer; short ones are the hard case.
    short = sorted(keys, key=lambda k: len(bodies[k]))[: len(keys) // 2]
    for _ in range(len(keys) // 2):
        x, y = rng.sample(short, 2)
        outlet = rng.choice(_OUTLETS)
        wrap_seed = rng.random()
        add(
            "shared_boilerplate", x, y,
            _wrap(bodies[x], random.Random(wrap_seed), outlet),
            _wrap(bodies[y], random.Random(wrap_seed), outlet),
        )  # fmt: skip
    return pairs


# --- short items: same wording, other facts -----------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A name mid-sentence: one or more capitalized words after a lower-case word or a comma.
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+(?: [A-Z][a-z]+)*")
_OTHER_NAMES = ["Kraken", "Tesla", "Samsung", "Toronto", "Madrid", "Nvidia", "Oracle", "Boeing"]


def _other_number(match: re.Match[str], rng: random.Random) -> str:
    value = int(re.sub(r"\D", "", match.group())[:6] or "0")
    return str(value + rng.randint(1, max(9, value // 2)))


def _lead(body: str) -> str | None:
    """The first paragraph when it is as short as a flash item."""
    paras = _paragraphs(body)
    return paras[0] if paras and len(paras[0]) >= 80 and len(paras[0].split()) <= 50 else None


def _lead_pairs(bodies: dict[str, str], rng: random.Random) -> list[Pair]:
    """A real short lead against itself re-translated (same story) or with other facts.

    Other facts: every number and one name replaced, the way a template reports another event.
    """
    pairs = []
    for key, body in bodies.items():
        lead = _lead(body)
        if lead is None:
            continue
        pairs.append(Pair(lead, reword(lead, 0.1, rng), True, "lead_reworded", key))
        changed = _NUMBER.sub(lambda m: _other_number(m, rng), lead)
        names = _NAME.findall(lead)
        if names:
            changed = changed.replace(rng.choice(names), rng.choice(_OTHER_NAMES))
        if changed != lead:
            pairs.append(Pair(lead, changed, False, "lead_other_facts", key))
    return pairs


_FLASH_TEMPLATES = [
    "Whale Alert: {n} {asset} (about ${usd} million) was transferred from an unknown wallet to "
    "{exchange} at {hh}:{mm} UTC.",
    "{exchange} will list {asset} for spot trading at {hh}:00 UTC on {month} {day}; deposits are "
    "now open and withdrawals will open the next day.",
    "{asset} broke through ${price} and is now trading at ${price2}, a 24-hour increase of "
    "{pct}%, according to {exchange} market data.",
    "According to Lookonchain monitoring, an address that bought {asset} early sold {n} {asset} "
    "for {usd} million USDT {hh} hours ago and still holds {n2} {asset}.",
    "{company} announced that it has completed a ${usd} million Series {series} financing round "
    "led by {fund}, with participation from {fund2}; the funds will be used to expand the team.",
    "{exchange} will suspend {asset} deposits and withdrawals on the {chain} network for a "
    "scheduled upgrade starting at {hh}:00 UTC on {month} {day}.",
    "Data shows that {fund} spot {asset} ETF saw net inflows of ${usd} million yesterday, "
    "bringing its total holdings to {n} {asset}.",
    "{company} released {model}, a model with {n} billion parameters that scores {pct}% on the "
    "MMLU benchmark, and said it will open the weights next month.",
    "In the past 24 hours, liquidations across the crypto market reached ${usd} million, with "
    "{asset} long positions accounting for {pct}% of the total, according to Coinglass data.",
    "The {chain} Foundation announced that the network upgrade will activate at block height "
    "{n}, expected on {month} {day}, and asked node operators to update their clients.",
]
_FLASH_VALUES = {
    "asset": ["BTC", "ETH", "SOL", "XRP", "DOGE", "TON", "PEPE", "ARB", "SUI", "AVAX"],
    "exchange": ["Binance", "Coinbase", "OKX", "Bybit", "Kraken", "Bitget", "Upbit"],
    "company": ["OpenAI", "Anthropic", "Mistral", "Moonshot", "Zhipu", "MiniMax", "Ramp"],
    "fund": ["Paradigm", "Sequoia", "Polychain", "BlackRock", "Fidelity", "Andreessen Horowitz"],
    "fund2": ["Coinbase Ventures", "Jump Crypto", "Pantera", "Dragonfly", "Hashed"],
    "chain": ["Ethereum", "Solana", "Arbitrum", "Polygon", "Avalanche", "Aptos"],
    "model": ["Nova", "Falcon", "Orion", "Atlas", "Zephyr", "Comet"],
    "month": ["January", "March", "May", "July", "September", "November"],
    "series": ["A", "B", "C"],
}


def _flash_facts(rng: random.Random) -> dict[str, str]:
    values = {name: rng.choice(options) for name, options in _FLASH_VALUES.items()}
    values.update(
        n=f"{rng.randint(100, 90000):,}", n2=f"{rng.randint(100, 9000):,}",
        usd=f"{rng.randint(1, 400)}.{rng.randint(1, 9)}", price=f"{rng.randint(1, 99) * 1000:,}",
        price2=f"{rng.randint(1000, 99000):,}", pct=f"{rng.randint(1, 60)}.{rng.randint(1, 9)}",
        hh=f"{rng.randint(0, 23):02d}", mm=f"{rng.randint(0, 59):02d}",
        day=str(rng.randint(1, 28)),
    )  # fmt: skip
    return values


def _flash_pairs(rng: random.Random, per_template: int = 15) -> list[Pair]:
    """Formulaic flash items: other facts are another event, a re-translation is the same one."""
    pairs = []
    for number, template in enumerate(_FLASH_TEMPLATES):
        source = f"flash-{number}"
        for _ in range(per_template):
            values = _flash_facts(rng)
            item = template.format(**values)
            other = dict(values)
            # Change one to all of the facts this template shows.
            shown = sorted(set(re.findall(r"{(\w+)}", template)))
            for name in rng.sample(shown, rng.randint(1, len(shown))):
                while other[name] == values[name]:
                    other[name] = _flash_facts(rng)[name]
            pairs.append(Pair(item, template.format(**other), False, "flash_other_facts", source))
            retold = reword(item, 0.1, rng)
            if rng.random() < 0.3:
                retold = f"{rng.choice(['BREAKING', 'JUST IN', 'Flash'])}: {retold}"
            pairs.append(Pair(item, retold, True, "flash_retold", source))
    return pairs


def build_pairs(seed: int = 0, path: Path | None = None) -> list[Pair]:
    """The evaluation set: the same ``seed`` always gives the same pairs."""
    articles = _load(path)
    bodies = {key: article["articleBody"] for key, article in articles.items()}
    sites = {key: urlsplit(article["url"]).hostname or "" for key, article in articles.items()}
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for key, body in bodies.items():
        pairs.extend(_positives(key, body, rng))
    pairs.extend(_negatives(bodies, sites, rng))
    pairs.extend(_lead_pairs(bodies, rng))
    pairs.extend(_flash_pairs(rng))
    return pairs


# --- scoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    signature: fingerprint.Signature
    facts: frozenset[str]


@dataclass
class Scores:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0
    # kind -> [pairs, pairs judged duplicates]
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        judged = self.true_positives + self.false_positives
        return self.true_positives / judged if judged else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0


def fingerprint_pairs(pairs: list[Pair]) -> dict[str, Fingerprint]:
    """Signature and facts of every distinct text in the pairs."""
    prints: dict[str, Fingerprint] = {}
    for pair in pairs:
        for text in (pair.a, pair.b):
            if text not in prints:
                prints[text] = Fingerprint(fingerprint.signature(text), fingerprint.facts(text))
    return prints


def judge(pair: Pair, prints: dict[str, Fingerprint], threshold: float) -> bool:
    a, b = prints[pair.a], prints[pair.b]
    return fingerprint.is_duplicate(a.signature, a.facts, b.signature, b.facts, threshold)


def score(pairs: list[Pair], prints: dict[str, Fingerprint], threshold: float) -> Scores:
    """Confusion counts of ``is_duplicate`` at ``threshold`` over the labelled pairs."""
    scores = Scores()
    for pair in pairs:
        judged = judge(pair, prints, threshold)
        if pair.duplicate:
            scores.true_positives += judged
            scores.false_negatives += not judged
        else:
            scores.false_positives += judged
            scores.true_negatives += not judged
        counts = scores.by_kind.setdefault(pair.kind, [0, 0])
        counts[0] += 1
        counts[1] += judged
    return scores
