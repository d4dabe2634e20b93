"""Honest dependencies: every pinned package is used by the code, every imported one is pinned."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Pinned though crawler/ and pipelines/ import nothing of theirs (yet), and why.
NOT_IMPORTED = {
    "lxml-html-clean": "trafilatura imports lxml.html.clean, which lxml moved into this package",
    "cssselect": "lxml.cssselect needs it: the CSS selector overrides of crawler/sources entries",
}


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", requirement)[0]).lower()


def _imported_top_modules() -> set[str]:
    found: set[str] = set()
    for folder in ("crawler", "pipelines"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("crawler", "pipelines")}


def _distributions(module: str) -> set[str]:
    return {_name(d) for d in metadata.packages_distributions().get(module, [])}


def test_every_imported_package_is_pinned() -> None:
    pinned = {_name(r) for r in PROJECT["dependencies"]}
    undeclared = {m: _distributions(m) for m in _imported_top_modules() if not _distributions(m) & pinned}
    assert not undeclared, f"imported by the code but not in [project] dependencies: {undeclared}"


def test_every_pinned_package_is_imported() -> None:
    imported = set().union(*(_distributions(m) for m in _imported_top_modules()))
    unused = {_name(r) for r in PROJECT["dependencies"]} - imported - set(NOT_IMPORTED)
    assert not unused, f"pinned but never imported by crawler/ or pipelines/: {sorted(unused)}"
    # An exception that became an import no longer needs to be listed.
    assert not set(NOT_IMPORTED) & imported, "remove these from NOT_IMPORTED"


def test_pins_are_exact() -> None:
    for requirement in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]:
        assert re.fullmatch(r"[\w.\[\]-]+==[\w.]+", requirement), requirement
