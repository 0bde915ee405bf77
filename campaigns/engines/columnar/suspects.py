"""Which rows of a judged block may break each rule: vectorized tests that give a superset (outside a
window in some zone, enough earlier attempts in a window, a refusal before the call...). Only the rows
they pick are judged exactly (verdicts.py, or the check's own `evaluate`)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from campaigns.checks.frequency import DailyParams, FrequencyParams, GapParams
from campaigns.checks.refusal import CoolingParams, ObjectionParams, grace_end
from campaigns.checks.windows import calendar_key
from campaigns.engines.columnar.columns import Interner, Names, Rows
from campaigns.engines.columnar.people import People
from campaigns.engines.columnar.redials import Redials
from campaigns.model.calendars import holiday_name
from campaigns.model.facts import Facts
from campaigns.model.phones import PhoneError
from campaigns.model.records import DISPOSITIONS

FAILED = DISPOSITIONS.index("failed")
DAY = 86400.0


NO_ANSWER = DISPOSITIONS.index("no_answer")


class Suspects:
    """The vectorized tests of every supported check, over one judged block at a time."""

    def __init__(self, facts: Facts, names: Names, people: People, redials: Redials | None = None) -> None:
        self.facts = facts
        self.names = names
        self.people = people
        self.redials = redials
        """The latest abandoned call per number (when a redial rule runs)."""

    def flags(self, rows: Rows, local: dict[str, Any], plan_of: np.ndarray, plans: list[Any],
              history: dict[str, Any] | None) -> dict[str, np.ndarray]:
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
                mask = ~self.consented(rows, p.scopes, p.max_age_s)
                if p.dial_modes:  # eval_consent passes every call made in another mode
                    mask &= np.array([m in p.dial_modes for m in self.names.modes.names] or [False])[rows.mode]
                if p.withdrawn_by:
                    mask |= self.withdrawn_maybe(rows, history)
                if p.expired_only:  # eval_consent flags only rows holding a consent valid but for its age
                    mask &= self.consented(rows, p.scopes, None)
            elif check == "sector_ban":
                registry = self.facts.registry
                bad_campaign = np.array([c not in registry or registry[c].sector in p.sectors
                                         for c in self.names.campaigns.names] or [False])
                mask = bad_campaign[rows.camp]
            elif check == "caller_id":
                mask = self._caller_ids(rows, p)
            elif check == "list_scrub":
                mask = self._stale_scrubs(rows, p)
            elif check == "ring_time":  # eval_ring_time judges unanswered calls only, on fields of the row
                mask = rows.disp == NO_ANSWER
            elif check == "redial_after_abandon" and self.redials is not None:
                mask = self.redials.flags(rule, rows)  # the auditor had it follow this batch
            elif check == "state_hours" or (check == "frequency" and p.states):
                # each US state's rules: the check's own evaluate decides every row in scope
                mask = np.ones(len(rows), bool)
            elif history is None:  # the auditor builds the history whenever a rule needs it
                raise AssertionError(f"rule {rule_id} ({check}) needs the attempt history")
            else:
                mask = self._history_mask(rows, rule, history)
            flags[rule_id] = mask & active[rule_id]
        return flags

    def _caller_ids(self, rows: Rows, p: Any) -> np.ndarray:
        """Rows without a dial mode, or automated with a caller ID that is empty, not a number or outside
        the allowed ranges (what eval_cli tests)."""
        phones = self.facts.phones
        bad = []
        for raw in self.names.clis.names:
            try:
                info = phones.lookup(raw) if raw else None
                bad.append(info is None or not (info.e164.startswith(p.prefixes) if p.prefixes else info.valid))
            except PhoneError:
                bad.append(True)
        if p.every_call:
            return np.array(bad or [False])[rows.cli]
        automated = np.array([m in p.automated for m in self.names.modes.names])
        return (rows.mode == 0) | (automated[rows.mode] & np.array(bad or [False])[rows.cli])

    def _stale_scrubs(self, rows: Rows, p: Any) -> np.ndarray:
        """Rows whose principal's last scrub against the list is missing or older than the rule allows."""
        stale = np.ones(len(rows), bool)
        for (principal, source), scrubs in self.facts.scrubs.items():
            pid = self.names.principals.ids.get(principal)
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
        numbers = self.names.numbers
        country = [prof[0] for prof in numbers.profiles]
        pairs = (rows.profile.astype(np.int64) << 32) | rows.region.astype(np.int64)
        unique, first_of, inverse = np.unique(pairs, return_index=True, return_inverse=True)
        calendars = Interner()
        cal = np.empty(len(unique), np.int64)

        def us_state(row: int) -> str:
            return numbers.info(int(rows.key[row]), int(rows.profile[row])).us_state

        for i, packed in enumerate(unique.tolist()):
            profile, region = packed >> 32, packed & 0xFFFFFFFF
            first = int(first_of[i])
            name = calendar_key(country[profile], self.names.regions.names[region], partial(us_state, first), p)
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

    def _list_threshold(self, rows: Rows, sources: frozenset[str], person_wide: bool, delay_s: Any) -> np.ndarray:
        """Earliest start at which a list entry of the number (of the person when person_wide) counts."""
        facts = self.facts
        numbers = self.names.numbers
        cache: dict[int, float] = {}
        out = np.full(len(rows), np.inf)
        if not facts.oppositions:
            return out
        listed = np.array(sorted({numbers.key_of(p) for p in facts.oppositions}), np.int64)
        if person_wide:
            extra: list[int] = []
            for phones in facts.identity.phones_of_person.values():
                if any(p in facts.oppositions for p in phones):
                    extra.extend(numbers.key_of(p) for p in phones)
            listed = np.union1d(listed, np.array(extra, np.int64))
        candidates = np.flatnonzero(np.isin(rows.key, listed))
        for i in candidates.tolist():
            key = int(rows.key[i])
            hit = cache.get(key)
            if hit is None:
                phone = numbers.e164(key)
                person = facts.identity.person_of_phone.get(phone, "")
                entries = facts.list_entries(phone, person, sources, person_wide)
                hit = min((delay_s(e) if callable(delay_s) else e.listed_at.timestamp() + delay_s for e in entries),
                          default=np.inf)
                cache[key] = hit
            out[i] = hit
        return out

    def consented(self, rows: Rows, scopes: frozenset[str], max_age_s: float | None) -> np.ndarray:
        """Rows with a consent of `scopes`, given to their principal (or to any), valid at their start (consent's
        own test is the reference; withdrawal by a refusal is left to it)."""
        facts = self.facts
        out = np.zeros(len(rows), bool)
        if not facts.consents:
            return out
        keys = np.unique(rows.key)
        principals = self.names.principals.ids
        spans: dict[int, list[tuple[float, float, float, int]]] = {}
        for key in keys.tolist():
            phone = self.names.numbers.e164(key)
            person = facts.identity.person_of_phone.get(phone, "")
            found = []
            for consent in facts.consents_for(phone, person):
                if consent.scope in scopes:
                    given_at = consent.given_at.timestamp()
                    withdrawn_at = consent.withdrawn_at.timestamp() if consent.withdrawn_at else np.inf
                    to = principals.get(consent.principal, -2) if consent.principal else -1
                    found.append((given_at, withdrawn_at, np.inf if max_age_s is None else max_age_s, to))
            if found:
                spans[key] = found
        if not spans:
            return out
        width = max(len(v) for v in spans.values())
        index = {key: i for i, key in enumerate(spans)}
        given = np.full((len(spans), width), np.inf)
        withdrawn = np.full((len(spans), width), -np.inf)
        age = np.full((len(spans), width), -np.inf)
        given_to = np.full((len(spans), width), -2, np.int64)
        for key, found in spans.items():
            for s, (start, end, limit, to) in enumerate(found):
                i = index[key]
                given[i, s], withdrawn[i, s], age[i, s], given_to[i, s] = start, end, limit, to
        which = np.array([index.get(k, -1) for k in rows.key.tolist()])
        has = which >= 0
        ts = rows.ts[has][:, None]
        w = which[has]
        mine = (given_to[w] == -1) | (given_to[w] == rows.principal[has].astype(np.int64)[:, None])
        valid = mine & (given[w] <= ts) & (withdrawn[w] > ts) & (ts - given[w] <= age[w])
        out[has] = valid.any(axis=1)
        return out

    def withdrawn_maybe(self, rows: Rows, h: dict[str, Any] | None) -> np.ndarray:
        """Rows whose person refused or opted out on a call of the same principal recorded before them (a
        superset of the rows whose consent an earlier call withdrew: the mark may start after a late row,
        whose check then looks through the earlier attempts)."""
        out = np.zeros(len(rows), bool)
        if h is None:
            return out
        for name in ("refusal", "opt_out"):
            out |= h[name] != -1
        return out

    def _history_mask(self, rows: Rows, rule: Any, h: dict[str, Any]) -> np.ndarray:
        p = rule.prepared
        n = len(rows)
        merged = h["merged"]
        pair_row, pair_at = h["pairs"]
        ts = rows.ts
        if isinstance(p, CoolingParams):
            mark = h["refusal"]
            mark_ts = self.people.mark_ts(rows, mark)
            return (mark != -1) & (mark_ts < ts) & (ts < mark_ts + (p.days + 3) * DAY)
        if isinstance(p, ObjectionParams):
            mark = h["opt_out"]
            mark_ts = self.people.mark_ts(rows, mark)
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
