"""Write tests/sources/<name>/expected/*.json from a real crawl of the fixture sites.

    python -m tests.sources.make_expected      (needs DATABASE_URL: a scratch, migrated database)

Review the diff before committing: the expected files are what the tests hold the crawler to.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from tests.sources.test_sources import HERE, crawl_all, stored_by_source


def main() -> None:
    db_url = os.environ["DATABASE_URL"]
    crawl_all(db_url)
    for name, items in stored_by_source(db_url).items():
        folder = HERE / name / "expected"
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
        for url, item in items.items():
            path = urlsplit(url).path.strip("/")
            slug = path.replace("/", "-") if len(path) <= 80 else path.rsplit("/", 1)[-1][:80]
            text = json.dumps(item, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            (folder / f"{slug}.json").write_text(text, encoding="utf-8")
        print(f"{name}: {len(items)} expected items")


if __name__ == "__main__":
    main()
