"""The batched columnar audit: the same verdicts as `campaigns.engines.row.Auditor`, a block of rows at a time.

How it stays identical to the row engine:

* Order. The reorder buffer is computed, not run: with `newest` the running maximum of start times and
  H = newest - reorder_s, a row is released at the first arrival whose H reaches its start, `done_until`
  is the running maximum of released starts, and a row earlier than `done_until` on arrival is late
  and judged at once. Each row gets the key (arrival at which it is judged, start, arrival), which is
  the order `Auditor.feed` judges rows in.
* History. `Ledger` keeps, per principal and person, the attempts not trimmed yet (an attempt goes
  when a later-recorded one starts more than keep_s after it), the latest refusal and the first
  opt-out. The attempt store (attempts.py) chains each person's attempts; walking back from a row
  with a running maximum of starts skips, by the same rule, what the Ledger has dropped, so the history
  a row sees can be rebuilt. Refusals and opt-outs are kept per group as the Ledger keeps them.
* Verdicts. Vectorized tests only pick the rows where a rule *may* be broken (a superset: outside a
  window in some zone, enough earlier attempts in a window, a refusal before the call...). For those
  rows the check's own `evaluate` runs on a real `Call` and `PersonHistory`, so messages, evidence and
  "not evaluated" reasons come from campaigns/checks and nowhere else.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from campaigns.checks.frequency import DailyParams, FrequencyParams, GapParams
from campaigns.checks.refusal import CoolingParams, ObjectionParams, grace_end
from campaigns.checks.windows import calendar_key
from campaigns.engines.columnar import verdicts
from campaigns.engines.columnar.attempts import AttemptStore
from campaigns.engines.columnar.phone_forms import NumberTable
from campaigns.engines.columnar.reading import (
    Block,
    columns_prepared,
    parse_times,
    prefetched,
    read_blocks,
    text_hashes,
)
from campaigns.engines.columnar.verdicts import Batch, Found
from campaigns.engines.row import Auditor
from campaigns.ingest import formats
from campaigns.ingest.formats import RowError
from campaigns.ingest.reader import LogReader
from campaigns.model.calendars import holiday_name, load_soon
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import REFUSALS, Mark, Past, PersonHistory, past_json
from campaigns.model.localtime import (
    FAST_FROM,
    FAST_UNTIL,
    Local,
    remember_texts,
    utc_isos,
    utc_offset,
    utc_tails,
    wall_texts,
)
from campaigns.model.phones import PhoneError
from campaigns.model.records import DIAL_MODES, DISPOSITIONS, PURPOSES, Attempt, RejectedRow, Violation
from campaigns.rules.select import RuleSet

CLOCK = {"time_of_day", "closed_days", "holiday"}
HISTORY = {"frequency", "min_gap", "max_per_day", "cooling_off", "objection"}
SUPPORTED = CLOCK | HISTORY | {"opposition_list", "consent", "sector_ban", "caller_id", "list_scrub"}
FAILED = DISPOSITIONS.index("failed")
OPT_OUT = DISPOSITIONS.index("opt_out")
REFUSAL_CODES = [DISPOSITIONS.index(d) for d in REFUSALS]
DAY = 86400.0
PAST_JSON_KEPT = 100_000  # evidence dicts of earlier attempts kept for later findings (about 40 MB)
SLOT_MASK = (1 << 24) - 1  # call id hash slots (16 MB): see _seen_before


def unsupported(reader: LogReader, ruleset: RuleSet, encoding: str) -> str:
    """Why the columnar engine cannot run this audit ("" when it can)."""
    if reader.format != "generic":
        return f"log format {reader.format}"
    if encoding.lower().replace("-", "").replace("_", "") not in {"utf8"}:
        return f"encoding {encoding}"
    for rule in ruleset.rules:
        p = rule.prepared
        if rule.check not in SUPPORTED:
            return f"check {rule.check} ({rule.id}) has no columnar version"
        if rule.check == "time_of_day" and p.whole_call:
            return f"{rule.id}: window_edge whole_call"
        if rule.check == "frequency" and p.states:
            return f"{rule.id}: per-state frequency"
    return ""


@dataclass(slots=True)
class Rows:
    """Attempts as columns (one entry per attempt; `block`/`index` point at the Arrow row)."""

    seq: np.ndarray
    ts: np.ndarray
    line: np.ndarray
    key: np.ndarray
    profile: np.ndarray
    camp: np.ndarray
    principal: np.ndarray
    purpose: np.ndarray
    disp: np.ndarray
    group: np.ndarray
    region: np.ndarray
    block: np.ndarray
    index: np.ndarray
    callref: np.ndarray  # block << 32 | row of the block: the call id stays in the block's Arrow column
    mode: np.ndarray
    cli: np.ndarray

    def take(self, which: np.ndarray) -> Rows:
        return Rows(*(getattr(self, name)[which] for name in self.__slots__))  # type: ignore[attr-defined]

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(*(np.concatenate([getattr(p, name) for p in parts]) for name in Rows.__slots__))  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.ts)


def _empty_rows() -> Rows:
    return Rows(*(np.zeros(0, dtype) for dtype in (np.int64, np.float64, np.int64, np.int64, np.int32, np.int32,
                                                   np.int32, np.int8, np.int8, np.int64, np.int32, np.int32,
                                                   np.int64, np.int64, np.int32, np.int32)))


class Interner:
    """Strings <-> small integer ids."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self._array = np.empty(0, object)

    def array(self) -> np.ndarray:
        """The names as an object array, for gathering many at once (names are only ever added)."""
        if len(self._array) != len(self.names):
            # the log reader's thread may add one meanwhile (a slice is taken at once)
            self._array = verdicts.object_array(self.names[:])
        return self._array

    def id(self, name: str) -> int:
        hit = self.ids.get(name)
        if hit is None:
            hit = self.ids[name] = len(self.names)
            self.names.append(name)
        return hit

    def many(self, array: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(array).combine_chunks() if isinstance(array, pa.ChunkedArray) else \
            pc.dictionary_encode(array)
        table = np.array([self.id(name) for name in encoded.dictionary.to_pylist()], np.int32)
        return table[encoded.indices.to_numpy(zero_copy_only=False)] if len(table) else np.zeros(0, np.int32)


class Grow:
    """Per-group arrays that grow with the number of groups."""

    def __init__(self, fill: Any, dtype: Any) -> None:
        self.fill = fill
        self.values = np.full(1024, fill, dtype)

    def ensure(self, size: int) -> None:
        if size > len(self.values):
            bigger = np.full(max(size, 2 * len(self.values)), self.fill, self.values.dtype)
            bigger[:len(self.values)] = self.values
            self.values = bigger


class ColumnarAuditor:
    """Runs one audit with the columnar engine, filling the row engine's counters (`auditor`, `reader`)."""

    def __init__(self, reader: LogReader, ruleset: RuleSet, facts: Facts, auditor: Auditor,
                 on_violation: Callable[[Violation], None], on_rejected: Callable[[RejectedRow], None],
                 on_progress: Callable[[int], None] = lambda done: None) -> None:
        self.reader = reader
        self.rules = ruleset
        self.facts = facts
        self.auditor = auditor
        self.on_violation = on_violation
        self.on_rejected = on_rejected
        self.on_progress = on_progress
        self.source = str(reader.path)
        self.numbers = NumberTable(facts.phones)
        self.campaigns = Interner()
        self.principals = Interner()
        self.regions = Interner()
        self.regions.id("")
        self.leads = Interner()
        self.modes = Interner()
        self.modes.id("")
        self.clis = Interner()
        self.history_rules = any(rule.check in HISTORY for rule in ruleset.rules)
        self._infos: dict[tuple[int, int], Any] = {}
        self._formatted_pasts: np.ndarray | None = None
        self._people = np.empty(0, object)  # per group: (person_key, basis, person_id), once asked for
        self._people_known = np.zeros(0, bool)
        self._past_json = np.empty(0, object)  # see past_json: dicts, the first _past_json_count in use
        self._past_json_count = 0
        self._profile_zones = np.empty(0, object)
        self._past_json_of = np.full(1 << 16, -1, np.int32)  # judging position -> index in _past_json (-1: none)
        self.zones = Interner()
        self.countries = Interner()
        self.late = 0
        self.groups: dict[tuple[int, int], int] = {}
        self._group_composite: list[int] = []  # per group id: principal << 55 | person token
        self._packed = Grow(-1, np.int64)  # the same as an array, -1 for groups kept in `groups` (a tuple)
        self._group_keys = np.zeros(0, np.int64)  # the composites, sorted, and their ids
        self._group_ids = np.zeros(0, np.int64)
        self.blocks: dict[int, tuple[pa.Table, dict[int, Attempt]]] = {}
        self._judged_block = -1  # the last block handed to the judging (the reader ingests ahead of it)
        self.call_ids: dict[int, pa.Array] = {}  # per block: its call_id column (see Rows.callref)
        self.seen: list[np.ndarray] = []
        self.seen_slots = np.zeros(SLOT_MASK + 1, np.uint8)
        self.violations = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None
        # reorder state
        self.reorder_s = auditor.reorder_s
        self.newest = float("-inf")
        self.done_until = float("-inf")
        self.arrivals = 0
        self.pending = _empty_rows()
        self.position = 0
        # history state: the attempts the Ledger holds (and ones it has dropped, which walks skip)
        self.keep_s = auditor.ledger.keep_s
        self.attempts = AttemptStore(self.keep_s)
        self.refusal_ts = Grow(-np.inf, np.float64)
        self.refusal_past = Grow(-1, np.int64)
        self.opt_ts = Grow(np.inf, np.float64)
        self.opt_past = Grow(-1, np.int64)
        self.last_sort = Grow(-1, np.int64)
        self.first_pos = Grow(-1, np.int64)
        self.pasts: list[Past] = []
        self._past_ts = np.zeros(0, np.float64)
        self._setup_inputs()

    # ---------------------------------------------------------------- inputs known before the log

    def _setup_inputs(self) -> None:
        facts = self.facts
        identity = facts.identity
        self.person_ids = Interner()
        person_keys, person_index = [], []
        for phone, person in identity.person_of_phone.items():
            person_keys.append(self.numbers.key_of(phone))
            person_index.append(self.person_ids.id(person))
        order = np.argsort(np.array(person_keys, np.int64), kind="stable")
        self.person_phone_keys = np.array(person_keys, np.int64)[order]
        self.person_of_key = np.array(person_index, np.int64)[order]
        self.person_region = np.array([self.regions.id(identity.region(p)) for p in self.person_ids.names] or [0],
                                      np.int32)
        self.mapping = self.reader.context.mapping
        self.codes = sorted(self.mapping)
        self.code_disp = np.array([DISPOSITIONS.index(self.mapping[c]) for c in self.codes] or [0], np.int8)

    def _persons(self, keys: np.ndarray) -> np.ndarray:
        """Person index of each number key (-1 when the persons file does not list it)."""
        if not len(self.person_phone_keys):
            return np.full(len(keys), -1, np.int64)
        at = np.searchsorted(self.person_phone_keys, keys)
        at = np.minimum(at, len(self.person_phone_keys) - 1)
        return np.where(self.person_phone_keys[at] == keys, self.person_of_key[at], -1)

    # ---------------------------------------------------------------- reading

    def run(self) -> None:
        reader = self.reader
        convert, reader.ignored_columns = formats.generic(reader.header, reader.context)
        self.convert = convert
        names = [h.strip().lower() for h in reader.header]
        self.width = len(names)
        self.column = {name: names.index(name) for name in (*formats.GENERIC_REQUIRED, *formats.GENERIC_OPTIONAL)
                       if name in names}
        columns = columns_prepared(self.column["start"], self.column["callee"])
        home = self.facts.phones.default_region
        load_soon({calendar_key(home, "", lambda: "", rule.prepared) for rule in self.rules.rules
                   if rule.check == "holiday"})

        numbers = itertools.count()

        def prepare(block: Block) -> None:  # on the reader thread, a block or two ahead of the judging
            columns(block)
            block.prepared = self._checked(block)
            block.prepared["ingested"] = self._ingest(next(numbers), block)

        for number, block in enumerate(prefetched(read_blocks(reader.path, self.width), prepare)):
            rows, rejected = block.prepared["ingested"]  # type: ignore[index]
            for row in rejected:
                self.on_rejected(row)
            self._judged_block = number
            self._arrive(rows)
            self.on_progress(block.end_offset)
        self._judge(self.pending, final=True)
        self.pending = _empty_rows()
        self.auditor.late = self.late
        self.marks = self._marks()

    def _reject(self, out: list[tuple[int, RejectedRow]], line: int, error: RowError, text: str) -> None:
        reader = self.reader
        reader.rejected += 1
        if "unmapped" in error.reason or "unknown disposition" in error.reason:
            reader.unmapped[error.reason.split("'")[1] if "'" in error.reason else "?"] += 1
        out.append((line, RejectedRow(self.source, line, error.field, error.reason, text[:200])))

    def _ingest(self, number: int, block: Block) -> tuple[Rows, list[RejectedRow]]:
        """A block's attempts as Rows, and its rejected rows in line order. Runs on the log reader's thread:
        what it adds to (number table, interners, groups, call id runs, counts) the judging only reads,
        and only at ids a block it has been given holds."""
        reader = self.reader
        rejected: list[tuple[int, RejectedRow]] = []
        for line, text in block.odd:
            if not text:
                continue
            fields = text.split(",")
            if len(fields) == 1 and not fields[0].strip():
                continue
            reader.rows += 1
            try:
                self.convert(line, fields)
            except RowError as error:
                self._reject(rejected, line, error, text)
            else:  # pragma: no cover - a wrong width never converts
                raise RuntimeError(f"{self.source}:{line}: converted a row of the wrong width")
        table = block.table
        n = table.num_rows
        reader.rows += n
        checked = block.prepared if block.prepared is not None else self._checked(block)
        col, ok, ts = checked["col"], checked["ok"], checked["ts"]
        key, profile, purpose, code = checked["key"], checked["profile"], checked["purpose"], checked["code"]
        purposes = list(PURPOSES)
        overrides: dict[int, Attempt] = {}
        for i in np.flatnonzero(~ok).tolist():
            fields = [table.column(c)[i].as_py() for c in range(self.width)]
            line = int(block.lines[i])
            try:
                attempt = self.convert(line, fields)
            except RowError as error:
                self._reject(rejected, line, error, ",".join(fields))
                continue
            overrides[i] = attempt
            ts[i] = attempt.ts
            keys_i = self.numbers.key_of(attempt.phone)
            key[i] = keys_i
            info = self.facts.phones.lookup(attempt.phone)
            profile[i] = self.numbers.profile_id((info.country, info.zones, info.kind, info.valid))
            purpose[i] = purposes.index(attempt.purpose)
            code[i] = self.codes.index(attempt.disposition_raw)
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
            text = ",".join(table.column(c)[i].as_py() for c in range(self.width))
            self._reject(rejected, line, RowError("call_id", f"duplicate call id {col['call_id'][i].as_py()!r} (already seen "
                                                             "earlier in the file; this row is not audited)"), text)
        self._remember(ordered[~duplicate[by_hash]])
        accepted = candidates[~duplicate]
        rejected.sort(key=lambda item: item[0])
        take = accepted.astype(np.int64)
        reader.attempts += len(take)
        self.blocks[number] = (table, overrides)
        self.call_ids[number] = col["call_id"] if n else pa.array([], pa.string())
        camp = self.campaigns.many(col["campaign"]) if n else np.zeros(0, np.int32)
        principal = self._principals(col, camp) if n else np.zeros(0, np.int32)
        region = self.regions.many(col["region"]) if "region" in col and n else np.zeros(n, np.int32)
        person = self._persons(key)
        no_region = region == 0
        known = person >= 0
        region = np.where(no_region & known, self.person_region[np.maximum(person, 0)], region)
        lead = self.leads.many(col["lead"]) if "lead" in col and n else None
        group = self._groups(principal[take], key[take], person[take],
                             None if lead is None else lead[take])
        k = len(take)
        mode = self.modes.many(col["dial_mode"]) if "dial_mode" in col and n else np.zeros(n, np.int32)
        cli = self.clis.many(col["caller_id"]) if n else np.zeros(0, np.int32)
        rows = Rows(seq=self.arrivals + np.arange(k), ts=ts[take], line=block.lines[take], key=key[take],
                    profile=profile[take], camp=camp[take], principal=principal[take],
                    purpose=purpose[take].astype(np.int8), disp=self.code_disp[code[take]] if k else
                    np.zeros(0, np.int8), group=group, region=region[take].astype(np.int32),
                    block=np.full(k, number, np.int32), index=take,
                    callref=(np.int64(number) << 32) | take, mode=mode[take],
                    cli=cli[take])
        self.arrivals += k
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
        raw = block.callees if block.callees is not None else pc.dictionary_encode(col["callee"]) if n else None
        if n:
            keys, profiles = self.numbers.lookup(raw.dictionary, block.callee_digits)
            which = raw.indices.to_numpy(zero_copy_only=False)
            key = keys[which].astype(np.int64)
            profile = profiles[which].astype(np.int32)
        else:
            key = np.zeros(0, np.int64)
            profile = np.zeros(0, np.int32)
        ok &= key >= 0
        purpose = pc.fill_null(pc.index_in(col["purpose"], value_set=pa.array(list(PURPOSES))), -1).to_numpy(
            zero_copy_only=False).astype(np.int64) if n else np.zeros(0, np.int64)
        ok &= purpose >= 0
        code = pc.fill_null(pc.index_in(col["disposition"], value_set=pa.array(self.codes, pa.string())), -1).to_numpy(
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
        maybe = np.flatnonzero(self.seen_slots[hashes & SLOT_MASK])
        if not maybe.size:
            return out
        candidates = hashes[maybe]
        for known in self.seen:
            at = np.minimum(np.searchsorted(known, candidates), len(known) - 1)
            out[maybe] |= known[at] == candidates
        return out

    def _remember(self, hashes: np.ndarray) -> None:
        """Add call id hashes (sorted); the sorted runs are merged so that there are few of them
        (log-structured; timsort merges two sorted runs in one pass)."""
        self.seen_slots[hashes & SLOT_MASK] = 1
        self.seen.append(hashes)
        while len(self.seen) > 1 and len(self.seen[-2]) <= 2 * len(self.seen[-1]):
            last = self.seen.pop()
            self.seen[-1] = np.sort(np.concatenate([self.seen[-1], last]), kind="stable")

    def _principals(self, col: dict[str, pa.Array], camp: np.ndarray) -> np.ndarray:
        registry = self.facts.registry
        names = self.campaigns.names
        fallback = np.array([self.principals.id(registry[c].principal if c in registry and registry[c].principal
                                                 else c) for c in names], np.int32)
        out = fallback[camp]
        if "principal" in col:
            given = self.principals.many(col["principal"])
            empty = pc.equal(col["principal"], "").to_numpy(zero_copy_only=False)
            out = np.where(empty, out, given)
        return out.astype(np.int32)

    def _groups(self, principal: np.ndarray, key: np.ndarray, person: np.ndarray, lead: np.ndarray | None) -> np.ndarray:
        """Dense id of (principal, person key): the person when listed, else the lead, else the number."""
        token = np.where(person >= 0, (1 << 52) + person.astype(np.int64), key.astype(np.int64))
        if lead is not None:
            has_lead = (person < 0) & (lead != self.leads.ids.get("", -1))
            token = np.where(has_lead, (1 << 53) + lead.astype(np.int64), token)
        many = principal >= 255  # principals past the 255th: a dict instead of packed integers
        if many.any():
            out = np.empty(len(token), np.int64)
            out[many] = [self._group_of((p, t)) for p, t in zip(principal[many].tolist(), token[many].tolist(),
                                                                 strict=True)]
            few = np.flatnonzero(~many)
            out[few] = self._groups(principal[few], key[few], person[few], None if lead is None else lead[few])
            return out
        composite = (principal.astype(np.int64) << 55) | token
        unique, inverse = np.unique(composite, return_inverse=True)
        known = self._group_keys
        at = np.minimum(np.searchsorted(known, unique), max(len(known) - 1, 0))
        found = known[at] == unique if len(known) else np.zeros(len(unique), bool)
        ids = np.empty(len(unique), np.int64)
        ids[found] = self._group_ids[at[found]]
        new = unique[~found]
        first = len(self._group_composite)
        self._packed.ensure(first + len(new))
        self._packed.values[first:first + len(new)] = new
        ids[~found] = first + np.arange(len(new))
        self._group_composite.extend(new.tolist())
        keys = np.concatenate([known, new])
        order = np.argsort(keys, kind="stable")
        self._group_keys = keys[order]
        self._group_ids = np.concatenate([self._group_ids, ids[~found]])[order]
        return ids[inverse.reshape(-1)] if len(unique) else np.zeros(0, np.int64)

    def _group_of(self, pair: tuple[int, int]) -> int:
        hit = self.groups.get(pair)
        if hit is None:
            hit = self.groups[pair] = len(self._group_composite)
            self._group_composite.append(pair)  # type: ignore[arg-type]
        return hit

    def group_name(self, group: int) -> tuple[str, str]:
        """(principal, person key) of a group, as the Ledger keys it."""
        value = self._group_composite[group]
        p, t = value if isinstance(value, tuple) else (value >> 55, value & ((1 << 55) - 1))
        if t >= 1 << 53:
            person_key = "l:" + self.leads.names[t - (1 << 53)]
        elif t >= 1 << 52:
            person_key = "p:" + self.person_ids.names[t - (1 << 52)]
        else:
            person_key = "n:" + self.numbers.e164(t)
        return self.principals.names[p], person_key

    # ---------------------------------------------------------------- reorder buffer

    def _arrive(self, rows: Rows) -> None:
        n = len(rows)
        if not n:
            return
        ts = rows.ts
        newest = np.maximum.accumulate(np.concatenate([[self.newest], ts]))[1:]
        horizon = newest - self.reorder_s
        # release index of every waiting row: first arrival whose horizon reaches its start
        waiting = Rows.concat([self.pending, rows])
        own = np.concatenate([np.full(len(self.pending), -1), np.arange(n)])
        release = np.maximum(own, np.searchsorted(horizon, waiting.ts, side="left"))
        released = release < n
        events = np.full(n, -np.inf)
        np.maximum.at(events, release[released], waiting.ts[released])
        done = np.maximum.accumulate(np.concatenate([[self.done_until], events]))
        late = ts < done[:-1]
        self.late += int(late.sum())
        # late rows are judged at their arrival and never wait; a late row's release index is its own
        is_late = np.concatenate([np.zeros(len(self.pending), bool), late])
        when = np.where(is_late, own, release)
        go = is_late | released
        judged = waiting.take(np.flatnonzero(go))
        order = np.lexsort((judged.seq, judged.ts, when[go]))
        self.pending = waiting.take(np.flatnonzero(~go))
        self.newest = float(newest[-1])
        self.done_until = float(done[-1])
        self._judge(judged.take(order))

    # ---------------------------------------------------------------- judging

    def _judge(self, rows: Rows, final: bool = False) -> None:
        if final:
            rows = rows.take(np.lexsort((rows.seq, rows.ts)))
        n = len(rows)
        if not n:
            self._release_blocks()
            return
        pos = self.position + np.arange(n)
        self.position += n
        self.auditor.judged += n
        local = self._clock(rows)
        self._rows = rows
        self._call_day = local["call_day"]
        self._history_state = self._history(rows, pos, local) if self.history_rules else None
        plan_of, plans = self._plans(rows, local)
        flags = self._flags(rows, local, plan_of, plans, pos)
        self._evaluate(rows, local, plan_of, plans, flags, pos)
        self._record(rows, pos)
        self._release_blocks()

    def _release_blocks(self) -> None:
        keep = set(np.unique(self.pending.block).tolist())
        for number in list(self.blocks):
            if number not in keep and number <= self._judged_block:  # later ones are ingested, not judged yet
                del self.blocks[number]
        # call ids live in their block's column while a waiting row or a kept attempt refers to it
        refs = self.attempts.columns["callref"]
        oldest = min([*keep, *([int(refs.min() >> 32)] if len(refs) else [])], default=None)
        for number in list(self.call_ids):
            if (oldest is None or number < oldest) and number <= self._judged_block:
                del self.call_ids[number]

    def _clock(self, rows: Rows) -> dict[str, Any]:
        """Zones of each row and its local clock in each (day, minute, weekday, offset per zone slot)."""
        profiles = self.numbers.snapshot()
        width = max([len(p[1]) for p in profiles] or [0])
        zone_of_profile = np.full((max(len(profiles), 1), max(width, 1)), -1, np.int32)
        for i, (_, zones, _, _) in enumerate(profiles):
            for s, zone in enumerate(zones):
                zone_of_profile[i, s] = self.zones.id(zone)
        zone = zone_of_profile[rows.profile]
        ts = rows.ts
        whole = np.trunc(ts).astype(np.int64)
        quarter = np.floor_divide(ts, 900).astype(np.int64)
        offset = np.zeros(zone.shape, np.int64)
        for s in range(zone.shape[1]):
            present = (np.flatnonzero(np.bincount(zone[:, s] + 1)) - 1).tolist()  # zone ids are small
            for z in present:
                if z < 0:
                    continue
                rows_z = np.arange(len(zone)) if len(present) == 1 else np.flatnonzero(zone[:, s] == z)
                name = self.zones.names[z]
                their = quarter[rows_z]
                low, high = int(their.min()), int(their.max())
                if high - low < 4 * len(their) + 1000:  # a block spans a few days: a table over that span
                    table = np.array([utc_offset(name, q * 900.0) for q in range(low, high + 1)], np.int64)
                    offset[rows_z, s] = table[their - low]
                else:
                    quarters, inverse = np.unique(their, return_inverse=True)
                    table = np.array([utc_offset(name, q * 900.0) for q in quarters.tolist()], np.int64)
                    offset[rows_z, s] = table[inverse.reshape(-1)]
        seconds = whole[:, None] + offset
        day = np.floor_divide(seconds, 86400)
        minute = (seconds - day * 86400) // 60
        weekday = (day + 3) % 7
        has = zone >= 0
        call_day = np.where(has[:, 0], day[:, 0], np.floor_divide(ts, DAY).astype(np.int64))
        return {"zone": zone, "has": has, "day": day, "minute": minute, "weekday": weekday, "offset": offset,
                "call_day": call_day}

    def _plans(self, rows: Rows, local: dict[str, Any]) -> tuple[np.ndarray, list[Any]]:
        country = np.array([self._country_id(p[0]) for p in self.numbers.profiles] or [0], np.int32)[rows.profile]
        # (campaign, purpose, country, day) packed in one integer: 24 + 4 + 12 + 24 bits
        day0 = int(local["call_day"].min())
        combo = (rows.camp.astype(np.int64) << 40) | (rows.purpose.astype(np.int64) << 36) | \
            (country.astype(np.int64) << 24) | (local["call_day"] - day0)
        unique, inverse, counts = np.unique(combo, return_inverse=True, return_counts=True)
        plans = []
        for packed, count in zip(unique.tolist(), counts.tolist(), strict=True):
            camp, purpose, ctry, day = packed >> 40, (packed >> 36) & 15, (packed >> 24) & 4095, \
                (packed & ((1 << 24) - 1)) + day0
            key, plan = self.rules.plan_of(self.campaigns.names[camp], PURPOSES[purpose], self.countries.names[ctry], day)
            self.auditor._plan_counts[key] += count
            plans.append(plan)
        return inverse.reshape(-1), plans

    def _country_id(self, country: str) -> int:
        return self.countries.id(country)

    def _flags(self, rows: Rows, local: dict[str, Any], plan_of: np.ndarray, plans: list[Any],
               pos: np.ndarray) -> dict[str, np.ndarray]:
        """Rule id -> rows where that rule may be broken or not evaluable (a superset)."""
        rules: dict[str, Any] = {}
        for plan in plans:
            for rule, _, _ in plan.active:
                rules[rule.id] = rule
        active: dict[str, np.ndarray] = {}
        for rule_id in rules:
            on_plan = np.array([any(r.id == rule_id for r, _, _ in plan.active) for plan in plans])
            active[rule_id] = on_plan[plan_of]
        flags: dict[str, np.ndarray] = {}
        history = self._history_state
        has, zone_any = local["has"], local["has"][:, 0]
        for rule_id, rule in rules.items():
            p = rule.prepared
            check = rule.check
            if check == "time_of_day":
                table = np.zeros((7, 1441), bool)  # True: start minute is outside the day's windows
                for weekday, windows in enumerate(p.by_weekday):
                    if windows:
                        table[weekday, :] = True
                        for start, end in windows:
                            table[weekday, start:end] = False
                bad = has & table[local["weekday"], np.clip(local["minute"], 0, 1440)]
                mask = ~zone_any | bad.any(axis=1)
            elif check == "closed_days":
                closed = np.isin(local["weekday"], list(p.days)) & has
                mask = ~zone_any | closed.any(axis=1)
            elif check == "holiday":
                mask = ~zone_any | self._holidays(rows, local, p, active[rule_id])
            elif check == "opposition_list":
                mask = self._list_threshold(rows, p.sources, p.person_wide, p.effect_s) <= rows.ts
            elif check == "consent":
                mask = ~self._consented(rows, p.scopes, p.max_age_s)
            elif check == "sector_ban":
                registry = self.facts.registry
                bad_campaign = np.array([c not in registry or registry[c].sector in p.sectors
                                         for c in self.campaigns.names] or [False])
                mask = bad_campaign[rows.camp]
            elif check == "caller_id":
                mask = self._caller_ids(rows, p)
            elif check == "list_scrub":
                mask = self._stale_scrubs(rows, p)
            else:
                mask = self._history_mask(rows, rule, history)
            flags[rule_id] = mask & active[rule_id]
        return flags

    def _caller_ids(self, rows: Rows, p: Any) -> np.ndarray:
        """Rows without a dial mode, or automated with a caller ID that is empty, not a number or outside
        the allowed ranges (what eval_cli tests)."""
        phones = self.facts.phones
        bad = []
        for raw in self.clis.names:
            try:
                bad.append(not raw or not phones.lookup(raw).e164.startswith(p.prefixes))
            except PhoneError:
                bad.append(True)
        automated = np.array([m in p.automated for m in self.modes.names])
        return (rows.mode == 0) | (automated[rows.mode] & np.array(bad or [False])[rows.cli])

    def _stale_scrubs(self, rows: Rows, p: Any) -> np.ndarray:
        """Rows whose principal's last scrub against the list is missing or older than the rule allows."""
        stale = np.ones(len(rows), bool)
        for (principal, source), scrubs in self.facts.scrubs.items():
            pid = self.principals.ids.get(principal)
            if source != p.source or pid is None:
                continue
            mine = np.flatnonzero(rows.principal == pid)
            times = np.array([s.scrubbed_at.timestamp() for s in scrubs])
            ts = rows.ts[mine]
            last = np.searchsorted(times, ts, side="right") - 1
            fresh = (last >= 0) & (ts - times[np.maximum(last, 0)] <= p.max_age_days * 86400)
            stale[mine[fresh]] = False
        return stale

    def _holidays(self, rows: Rows, local: dict[str, Any], p: Any, active: np.ndarray) -> np.ndarray:
        """Rows (where the rule applies) whose local day is a holiday of their calendar in some zone."""
        out = np.zeros(len(rows), bool)
        if not active.any():
            return out
        which = np.flatnonzero(active)
        hit = self._holidays_of(rows.take(which), {name: value[which] for name, value in local.items()}, p)
        out[which] = hit
        return out

    def _holidays_of(self, rows: Rows, local: dict[str, Any], p: Any) -> np.ndarray:
        country = [prof[0] for prof in self.numbers.profiles]
        pairs = (rows.profile.astype(np.int64) << 32) | rows.region.astype(np.int64)
        unique, first_of, inverse = np.unique(pairs, return_index=True, return_inverse=True)
        calendars = Interner()
        cal = np.empty(len(unique), np.int64)
        for i, packed in enumerate(unique.tolist()):
            profile, region = packed >> 32, packed & 0xFFFFFFFF
            first = int(first_of[i])
            name = calendar_key(country[profile], self.regions.names[region],
                                lambda first=first: self._info(rows, first).us_state, p)
            cal[i] = calendars.id(name)
        cal_row = cal[inverse.reshape(-1)]
        out = np.zeros(len(rows), bool)
        no_country = np.array([not c for c in country] or [False])[rows.profile]
        for s in range(local["zone"].shape[1]):
            has = local["has"][:, s]
            if not has.any():
                continue
            day0 = int(local["day"][has, s].min())
            combo = (cal_row[has] << 32) | (local["day"][has, s] - day0)
            unique_days, inv = np.unique(combo, return_inverse=True)
            named = np.array([bool(holiday_name(calendars.names[c >> 32], (c & 0xFFFFFFFF) + day0))
                              for c in unique_days.tolist()])
            hit = np.zeros(len(rows), bool)
            hit[has] = named[inv.reshape(-1)]
            out |= hit
        return out | (local["has"][:, 0] & no_country)

    def _info(self, rows: Rows, i: int) -> Any:
        return self.numbers.info(int(rows.key[i]), int(rows.profile[i]))

    def _list_threshold(self, rows: Rows, sources: frozenset[str], person_wide: bool, delay_s: float) -> np.ndarray:
        """Earliest start at which a list entry of the number (of the person when person_wide) counts."""
        facts = self.facts
        cache: dict[int, float] = {}
        out = np.full(len(rows), np.inf)
        if not facts.oppositions:
            return out
        listed = np.array(sorted({self.numbers.key_of(p) for p in facts.oppositions}), np.int64)
        if person_wide:
            extra = []
            for phones in facts.identity.phones_of_person.values():
                if any(p in facts.oppositions for p in phones):
                    extra.extend(self.numbers.key_of(p) for p in phones)
            listed = np.union1d(listed, np.array(extra, np.int64))
        candidates = np.flatnonzero(np.isin(rows.key, listed))
        for i in candidates.tolist():
            key = int(rows.key[i])
            hit = cache.get(key)
            if hit is None:
                phone = self.numbers.e164(key)
                person = facts.identity.person_of_phone.get(phone, "")
                entries = facts.list_entries(phone, person, sources, person_wide)
                hit = min((delay_s(e) if callable(delay_s) else e.listed_at.timestamp() + delay_s for e in entries),
                          default=np.inf)
                cache[key] = hit
            out[i] = hit
        return out

    def _consented(self, rows: Rows, scopes: frozenset[str], max_age_s: float | None) -> np.ndarray:
        """Rows with a consent of `scopes` valid at their start (consent's own test is the reference)."""
        facts = self.facts
        out = np.zeros(len(rows), bool)
        if not facts.consents:
            return out
        keys = np.unique(rows.key)
        spans: dict[int, list[tuple[float, float, float]]] = {}
        for key in keys.tolist():
            phone = self.numbers.e164(key)
            person = facts.identity.person_of_phone.get(phone, "")
            found = []
            for consent in facts.consents_for(phone, person):
                if consent.scope in scopes:
                    given = consent.given_at.timestamp()
                    withdrawn = consent.withdrawn_at.timestamp() if consent.withdrawn_at else np.inf
                    found.append((given, withdrawn, np.inf if max_age_s is None else max_age_s))
            if found:
                spans[key] = found
        if not spans:
            return out
        width = max(len(v) for v in spans.values())
        index = {key: i for i, key in enumerate(spans)}
        given = np.full((len(spans), width), np.inf)
        withdrawn = np.full((len(spans), width), -np.inf)
        age = np.full((len(spans), width), -np.inf)
        for key, found in spans.items():
            for s, (g, w, a) in enumerate(found):
                given[index[key], s], withdrawn[index[key], s], age[index[key], s] = g, w, a
        which = np.array([index.get(k, -1) for k in rows.key.tolist()])
        has = which >= 0
        ts = rows.ts[has][:, None]
        w = which[has]
        valid = (given[w] <= ts) & (withdrawn[w] > ts) & (ts - given[w] <= age[w])
        out[has] = valid.any(axis=1)
        return out

    # ---------------------------------------------------------------- history

    def _history(self, rows: Rows, pos: np.ndarray, local: dict[str, Any]) -> dict[str, Any]:
        """The block's attempts added to the store, and every (row, earlier attempt present for it) pair."""
        n = len(rows)
        store = self.attempts
        order = np.argsort(rows.group, kind="stable")  # (group, position): rows come in position order
        base = store.append({"group": rows.group, "pos": pos, "ts": rows.ts, "day": local["call_day"],
                             "disp": rows.disp, "camp": rows.camp, "key": rows.key, "callref": rows.callref}, order)
        merged = store.columns
        # walk back from every row through the earlier attempts of its group
        T, prev, reach = merged["ts"], store.prev, store.reach
        active = np.arange(n)
        current = base + active
        running = np.full(n, -np.inf)
        pair_row, pair_at = [], []
        newest_present = np.full(n, -np.inf)
        while active.size:
            q = prev[current[active]]
            ok = q >= 0
            active, q = active[ok], q[ok]
            floor = running[active] - self.keep_s
            further = reach[q] >= floor  # else nothing at or before q is present: the walk stops
            active, q, floor = active[further], q[further], floor[further]
            if not active.size:
                break
            tq = T[q]
            present = tq >= floor
            running[active] = np.maximum(running[active], tq)
            pair_row.append(active[present])
            pair_at.append(q[present])
            np.maximum.at(newest_present, active[present], tq[present])
            current[active] = q
        pair_row_a = np.concatenate(pair_row) if pair_row else np.zeros(0, np.int64)
        pair_at_a = np.concatenate(pair_at) if pair_at else np.zeros(0, np.int64)
        has_history = np.zeros(n, bool)
        has_history[pair_row_a] = True
        # Ledger.record sorts a person's list when an attempt starts before the newest one present
        sorts = newest_present > rows.ts
        # refusal / opt-out as the Ledger holds them before each row
        refusal, opt_out = self._person_marks(rows, order, pos)
        return {"merged": merged, "pairs": (pair_row_a, pair_at_a), "has": has_history, "sorts": sorts,
                "refusal": refusal, "opt_out": opt_out, "order": order}

    def _person_marks(self, rows: Rows, order: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row, the batch row (>= 0) or stored past (-2 - index) holding the latest refusal and the
        first opt-out of its group before it; -1 when there is none."""
        n = len(rows)
        g = rows.group[order]
        ts = rows.ts[order]
        disp = rows.disp[order]
        start = np.ones(n, bool)
        start[1:] = g[1:] != g[:-1]
        segment = np.cumsum(start) - 1
        out = []
        for codes, latest, state_ts, state_past in ((REFUSAL_CODES, True, self.refusal_ts, self.refusal_past),
                                                    ([OPT_OUT], False, self.opt_ts, self.opt_past)):
            is_mark = np.isin(disp, codes)
            # rank marks by (start, position): the latest refusal is the largest, the first opt-out the smallest
            rank = np.zeros(n, np.int64)
            marks = np.flatnonzero(is_mark)
            ranked = marks[np.lexsort((pos[order][marks], ts[marks]))]
            rank[ranked] = np.arange(1, len(ranked) + 1) if latest else np.arange(len(ranked), 0, -1)
            big = len(ranked) + 1
            best = np.maximum.accumulate(segment * big + rank) - segment * big
            before = np.zeros(n, np.int64)
            before[1:] = best[:-1]
            before[start] = 0
            row_of_rank = np.zeros(big, np.int64)
            row_of_rank[rank[marks]] = marks
            choice = np.full(n, -1, np.int64)
            inside = before > 0
            choice[inside] = order[row_of_rank[before[inside]]]
            state_ts.ensure(len(self._group_composite))
            state_past.ensure(len(self._group_composite))
            stored_ts = state_ts.values[g]
            stored = state_past.values[g]
            inside_ts = np.where(inside, rows.ts[np.maximum(choice, 0)], np.nan)
            if latest:  # a later-recorded refusal replaces one that does not start after it
                use_stored = (stored >= 0) & (~inside | (inside_ts < stored_ts))
            else:  # a later-recorded opt-out replaces only one that starts after it
                use_stored = (stored >= 0) & (~inside | (stored_ts <= inside_ts))
            result = np.where(use_stored, -2 - stored, choice)
            final = np.empty(n, np.int64)
            final[order] = result
            out.append(final)
        return out[0], out[1]

    def _history_mask(self, rows: Rows, rule: Any, h: dict[str, Any]) -> np.ndarray:
        p = rule.prepared
        n = len(rows)
        merged = h["merged"]
        pair_row, pair_at = h["pairs"]
        ts = rows.ts
        if isinstance(p, CoolingParams):
            mark = h["refusal"]
            mark_ts = self._mark_ts(rows, mark)
            return (mark != -1) & (mark_ts < ts) & (ts < mark_ts + (p.days + 3) * DAY)
        if isinstance(p, ObjectionParams):
            mark = h["opt_out"]
            mark_ts = self._mark_ts(rows, mark)
            lists = self._list_threshold(rows, p.list_sources, True, lambda e: grace_end(e.listed_at.timestamp(), p)) \
                if p.list_sources else np.full(n, np.inf)
            return ((mark != -1) & (mark_ts <= ts)) | (lists <= ts)
        if isinstance(p, FrequencyParams):
            span, need, counts_failed = (p.window_days + 2) * DAY if p.window_days else p.window_s, p.max_attempts, \
                p.count_failed
        elif isinstance(p, GapParams):
            span, need, counts_failed = p.gap_s, 1, p.count_failed
        elif isinstance(p, DailyParams):
            span, need, counts_failed = 2 * DAY, p.max_attempts, p.count_failed
        else:  # pragma: no cover - unsupported() keeps other checks out
            raise RuntimeError(f"no columnar history test for {rule.check}")
        tj = merged["ts"][pair_at]
        tk = ts[pair_row]
        near = (tj <= tk) & (tj >= tk - span)
        if not counts_failed:
            near &= merged["disp"][pair_at] != FAILED
        count = np.bincount(pair_row[near], minlength=n)
        mask = count >= need
        if not counts_failed and isinstance(p, FrequencyParams):
            mask &= rows.disp != FAILED
        return mask

    def _mark_ts(self, rows: Rows, mark: np.ndarray) -> np.ndarray:
        out = np.full(len(rows), np.nan)
        batch = mark >= 0
        out[batch] = rows.ts[mark[batch]]
        stored = mark <= -2
        if len(self._past_ts) < len(self.pasts):  # the start of every stored past, as an array
            more = np.fromiter((past.ts for past in self.pasts[len(self._past_ts):]), np.float64)
            self._past_ts = np.concatenate([self._past_ts, more])
        out[stored] = self._past_ts[-2 - mark[stored]]
        return out

    # ---------------------------------------------------------------- exact verdicts

    def _evaluate(self, rows: Rows, local: dict[str, Any], plan_of: np.ndarray, plans: list[Any],
                  flags: dict[str, np.ndarray], pos: np.ndarray) -> None:
        """Exact verdicts for the flagged rows: array verdicts (columnar/verdicts.py) where they are exact,
        the check's own `evaluate` on a real Call for the rest; violations go out in judging order
        (row, then the rule's place in the plan), as the row engine emits them."""
        self._formatted_pasts = None
        found_rows: list[np.ndarray] = []
        found_ranks: list[np.ndarray] = []
        found: list[Violation] = []
        generic = dict(flags)
        batch = Batch(self, rows, local, self._history_state)
        for rule_id, mask in flags.items():
            rule = self._rule(rule_id)
            verdict = verdicts.VERDICTS.get(rule.check)
            flagged = np.flatnonzero(mask)
            if verdict is None or not flagged.size:
                continue
            decided, hits = verdict(batch, rule, rule.prepared, flagged)
            if decided.size:
                rest = mask.copy()
                rest[decided] = False
                generic[rule_id] = rest
            if hits.rows.size:
                found_rows.append(hits.rows)
                found_ranks.append(self._ranks(rule_id, plans, plan_of[hits.rows]))
                found.extend(self._violations(rows, batch, rule_id, hits))
        self._evaluate_rows(rows, local, plan_of, plans, generic, found_rows, found_ranks, found)
        if not found:
            return
        order = np.lexsort((np.concatenate(found_ranks), np.concatenate(found_rows))).tolist()
        self.violations += len(found)
        deque(map(self.on_violation, map(found.__getitem__, order)), maxlen=0)  # the loop in C

    def _ranks(self, rule_id: str, plans: list[Any], plan_rows: np.ndarray) -> np.ndarray:
        """Place of the rule in each row's plan (clock rules first, as the row engine runs them)."""
        places = [next(k for k, entry in enumerate(plan.clock + plan.rest) if entry[0].id == rule_id)
                  if any(entry[0].id == rule_id for entry in plan.active) else -1 for plan in plans]
        return np.array(places, np.int64)[plan_rows]

    def _violations(self, rows: Rows, batch: Batch, rule_id: str, hits: Found) -> list[Violation]:
        """The Violations of array verdicts, counted as Auditor.settle counts them."""
        which = hits.rows
        auditor = self.auditor
        auditor._violations[rule_id] += len(which)
        camp = rows.camp[which]
        for c, count in zip(*np.unique(camp, return_counts=True), strict=True):
            auditor.by_campaign[(self.campaigns.names[int(c)], rule_id)] += int(count)
        persons = hits.persons or self.persons_of_groups(rows.group[which])
        n = len(which)
        # each field as a column, zipped straight into the tuples (no per-finding unpacking)
        return list(map(tuple.__new__, repeat(Violation, n), zip(
            self.call_texts(rows.callref[which]), repeat(rule_id, n), self.numbers.texts(rows.key[which]),
            map(itemgetter(2), persons), map(itemgetter(1), persons), self.campaigns.array()[camp].tolist(),
            self.principals.array()[rows.principal[which]].tolist(), hits.local_times or batch.local_iso(which),
            self._zones_of_profiles()[rows.profile[which]].tolist(), hits.messages, hits.evidence,
            repeat(self.source, n), rows.line[which].tolist(), wall_texts(rows.ts[which], utc_tails(n)),
            strict=True)))

    def _zones_of_profiles(self) -> np.ndarray:
        """The zones tuple of every number profile, as an object array (profiles are only ever added)."""
        if len(self._profile_zones) != len(self.numbers.profiles):
            self._profile_zones = verdicts.object_array([profile[1] for profile in self.numbers.snapshot()])
        return self._profile_zones

    def persons_of_groups(self, groups: np.ndarray) -> list[tuple[str, str, str]]:
        """(person_key, basis, person_id) of each group, as Identity.key gives them (made once per group,
        gathered from an object array)."""
        size = len(self._group_composite)
        if len(self._people) < size:
            grown = max(size, 2 * len(self._people))
            people, known = np.empty(grown, object), np.zeros(grown, bool)
            people[:len(self._people)], known[:len(self._people)] = self._people, self._people_known
            self._people, self._people_known = people, known
        new = np.unique(groups[~self._people_known[groups]])
        if new.size:
            self._name_people(new)
            self._people_known[new] = True
        return self._people[groups].tolist()

    def _name_people(self, groups: np.ndarray) -> None:
        """Fill `_people` for these groups: person ("p:"), lead ("l:") or number ("n:") keys, each kind's
        tuples made at once."""
        people = self._people
        self._packed.ensure(len(self._group_composite))
        packed = self._packed.values[groups]
        tuples = packed < 0
        for g in groups[tuples].tolist():
            key = self.group_name(g)[1]
            people[g] = (key, "person", key[2:]) if key[0] == "p" else (key, "lead" if key[0] == "l" else "number", "")
        groups, token = groups[~tuples], packed[~tuples] & ((1 << 55) - 1)
        number, person = token < (1 << 52), (token >= (1 << 52)) & (token < (1 << 53))
        lead = token >= (1 << 53)
        numbers = ["n:" + text for text in self.numbers.texts(token[number])]
        people[groups[number]] = np.fromiter(zip(numbers, repeat("number"), repeat("")), object, len(numbers))
        ids = self.person_ids.array()[token[person] - (1 << 52)].tolist()
        people[groups[person]] = np.fromiter(zip(["p:" + i for i in ids], repeat("person"), ids), object, len(ids))
        leads = ["l:" + name for name in self.leads.array()[token[lead] - (1 << 53)].tolist()]
        people[groups[lead]] = np.fromiter(zip(leads, repeat("lead"), repeat("")), object, len(leads))

    def past_json(self, merged: dict[str, np.ndarray], at: np.ndarray) -> np.ndarray:
        """Past.as_json of the merged attempts at `at`, as an object array: one dict per attempt, shared by
        the findings that list it, and kept for later blocks (a person's fifth call lists the four before
        it), found again by the attempt's judging position; the cache starts over past PAST_JSON_KEPT."""
        positions = merged["pos"][at]
        if len(positions) and positions.max() >= len(self._past_json_of):
            grown = np.full(max(2 * len(self._past_json_of), int(positions.max()) + 1), -1, np.int32)
            grown[:len(self._past_json_of)] = self._past_json_of
            self._past_json_of = grown
        index = self._past_json_of[positions]
        missing = np.flatnonzero(index < 0)
        if missing.size:
            new_positions, first = np.unique(positions[missing], return_index=True)
            if self._past_json_count + len(new_positions) > PAST_JSON_KEPT:
                self._past_json_count = 0
                self._past_json_of.fill(-1)
                new_positions, first = np.unique(positions, return_index=True)
                missing = np.arange(len(positions))
            made = self._make_past_json(merged, at[missing[first]])
            start, end = self._past_json_count, self._past_json_count + len(made)
            if end > len(self._past_json):
                grown_cache = np.empty(max(2 * len(self._past_json), end, 1024), object)
                grown_cache[:start] = self._past_json[:start]
                self._past_json = grown_cache
            self._past_json[start:end] = made  # dicts are not sequences: numpy stores them as they are
            self._past_json_of[new_positions] = np.arange(start, end, dtype=np.int32)
            self._past_json_count = end
            index = self._past_json_of[positions]
        return self._past_json[index]

    def _make_past_json(self, merged: dict[str, np.ndarray], at: np.ndarray) -> list[dict[str, object]]:
        texts = utc_isos(merged["ts"][at])
        names = self.campaigns.names
        return [past_json(c, t, p, DISPOSITIONS[d], names[m])
                for c, t, p, d, m in zip(self.call_texts(merged["callref"][at]), texts, self.numbers.texts(merged["key"][at]),
                                         merged["disp"][at].tolist(), merged["camp"][at].tolist(), strict=True)]

    def marks_json(self, pasts: list[Past | None]) -> list[dict[str, object] | None]:
        """Past.as_json of refusals or opt-outs (None stays None), their times formatted at once."""
        texts = utc_isos(np.array([0.0 if past is None else past.ts for past in pasts], np.float64))
        return [None if past is None else past_json(past.call_id, text, past.phone, past.disposition, past.campaign)
                for past, text in zip(pasts, texts, strict=True)]

    def _evaluate_rows(self, rows: Rows, local: dict[str, Any], plan_of: np.ndarray, plans: list[Any],
                       flags: dict[str, np.ndarray], found_rows: list[np.ndarray], found_ranks: list[np.ndarray],
                       found: list[Violation]) -> None:
        """The check's own `evaluate` on a real Call and PersonHistory, for the rows left to it."""
        any_flag = np.zeros(len(rows), bool)
        for mask in flags.values():
            any_flag |= mask
        which = np.flatnonzero(any_flag)
        if not which.size:
            return
        calls = self._calls(rows, local, which)
        histories = self._histories(rows, which, flags) if self._history_state is not None else {}
        self._format_times(rows, local, which)
        facts = self.facts
        auditor = self.auditor
        flag_lists = {rule_id: mask[which].tolist() for rule_id, mask in flags.items()}
        orders = [plan.clock + plan.rest for plan in plans]
        plan_rows = plan_of[which].tolist()
        where, ranks = [], []
        for slot, (i, call) in enumerate(zip(which.tolist(), calls, strict=True)):
            history = histories.get(i)
            for rank, (rule, evaluate, prepared) in enumerate(orders[plan_rows[slot]]):
                if not flag_lists[rule.id][slot]:
                    continue
                outcome = evaluate(call, rule, prepared, history, facts)
                if outcome is not None:
                    hit = auditor.settle(call, rule, outcome)
                    if hit is not None:
                        found.append(hit)
                        where.append(i)
                        ranks.append(rank)
        found_rows.append(np.array(where, np.int64))
        found_ranks.append(np.array(ranks, np.int64))

    def _format_times(self, rows: Rows, local: dict[str, Any], which: np.ndarray) -> None:
        """Format at once the moments the evidence of these rows names (their start in UTC and in each zone,
        the earlier attempts in their histories) into localtime's text caches."""
        moments = [rows.ts[which]]
        if self._formatted_pasts is not None:
            moments.append(self._formatted_pasts)
        utc = np.unique(np.concatenate(moments))
        whole = utc[(utc == np.trunc(utc)) & (utc >= 0) & (utc < FAST_UNTIL)]
        utc_texts = {t: text + "Z" for t, text in zip(whole.tolist(), wall_texts(whole), strict=True)}
        local_texts: dict[tuple[str, float], str] = {}
        ts = rows.ts[which]
        for s in range(local["zone"].shape[1]):
            zone = local["zone"][which, s]
            offset = local["offset"][which, s]
            ok = (zone >= 0) & (ts == np.trunc(ts)) & (ts >= FAST_FROM) & (ts < FAST_UNTIL) & (offset % 60 == 0)
            if not ok.any():
                continue
            wall = wall_texts(ts[ok].astype(np.int64) + offset[ok])
            minutes = np.abs(offset[ok]) // 60
            names = self.zones.names
            for z, t, text, off, m in zip(zone[ok].tolist(), ts[ok].tolist(), wall, offset[ok].tolist(),
                                          minutes.tolist(), strict=True):
                local_texts[(names[z], t)] = f"{text}{'-' if off < 0 else '+'}{m // 60:02d}:{m % 60:02d}"
        remember_texts(utc_texts, local_texts)

    def _calls(self, rows: Rows, local: dict[str, Any], which: np.ndarray) -> list[Call]:
        """The Call that CallBuilder would build for each of these rows."""
        attempts = self._attempts(rows, which)
        identity = self.facts.identity
        infos = self._infos
        if len(infos) > 50_000:
            infos.clear()
        zone_names = self.zones.names
        keys, profiles = rows.key[which].tolist(), rows.profile[which].tolist()
        new = tuple.__new__
        # the callee's clock in each zone, as tuples of Local (most numbers have one zone)
        columns = [zip(*(local[name][which, s].tolist() for name in ("zone", "day", "minute", "weekday", "offset")),
                       strict=True) for s in range(local["zone"].shape[1])]
        clocks = [tuple(new(Local, (zone_names[z], d, m, w, o)) for z, d, m, w, o in slots if z >= 0)
                  for slots in zip(*columns, strict=True)]
        out = []
        for attempt, key, profile, locals_, day in zip(attempts, keys, profiles, clocks,
                                                       local["call_day"][which].tolist(), strict=True):
            info = infos.get((key, profile))
            if info is None:
                info = infos[(key, profile)] = self.numbers.info(key, profile)
            person_key, basis, person_id = identity.key(info.e164, attempt.lead)
            region = attempt.region or (identity.region(person_id) if person_id else "")
            out.append(new(Call, (attempt, info, person_key, basis, person_id, locals_, day, region)))
        return out

    def _attempts(self, rows: Rows, which: np.ndarray) -> list[Attempt]:
        """The Attempt the row converter would have made of each of these rows."""
        out: list[Attempt | None] = [None] * len(which)
        blocks = rows.block[which]
        index = rows.index[which]
        ts = rows.ts[which].tolist()
        lines = rows.line[which].tolist()
        principal = [self.principals.names[p] for p in rows.principal[which].tolist()]
        disp = [DISPOSITIONS[d] for d in rows.disp[which].tolist()]
        phones = self.numbers.texts(rows.key[which])
        column = self.column
        new = tuple.__new__
        source = self.source
        for number in np.unique(blocks).tolist():
            table, overrides = self.blocks[number]
            slots = np.flatnonzero(blocks == number)
            taken = table.take(pa.array(index[slots]))

            def values(name: str, taken: pa.Table = taken, slots: np.ndarray = slots) -> list[Any]:
                return taken.column(column[name]).to_pylist() if name in column else [""] * len(slots)

            cols = {name: values(name) for name in ("call_id", "callee", "caller_id", "campaign", "purpose",
                                                    "disposition", "duration_s", "agent", "dial_mode", "ring_s",
                                                    "talk_s", "region", "lead")}
            for k, slot in enumerate(slots.tolist()):
                row = int(index[slot])
                if row in overrides:
                    out[slot] = overrides[row]
                    continue
                duration = cols["duration_s"][k]
                ring = cols["ring_s"][k] if "ring_s" in column else ""
                talk = cols["talk_s"][k] if "talk_s" in column else ""
                out[slot] = new(Attempt, (cols["call_id"][k], source, lines[slot], ts[slot], phones[slot],
                                          cols["callee"][k], cols["caller_id"][k], cols["campaign"][k], principal[slot],
                                          cols["purpose"][k], disp[slot], cols["disposition"][k],
                                          float(duration) if duration else None,
                                          (float(ring) if ring else None) if "ring_s" in column else None,
                                          (float(talk) if talk else None) if "talk_s" in column else None,
                                          cols["dial_mode"][k], cols["agent"][k], cols["region"][k], cols["lead"][k]))
        return out  # type: ignore[return-value]

    def _pasts(self, merged: dict[str, np.ndarray], at: np.ndarray) -> list[Past]:
        """Past records of the merged attempts at `at`, as the Ledger made them."""
        names = self.campaigns.names
        new = tuple.__new__
        return [new(Past, (t, d, c, p, DISPOSITIONS[x], names[m])) for t, d, c, p, x, m in zip(
            merged["ts"][at].tolist(), merged["day"][at].tolist(), self.call_texts(merged["callref"][at]),
            self.numbers.texts(merged["key"][at]), merged["disp"][at].tolist(), merged["camp"][at].tolist(),
            strict=True)]

    def _histories(self, rows: Rows, which: np.ndarray, flags: dict[str, np.ndarray]) -> dict[int, PersonHistory | None]:
        """PersonHistory as the Ledger holds it before each row that a history rule must judge."""
        h = self._history_state
        history_rules = [rule_id for rule_id in flags if self._rule(rule_id).check in HISTORY]
        need = np.zeros(len(rows), bool)
        for rule_id in history_rules:
            need |= flags[rule_id]
        chosen = np.flatnonzero(need)
        out: dict[int, PersonHistory | None] = {}
        if not chosen.size:
            return out
        merged = h["merged"]
        pair_row, pair_at = h["pairs"]
        keep = need[pair_row]
        pr, pa_ = pair_row[keep], pair_at[keep]
        order = verdicts.history_order(pr, pa_, merged)
        pr, pa_ = pr[order], pa_[order]
        distinct, inverse = np.unique(pa_, return_inverse=True)  # an attempt is in several lists: one Past each
        self._formatted_pasts = merged["ts"][distinct]
        made = self._pasts(merged, distinct)
        pasts_all = [made[k] for k in inverse.reshape(-1).tolist()]
        bounds = np.searchsorted(pr, chosen, side="left"), np.searchsorted(pr, chosen, side="right")
        # rows whose list holds two attempts with the same start: their order depends on the Ledger's sorts
        pair_ts = merged["ts"][pa_]
        tie = np.zeros(len(pr), bool)
        tie[1:] = (pr[1:] == pr[:-1]) & (pair_ts[1:] == pair_ts[:-1])
        tied = np.zeros(len(rows), bool)
        tied[pr[tie]] = True
        sorts_pos = self._last_sorts(rows, h) if tie.any() else None
        marks = [self._mark_pasts(rows, h[name][chosen]) for name in ("refusal", "opt_out")]
        has = h["has"][chosen].tolist()
        for slot, (i, lo, hi) in enumerate(zip(chosen.tolist(), bounds[0].tolist(), bounds[1].tolist(), strict=True)):
            if not has[slot]:
                out[i] = None
                continue
            history = PersonHistory()
            pasts = pasts_all[lo:hi]
            if tied[i]:
                pasts = self._tie_order(pasts, merged["pos"][pa_[lo:hi]].tolist(), int(sorts_pos[i]))  # type: ignore[index]
            history.attempts = pasts
            history.refusal = marks[0][slot]
            history.opt_out = marks[1][slot]
            out[i] = history
        return out

    def _tie_order(self, pasts: list[Past], positions: list[int], last_sort: int) -> list[Past]:
        """Equal start times: those recorded before the Ledger last sorted the list are in tuple order,
        the ones appended since in the order they came."""
        out: list[Past] = []
        k = 0
        while k < len(pasts):
            j = k
            while j < len(pasts) and pasts[j].ts == pasts[k].ts:
                j += 1
            group = list(zip(positions[k:j], pasts[k:j], strict=True))
            before = sorted(p for q, p in group if q <= last_sort)
            after = [p for q, p in sorted(group, key=lambda item: item[0]) if q > last_sort]
            out.extend(before + after)
            k = j
        return out

    def _last_sorts(self, rows: Rows, h: dict[str, Any]) -> np.ndarray:
        """Position of the last record that sorted each row's list before the row (-1 if none)."""
        order = h["order"]
        g = rows.group[order]
        self.last_sort.ensure(len(self._group_composite))
        stored = self.last_sort.values[g]
        pos_sorted = (self.position - len(rows)) + order  # positions follow the row order
        event = np.where(h["sorts"][order], pos_sorted, -1)
        start = np.ones(len(g), bool)
        start[1:] = g[1:] != g[:-1]
        segment = np.cumsum(start) - 1
        big = self.position + 2
        best = np.maximum.accumulate(segment * big + event + 1) - segment * big - 1
        before = np.full(len(g), -1, np.int64)
        before[1:] = best[:-1]
        before[start] = -1
        result = np.maximum(before, stored)
        out = np.empty(len(g), np.int64)
        out[order] = result
        return out

    def _mark_pasts(self, rows: Rows, marks: np.ndarray) -> list[Past | None]:
        """Past of each mark from _person_marks (None where there is none)."""
        out: list[Past | None] = [None] * len(marks)
        in_batch = np.unique(marks[marks >= 0])
        made = dict(zip(in_batch.tolist(), self._batch_pasts(rows, in_batch), strict=True))
        pasts = self.pasts
        for slot, mark in enumerate(marks.tolist()):
            if mark <= -2:
                out[slot] = pasts[-2 - mark]
            elif mark >= 0:
                out[slot] = made[mark]
        return out

    def _batch_pasts(self, rows: Rows, which: np.ndarray) -> list[Past]:
        """Past records of batch rows, as the Ledger makes them."""
        names = self.campaigns.names
        new = tuple.__new__
        return [new(Past, (t, d, c, p, DISPOSITIONS[x], names[m])) for t, d, c, p, x, m in zip(
            rows.ts[which].tolist(), self._call_day[which].tolist(), self.call_texts(rows.callref[which]),
            self.numbers.texts(rows.key[which]), rows.disp[which].tolist(), rows.camp[which].tolist(), strict=True)]

    def call_texts(self, refs: np.ndarray) -> list[str]:
        """Call ids of attempts from their references (block << 32 | row), taken from the blocks' columns."""
        if not len(refs):
            return []
        blocks = refs >> 32
        rows = refs & 0xFFFFFFFF
        distinct = np.unique(blocks)
        if len(distinct) == 1:
            return self.call_ids[int(distinct[0])].take(pa.array(rows)).to_pylist()
        # each block's ids taken in block order, then put back in the asked order, all in Arrow
        by_block = np.argsort(blocks, kind="stable")
        ordered = blocks[by_block]
        cuts = [0, *(np.flatnonzero(ordered[1:] != ordered[:-1]) + 1).tolist(), len(refs)]
        parts = [self.call_ids[int(ordered[lo])].take(pa.array(rows[by_block[lo:hi]]))
                 for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
        back = np.empty(len(refs), np.int64)
        back[by_block] = np.arange(len(refs))
        return pa.concat_arrays(parts).take(pa.array(back)).to_pylist()

    def _rule(self, rule_id: str) -> Any:
        for rule in self.rules.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    # ---------------------------------------------------------------- recording

    def _record(self, rows: Rows, pos: np.ndarray) -> None:
        """The per-person marks after the block (first attempts, refusals, opt-outs, sorts of the Ledger's
        lists); the attempts themselves went into the store in _history."""
        h = self._history_state
        groups = len(self._group_composite)
        for state in (self.refusal_ts, self.refusal_past, self.opt_ts, self.opt_past, self.last_sort, self.first_pos):
            state.ensure(groups)
        first = self.first_pos.values
        earliest = np.full(len(first), np.iinfo(np.int64).max)
        np.minimum.at(earliest, rows.group, pos)
        fresh = (first < 0) & (earliest < np.iinfo(np.int64).max)
        first[fresh] = earliest[fresh]
        # refusals and opt-outs, in judging order (the row engine's update rules), on plain lists
        marks = np.flatnonzero(np.isin(rows.disp, [*REFUSAL_CODES]))
        mark_groups = np.unique(rows.group[marks])
        refusal = dict(zip(mark_groups.tolist(), zip(self.refusal_ts.values[mark_groups].tolist(),
                                                      self.refusal_past.values[mark_groups].tolist(), strict=True),
                           strict=True))
        opt = dict(zip(mark_groups.tolist(), zip(self.opt_ts.values[mark_groups].tolist(),
                                                  self.opt_past.values[mark_groups].tolist(), strict=True), strict=True))
        made = self._mark_pasts(rows, marks)
        for g, t, disp, past in zip(rows.group[marks].tolist(), rows.ts[marks].tolist(), rows.disp[marks].tolist(),
                                    made, strict=True):
            index = -1
            held_ts, held = refusal[g]
            if held < 0 or held_ts <= t:
                self.pasts.append(past)  # type: ignore[arg-type]
                index = len(self.pasts) - 1
                refusal[g] = (t, index)
            held_ts, held = opt[g]
            if disp == OPT_OUT and (held < 0 or held_ts > t):
                if index < 0:
                    self.pasts.append(past)  # type: ignore[arg-type]
                    index = len(self.pasts) - 1
                opt[g] = (t, index)
        if refusal:
            groups = np.array(list(refusal), np.int64)
            values = list(refusal.values())
            self.refusal_ts.values[groups] = [v[0] for v in values]
            self.refusal_past.values[groups] = [v[1] for v in values]
            values = list(opt.values())
            self.opt_ts.values[groups] = [v[0] for v in values]
            self.opt_past.values[groups] = [v[1] for v in values]
        if h is not None:
            sorted_events = np.flatnonzero(h["sorts"])
            if sorted_events.size:
                np.maximum.at(self.last_sort.values, rows.group[sorted_events], pos[sorted_events])
        self._history_state = None

    def _marks(self) -> list[Mark]:
        """The refusals and opt-outs as Ledger.marks gives them (first-recorded order), for the suppression list."""
        marked = np.flatnonzero((self.refusal_past.values[:len(self._group_composite)] >= 0) |
                                (self.opt_past.values[:len(self._group_composite)] >= 0))
        order = marked[np.argsort(self.first_pos.values[marked], kind="stable")]
        pasts = [*self.pasts, None]  # index -1: none
        people = self.persons_of_groups(order)
        self._packed.ensure(len(self._group_composite))
        packed = self._packed.values[order]
        principal = np.where(packed >= 0, packed >> 55, 0)
        for k in np.flatnonzero(packed < 0).tolist():  # groups kept as (principal, token) tuples
            principal[k] = self._group_composite[int(order[k])][0]  # type: ignore[index]
        return list(zip(self.principals.array()[principal].tolist(), map(itemgetter(0), people),
                        map(pasts.__getitem__, self.opt_past.values[order].tolist()),
                        map(pasts.__getitem__, self.refusal_past.values[order].tolist()), strict=True))

def run_columnar(reader: LogReader, ruleset: RuleSet, facts: Facts, auditor: Auditor,
                 on_violation: Callable[[Violation], None], on_rejected: Callable[[RejectedRow], None],
                 on_progress: Callable[[int], None] = lambda done: None) -> ColumnarAuditor:
    """Audit `reader`'s log with the columnar engine; counts land in `reader` and `auditor` as with the row engine."""
    engine = ColumnarAuditor(reader, ruleset, facts, auditor, on_violation, on_rejected, on_progress)
    engine.run()
    return engine

