"""Fingerprints of cleaned article bodies for exact and near-duplicate detection.

Pure functions, strings in and values out; the database layer stores what they return:

- ``content_hash``: exact copies (after folding case, whitespace and punctuation);
- ``signature``: a MinHash of word shingles, whose agreement estimates the Jaccard similarity;
- ``band_keys``: LSH keys, one per band, to find candidates with an index lookup;
- ``facts``: numbers, tickers and names that tell formulaic flash items apart;
- ``is_duplicate``: the final decision on one candidate pair.

For each article store ``content_hash`` (exact copies: equal hash), ``sig_to_bytes(signature)``,
``facts`` and one row per ``band_keys`` value in an indexed table. A new article's candidates
are the stored articles sharing at least one band key; it duplicates a candidate when
``is_duplicate`` holds for their signatures and facts.

The constants below are part of what is stored: changing the normalization, the shingling, the
hash functions, ``NUM_PERM``/``BANDS``/``ROWS`` or the fact slots makes stored hashes, signatures,
band keys or facts incomparable with new ones, so bump ``SIGNATURE_VERSION`` and recompute them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import numpy.typing as npt

Signature = npt.NDArray[np.uint32]

SIGNATURE_VERSION = 1

# Words per shingle (characters in Chinese and Japanese). Word pairs: a re-translation that
# changes one word in ten still keeps about 0.9**2 = 81% of them (Jaccard about 0.7, 0.6 with
# three-word shingles), while different articles, even of one site and topic, share at most
# a quarter (measured on the evaluation set: 0.28 at most).
SHINGLE_WORDS = 2

# The similarity estimate has a standard error of sqrt(s * (1 - s) / NUM_PERM): 0.046 at 0.5.
NUM_PERM = 120
# The LSH S-curve: two texts of similarity s share at least one band with probability
# 1 - (1 - s**ROWS)**BANDS. With 40 bands of 3 rows: 0.9999 at 0.6, 0.995 at 0.5 (the
# threshold), 0.98 at 0.45, 0.27 at 0.2, 0.04 at 0.1 and 0.005 at 0.05 (unrelated articles):
# texts above the threshold are candidates almost surely, while a lookup fetches only a few
# related articles to confirm. 32 bands of 4 rows (for 128 permutations) would find only 87%
# of the pairs at 0.5. See lsh_candidate_probability.
BANDS = 40
ROWS = 3

# Estimated Jaccard similarity from which two texts are the same story. On the evaluation set
# (tests/bench/bench_dedupe_quality.py) recall is 0.99 at 0.5 and 0.996 at 0.4 with the same
# precision; 0.5 keeps a wide margin above different stories (at most 0.28).
DEFAULT_THRESHOLD = 0.5

# Swaps of facts (see facts_contradict) tolerated per shared fact: one per twenty. A flash item
# shares fewer than twenty, so any other number, asset or name makes it another event.
FACT_TOLERANCE = 0.05

_EMPTY = np.uint32(0xFFFFFFFF)

# Scripts written without spaces between words: every character is a token of its own.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_NOT_WORD = re.compile(r"[\W_]+")
# "1,200" and "1200" are the same number: drop thousands separators before tokenizing.
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f](?=\d{3}(?!\d))")


def _permutation_constants() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    # Derived from fixed strings with blake2b, not from a random generator, so they cannot change
    # with a library upgrade; odd multipliers make every permutation a bijection.
    def word(label: str) -> int:
        return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")

    mult = np.array([word(f"minhash-a-{i}") | 1 for i in range(NUM_PERM)], dtype=np.uint64)
    add = np.array([word(f"minhash-b-{i}") for i in range(NUM_PERM)], dtype=np.uint64)
    return mult, add


_MULT, _ADD = _permutation_constants()


def normalize_for_hash(text: str) -> str:
    """NFKC, case folded, every run of punctuation, symbols and whitespace made one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def content_hash(text: str) -> bytes:
    """16-byte BLAKE2b digest of ``normalize_for_hash(text)``: equal for exact copies."""
    return hashlib.blake2b(normalize_for_hash(text).encode(), digest_size=16).digest()


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _TOKEN.findall(_THOUSANDS.sub("", folded))


