"""A data folder of N plain English articles for the fixture site, for crash and outage tests.

    write_site(tmp_path, 300)  # then FixtureSite(data_dir=tmp_path)

Each article has its own words (no two are duplicates), all are on the news list, newest first.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

FIRST_ID = 30_000_000
_WORDS = (
    "bitcoin ether market liquidity stablecoin exchange validator treasury yield bond rally "
    "outflow inflow custody regulator filing approval token unlock airdrop miner hashrate fee "
    "auction reserve audit lending protocol bridge exploit patch upgrade fork governance vote "
    "fund index futures options basis spread volume wallet whale transfer settlement payment"
).split()


def article_ids(count: int) -> list[int]:
    return [FIRST_ID + n for n in range(count)]


def write_site(directory: Path, count: int) -> Path:
    """Write ``count`` articles and a news list into ``directory``; return it."""
    (directory / "articles").mkdir(parents=True, exist_ok=True)
    for n, article_id in enumerate(article_ids(count)):
        words = random.Random(article_id).choices(_WORDS, k=80)
        title = f"Report {n}: " + " ".join(words[:6])
        body = " ".join(words).capitalize() + f". Figure {n} of {count}."
        article = {
            "id": article_id,
            "original_lang": "en",
            "nickname": f"Desk {n % 7}",
            "source_url": f"https://desk.example/{article_id}",
            "publish_time": 1767000000000 + n * 60_000,
            "important": False,
            "related_feeds": n % 5,
            "tags": [],
            "original": {"title": title, "content": body, "full_content": f"<p>{body}</p>"},
            "translations": {},
        }
        (directory / "articles" / f"{article_id}.json").write_text(json.dumps(article))
    lists = {"news": {"hidden": [], "listed_twice": None}, "kols": {}, "topics": {}, "tags": {}}
    (directory / "lists.json").write_text(json.dumps(lists))
    return directory
