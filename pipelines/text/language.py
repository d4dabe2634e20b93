"""Language of cleaned text, by lingua (offline n-gram models shipped with the package)."""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

# The languages our sources publish in or republish from, plus the other large ones of the
# crypto press. Fewer languages: faster and fewer confusions.
LANGUAGES = (
    Language.ENGLISH, Language.CHINESE, Language.KOREAN, Language.JAPANESE,
    Language.VIETNAMESE, Language.RUSSIAN, Language.SPANISH, Language.FRENCH,
    Language.GERMAN, Language.PORTUGUESE, Language.TURKISH, Language.INDONESIAN,
    Language.THAI, Language.ARABIC,
)  # fmt: skip

# Detection cost grows with length; the opening of an article decides its language.
SAMPLE_CHARS = 400
# Below this many letters any answer is a guess.
MIN_LETTERS = 8
_NON_LETTERS = re.compile(r"[\W\d_]+")


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Models load lazily, per language actually met: preloading all 14 took ~1.7 s and
    # ~340 MB here, lazy loading stays near 40 MB for English/Chinese/Korean.
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


def detect_language(text: str | None) -> tuple[str | None, float | None]:
    """ISO 639-1 code and confidence (0..1) of the text; (None, None) when too short to tell."""
    if not text:
        return None, None
    sample = _sample(text)
    if len(_NON_LETTERS.sub("", sample)) < MIN_LETTERS:
        return None, None
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value <= 0.0:
        return None, None
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), round(best.value, 4)


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    cut = text.rfind(" ", SAMPLE_CHARS // 2, SAMPLE_CHARS)
    return text[: cut if cut > 0 else SAMPLE_CHARS]


def base_language(code: str | None) -> str | None:
    """ISO 639-1 base of a language tag: "zh-Hans" -> "zh", "EN" -> "en"; None when empty."""
    if not isinstance(code, str) or not code.strip():
        return None
    return re.split(r"[-_]", code.strip())[0].lower() or None
