"""JSON text for bulk output: violations as JSON lines, JSON columns of the store.

orjson writes the same JSON as `json.dumps(..., ensure_ascii=False)` without the spaces after ':'
and ',', at several times the speed: a 1M-row audit serializes a quarter of a million findings
twice (the output file and the store), which took longer with `json` than the audit itself.
"""

from __future__ import annotations

from typing import Any

import orjson

OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _fallback(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """`value` as compact JSON text (UTF-8 characters kept as they are)."""
    return orjson.dumps(value, default=_fallback, option=OPTIONS).decode()


def dumps_line(value: Any) -> bytes:
    """`dumps(value) + "\n"` as UTF-8 bytes, for a file that takes bytes: no decoding to `str` and encoding back
    (a JSON line of a finding is 1.7 KB, a third of them with accented letters)."""
    return orjson.dumps(value, default=_fallback, option=OPTIONS | orjson.OPT_APPEND_NEWLINE)


def already(text: str) -> orjson.Fragment:
    """JSON text to embed as it is in a value given to `dumps` (a finding's evidence, serialized once for
    the output file and the store)."""
    return orjson.Fragment(text)