def shingles(text: str) -> set[str]:
    """Word ``SHINGLE_WORDS``-grams (character n-grams in Chinese and Japanese text).

    A text shorter than one shingle is one shingle of all its words; an empty text has none.
    """
    tokens = _tokens(text)
    if not tokens:
        return set()
    if len(tokens) <= SHINGLE_WORDS:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + SHINGLE_WORDS]) for i in range(len(tokens) - SHINGLE_WORDS + 1)}


def _hash64(items: Iterable[str]) -> npt.NDArray[np.uint64]:
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in items)
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def signature(text: str) -> Signature:
    """MinHash signature of the shingles: ``NUM_PERM`` uint32 values.

    Permutation i maps a shingle's 64-bit BLAKE2b hash x to (a_i * x + b_i) mod 2**64 and keeps
    the high 32 bits of the minimum: the high bits of a multiply-add are the well-mixed ones,
    and one vectorized product per chunk is faster than datasketch's per-shingle updates. An
    empty text gets the all-0xFFFFFFFF signature, which is never a duplicate of anything.
    """
    values = _hash64(shingles(text))
    result = np.full(NUM_PERM, np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    # In chunks, so a very long text does not build one huge NUM_PERM x n matrix.
    for start in range(0, values.size, 2048):
        chunk = values[start : start + 2048]
        mixed = chunk[None, :] * _MULT[:, None] + _ADD[:, None]  # wraps modulo 2**64
        np.minimum(result, mixed.min(axis=1), out=result)
    return (result >> np.uint64(32)).astype(np.uint32)


def _is_empty(sig: Signature) -> bool:
    return bool(np.all(sig == _EMPTY))


def band_keys(sig: Signature) -> list[int]:
    """One signed 64-bit key per band (fits PostgreSQL bigint); none for an empty text.

    The band index is hashed in, so equal rows in two different bands give different keys and
    one index column holds all bands.
    """
    sig = np.asarray(sig, dtype="<u4")
    if _is_empty(sig):
        return []
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(band.to_bytes(2, "little") + rows, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def lsh_candidate_probability(similarity: float) -> float:
    """Probability that two texts of this Jaccard similarity share at least one band key."""
    return 1.0 - (1.0 - similarity**ROWS) ** BANDS


def similarity(sig_a: Signature, sig_b: Signature) -> float:
    """Estimated Jaccard similarity: the share of permutations whose minima agree.

    Two empty texts agree everywhere (1.0); ``is_duplicate`` rejects them.
    """
    return float(np.count_nonzero(np.asarray(sig_a) == np.asarray(sig_b))) / NUM_PERM


def sig_to_bytes(sig: Signature) -> bytes:
    """``NUM_PERM`` little-endian uint32 values (480 bytes) for a bytea column; never pickle."""
    return np.asarray(sig, dtype="<u4").tobytes()


def sig_from_bytes(data: bytes) -> Signature:
    """The inverse of ``sig_to_bytes``."""
    if len(data) != NUM_PERM * 4:
        raise ValueError(f"a signature is {NUM_PERM * 4} bytes, got {len(data)}")
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


# --- facts -----------------------------------------------------------------------------------

_SCALES = {
    "k": 10**3, "thousand": 10**3, "m": 10**6, "mn": 10**6, "million": 10**6,
    "b": 10**9, "bn": 10**9, "billion": 10**9, "t": 10**12, "trillion": 10**12,
}  # fmt: skip
# One scan finds numbers and words. A number has an optional currency sign, scale and percent
# ("$1.2M", "1,200", "5.5 percent"); a word starts with a letter ("H200" is a word) and may be
# a cashtag ("$PEPE"); a Chinese or Japanese character is a word of its own.
_FACT_SCAN = re.compile(
    r"(?<![\w.,])(?P<cur>[$€£¥]\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?!\d)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|(?<=\d)[kmbt](?!\w)))?"
    r"(?P<pct>\s?%|\s(?:percent|per cent|pct)\b)?"
    rf"|(?P<cash>\$)?(?P<word>[{_CJK}]|[^\W\d_{_CJK}][^\W_{_CJK}]*)",
    re.IGNORECASE,
)
_SENTENCE_END = ".!?:;…。！？"
# Words on each side of a run of facts that make its slot: "transfers # # to Binance" is the
# same slot in two flash items written from one template, whatever the amount and asset.
_SLOT_WORDS = 2
# A line with fewer lower-case words is a byline, a credit or a heading, not a sentence.
_SENTENCE_WORDS = 5

# Words that label a flash item rather than tell what happened, in any case.
_LABELS = frozenset("breaking flash update updated urgent exclusive live just alert".split())
# All-caps words that are no symbols.
_NOT_SYMBOLS = frozenset("NEW NEWS IN THE AND OF TO FOR ON AT BY WITH FROM IS AM PM".split())
# Common words that are capitalized only because they start a sentence.
_NOT_NAMES = frozenset(
    """a about above according across after afterwards again against all also although among
    an and another any as at because before being below besides between both but by can
    currently despite do does during each earlier either even every finally first following
    for from furthermore given he her here hers his how however i if in including instead it
    its last later like many meanwhile moreover most mr mrs ms dr much my nevertheless next no
    nor not notably now of on once one only or other our over overall per previously recently
    regarding since so some still such than that the their then there therefore these they
    this those though through thus to today together tomorrow under unlike until up upon us
    we what whatever when where whereas whether which while who whom whose why with within
    without yet yesterday you your""".split()
)


def _number_fact(match: re.Match[str]) -> str:
    value = Decimal(match["num"].replace(",", ""))
    scale = match["scale"]
    # A bare "5m" may be five metres: single-letter scales count only after a currency sign.
    if scale and (len(scale) > 1 or match["cur"]):
        value *= _SCALES[scale.lower()]
    text = format(value.normalize(), "f")
    return f"num:{text}%" if match["pct"] else f"num:{text}"


def _starts_sentence(line: str, start: int) -> bool:
    before = line[max(0, start - 8) : start].rstrip(" \t\"'“‘«([-—–")
    return not before or before[-1] in _SENTENCE_END


def _word_fact(match: re.Match[str], line: str) -> str | None:
    word = match["word"]
    if word.casefold() in _LABELS:
        return None
    if match["cash"] or (len(word) > 1 and word.isupper()):
        return None if word in _NOT_SYMBOLS else f"sym:{word.upper()}"
    if not word[0].isupper():
        return None
    if len(word) == 1:
        # "Series A", "Plan B"; but the pronoun I and a sentence's first "A" are no facts.
        return None if word == "I" or _starts_sentence(line, match.start()) else f"sym:{word}"
    folded = word.casefold()
    if folded in _NOT_NAMES and _starts_sentence(line, match.start()):
        return None
    return f"name:{folded}"


def _is_shouting(line: str) -> bool:
    return line.upper() == line != line.lower() and len(line.split()) >= 6


def _line_facts(line: str) -> tuple[set[str], bool]:
    """The line's facts with their slots, and whether the line is a sentence."""
    found: list[str | None] = []  # per token: its fact, or None for a plain word
    words: list[str] = []  # per token: the casefolded word, "#" for a fact
    # Facts with only spaces between ("1,200 ETH", "Andreessen Horowitz") form one run.
    runs: list[list[int]] = []
    lower_words = 0
    previous_end = 0
    for match in _FACT_SCAN.finditer(line):
        fact = _number_fact(match) if match["num"] else _word_fact(match, line)
        if fact and found and found[-1] and line[previous_end : match.start()].isspace():
            runs[-1].append(len(found))
        elif fact:
            runs.append([len(found)])
        if match["word"] and not match["word"][0].isupper():
            lower_words += 1
        found.append(fact)
        words.append("#" if fact else match.group().casefold())
        previous_end = match.end()

    padded = ["^"] * _SLOT_WORDS + words + ["^"] * _SLOT_WORDS
    result = set()
    for run in runs:
        first, last = run[0] + _SLOT_WORDS, run[-1] + _SLOT_WORDS
        context = padded[first - _SLOT_WORDS : first] + padded[last + 1 : last + 1 + _SLOT_WORDS]
        # A slot framed only by other facts and line ends says nothing about a template.
        if all(word in ("^", "#") for word in context):
            continue
        for position, index in enumerate(run):
            slot = hashlib.blake2b(f"{' '.join(context)}|{position}".encode(), digest_size=4)
            result.add(f"{found[index]}@{slot.hexdigest()}")
    return result, lower_words >= _SENTENCE_WORDS


def facts(text: str) -> frozenset[str]:
    """The facts that tell one event from another, each with its slot: ``kind:value@slot``.

    Kinds: ``num`` (normalized: "1,200" == "1200", "$1.2 million" == "1200000", "5 percent" ==
    "5%"; currency signs dropped, translations move them), ``sym`` (all-caps words and
    cashtags: BTC, ETH, SEC, $PEPE) and ``name`` (capitalized words, casefolded, except common
    words that only start a sentence). The slot is a short hash of the ``_SLOT_WORDS`` words
    before and after the run of facts within one line, and the position in the run: texts
    written from one template have the same slots, however their facts differ.
    """
    lines = [line for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip()]
    # An all-caps line is emphasis, not a row of tickers.
    scanned = [_line_facts(line.lower() if _is_shouting(line) else line) for line in lines]
    # Lines of names around a body are bylines, credits and datelines, which differ between
    # outlets that carry one story: take the facts of the sentences, unless there are none.
    sentences = [found for found, is_sentence in scanned if is_sentence]
    return frozenset().union(*(sentences or [found for found, _ in scanned]))


def fact_values(fact_set: Iterable[str]) -> frozenset[str]:
    """The facts without their slots: ``{"num:1200", "sym:ETH", "name:binance"}``."""
    return frozenset(fact.rsplit("@", 1)[0] for fact in fact_set)


def _by_slot(fact_set: Iterable[str]) -> dict[str, set[str]]:
    slots: dict[str, set[str]] = {}
    for fact in fact_set:
        value, _, slot = fact.rpartition("@")
        # "name:apple" in one text is "sym:APPLE" in another that writes it in capitals.
        slots.setdefault(slot, set()).add(value.split(":", 1)[-1].casefold())
    return slots


def facts_contradict(facts_a: Iterable[str], facts_b: Iterable[str]) -> bool:
    """True when the texts put other facts in the same places: another event, one template.

    A slot both texts have is shared when their facts there agree and a swap when they do not
    ("transfers 1,200 ETH to Binance" / "transfers 5,000 SOL to Coinbase": three swaps). Facts
    in slots only one text has (another byline, a trailer, a cut tail, reworded surroundings)
    count for nothing. Swaps are tolerated up to ``FACT_TOLERANCE`` of the shared slots, so a
    long syndicated copy may differ in a date line, a flash item in no number at all.
    """
    slots_a, slots_b = _by_slot(facts_a), _by_slot(facts_b)
    shared = swaps = 0
    for slot in slots_a.keys() & slots_b.keys():
        if slots_a[slot] & slots_b[slot]:
            shared += 1
        else:
            swaps += 1
    return swaps > FACT_TOLERANCE * shared


def is_duplicate(
    sig_a: Signature,
    facts_a: frozenset[str],
    sig_b: Signature,
    facts_b: frozenset[str],
    threshold: float = DEFAULT_THRESHOLD,
) -> bool:
    """Same story: estimated similarity at least ``threshold`` and facts that do not contradict."""
    if _is_empty(np.asarray(sig_a)) or _is_empty(np.asarray(sig_b)):
        return False
    if similarity(sig_a, sig_b) < threshold:
        return False
    return not facts_contradict(facts_a, facts_b)
