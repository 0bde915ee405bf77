"""A dialer's own log layout (VICIdial, Asterisk cdr_csv, FreeSWITCH mod_cdr_csv) as the generic log's columns.

The columnar engine judges generic columns. For the other formats, `Layout.transform` builds them
from a block's raw columns with Arrow and numpy, doing what the format's row converter in
campaigns/ingest/formats.py does for the common rows: local times read in the source zone, the
call id, the number dialled, the disposition code, ring and talk seconds, the campaign's purpose
from the registry. Where a row needs more (a time in another form, a number in Dial()'s argument,
a negative ring time...), a column gets a value the vectorized tests refuse, and the row goes to
the format's row converter, which decides as the row engine does. `callee_raw` and
`disposition_raw` keep the log's own texts for the attempt when they differ from what is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campaigns.engines.columnar.reading import parse_times
from campaigns.ingest import formats
from campaigns.ingest.reader import LogReader
from campaigns.model.records import PURPOSES, CampaignInfo

PURPOSES_ANY = (*PURPOSES, "unknown")
"""Purposes as the columnar engine numbers them: a vendor log's campaign the registry does not know is `unknown`."""
COLUMNS = (*formats.GENERIC_REQUIRED, "ring_s", "talk_s", "lead", "callee_raw", "disposition_raw")
"""The columns `transform` makes, in this order."""
ANSWERED, NO_ANSWER = "\x00answered", "\x00no_answer"
"""Disposition keys of FreeSWITCH's NORMAL_CLEARING when the mapping has no entry for it: answered or not."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How the columnar engine reads one log: `width` fields a record, a `header` record or not, `column` (generic
    name -> place in the table it judges), the purposes a row may have, the disposition key -> disposition map, and
    `transform` (raw block table, record lines -> generic table and start times), None for the generic log."""

    width: int
    header: bool
    column: dict[str, int]
    purposes: tuple[str, ...]
    mapping: Mapping[str, str]
    transform: Callable[[pa.Table, np.ndarray], tuple[pa.Table, tuple[np.ndarray, np.ndarray]]] | None = \
        field(default=None)


def layout_of(reader: LogReader) -> Layout:
    """The layout of `reader`'s log."""
    mapping = dict(reader.context.mapping)
    if reader.format == "generic":
        header = [h.strip().lower() for h in reader.header]
        column = {name: header.index(name) for name in (*formats.GENERIC_REQUIRED, *formats.GENERIC_OPTIONAL)
                  if name in header}
        return Layout(len(header), True, column, PURPOSES, mapping)
    column = {name: i for i, name in enumerate(COLUMNS)}
    make = {"asterisk": _asterisk, "freeswitch": _freeswitch, "vicidial": _vicidial}[reader.format]
    if reader.format == "freeswitch":
        mapping.setdefault(ANSWERED, "answered")
        mapping.setdefault(NO_ANSWER, "no_answer")
    return Layout(reader.width, reader.has_header, column, PURPOSES_ANY, mapping, make(reader))


def local_times(array: pa.Array, zone: ZoneInfo | None) -> tuple[np.ndarray, np.ndarray]:
    """(epoch seconds, ok) of "YYYY-MM-DD HH:MM:SS" times read in `zone` as `datetime.replace(tzinfo=zone)` reads
    them (the earlier offset in a repeated hour, the offset before a gap); ok is False for any other form."""
    n = len(array)
    if zone is None or not n:
        return np.zeros(n), np.zeros(n, bool)
    ts, ok = parse_times(pc.binary_join_element_wise(array, "Z", ""))
    ok &= pc.binary_length(array).to_numpy(zero_copy_only=False) == 19
    # UTC offsets change on quarter hours (every zone, every year): one offset per quarter hour of local time
    quarter = np.floor_divide(ts[ok], 900).astype(np.int64)
    distinct, which = np.unique(quarter, return_inverse=True)
    epoch = datetime(1970, 1, 1)
    offsets = np.array([q * 900 - (epoch + timedelta(seconds=q * 900)).replace(tzinfo=zone).timestamp()
                        for q in distinct.tolist()], np.float64)
    ts[ok] -= offsets[which.reshape(-1)] if len(offsets) else 0
    return ts, ok


def _digits(array: pa.Array) -> np.ndarray:
    return pc.match_substring_regex(array, "^[0-9]+$").to_numpy(zero_copy_only=False)


