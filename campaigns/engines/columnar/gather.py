"""Exact verdicts for the rows a block's vectorized tests picked, gathered into Violations in the order the
row engine emits them: array verdicts (verdicts.py) where they are exact, the check's own `evaluate` on a
real `Call` and `PersonHistory` for the rest, so "not evaluated" reasons come from campaigns/checks."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa

from campaigns.engines.columnar import verdicts
from campaigns.engines.columnar.clock import format_times
from campaigns.engines.columnar.columns import Blocks, Names, Rows
from campaigns.engines.columnar.groups import Groups
from campaigns.engines.columnar.people import People
from campaigns.engines.columnar.suspects import Suspects
from campaigns.engines.columnar.verdicts import Batch, Found
from campaigns.engines.row import Auditor
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import PersonHistory
from campaigns.model.localtime import Local, utc_tails, wall_texts
from campaigns.model.records import DISPOSITIONS, Attempt, Violation
from campaigns.rules.select import RuleSet

HISTORY = {"frequency", "min_gap", "max_per_day", "cooling_off", "objection", "redial_after_abandon", "consent"}


class Gatherer:
    """Judges the flagged rows of a block exactly and hands the violations to `on_violation`; counts them
    through the row engine's `auditor`, as it counts its own."""

    def __init__(self, rules: RuleSet, facts: Facts, auditor: Auditor, names: Names, groups: Groups,
                 blocks: Blocks, people: People, suspects: Suspects, source: str, column: dict[str, int],
                 on_violation: Callable[[Violation], None]) -> None:
        self.rules = rules
        self.facts = facts
        self.auditor = auditor
        self.names = names
        self.groups = groups
        self.blocks = blocks
        self.people = people
        self.suspects = suspects
        self.source = source
        self.column = column
        self.on_violation = on_violation
        self.violations = 0
        self._by_id: dict[str, Any] = {}
        for rule in rules.rules:
            self._by_id.setdefault(rule.id, rule)
        self._infos: dict[tuple[int, int], Any] = {}

    def evaluate(self, rows: Rows, local: dict[str, Any], pos: np.ndarray, plan_of: np.ndarray, plans: list[Any],
                 flags: dict[str, np.ndarray], history: dict[str, Any] | None) -> None:
        """Exact verdicts for the flagged rows: array verdicts (columnar/verdicts.py) where they are exact,
        the check's own `evaluate` on a real Call for the rest; violations go out in judging order
        (row, then the rule's place in the plan), as the row engine emits them."""
        found_rows: list[np.ndarray] = []
        found_ranks: list[np.ndarray] = []
        found: list[Violation] = []
        generic = dict(flags)
        batch = Batch(rows, local, history, self.names, self.groups, self.people, self.suspects, self.facts)
        for rule_id, mask in flags.items():
            rule = self._by_id[rule_id]
            verdict = verdicts.VERDICTS.get(rule.check) if rule.check != "frequency" or not rule.prepared.states \
                else None  # the array verdict counts without regard to the US state
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
                found_ranks.append(_ranks(rule_id, plans, plan_of[hits.rows]))
                found.extend(self._violations(rows, batch, rule_id, hits))
        self._evaluate_rows(rows, local, pos, plan_of, plans, generic, history, found_rows, found_ranks, found)
        if not found:
            return
        all_rows = np.concatenate(found_rows)
        order_a = np.lexsort((np.concatenate(found_ranks), all_rows))
        order = order_a.tolist()
        if self.auditor.same_act:
            ordered = self._merge_same_act([found[i] for i in order], all_rows[order_a])
            self.violations += len(ordered)
            deque(map(self.on_violation, ordered), maxlen=0)
            return
        self.violations += len(found)
        deque(map(self.on_violation, map(found.__getitem__, order)), maxlen=0)  # the loop in C

    def _merge_same_act(self, ordered: list[Violation], row_of: np.ndarray) -> list[Violation]:
        """The findings in emitting order with each call's findings of the same act merged, as the row
        engine's Auditor.merge_same_act does (and through it, so counts agree)."""
        starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]]).tolist() + [len(ordered)]
        out: list[Violation] = []
        for lo, hi in zip(starts[:-1], starts[1:], strict=True):
            group = ordered[lo:hi]
            out.extend(self.auditor.merge_same_act(group) if len(group) > 1 else group)
        return out

    def _violations(self, rows: Rows, batch: Batch, rule_id: str, hits: Found) -> list[Violation]:
        """The Violations of array verdicts, counted as Auditor.settle counts them."""
        which = hits.rows
        names = self.names
        camp = rows.camp[which]
        self.auditor.count_found(rule_id, {names.campaigns.names[int(c)]: int(count)
                                           for c, count in zip(*np.unique(camp, return_counts=True), strict=True)})
        persons = hits.persons or self.groups.people(rows.group[which])
        n = len(which)
        # each field as a column, zipped straight into the tuples (no per-finding unpacking)
        return list(map(tuple.__new__, repeat(Violation, n), zip(
            self.blocks.call_texts(rows.callref[which]), repeat(rule_id, n), names.numbers.texts(rows.key[which]),
            map(itemgetter(2), persons), map(itemgetter(1), persons), names.campaigns.array()[camp].tolist(),
            names.principals.array()[rows.principal[which]].tolist(), hits.local_times or batch.local_iso(which),
            names.zones_of_profiles()[rows.profile[which]].tolist(), hits.messages, hits.evidence,
            repeat(self.source, n), rows.line[which].tolist(), wall_texts(rows.ts[which], utc_tails(n)),
            repeat((), n), strict=True)))

    def _evaluate_rows(self, rows: Rows, local: dict[str, Any], pos: np.ndarray, plan_of: np.ndarray,
                       plans: list[Any], flags: dict[str, np.ndarray], h: dict[str, Any] | None,
                       found_rows: list[np.ndarray], found_ranks: list[np.ndarray], found: list[Violation]) -> None:
        """The check's own `evaluate` on a real Call and PersonHistory, for the rows left to it."""
        any_flag = np.zeros(len(rows), bool)
        for mask in flags.values():
            any_flag |= mask
        which = np.flatnonzero(any_flag)
        if not which.size:
            return
        calls = self._calls(rows, local, which)
        histories: dict[int, Any] = {}
        pasts_ts = None
        if h is not None:
            need = np.zeros(len(rows), bool)
            for rule_id, mask in flags.items():
                if self._by_id[rule_id].check in HISTORY:
                    need |= mask
            histories, pasts_ts = self.people.histories(rows, local["call_day"], pos, need, h)
            self._abandoned(flags, histories)
        format_times(rows, local, which, pasts_ts, self.names)
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

    def _abandoned(self, flags: dict[str, np.ndarray], histories: dict[int, Any]) -> None:
        """The abandoned call a redial rule reads, in the histories of the rows flagged for it (redials.py)."""
        redials = self.suspects.redials
        if redials is None:
            return
        for rule_id, mask in flags.items():
            if self._by_id[rule_id].check != "redial_after_abandon":
                continue
            for i in np.flatnonzero(mask).tolist():
                history = histories.get(i)
                if history is None:
                    history = histories[i] = PersonHistory()
                past = redials.before[i]
                history.abandoned = {past.phone: past}

    def _calls(self, rows: Rows, local: dict[str, Any], which: np.ndarray) -> list[Call]:
        """The Call that CallBuilder would build for each of these rows."""
        attempts = self._attempts(rows, which)
        identity = self.facts.identity
        numbers = self.names.numbers
        infos = self._infos
        if len(infos) > 50_000:
            infos.clear()
        zone_names = self.names.zones.names
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
                info = infos[(key, profile)] = numbers.info(key, profile)
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
        principal = [self.names.principals.names[p] for p in rows.principal[which].tolist()]
        disp = [DISPOSITIONS[d] for d in rows.disp[which].tolist()]
        phones = self.names.numbers.texts(rows.key[which])
        column = self.column
        new = tuple.__new__
        source = self.source
        for number in np.unique(blocks).tolist():
            table, overrides = self.blocks.table(number)
            slots = np.flatnonzero(blocks == number)
            taken = table.take(pa.array(index[slots]))

            def values(name: str, taken: pa.Table = taken, slots: np.ndarray = slots) -> list[Any]:
                return taken.column(column[name]).to_pylist() if name in column else [""] * len(slots)

            cols = {name: values(name) for name in ("call_id", "caller_id", "campaign", "purpose", "duration_s",
                                                    "agent", "dial_mode", "ring_s", "talk_s", "region", "lead")}
            # the log's own texts, where the layout looked up others (vendor logs: layouts.py)
            cols["callee"] = values("callee_raw" if "callee_raw" in column else "callee")
            cols["disposition"] = values("disposition_raw" if "disposition_raw" in column else "disposition")
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
        made = [attempt for attempt in out if attempt is not None]
        if len(made) != len(out):  # every row is in one of the blocks
            raise AssertionError("a row outside the blocks it names")
        return made


def _ranks(rule_id: str, plans: list[Any], plan_rows: np.ndarray) -> np.ndarray:
    """Place of the rule in each row's plan (clock rules first, as the row engine runs them)."""
    places = [next(k for k, entry in enumerate(plan.clock + plan.rest) if entry[0].id == rule_id)
              if any(entry[0].id == rule_id for entry in plan.active) else -1 for plan in plans]
    return np.array(places, np.int64)[plan_rows]
