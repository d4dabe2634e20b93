"""Unit tests of the near-duplicate fingerprints (pipelines/text/fingerprint.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.text import fingerprint as fp

# A made-up syndicated story: body paragraphs, and what two outlets put around them.
BODY = "\n\n".join(
    [
        "Bitcoin rose above $68,000 on Tuesday as spot ETF inflows returned for a third day, "
        "with traders pointing to a softer dollar and easing bond yields.",
        "Data from Farside Investors shows the funds took in $418 million on Monday, led by "
        "BlackRock's IBIT, while Grayscale's GBTC saw modest outflows for the week.",
        "Analysts at K33 Research said the rally looked healthier than the one in March because "
        "leverage in perpetual futures markets stayed well below its peak levels.",
        "Ether lagged behind, gaining 1.2% to $3,540, as activity on the main network stayed "
        "subdued and fees fell to their lowest level since the start of the year.",
        "Some market makers warned that thin weekend liquidity could still bring sharp moves, "
        "and options traders kept buying protection against a drop below $60,000.",
        "The next test for the market is Thursday's inflation report, which could shift "
        "expectations for the first interest rate cut of the year.",
    ]
)
COPY_A = f"By Anna Chen | CoinDesk\n\n{BODY}\n\nFollow us on Twitter for the latest news."
COPY_B = (
    f"Author: Wei Park Source: PANews, @panews\n\n{BODY}\n\n"
    "Disclaimer: This article does not constitute investment advice."
)


def _fingerprints(text: str) -> tuple[fp.Signature, frozenset[str]]:
    return fp.signature(text), fp.facts(text)


def _duplicate(a: str, b: str) -> bool:
    return fp.is_duplicate(*_fingerprints(a), *_fingerprints(b), fp.DEFAULT_THRESHOLD)


# --- parameters --------------------------------------------------------------------------------


def test_bands_cover_the_signature_and_find_pairs_at_the_threshold() -> None:
    assert fp.BANDS * fp.ROWS == fp.NUM_PERM
    assert fp.lsh_candidate_probability(fp.DEFAULT_THRESHOLD) >= 0.99
    assert fp.lsh_candidate_probability(0.05) < 0.01  # unrelated articles are rarely fetched
    assert 0.3 <= fp.DEFAULT_THRESHOLD <= 0.8


# --- normalize_for_hash and content_hash ----------------------------------------------------------


def test_normalize_folds_case_space_punctuation_and_width() -> None:
    assert fp.normalize_for_hash("  Hello,   WORLD!!\n\n— It's  ＢＴＣ… ") == "hello world it s btc"
    assert fp.normalize_for_hash("Straße") == "strasse"


def test_normalize_keeps_cjk_and_other_scripts() -> None:
    assert fp.normalize_for_hash("比特币价格突破十万美元。") == "比特币价格突破十万美元"
    assert fp.normalize_for_hash("Биткоин, 가격!") == "биткоин 가격"


def test_content_hash_is_equal_for_copies_that_differ_in_formatting() -> None:
    reformatted = BODY.upper().replace("\n\n", "\n \n").replace(", ", " , ")
    assert fp.content_hash(BODY) == fp.content_hash(reformatted)
    assert len(fp.content_hash(BODY)) == 16


def test_content_hash_differs_for_other_words() -> None:
    assert fp.content_hash(BODY) != fp.content_hash(BODY.replace("Tuesday", "Monday"))
    assert fp.content_hash("a b") != fp.content_hash("ab")


# --- shingles -------------------------------------------------------------------------------------


def test_shingles_are_word_pairs_with_numbers_normalized() -> None:
    assert fp.shingles("Whale moves 1,200 ETH.") == {"whale moves", "moves 1200", "1200 eth"}
    assert fp.shingles("1200 eth") <= fp.shingles("Whale moves 1200 ETH")


def test_shingles_of_cjk_text_are_character_ngrams() -> None:
    assert fp.shingles("比特币上涨") == {"比 特", "特 币", "币 上", "上 涨"}
    # Latin words inside Japanese text stay words.
    assert "iphone の" in fp.shingles("iPhoneの脱獄")


def test_shingles_of_short_and_empty_text() -> None:
    assert fp.shingles("Breaking") == {"breaking"}
    assert fp.shingles(" ...\n ") == set()


# --- signature ------------------------------------------------------------------------------------


def test_signature_shape_and_determinism() -> None:
    sig = fp.signature(BODY)
    assert sig.dtype == np.uint32 and sig.shape == (fp.NUM_PERM,)
    assert np.array_equal(sig, fp.signature(BODY))


def test_signature_is_the_same_in_another_process() -> None:
    # Another interpreter with another hash seed: nothing may depend on Python's hash().
    code = (
        "import sys; from pipelines.text import fingerprint as fp; "
        "sys.stdout.write(fp.sig_to_bytes(fp.signature(sys.stdin.read())).hex())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=BODY,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        cwd=Path(fp.__file__).resolve().parents[2],
    )
    assert result.stdout == fp.sig_to_bytes(fp.signature(BODY)).hex()


def test_signature_estimates_jaccard() -> None:
    # Word sets of known overlap: 300 shared of 500 distinct pairs -> Jaccard 0.6.
    words = [f"w{i}" for i in range(1000)]
    a = " ".join(words[:400])
    b = " ".join(words[100:500])
    truth = len(fp.shingles(a) & fp.shingles(b)) / len(fp.shingles(a) | fp.shingles(b))
    estimate = fp.similarity(fp.signature(a), fp.signature(b))
    assert abs(estimate - truth) < 4 * (truth * (1 - truth) / fp.NUM_PERM) ** 0.5


def test_empty_text_has_the_empty_signature_and_no_band_keys() -> None:
    sig = fp.signature("")
    assert np.all(sig == 0xFFFFFFFF)
    assert fp.band_keys(sig) == []
    assert not fp.is_duplicate(sig, frozenset(), fp.signature(""), frozenset(), 0.5)


def test_long_text_is_signed_in_chunks() -> None:
    rng = random.Random(1)
    text = " ".join(f"w{rng.randrange(100000)}" for _ in range(20000))
    sig = fp.signature(text)
    # The minimum over all chunks equals a direct computation over all shingles at once.
    values = fp._hash64(fp.shingles(text))
    direct = ((values[None, :] * fp._MULT[:, None] + fp._ADD[:, None]).min(axis=1)) >> np.uint64(32)
    assert np.array_equal(sig, direct.astype(np.uint32))


# --- band keys ------------------------------------------------------------------------------------


def test_band_keys_fit_a_signed_bigint() -> None:
    keys = fp.band_keys(fp.signature(BODY))
    assert len(keys) == fp.BANDS
    assert all(isinstance(k, int) and -(2**63) <= k < 2**63 for k in keys)
    assert keys == fp.band_keys(fp.signature(BODY))


def test_band_index_is_mixed_into_the_key() -> None:
    # The same rows in every band still give a different key per band.
    sig = np.tile(np.arange(7, 7 + fp.ROWS, dtype=np.uint32), fp.BANDS)
    assert len(set(fp.band_keys(sig))) == fp.BANDS


def test_near_duplicates_share_band_keys() -> None:
    assert set(fp.band_keys(fp.signature(COPY_A))) & set(fp.band_keys(fp.signature(COPY_B)))


# --- storage --------------------------------------------------------------------------------------


def test_signature_bytes_round_trip() -> None:
    sig = fp.signature(BODY)
    data = fp.sig_to_bytes(sig)
    assert len(data) == 4 * fp.NUM_PERM
    assert np.array_equal(fp.sig_from_bytes(data), sig)
    with pytest.raises(ValueError):
        fp.sig_from_bytes(data[:-4])


# --- facts ----------------------------------------------------------------------------------------


def test_facts_normalize_numbers_amounts_and_percentages() -> None:
    values = fp.fact_values(fp.facts("Funds took in $1.2 million, or 1,200,000 dollars, up 5 percent."))
    assert {"num:1200000", "num:5%"} <= values
    assert fp.fact_values(fp.facts("He sold 1,200 ETH")) == fp.fact_values(fp.facts("He sold 1200 ETH"))
    assert "num:65000" in fp.fact_values(fp.facts("It broke $65K today"))
    assert "num:1.5" in fp.fact_values(fp.facts("Gas costs 1.50 gwei now"))


def test_facts_find_symbols_and_names() -> None:
    values = fp.fact_values(fp.facts("The whale sent $PEPE and BTC to Binance via Coinbase Prime."))
    assert {"sym:PEPE", "sym:BTC", "name:binance", "name:coinbase", "name:prime"} <= values


def test_facts_skip_common_sentence_starts_and_labels() -> None:
    values = fp.fact_values(
        fp.facts("BREAKING: The exchange said it will list new tokens. However, it waits.")
    )
    assert values == frozenset()
    # A name that starts a sentence is still a name.
    assert "name:binance" in fp.fact_values(fp.facts("Binance will list the token today."))


def test_facts_of_a_byline_line_are_left_out_when_there_are_sentences() -> None:
    values = fp.fact_values(fp.facts(COPY_A))
    assert "name:anna" not in values and "name:farside" in values
    # A text of short lines only keeps them.
    assert "name:binance" in fp.fact_values(fp.facts("Binance lists PEPE"))


def test_facts_of_an_all_caps_line_are_not_symbols() -> None:
    values = fp.fact_values(fp.facts("THIS IS NOT INVESTMENT ADVICE FOR ANYONE AT ALL"))
    assert not any(v.startswith("sym:") for v in values)


def test_facts_carry_slots_that_match_across_one_template() -> None:
    a = fp.facts("Whale transfers 1,200 ETH to Binance")
    b = fp.facts("Whale transfers 5,000 SOL to Coinbase")
    slots = lambda facts: {f.rsplit("@", 1)[1] for f in facts}  # noqa: E731
    assert slots(a) == slots(b)
    assert fp.facts_contradict(a, b)
    assert not fp.facts_contradict(a, a)


# --- is_duplicate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Whale transfers 1,200 ETH to Binance", "Whale transfers 5,000 SOL to Coinbase"),
        (
            "Whale Alert: 1,200 ETH (about $3.6 million) was transferred from an unknown wallet "
            "to Binance at 10:32 UTC.",
            "Whale Alert: 1,200 ETH (about $3.6 million) was transferred from an unknown wallet "
            "to Coinbase at 10:32 UTC.",
        ),
        (
            "Bitcoin broke through $65,000, a 24-hour increase of 2.3%, according to Binance data.",
            "Bitcoin broke through $66,000, a 24-hour increase of 3.1%, according to Binance data.",
        ),
        (
            "Upbit will list SUI for spot trading at 14:00 on March 3; deposits are open now.",
            "Upbit will list ARB for spot trading at 14:00 on March 3; deposits are open now.",
        ),
        (
            "Moonshot closed a $300 million Series B round led by Sequoia to expand the team.",
            "Moonshot closed a $300 million Series C round led by Sequoia to expand the team.",
        ),
    ],
)
def test_formulaic_flash_items_about_other_events_are_not_duplicates(a: str, b: str) -> None:
    assert not _duplicate(a, b)


def test_a_flash_item_retold_is_a_duplicate() -> None:
    a = "Whale Alert: 1,200 ETH (about $3.6 million) was moved from an unknown wallet to Binance."
    b = "BREAKING: Whale Alert: 1,200 ETH (around $3.6 million) was moved from an unknown wallet to Binance."
    assert _duplicate(a, b)


def test_exact_and_reordered_copies_are_duplicates() -> None:
    paragraphs = BODY.split("\n\n")
    reordered = "\n\n".join(paragraphs[3:] + paragraphs[:3])
    assert _duplicate(BODY, BODY)
    assert _duplicate(BODY, reordered)


def test_copies_with_other_bylines_and_trailers_are_duplicates() -> None:
    assert _duplicate(COPY_A, COPY_B)
    assert _duplicate(BODY, COPY_B)


def test_a_retranslation_with_every_tenth_word_changed_is_a_duplicate() -> None:
    words = BODY.split(" ")
    for i in range(3, len(words), 10):
        if words[i].islower():
            words[i] = words[i] + "ly"
    assert _duplicate(BODY, " ".join(words))


def test_a_truncated_copy_is_a_duplicate() -> None:
    assert _duplicate(BODY, BODY[: int(len(BODY) * 0.75)] + "…")


def test_different_articles_are_not_duplicates() -> None:
    other = (
        "OpenAI released a new reasoning model on Wednesday and said it would cut prices for "
        "developers, as competition with Anthropic and Google intensified across the industry."
    )
    assert not _duplicate(BODY, other)


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_any_text_is_fully_similar_to_itself(text: str) -> None:
    sig = fp.signature(text)
    assert fp.similarity(sig, sig) == 1.0
    assert fp.content_hash(text) == fp.content_hash(f"  {text}\n\n")
    fp.facts(text)  # never raises


@settings(max_examples=60)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=fp.NUM_PERM, max_size=fp.NUM_PERM))
def test_bytes_round_trip_any_signature(values: list[int]) -> None:
    sig = np.array(values, dtype=np.uint32)
    assert np.array_equal(fp.sig_from_bytes(fp.sig_to_bytes(sig)), sig)
    assert fp.similarity(sig, fp.sig_from_bytes(fp.sig_to_bytes(sig))) == 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "btc", "1,200"]), max_size=40))
def test_content_hash_ignores_case_spacing_and_punctuation(words: list[str]) -> None:
    text = " ".join(words)
    assert fp.content_hash(text) == fp.content_hash("  " + ",  ".join(words).upper() + " !")
