"""A log in blocks of records: Arrow parses the well-formed ones, the row converter the others.

The bytes come from `campaigns.ingest.source` (decompressed, re-encoded as UTF-8, without a byte
order mark), so both engines read the same text. csvbytes.py finds the records (quoted fields may
hold separators and line breaks; LF or CRLF line ends) and the line each starts on; a record with
the first row's number of separators outside quotes, in valid UTF-8, is exactly a row of the right
width, and Arrow's CSV reader parses those. Every other record (blank, truncated, extra separators,
bytes not in the encoding) and every row that one of the vectorized tests does not pass goes through
the format's row converter, so rejected rows get the row engine's own field and reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from queue import Full, Queue
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from campaigns.engines.columnar.csvbytes import record_ends, split, utf8_problems
from campaigns.engines.columnar.phone_forms import plain_digits
from campaigns.ingest.source import LogSource, Utf8Reader, binary

BLOCK_BYTES = 6 << 20
"""Bytes per block: the history merge costs a pass over the stored attempts per block, so larger blocks
are cheaper, and memory grows with them. 1M-row benchmark: 4 MB 4.8 s and 595 MB peak, 6 MB 4.5 s and
675 MB, 8 MB 4.5 s and 725 MB."""
FIRST_BLOCK_BYTES = 1 << 20
"""The audit waits for the first block with nothing else to do (0.29 s for 8 MB): blocks start at 1 MB
and grow by 1 MB up to BLOCK_BYTES. Early blocks cost the reader thread most (every number is new to
the number table), and growing slowly keeps it ahead of the audit (waits: 0.12 s, against 0.15-0.3 s
doubling)."""


@dataclass(slots=True)
class Block:
    """Lines of the log: `table` holds the well-formed ones (columns c0, c1, ... as strings) and `lines`
    their physical line numbers; `odd` lists (line, text) of the others, in file order."""

    table: pa.Table
    lines: np.ndarray
    odd: list[tuple[int, bytes]]
    times: tuple[np.ndarray, np.ndarray] | None = None  # parse_times of the start column, when prefetched
    callees: pa.DictionaryArray | None = None  # the callee column dictionary-encoded, when prefetched
    callee_digits: tuple[np.ndarray, np.ndarray] | None = None  # plain_digits of its dictionary
    end_offset: int = 0  # bytes of the file up to the end of this block (for progress)
    prepared: dict[str, Any] | None = None  # what a `prefetched` prepare step worked out on the reader thread
    raw: pa.Table | None = None  # the log's own columns when `table` holds the generic ones made from them


def read_blocks(source: LogSource, width: int, header: bool, block_bytes: int | None = None) -> Iterator[Block]:
    """Blocks of whole records (after the header record if `header`): about `block_bytes` (BLOCK_BYTES by
    default), the first ones smaller (FIRST_BLOCK_BYTES, then growing by as much). A record of `width`
    fields in valid UTF-8 goes to Arrow; the others to `Block.odd`, as (line, bytes)."""
    block_bytes = block_bytes or BLOCK_BYTES
    size = min(block_bytes, FIRST_BLOCK_BYTES)
    names = [f"c{i}" for i in range(width)]
    # one parsing thread: on two cores, Arrow's pool would compete with the audit itself
    read = pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 22)
    plain = pacsv.ParseOptions(delimiter=source.delimiter, quote_char=False, escape_char=False, double_quote=False,
                               newlines_in_values=False, ignore_empty_lines=True, invalid_row_handler=lambda row: "skip")
    quoted = pacsv.ParseOptions(delimiter=source.delimiter, quote_char='"', escape_char=False, double_quote=True,
                                newlines_in_values=True, ignore_empty_lines=True, invalid_row_handler=lambda row: "skip")
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                                   quoted_strings_can_be_null=False, check_utf8=False)
    line = 1
    carry = b""
    skip = header
    with binary(source) as opened:
        utf8 = Utf8Reader(opened, source)
        while True:
            chunk = utf8.read(size)
            size = min(size + FIRST_BLOCK_BYTES, block_bytes)
            data = carry + chunk
            if chunk:
                ends = record_ends(np.frombuffer(data, np.uint8))
                if not ends.size:
                    carry = data
                    continue
                cut = int(ends[-1]) + 1
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            if not data:
                return
            records = split(data, source.delimiter)
            numbers = line + records.lines
            line += records.line_feeds
            good = records.separators == width - 1
            first = 0
            if skip:
                skip = False
                first = 1
                good[0] = False
            well_formed = good.copy()  # what Arrow reads (any valid UTF-8 or not)
            good &= ~utf8_problems(data, records)
            starts, ends = records.starts.tolist(), records.ends.tolist()
            odd = [(int(numbers[i]), data[starts[i]:ends[i] + 1]) for i in np.flatnonzero(~good).tolist() if i >= first]
            table = None
            if good.any():
                body = data[starts[1]:] if first else data
                options = quoted if b'"' in body else plain
                table = pacsv.read_csv(pa.py_buffer(body), read_options=read, parse_options=options,
                                       convert_options=convert)
                if table.num_rows != int(well_formed[first:].sum()):
                    raise RuntimeError(f"{source.path}: Arrow read {table.num_rows} rows where "
                                       f"{int(well_formed[first:].sum())} records are well formed")
                if not good[well_formed].all():
                    table = table.filter(pa.array(good[well_formed]))
            kept = numbers[good]
            if table is None:
                table = pa.table({name: pa.array([], pa.string()) for name in names})
            # progress: bytes of the file on disk (compressed or re-encoded logs: as far as read)
            exact = not source.compression and source.utf8
            yield Block(table.combine_chunks(), kept, odd, end_offset=opened.position() - (len(carry) if exact else 0))
            if not chunk:
                return


def prefetched(blocks: Iterator[Block], prepare: Callable[[Block], None] | None = None) -> Iterator[Block]:
    """`blocks`, the next one read and `prepare`d by a thread while the caller works on the current one.
    The file read, the line split, Arrow's parse and what `prepare` does (see `columns_prepared`) are
    mostly C work that releases the GIL, so they run beside the audit on a second core. At most one
    block waits; an error in the reader is raised here, at the block it hit."""
    queue: Queue[tuple[Block | None, BaseException | None]] = Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: tuple[Block | None, BaseException | None]) -> bool:
        """Hand an item over unless the consumer has gone (False then)."""
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def read() -> None:
        try:
            for block in blocks:
                if prepare is not None:
                    prepare(block)
                if not offer((block, None)):
                    return
            offer((None, None))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            offer((None, error))

    reader = threading.Thread(target=read, name="log-reader", daemon=True)
    reader.start()
    try:
        while True:
            block, error = queue.get()
            if error is not None:
                raise error
            if block is None:
                return
            yield block
    finally:
        stop.set()
        reader.join()


def columns_prepared(start_column: int, callee_column: int) -> Callable[[Block], None]:
    """A `prefetched` step: the start times (`Block.times`), the callee column dictionary-encoded
    (`Block.callees`) and its dictionary's digits (`Block.callee_digits`)."""

    def prepare(block: Block) -> None:
        if block.table.num_rows:
            if block.times is None:
                block.times = parse_times(_column(block.table, start_column))
            block.callees = pc.dictionary_encode(_column(block.table, callee_column))
            block.callee_digits = plain_digits(block.callees.dictionary)

    return prepare


