"""RFC 4180 records found in a block of CSV bytes with array operations, exactly where `csv.reader` finds them.

A quote opens a quoted field and the next one closes it (a doubled quote inside is a close and an
open side by side), so a line feed or a separator ends a record or a field only where an even
number of quotes comes before it in the record. That holds when every opening quote starts a field
and every closing quote ends one (or is half of a doubled quote): `scan_log` checks it for the
whole file before the columnar engine is chosen, along with what else `csv.reader` would read
differently (a carriage return that does not end a line, a NUL byte, a quoted field left open at
the end). Blocks are cut at record ends, so each block starts outside quotes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from campaigns.ingest.source import READ_ERRORS, LogSource, binary, utf8_chunks

LF, CR, QUOTE = 10, 13, 34


@dataclass(frozen=True, slots=True)
class Records:
    """The records of a block: `starts` and `ends` (the line feed ending each, or the block's length for a
    last record without one) as byte offsets, `separators` outside quotes in each, `lines` the physical line
    each starts on counted from the block's first line (0), `line_feeds` all the block's line feeds."""

    starts: np.ndarray
    ends: np.ndarray
    separators: np.ndarray
    lines: np.ndarray
    line_feeds: int


def outside_quotes(quotes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Which of `positions` have an even number of `quotes` (sorted positions) before them."""
    return (np.searchsorted(quotes, positions) & 1) == 0


def record_ends(buffer: np.ndarray) -> np.ndarray:
    """Positions of the line feeds that end records (outside quotes)."""
    feeds = np.flatnonzero(buffer == LF)
    quotes = np.flatnonzero(buffer == QUOTE)
    return feeds[outside_quotes(quotes, feeds)] if quotes.size else feeds


def split(data: bytes, delimiter: str) -> Records:
    """The records of `data` (which starts at a record start)."""
    buffer = np.frombuffer(data, np.uint8)
    feeds = np.flatnonzero(buffer == LF)
    quotes = np.flatnonzero(buffer == QUOTE)
    seps = np.flatnonzero(buffer == ord(delimiter))
    if quotes.size:
        ends = feeds[outside_quotes(quotes, feeds)]
        seps = seps[outside_quotes(quotes, seps)]
    else:
        ends = feeds
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    separators = np.searchsorted(seps, ends) - np.searchsorted(seps, starts)
    lines = np.searchsorted(feeds, starts) if quotes.size else np.arange(len(starts))
    return Records(starts, ends, separators, lines, len(feeds))


def irregular_quotes(buffer: np.ndarray, delimiter: int) -> bool:
    """A quote that neither opens a field (after a separator or a line start) nor closes one (before a
    separator or a line end), doubled quotes aside: `csv.reader` keeps such a quote as a character."""
    quotes = np.flatnonzero(buffer == QUOTE)
    if not quotes.size:
        return False
    n = len(buffer)
    before = np.where(quotes > 0, buffer[np.maximum(quotes - 1, 0)], LF)
    after = np.where(quotes < n - 1, buffer[np.minimum(quotes + 1, n - 1)], LF)
    pair_before = np.zeros(len(quotes), bool)
    pair_before[1:] = quotes[1:] - 1 == quotes[:-1]
    pair_after = np.zeros(len(quotes), bool)
    pair_after[:-1] = quotes[:-1] + 1 == quotes[1:]
    opens = (np.arange(len(quotes)) & 1) == 0
    opens_ok = (before == delimiter) | (before == LF) | pair_before
    closes_ok = (after == delimiter) | (after == LF) | (after == CR) | pair_after
    return bool(np.where(opens, ~opens_ok, ~closes_ok).any())


def scan_log(source: LogSource, width: int = 0, widths: range = range(0)) -> str:
    """Why the columnar reader would read this log differently from `csv.reader` ("" if it would not), or
    (`widths`: the numbers of fields the format's row converter accepts) a record has one of them other than
    `width`: the columnar engine reads one width of record, and the row converter would accept that one."""
    delimiter = ord(source.delimiter)
    carry = b""
    with binary(source) as opened:
        chunks = utf8_chunks(opened, source, 1 << 22)
        while True:
            try:
                chunk = next(chunks, b"")
            except READ_ERRORS:
                # the row engine reads it up to the damage and names the line where it stops
                return f"damaged {source.compression or 'file'} data"
            if not chunk:
                break
            data = carry + chunk
            buffer = np.frombuffer(data, np.uint8)
            ends = record_ends(buffer)
            if not ends.size:
                carry = data
                continue
            cut = int(ends[-1]) + 1
            carry = data[cut:]
            problem = _problem(buffer[:cut], delimiter) or _widths(data[:cut], source, width, widths)
            if problem:
                return problem
    if carry:
        buffer = np.frombuffer(carry, np.uint8)
        if (np.count_nonzero(buffer == QUOTE) & 1) == 1:
            return "a quoted field that is never closed"
        return _problem(buffer, delimiter) or _widths(carry, source, width, widths)
    return ""


def _widths(data: bytes, source: LogSource, width: int, widths: range) -> str:
    if not widths:
        return ""
    fields = split(data, source.delimiter).separators + 1
    other = fields[(fields >= widths.start) & (fields < widths.stop) & (fields != width)]
    return f"records of {int(other[0])} fields among records of {width}" if other.size else ""


def _problem(buffer: np.ndarray, delimiter: int) -> str:
    if np.any(buffer == 0):
        return "NUL bytes"
    after = np.flatnonzero(buffer == CR) + 1
    if after.size and (after[-1] >= len(buffer) or not np.all(buffer[after] == LF)):
        return "carriage returns that do not end a line (old Mac line ends)"
    if irregular_quotes(buffer, delimiter):
        return "quotes inside unquoted fields"
    return ""


def utf8_problems(data: bytes, records: Records) -> np.ndarray:
    """Which records hold bytes that are not UTF-8 (none, mostly: one decode of the block says so)."""
    bad = np.zeros(len(records.starts), bool)
    try:
        data.decode("utf-8")
        return bad
    except UnicodeDecodeError:
        pass
    starts, ends = records.starts.tolist(), records.ends.tolist()
    step = 256
    for lo in range(0, len(starts), step):
        hi = min(lo + step, len(starts))
        try:
            data[starts[lo]:ends[hi - 1] + 1].decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        for i in range(lo, hi):
            try:
                data[starts[i]:ends[i] + 1].decode("utf-8")
            except UnicodeDecodeError:
                bad[i] = True
    return bad


def record_fields(raw: bytes, source: LogSource) -> tuple[list[str], str]:
    """The fields of one record and why it is unusable ("" if it is not), as `CsvRows` gives them."""
    text = raw.decode("utf-8", "surrogateescape")
    try:
        rows = list(csv.reader([text], delimiter=source.delimiter))
    except csv.Error as error:
        return [], f"unreadable CSV: {error}"
    fields = rows[0] if rows else []
    if not "".join(fields).isascii() and any("\udc80" <= ch <= "\udcff" for field in fields for ch in field):
        return fields, (f"not valid {source.encoding} (a byte could not be decoded; re-export the file as UTF-8 "
                        "or pass --encoding latin-1)")
    return fields, ""
