"""The batched columnar audit: the same verdicts as `campaigns.engines.row.Auditor`, a block of rows at a time.

How it stays identical to the row engine:

* Order. The reorder buffer is computed, not run: with `newest` the running maximum of start times and
  H = newest - reorder_s, a row is released at the first arrival whose H reaches its start, `done_until`
  is the running maximum of released starts, and a row earlier than `done_until` on arrival is late
  and judged at once. Each row gets the key (arrival at which it is judged, start, arrival), which is
  the order `Auditor.feed` judges rows in.
* History. people.py rebuilds, for each judged row, the person's history as the row engine's Ledger holds it.
* Verdicts. Vectorized tests (suspects.py) only pick the rows where a rule *may* be broken. For those rows
  array verdicts (verdicts.py) or the check's own `evaluate` on a real `Call` and `PersonHistory` decide
  (gather.py); messages and evidence come from campaigns/checks' functions either way.

The parts, each behind a small interface: Ingest reads blocks into Rows (on the log reader's thread),
Groups names the persons, People keeps their histories, Suspects flags rows, Gatherer judges and emits;
ColumnarAuditor below runs the reorder buffer and the judging of each block through them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from campaigns.checks.windows import calendar_key
from campaigns.engines.columnar.aggregates import COLUMNAR, Aggregates
from campaigns.engines.columnar.clock import local_clocks
from campaigns.engines.columnar.columns import Blocks, Names, Rows
from campaigns.engines.columnar.gather import HISTORY, Gatherer
from campaigns.engines.columnar.groups import Groups
from campaigns.engines.columnar.ingest import Ingest, LogCounts
from campaigns.engines.columnar.layouts import PURPOSES_ANY
from campaigns.engines.columnar.people import People
from campaigns.engines.columnar.phone_forms import NumberTable
from campaigns.engines.columnar.reading import prefetched, read_blocks
from campaigns.engines.columnar.redials import Redials
from campaigns.engines.columnar.suspects import Suspects
from campaigns.engines.row import Auditor
from campaigns.ingest.reader import LogReader
from campaigns.model.calendars import load_soon
from campaigns.model.facts import Facts
from campaigns.model.history import Mark
from campaigns.model.records import RejectedRow, Violation
from campaigns.rules.select import RuleSet

CLOCK = {"time_of_day", "closed_days", "holiday"}
SUPPORTED = CLOCK | HISTORY | COLUMNAR | {"opposition_list", "consent", "sector_ban", "caller_id", "list_scrub",
                                         "ring_time", "state_hours"}


def unsupported(reader: LogReader, ruleset: RuleSet) -> str:
    """Why the columnar engine cannot run this audit ("" when it can)."""
    for rule in ruleset.rules:
        p = rule.prepared
        if rule.check not in SUPPORTED:
            return f"check {rule.check} ({rule.id}) has no columnar version"
        if rule.check == "time_of_day" and p.whole_call:
            return f"{rule.id}: window_edge whole_call"
    return ""


class ColumnarAuditor:
    """Runs one audit with the columnar engine. After `run`: `counts` (what LogReader counts), `violations`,
    `first_ts`/`last_ts`, `marks` (for the suppression list); statistics land in the row engine's `auditor`."""

    def __init__(self, reader: LogReader, ruleset: RuleSet, facts: Facts, auditor: Auditor,
                 on_violation: Callable[[Violation], None], on_rejected: Callable[[RejectedRow], None],
                 on_progress: Callable[[int], None] = lambda done: None) -> None:
        self.path = reader.path
        self.source = reader.source
        self.rules = ruleset
        self.facts = facts
        self.auditor = auditor
        self.on_rejected = on_rejected
        self.on_progress = on_progress
        self.names = Names(NumberTable(facts.phones))
        self.groups = Groups(self.names, facts.identity)
        self.blocks = Blocks()
        self.ingest = Ingest(reader, facts, self.names, self.groups, self.blocks)
        self.people = People(auditor.ledger.keep_s, self.names, self.groups, self.blocks)
        self.redials = Redials(self.names, self.blocks) if any(rule.check == "redial_after_abandon"
                                                                for rule in ruleset.rules) else None
        self.suspects = Suspects(facts, self.names, self.people, self.redials)
        self.gatherer = Gatherer(ruleset, facts, auditor, self.names, self.groups, self.blocks, self.people,
                                 self.suspects, self.ingest.source, self.ingest.column, on_violation)
        self.aggregates = Aggregates(ruleset, self.names, self.blocks)
        self.on_violation = on_violation
        self._aggregate_found = 0
        self.history_rules = any(rule.check in HISTORY for rule in ruleset.rules)
        self.marks: list[Mark] = []
        self._judged_block = -1  # the last block handed to the judging (the reader ingests ahead of it)
        # reorder state
        self._reorder_s = auditor.reorder_s
        self._newest = float("-inf")
        self._done_until = float("-inf")
        self._pending = Rows.empty()
        self._position = 0

    @property
    def counts(self) -> LogCounts:
        return self.ingest.counts

    @property
    def violations(self) -> int:
        return self.gatherer.violations + self._aggregate_found

    @property
    def first_ts(self) -> float | None:
        return self.ingest.first_ts

    @property
    def last_ts(self) -> float | None:
        return self.ingest.last_ts

    def run(self) -> None:
        home = self.facts.phones.default_region
        load_soon({calendar_key(home, "", lambda: "", rule.prepared) for rule in self.rules.rules
                   if rule.check == "holiday"})
        for number, block in enumerate(prefetched(read_blocks(self.source, self.ingest.width, header=self.ingest.layout.header), self.ingest.prepare)):
            if block.prepared is None:  # `prefetched` ran `self.ingest.prepare` on every block
                raise AssertionError(f"block {number} was not prepared")
            rows, rejected = block.prepared["ingested"]
            for row in rejected:
                self.on_rejected(row)
            self._judged_block = number
            self._arrive(rows)
            self.on_progress(block.end_offset)
        self._judge(self._pending, final=True)
        self._pending = Rows.empty()
        self._aggregate_found = self.aggregates.finish(self.auditor, self.on_violation)
        self.marks = self.people.marks()

    def _arrive(self, rows: Rows) -> None:
        """The reorder buffer, computed: judge the rows it releases on these arrivals, keep the rest waiting."""
        n = len(rows)
        if not n:
            return
        ts = rows.ts
        newest = np.maximum.accumulate(np.concatenate([[self._newest], ts]))[1:]
        horizon = newest - self._reorder_s
        # release index of every waiting row: first arrival whose horizon reaches its start
        waiting = Rows.concat([self._pending, rows])
        own = np.concatenate([np.full(len(self._pending), -1), np.arange(n)])
        release = np.maximum(own, np.searchsorted(horizon, waiting.ts, side="left"))
        released = release < n
        events = np.full(n, -np.inf)
        np.maximum.at(events, release[released], waiting.ts[released])
        done = np.maximum.accumulate(np.concatenate([[self._done_until], events]))
        late = ts < done[:-1]
        # late rows are judged at their arrival and never wait; a late row's release index is its own
        is_late = np.concatenate([np.zeros(len(self._pending), bool), late])
        when = np.where(is_late, own, release)
        go = is_late | released
        judged = waiting.take(np.flatnonzero(go))
        order = np.lexsort((judged.seq, judged.ts, when[go]))
        self._pending = waiting.take(np.flatnonzero(~go))
        self._newest = float(newest[-1])
        self._done_until = float(done[-1])
        self._judge(judged.take(order), late=int(late.sum()))

    def _judge(self, rows: Rows, final: bool = False, late: int = 0) -> None:
        if final:
            rows = rows.take(np.lexsort((rows.seq, rows.ts)))
        n = len(rows)
        self.auditor.count_judged(n, late)
        if not n:
            self._release_blocks()
            return
        pos = self._position + np.arange(n)
        self._position += n
        local = local_clocks(rows, self.names)
        history = self.people.history(rows, pos, local) if self.history_rules else None
        plan_of, plans = self._plans(rows, local)
        if self.redials is not None:
            self.redials.follow(rows, local["call_day"])
        if self.aggregates.rules:
            self.aggregates.add(rows, local["call_day"], plan_of, plans)
        flags = self.suspects.flags(rows, local, plan_of, plans, history)
        self.gatherer.evaluate(rows, local, pos, plan_of, plans, flags, history)
        self.people.record(rows, pos, local["call_day"], history)
        self._release_blocks()

    def _release_blocks(self) -> None:
        self.blocks.release(set(np.unique(self._pending.block).tolist()), self.people.oldest_block(),
                            self._judged_block)

    def _plans(self, rows: Rows, local: dict[str, Any]) -> tuple[np.ndarray, list[Any]]:
        """Each row's plan (the rules that apply to it), counted per plan as the row engine counts them."""
        names = self.names
        country = np.array([names.countries.id(p[0]) for p in names.numbers.profiles] or [0], np.int32)[rows.profile]
        # (campaign, purpose, country, day) packed in one integer: 24 + 4 + 12 + 24 bits
        day0 = int(local["call_day"].min())
        combo = (rows.camp.astype(np.int64) << 40) | (rows.purpose.astype(np.int64) << 36) | \
            (country.astype(np.int64) << 24) | (local["call_day"] - day0)
        unique, inverse, counts = np.unique(combo, return_inverse=True, return_counts=True)
        plans = []
        for packed, count in zip(unique.tolist(), counts.tolist(), strict=True):
            camp, purpose, ctry, day = packed >> 40, (packed >> 36) & 15, (packed >> 24) & 4095, \
                (packed & ((1 << 24) - 1)) + day0
            key, plan = self.rules.plan_of(names.campaigns.names[camp], PURPOSES_ANY[purpose], names.countries.names[ctry],
                                           day)
            self.auditor.count_plans(key, count)
            plans.append(plan)
        return inverse.reshape(-1), plans


def run_columnar(reader: LogReader, ruleset: RuleSet, facts: Facts, auditor: Auditor,
                 on_violation: Callable[[Violation], None], on_rejected: Callable[[RejectedRow], None],
                 on_progress: Callable[[int], None] = lambda done: None) -> ColumnarAuditor:
    """Audit `reader`'s log with the columnar engine; statistics land in `auditor` as with the row engine, the
    log's counts in the result's `counts`."""
    engine = ColumnarAuditor(reader, ruleset, facts, auditor, on_violation, on_rejected, on_progress)
    engine.run()
    return engine
