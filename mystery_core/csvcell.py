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


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record, byte for byte as `csv.writer` writes it with its default (excel) dialect: a field with a
    comma, quote or line break in quotes (its quotes doubled), `None` empty, other values as `str`, a record of
    one empty field as `""`, CRLF at the end. Made with `str` methods: on findings whose evidence and reasoning
    are long JSON texts full of quotes, the C writer's character-by-character scan took 3-4 times as long."""
    cells = []
    for value in values:
        cell = value if type(value) is str else "" if value is None else str(value)
        if '"' in cell:
            cell = '"' + cell.replace('"', '""') + '"'
        elif "," in cell or "\n" in cell or "\r" in cell:
            cell = '"' + cell + '"'
        cells.append(cell)
    if cells == [""]:
        return '""\r\n'
    return ",".join(cells) + "\r\n"


def safe_csv_line(values: Iterable[Any]) -> str:
    """`csv_line` of `safe_row(values)`: a record no spreadsheet runs as a formula."""
    return csv_line([safe_cell(v) for v in values])
