"""Text and JSON that PostgreSQL can store: valid UTF-8, no NUL, finite numbers, bounded depth.

A Python string can hold what UTF-8 cannot encode (lone surrogates, e.g. from ``"\\ud800"`` in
page JSON) and NUL, which ``text`` and ``jsonb`` refuse; JSON can hold NaN and infinities, which
``jsonb`` refuses. One such value must cost that value, never the batch it is written in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

REPLACEMENT = "\ufffd"
# NUL, and surrogates: the only code points of a Python str that UTF-8 cannot encode.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 100  # deeper JSON is cut there: no page needs more, and deep recursion is fragile
_MAX_INT_BITS = 1000  # larger integers cannot even be written as JSON text by Python


def _fix(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else REPLACEMENT


def storable_text(text: str) -> str:
    """``text`` with NUL removed and unencodable code points replaced by U+FFFD."""
    if "\x00" not in text:
        try:
            text.encode("utf-8")
            return text  # the common case, at C speed
        except UnicodeEncodeError:
            pass
    return _UNSTORABLE.sub(_fix, text)


def storable_json(value: Any, counts: Counter[str] | None = None, depth: int = 0) -> Any:
    """A copy of JSON-like ``value`` that ``jsonb`` accepts; what was changed is counted.

    ``counts`` gets ``repaired`` (text fixed, or a value of a non-JSON type written as text),
    ``non_finite`` (NaN, infinities and huge integers set to null) and ``truncated`` (what lay
    deeper than :data:`MAX_JSON_DEPTH` set to null).
    """
    counts = counts if counts is not None else Counter()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        fixed = storable_text(value)
        if fixed is not value:
            counts["repaired"] += 1
        return fixed
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            counts["non_finite"] += 1
            return None
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        counts["non_finite"] += 1
        return None
    if depth >= MAX_JSON_DEPTH and isinstance(value, dict | list | tuple):
        counts["truncated"] += 1
        return None
    if isinstance(value, dict):
        return {
            storable_json(k if isinstance(k, str) else str(k), counts): storable_json(v, counts, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [storable_json(v, counts, depth + 1) for v in value]
    counts["repaired"] += 1
    return storable_text(str(value))
