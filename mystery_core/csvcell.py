"""CSV cells a spreadsheet will not run: text that would start a formula gets a leading apostrophe.

A far-end reason phrase or a dialer log's call id is text from outside; opened in a spreadsheet,
a cell starting with `=`, `@`, `+`, `-`, a tab or a carriage return can run as a formula (CSV
injection, OWASP). Plain numbers stay as they are, so E.164 numbers (`+33612345678`) and negative
values keep their meaning; everything else that could start a formula is prefixed with `'`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "@", "\t", "\r", "+", "-")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would read as a formula; then `'` + text."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if value[0] in "+-" and _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through `safe_cell`."""
    return [safe_cell(v) for v in values]