def _ring(duration: pa.Array, billsec: pa.Array) -> pa.Array:
    """duration - billsec as text where both are whole numbers, "" where either is empty (as the converter's None),
    and "?" (which the vectorized tests refuse) otherwise: the row converter decides those."""
    d_ok, b_ok = _digits(duration), _digits(billsec)
    both = d_ok & b_ok
    d = pc.cast(pc.if_else(pa.array(d_ok), duration, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    b = pc.cast(pc.if_else(pa.array(b_ok), billsec, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    empty = pc.or_(pc.equal(duration, ""), pc.equal(billsec, "")).to_numpy(zero_copy_only=False)
    text = pc.cast(pa.array(d - b), pa.string())
    return pc.if_else(pa.array(both), text, pc.if_else(pa.array(empty), "", "?"))


def _purposes(campaign: pa.Array, registry: Mapping[str, CampaignInfo]) -> pa.Array:
    encoded = pc.dictionary_encode(campaign)
    names = encoded.dictionary.to_pylist()
    purposes = pa.array([(registry[c].purpose if c in registry else "") or "unknown" for c in names], pa.string())
    return purposes.take(encoded.indices)


def _or_line(call_id: pa.Array, lines: np.ndarray, source: str) -> pa.Array:
    """The call id, or `<file>:<line>` where the log gives none (as the converters do)."""
    missing = pc.equal(call_id, "").to_numpy(zero_copy_only=False)
    if not missing.any():
        return call_id
    fallback = pa.array([f"{source}:{line}" if gap else "" for line, gap in zip(lines.tolist(), missing.tolist(),
                                                                                 strict=True)], pa.string())
    return pc.if_else(pa.array(missing), fallback, call_id)


def _table(values: dict[str, pa.Array]) -> pa.Table:
    return pa.table({name: values[name] for name in COLUMNS})


def _asterisk(reader: LogReader) -> Callable[[pa.Table, np.ndarray], tuple[pa.Table, tuple[np.ndarray, np.ndarray]]]:
    source, zone, registry, width = str(reader.path), reader.context.zone, reader.registry, reader.width

    def transform(raw: pa.Table, lines: np.ndarray) -> tuple[pa.Table, tuple[np.ndarray, np.ndarray]]:
        c = [raw.column(i).combine_chunks() for i in range(width)]
        n = raw.num_rows
        blank = pa.array([""] * n, pa.string())
        if width > 16:
            looks = pc.match_substring_regex(c[16], formats.UNIQUEID_PATTERN)
            unique = pc.binary_join_element_wise(c[16], c[20], "/") if width == 21 else c[16]
            if width == 21:
                unique = pc.if_else(pc.equal(c[20], ""), c[16], unique)
            call_id = pc.if_else(looks, unique, blank)
        else:
            call_id = blank
        table = _table({
            "call_id": _or_line(call_id, lines, source), "start": c[9], "callee": c[2], "caller_id": c[1],
            "campaign": c[0], "purpose": _purposes(c[0], registry), "disposition": pc.utf8_trim_whitespace(c[14]),
            "duration_s": c[12], "agent": blank, "ring_s": _ring(c[12], c[13]), "talk_s": c[13], "lead": blank,
            "callee_raw": c[2], "disposition_raw": c[14]})
        return table, local_times(c[9], zone)

    return transform


def _freeswitch(reader: LogReader) -> Callable[[pa.Table, np.ndarray], tuple[pa.Table, tuple[np.ndarray, np.ndarray]]]:
    source, zone, registry, width = str(reader.path), reader.context.zone, reader.registry, reader.width
    mapping = reader.context.mapping

    def transform(raw: pa.Table, lines: np.ndarray) -> tuple[pa.Table, tuple[np.ndarray, np.ndarray]]:
        c = [raw.column(i).combine_chunks() for i in range(width)]
        n = raw.num_rows
        blank = pa.array([""] * n, pa.string())
        cause = pc.utf8_trim_whitespace(c[9])
        key = cause
        if "NORMAL_CLEARING" not in mapping:
            answered = pc.not_equal(pc.utf8_trim_whitespace(c[5]), "")
            key = pc.if_else(pc.equal(cause, "NORMAL_CLEARING"), pc.if_else(answered, ANSWERED, NO_ANSWER), cause)
        table = _table({
            "call_id": _or_line(c[10], lines, source), "start": c[4], "callee": c[2], "caller_id": c[1],
            "campaign": c[12], "purpose": _purposes(c[12], registry), "disposition": key, "duration_s": c[7],
            "agent": blank, "ring_s": _ring(c[7], c[8]), "talk_s": c[8], "lead": blank, "callee_raw": c[2],
            "disposition_raw": cause})
        return table, local_times(c[4], zone)

    return transform


def _vicidial(reader: LogReader) -> Callable[[pa.Table, np.ndarray], tuple[pa.Table, tuple[np.ndarray, np.ndarray]]]:
    source, zone, registry = str(reader.path), reader.context.zone, reader.registry
    names = [h.strip().lower() for h in reader.header]
    col = {name: i for i, name in enumerate(names)}

    def transform(raw: pa.Table, lines: np.ndarray) -> tuple[pa.Table, tuple[np.ndarray, np.ndarray]]:
        n = raw.num_rows
        blank = pa.array([""] * n, pa.string())

        def get(name: str) -> pa.Array:
            i = col.get(name, -1)
            return pc.utf8_trim_whitespace(raw.column(i).combine_chunks()) if i >= 0 else blank

        number, code = get("phone_number"), get("phone_code")
        dial = pc.binary_join_element_wise("+", code, pc.utf8_ltrim(number, "0"), "")
        use_code = pc.and_(pc.not_equal(code, ""), pc.invert(pc.starts_with(number, "+")))
        epoch = get("start_epoch")
        if "start_epoch" in col:
            ok = pc.match_substring_regex(epoch, r"^[0-9]+(\.[0-9]+)?$").to_numpy(zero_copy_only=False)
            # float() of the text, as the converter reads it (Arrow's cast rounds the same way)
            ts = pc.cast(pc.if_else(pa.array(ok), epoch, "0"), pa.float64()).to_numpy(zero_copy_only=False).copy()
            # an empty start_epoch falls back to call_date in the converter: leave those rows to it
            times = (ts, ok)
        else:
            times = local_times(get("call_date"), zone)
        campaign = get("campaign_id")
        table = _table({
            "call_id": _or_line(get("uniqueid"), lines, source), "start": get("call_date"),
            "callee": pc.if_else(use_code, dial, number), "caller_id": blank, "campaign": campaign,
            "purpose": _purposes(campaign, registry), "disposition": get("status"),
            "duration_s": get("length_in_sec"), "agent": get("user"), "ring_s": blank, "talk_s": blank,
            "lead": get("lead_id"), "callee_raw": number, "disposition_raw": get("status")})
        return table, times

    return transform