def _column(table: pa.Table, index: int) -> pa.Array:
    column = table.column(index)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def string_bytes(array: pa.Array, length: int, rows: np.ndarray) -> np.ndarray:
    """The first `length` bytes of the strings at `rows` (all at least that long) as a (rows, length) matrix."""
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], np.int32)[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(buffers[2], np.uint8)
    return data[offsets[rows][:, None] + np.arange(length)]


FNV_OFFSET, FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


def text_hashes(array: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string (FNV-1a over its bytes and length, then splitmix64's finalizer so that
    the low bits mix too), as int64, computed a byte position at a time over the whole array: numpy work
    that releases the GIL, unlike `hash()` on a million Python strings. Equal strings get equal hashes;
    two different call ids share one with a probability of about n^2 / 2^65 (3e-8 for a million), the
    same order as the row engine's `hash()`."""
    n = len(array)
    h = np.full(n, FNV_OFFSET, np.uint64)
    if not n:
        return h.view(np.int64)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], np.int32)[array.offset:array.offset + n + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    starts = offsets[:-1]
    longest_first = np.argsort(-lengths, kind="stable")
    descending = -lengths[longest_first]
    for j in range(int(lengths.max())):
        live = int(np.searchsorted(descending, -j, side="left"))  # strings longer than j
        if live == n:
            h = (h ^ data[starts + j]) * FNV_PRIME
        else:
            rows = longest_first[:live]
            h[rows] = (h[rows] ^ data[starts[rows] + j]) * FNV_PRIME
    h = (h ^ lengths.astype(np.uint64)) * FNV_PRIME
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h.view(np.int64)


_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def parse_times(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(epoch seconds, ok) for ISO 8601 times with an offset in the forms datetime.isoformat() writes
    (YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM, 'T' or space, or 'Z'); ok is False where `datetime.fromisoformat`
    must decide (other forms, naive times, impossible dates), and the value is then meaningless."""
    n = len(array)
    ts = np.zeros(n, np.float64)
    ok = np.zeros(n, bool)
    lengths = pc.binary_length(array).to_numpy(zero_copy_only=False)
    for length, fraction, zulu in ((25, False, False), (20, False, True), (32, True, False), (27, True, True)):
        rows = np.flatnonzero(lengths == length)
        if not rows.size:
            continue
        m = string_bytes(array, length, rows)
        digit = (m >= 48) & (m <= 57)
        d = m.astype(np.int32) - 48
        shape = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        good = digit[:, shape].all(axis=1) & (m[:, 4] == 45) & (m[:, 7] == 45) & \
            ((m[:, 10] == 84) | (m[:, 10] == 32)) & (m[:, 13] == 58) & (m[:, 16] == 58)
        micros = np.zeros(len(rows), np.int64)  # int64 from here on: epoch arithmetic
        at = 19
        if fraction:
            good &= (m[:, 19] == 46) & digit[:, 20:26].all(axis=1)
            for k in range(20, 26):
                micros = micros * 10 + d[:, k]
            at = 26
        if zulu:
            good &= m[:, at] == 90
            offset = np.zeros(len(rows), np.int64)
        else:
            good &= ((m[:, at] == 43) | (m[:, at] == 45)) & digit[:, [at + 1, at + 2, at + 4, at + 5]].all(axis=1) & \
                (m[:, at + 3] == 58)
            oh = d[:, at + 1] * 10 + d[:, at + 2]
            om = d[:, at + 4] * 10 + d[:, at + 5]
            good &= (oh <= 23) & (om <= 59)
            offset = np.where(m[:, at] == 45, -1, 1) * (oh * 3600 + om * 60)
        d = d.astype(np.int64)
        year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
        month = d[:, 5] * 10 + d[:, 6]
        day = d[:, 8] * 10 + d[:, 9]
        hour = d[:, 11] * 10 + d[:, 12]
        minute = d[:, 14] * 10 + d[:, 15]
        second = d[:, 17] * 10 + d[:, 18]
        leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
        month_days = _DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
        good &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days) & (hour <= 23) & \
            (minute <= 59) & (second <= 59)
        y = year - (month <= 2)
        era = y // 400
        yoe = y - era * 400
        doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
        doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
        days = era * 146097 + doe - 719468
        seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        value = (seconds * 1_000_000 + micros) / 1e6 if fraction else seconds.astype(np.float64)
        ts[rows] = value
        ok[rows] = good
    return ts, ok
