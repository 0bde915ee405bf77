"""The house rules that a reader of the tree relies on, checked on every file (issue 12).

The import graph itself is checked by `lint-imports` (contracts in pyproject.toml) in `make lint`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mystery_core", "mystery", "campaigns", "switchboard", "console")
MAX_LINES = 600


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "versions" not in p.parts)


def test_no_python_file_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in python_files(*PACKAGES, "tests", "benchmarks", "scripts")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert {} == long


def test_every_product_module_opens_with_a_docstring_that_says_why():
    bare = [str(p.relative_to(ROOT)) for p in python_files(*PACKAGES)
            if p.stat().st_size and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert [] == bare


def test_the_packages_the_tree_shows_are_the_ones_installed():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(f"{name}*" for name in PACKAGES) == sorted(included)
    assert sorted(PACKAGES) == sorted(config["tool"]["importlinter"]["root_packages"])
