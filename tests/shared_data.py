"""Where the tests and benchmarks find the shared data: ../shared beside the checkout (as CI has it).

``SHARED_DIR`` in the environment points elsewhere (a worktree deeper than the checkout). A file
that is missing is an error, never a skip: a test that cannot read its data checks nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DIR") or ROOT.parent / "shared")


def shared_file(relative: str) -> Path:
    """The path of a file under the shared folder; FileNotFoundError, saying where, when missing."""
    path = SHARED / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the shared data must sit beside the checkout (../shared), "
            "or SHARED_DIR must name its folder"
        )
    return path
