"""The shared layers name no source: what is source-specific lives with its source."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from tests.conftest import ROOT

SHARED = [
    *sorted((ROOT / "pipelines").rglob("*.py")),
    *sorted((ROOT / "crawler" / "extensions").rglob("*.py")),
    *sorted((ROOT / "crawler" / "middlewares").rglob("*.py")),
    *sorted((ROOT / "crawler" / "commands").rglob("*.py")),
    ROOT / "crawler" / "settings.py",
    ROOT / "crawler" / "items.py",
    ROOT / "crawler" / "exporters.py",
]
# Source names: Followin's, and every entry of the source registry once there is one.
SOURCES = {"followin"} | {p.stem for p in (ROOT / "crawler" / "sources").glob("*.toml")}
# As a word or part of a name (FOLLOWIN_BASE_URL), not inside another word ("following").
_ALTERNATIVES = "|".join(map(re.escape, sorted(SOURCES)))
NAMED = re.compile(rf"(?<![a-z])(?:{_ALTERNATIVES})(?![a-z])", re.IGNORECASE)


@pytest.mark.parametrize("path", SHARED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shared_code_names_no_source(path: Path) -> None:
    # Names and strings only: a comment may give an example.
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    named = [(t.start[0], t.string) for t in tokens if t.type in (tokenize.NAME, tokenize.STRING)
             and NAMED.search(t.string)]  # fmt: skip
    assert not named, f"{path.relative_to(ROOT)} names a source: {named}"
