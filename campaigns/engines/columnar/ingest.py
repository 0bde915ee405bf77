"""The reading side of the columnar audit: a block of the log -> its attempts as Rows and its rejected
rows, on the log reader's thread, a block or two ahead of the judging."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campaigns.engines.columnar.columns import Blocks, Names, Rows
from campaigns.engines.columnar.csvbytes import record_fields
from campaigns.engines.columnar.groups import Groups
from campaigns.engines.columnar.layouts import layout_of
from campaigns.engines.columnar.reading import Block, columns_prepared, parse_times, text_hashes
from campaigns.ingest import formats
from campaigns.ingest.formats import ASSUMED_PRINCIPAL, RowError
from campaigns.ingest.reader import LogReader
from campaigns.model.facts import Facts
from campaigns.model.phones import PhoneInfo
from campaigns.model.records import DIAL_MODES, DISPOSITIONS, Attempt, RejectedRow
from campaigns.model.residence import residence_info

SLOT_MASK = (1 << 24) - 1  # call id hash slots (16 MB): see Ingest._seen_before


@dataclass(slots=True)
class LogCounts:
    """What LogReader counts of a log it reads (rows == attempts + rejected)."""

    rows: int = 0
    attempts: int = 0
    rejected: int = 0
    unmapped: Counter[str] = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)


class Ingest:
    """Reads blocks into Rows. What it adds to (names, groups, blocks, counts) the judging only reads, and
    only at ids a block it has been given holds."""

    def __init__(self, reader: LogReader, facts: Facts, names: Names, groups: Groups, blocks: Blocks) -> None:
        self.facts = facts
        self.names = names
        self.groups = groups
        self.blocks = blocks
        self.source = str(reader.path)
        self.log = reader.source
        self.assumed = reader.context.assumed
        """Campaigns given the assumed single principal (formats.ASSUMED_PRINCIPAL), as the row converters note them."""
        self.counts = LogCounts()
        self.layout = layout = layout_of(reader)
        if reader.format == "generic":
            self._convert, self.counts.ignored_columns = formats.generic(reader.header, reader.context)
        else:
            self._convert = reader.converter()
            self.counts.ignored_columns = reader.ignored_columns
        self.width = layout.width
        self.column = layout.column
        """Column name -> place in the table the judging reads."""
        self._columns = columns_prepared(self.column["start"], self.column["callee"])
        mapping = layout.mapping
        self._purposes = layout.purposes
        self._codes = sorted(mapping)
        self._code_disp = np.array([DISPOSITIONS.index(mapping[c]) for c in self._codes] or [0], np.int8)
        self._seen: list[np.ndarray] = []
        self._seen_slots = np.zeros(SLOT_MASK + 1, np.uint8)
        self._numbers = itertools.count()
        self._arrivals = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None

    def prepare(self, block: Block) -> None:
        """Runs on the reader thread (`prefetched`), in block order: `block.prepared["ingested"]` gets the
        block's (Rows, rejected rows in line order)."""
        if self.layout.transform is not None and block.table.num_rows:
            block.raw = block.table
            block.table, block.times = self.layout.transform(block.table, block.lines)
        self._columns(block)
        block.prepared = self._checked(block)
        block.prepared["ingested"] = self._ingest(next(self._numbers), block)

    def _reject(self, out: list[tuple[int, RejectedRow]], line: int, error: RowError, text: str) -> None:
        counts = self.counts
        counts.rejected += 1
        if "unmapped" in error.reason or "unknown disposition" in error.reason:
            counts.unmapped[error.reason.split("'")[1] if "'" in error.reason else "?"] += 1
        out.append((line, RejectedRow(self.source, line, error.field, error.reason, text[:200])))

    def _ingest(self, number: int, block: Block) -> tuple[Rows, list[RejectedRow]]:
        """A block's attempts as Rows, and its rejected rows in line order."""
        counts = self.counts
        names = self.names
        rejected: list[tuple[int, RejectedRow]] = []
        for line, raw in block.odd:
            fields, problem = record_fields(raw, self.log)
            if not problem and (not fields or (len(fields) == 1 and not fields[0].strip())):
                continue  # blank line: not a row
            counts.rows += 1
            text = ",".join(fields)
            if problem:
                self._reject(rejected, line, RowError("(encoding)" if "decoded" in problem else "row", problem), text)
                continue
            try:
                self._convert(line, fields)
            except RowError as error:
                self._reject(rejected, line, error, text)
            else:  # pragma: no cover - a wrong width never converts (scan_log: one width in a vendor log)
                raise RuntimeError(f"{self.source}:{line}: converted a row of the wrong width")
        table = block.table
        n = table.num_rows
        counts.rows += n
        checked = block.prepared if block.prepared is not None else self._checked(block)
        col, ok, ts = checked["col"], checked["ok"], checked["ts"]
        key, profile, purpose, code = checked["key"], checked["profile"], checked["purpose"], checked["code"]
        purposes = list(self._purposes)
        raw = block.raw if block.raw is not None else table
        disp = self._code_disp[np.maximum(code, 0)] if n else np.zeros(0, np.int8)
        overrides: dict[int, Attempt] = {}
        for i in np.flatnonzero(~ok).tolist():
            fields = [raw.column(c)[i].as_py() for c in range(self.width)]
            line = int(block.lines[i])
            try:
                attempt = self._convert(line, fields)
            except RowError as error:
                self._reject(rejected, line, error, ",".join(fields))
                continue
            overrides[i] = attempt
            ts[i] = attempt.ts
            keys_i = names.numbers.key_of(attempt.phone)
            key[i] = keys_i
            info = self.facts.phones.lookup(attempt.phone)
            profile[i] = names.numbers.profile_id((info.country, info.zones, info.kind, info.valid))
            purpose[i] = purposes.index(attempt.purpose)
            disp[i] = DISPOSITIONS.index(attempt.disposition)
            ok[i] = True
        # duplicate call ids: the row engine keeps hash(call_id) of every attempt, in file order; here
        # text_hashes (same odds of a false match) kept as sorted int64 arrays: 8 bytes a row
        candidates = np.flatnonzero(ok)
        hashes = checked["hashes"][candidates]
        # one sort (made on the reader thread, over all rows): duplicates in the block, and the run kept
        sorted_rows = checked["by_hash"][ok[checked["by_hash"]]]
        by_hash = (np.cumsum(ok) - 1)[sorted_rows]  # the same rows as places among the candidates
        ordered = hashes[by_hash]
        again = np.zeros(len(ordered), bool)
        again[1:] = ordered[1:] == ordered[:-1]  # later occurrences (stable: the first stays first)
        duplicate = self._seen_before(hashes)
        duplicate[by_hash[again]] = True
        for i in candidates[duplicate].tolist():
            line = int(block.lines[i])
            text = ",".join(raw.column(c)[i].as_py() for c in range(self.width))
            self._reject(rejected, line, RowError("call_id", f"duplicate call id {col['call_id'][i].as_py()!r} (already seen "
                                                             "earlier in the file; this row is not audited)"), text)
        self._remember(ordered[~duplicate[by_hash]])
        accepted = candidates[~duplicate]
        rejected.sort(key=lambda item: item[0])
        take = accepted.astype(np.int64)
        counts.attempts += len(take)
        self.blocks.add(number, table, overrides, col["call_id"] if n else pa.array([], pa.string()))
        camp = names.campaigns.many(col["campaign"]) if n else np.zeros(0, np.int32)
        principal = self._principals(col, camp, take) if n else np.zeros(0, np.int32)
        region = names.regions.many(col["region"]) if "region" in col and n else np.zeros(n, np.int32)
        person = self.groups.persons(key)
        no_region = region == 0
        known = person >= 0
        region = np.where(no_region & known, self.groups.person_region[np.maximum(person, 0)], region)
        lead = names.leads.many(col["lead"]) if "lead" in col and n else None
        group = self.groups.of(principal[take], key[take], person[take], None if lead is None else lead[take])
        k = len(take)
        mode = names.modes.many(col["dial_mode"]) if "dial_mode" in col and n else np.zeros(n, np.int32)
        cli = names.clis.many(col["caller_id"]) if n else np.zeros(0, np.int32)
        rows = Rows(seq=self._arrivals + np.arange(k), ts=ts[take], line=block.lines[take], key=key[take],
                    profile=self._residence(profile[take], region[take], key[take]), camp=camp[take], principal=principal[take],
                    purpose=purpose[take].astype(np.int8), disp=disp[take] if k else
                    np.zeros(0, np.int8), group=group, region=region[take].astype(np.int32),
                    block=np.full(k, number, np.int32), index=take,
                    callref=(np.int64(number) << 32) | take, mode=mode[take],
                    cli=cli[take])
        self._arrivals += k
        if k:
            low, high = float(rows.ts.min()), float(rows.ts.max())
            self.first_ts = low if self.first_ts is None else min(self.first_ts, low)
            self.last_ts = high if self.last_ts is None else max(self.last_ts, high)
        return rows, [row for _, row in rejected]

    def _checked(self, block: Block) -> dict[str, Any]:
        """A block's columns, start times, number keys and profiles, purpose and disposition codes, and
        which rows passed every vectorized test (`ok`). Stateless but for the number table, which only
        this step adds to: it runs on the reader thread (`prefetched`), beside the judging of the block
        before, and is nearly all Arrow and numpy work that releases the GIL."""
        table = block.table
        n = table.num_rows
        col = {name: table.column(i).combine_chunks() if isinstance(table.column(i), pa.ChunkedArray)
               else table.column(i) for name, i in self.column.items()}
        ok = pc.greater(pc.binary_length(col["call_id"]), 0).to_numpy(zero_copy_only=False).copy() if n else \
            np.zeros(0, bool)
        ts, time_ok = block.times if block.times is not None else parse_times(col["start"]) if n else \
            (np.zeros(0), np.zeros(0, bool))
        ok &= time_ok
        if n:
            raw = block.callees if block.callees is not None else pc.dictionary_encode(col["callee"])
            keys, profiles = self.names.numbers.lookup(raw.dictionary, block.callee_digits)
            which = raw.indices.to_numpy(zero_copy_only=False)
            key = keys[which].astype(np.int64)
            profile = profiles[which].astype(np.int32)
        else:
            key = np.zeros(0, np.int64)
            profile = np.zeros(0, np.int32)
        ok &= key >= 0
        purpose = pc.fill_null(pc.index_in(col["purpose"], value_set=pa.array(list(self._purposes))), -1).to_numpy(
            zero_copy_only=False).astype(np.int64) if n else np.zeros(0, np.int64)
        ok &= purpose >= 0
        code = pc.fill_null(pc.index_in(col["disposition"], value_set=pa.array(self._codes, pa.string())), -1).to_numpy(
            zero_copy_only=False).astype(np.int64) if n else np.zeros(0, np.int64)
        ok &= code >= 0
        if "dial_mode" in col and n:
            mode = col["dial_mode"]
            ok &= pc.or_(pc.equal(mode, ""), pc.is_in(mode, value_set=pa.array(list(DIAL_MODES)))).to_numpy(
                zero_copy_only=False)
        if n:
            ok &= pc.match_substring_regex(col["duration_s"], "^[0-9]*$").to_numpy(zero_copy_only=False)
            for name in ("ring_s", "talk_s"):
                if name in col:
                    ok &= pc.match_substring_regex(col[name], r"^([0-9]+(\.[0-9]+)?)?$").to_numpy(zero_copy_only=False)
        hashes = text_hashes(col["call_id"])
        return {"col": col, "ok": ok, "ts": ts, "key": key, "profile": profile, "purpose": purpose, "code": code,
                "hashes": hashes, "by_hash": np.argsort(hashes, kind="stable")}

    def _seen_before(self, hashes: np.ndarray) -> np.ndarray:
        """Which hashes were remembered. A byte per slot of their low 24 bits rules most out at once (a
        million call ids fill 6 % of the slots); only the rest are searched in the sorted runs."""
        out = np.zeros(len(hashes), bool)
        maybe = np.flatnonzero(self._seen_slots[hashes & SLOT_MASK])
        if not maybe.size:
            return out
        candidates = hashes[maybe]
        for known in self._seen:
            at = np.minimum(np.searchsorted(known, candidates), len(known) - 1)
            out[maybe] |= known[at] == candidates
        return out

    def _remember(self, hashes: np.ndarray) -> None:
        """Add call id hashes (sorted); the sorted runs are merged so that there are few of them
        (log-structured; timsort merges two sorted runs in one pass)."""
        self._seen_slots[hashes & SLOT_MASK] = 1
        self._seen.append(hashes)
        while len(self._seen) > 1 and len(self._seen[-2]) <= 2 * len(self._seen[-1]):
            last = self._seen.pop()
            self._seen[-1] = np.sort(np.concatenate([self._seen[-1], last]), kind="stable")

    def _residence(self, profile: np.ndarray, region: np.ndarray, key: np.ndarray) -> np.ndarray:
        """Profiles with the country and zone of the callee's residence region (model.residence, as CallBuilder
        applies it): computed once per distinct (profile, region) pair of the rows that have a region; the moved
        numbers go to PhoneBook.moved, as CallBuilder puts them."""
        where = np.flatnonzero(region > 0)
        if not where.size:
            return profile
        numbers, regions = self.names.numbers, self.names.regions.names
        profiles = numbers.snapshot()
        pairs, back = np.unique((profile[where].astype(np.int64) << 32) | region[where], return_inverse=True)
        mapped = np.empty(len(pairs), np.int32)
        for i, pair in enumerate(pairs.tolist()):
            p, r = pair >> 32, pair & 0xFFFFFFFF
            country, zones, kind, valid = profiles[p]
            info = residence_info(PhoneInfo("", country, zones, kind, valid), regions[r])
            mapped[i] = p if info.zone_basis != "residence" else numbers.profile_id((info.country, info.zones, kind,
                                                                                      valid))
        out = profile.copy()
        out[where] = mapped[back.ravel()]
        changed = where[out[where] != profile[where]]
        if changed.size:
            moved = self.facts.phones.moved
            for e164, p in zip(numbers.texts(key[changed]), out[changed].tolist(), strict=True):
                moved.add((e164, numbers.profiles[p][1]))
        return out

    def _principals(self, col: dict[str, pa.Array], camp: np.ndarray, take: np.ndarray) -> np.ndarray:
        """Principal id of every row: the log's, else the registry's, else ASSUMED_PRINCIPAL (the campaigns of
        the accepted rows `take` that got it are noted in `assumed`, as the row converters note them)."""
        registry = self.facts.registry
        names = self.names
        known = [registry[c].principal if c in registry and registry[c].principal else "" for c in names.campaigns.names]
        fallback = np.array([names.principals.id(p or ASSUMED_PRINCIPAL) for p in known], np.int32)
        out = fallback[camp]
        assumed = np.array([not p for p in known], bool)[camp]
        if "principal" in col:
            given = names.principals.many(col["principal"])
            empty = pc.equal(col["principal"], "").to_numpy(zero_copy_only=False)
            out = np.where(empty, out, given)
            assumed &= empty
        for c in np.unique(camp[take][assumed[take]]).tolist():
            self.assumed.add(names.campaigns.names[c])
        return out.astype(np.int32)
