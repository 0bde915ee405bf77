"""The common checks' verdicts, messages and evidence over arrays, for the rows where arrays are exact.

A million-row audit finds a quarter of a million violations. Building a `Call`, a `PersonHistory`
and running the check's `evaluate` for each costs about 25 us a violation, most of the audit. Here
the six checks that make nearly all findings (hours, closed days, holidays, frequency, refusal
cooling-off, objection) decide a block's rows at once, and build each finding's message and
evidence with the same texts as campaigns/checks, for the rows where the array answer is exact:
one candidate time zone, a whole-second start between 1990 and 2100 (what `local_iso` formats
itself), no two earlier attempts of the person with the same start (whose order depends on the
Ledger's sorts). The engine sends every other row through the check's own `evaluate`, and
tests/campaigns/test_columnar.py holds both paths to the row engine's output, field for field.
Evidence is read-only: an earlier attempt's or a refusal's dict is shared by the findings that list it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from campaigns.calendars import holiday_name
from campaigns.checks.frequency import FrequencyParams
from campaigns.checks.refusal import CoolingParams, ObjectionParams, _grace_end
from campaigns.checks.windows import ClosedParams, HolidayParams, WindowParams, _fmt, calendar_key
from campaigns.columnar.reading import wall_texts
from campaigns.history import Past
from campaigns.localtime import FAST_FROM, FAST_UNTIL, WEEKDAYS, day_to_date, local_iso, utc_iso, wall_to_utc
from campaigns.records import DISPOSITIONS

FAILED = DISPOSITIONS.index("failed")


@dataclass(slots=True)
class Found:
    """Violations of one rule: judged-row indices, and each one's message and evidence."""

    rows: np.ndarray
    messages: list[str]
    evidence: list[dict[str, Any]]


@dataclass(slots=True)
class Batch:
    """What the array checks read about the rows being judged (built once per judged batch)."""

    engine: Any  # the ColumnarAuditor: names, numbers, facts, stored pasts
    rows: Any
    local: dict[str, Any]
    history: dict[str, Any] | None
    exact: np.ndarray = field(init=False)
    """Rows whose clock has one zone and a whole-second start that local_iso formats from the offset."""

    def __post_init__(self) -> None:
        has = self.local["has"]
        ts = self.rows.ts
        offset = self.local["offset"][:, 0]
        single = has[:, 0] if has.shape[1] == 1 else has[:, 0] & ~has[:, 1:].any(axis=1)
        self.exact = single & (ts == np.trunc(ts)) & (ts >= FAST_FROM) & (ts < FAST_UNTIL) & (offset % 60 == 0)

    def zone(self, i: int) -> str:
        return self.engine.zones.names[int(self.local["zone"][i, 0])]

    def local_iso(self, which: np.ndarray) -> list[str]:
        """local_iso(first zone, start) of exact rows."""
        ts = self.rows.ts[which].astype(np.int64)
        offset = self.local["offset"][which, 0]
        suffix = {off: f"{'-' if off < 0 else '+'}{abs(off) // 3600:02d}:{abs(off) // 60 % 60:02d}"
                  for off in np.unique(offset).tolist()}
        return [wall + suffix[off] for wall, off in zip(wall_texts(ts + offset), offset.tolist(), strict=True)]

    def zone_names(self, which: np.ndarray) -> list[str]:
        names = self.engine.zones.names
        return [names[z] for z in self.local["zone"][which, 0].tolist()]

    def clock_evidence(self, which: np.ndarray) -> list[dict[str, Any]]:
        """The start of `_evidence` in campaigns/checks/windows.py: local time and zones."""
        return [{"local_time": f"{text} {zone}", "zones": [zone]}
                for text, zone in zip(self.local_iso(which), self.zone_names(which), strict=True)]

    def person(self, which: np.ndarray) -> list[tuple[str, str, str]]:
        """(person_key, basis, person_id) of each row, as Identity.key gives them."""
        return self.engine.persons_of_groups(self.rows.group[which])

    def consented(self, which: np.ndarray, scope: str) -> np.ndarray:
        """Rows holding a consent of `scope` at their start (has_scope_consent)."""
        if not scope or not self.engine.facts.consents:
            return np.zeros(len(which), bool)
        return self.engine._consented(self.rows.take(which), frozenset({scope}), None)


Verdict = Callable[[Batch, Any, Any, np.ndarray], tuple[np.ndarray, Found]]
"""(batch, rule, prepared params, flagged rows) -> (rows decided here, violations among them)."""


def _none(which: np.ndarray) -> Found:
    return Found(which[:0], [], [])


def time_of_day(batch: Batch, rule: Any, p: WindowParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    if p.whole_call:
        return flagged[:0], _none(flagged)
    decided = flagged[batch.exact[flagged]]
    weekday = batch.local["weekday"][decided, 0]
    minute = batch.local["minute"][decided, 0]
    outside = np.zeros(len(decided), bool)
    for day, windows in enumerate(p.by_weekday):
        if not windows:
            continue  # a closed day is the closed-days rule's finding
        on_day = weekday == day
        inside = np.zeros(len(decided), bool)
        for start, end in windows:
            inside |= (minute >= start) & (minute < end)
        outside |= on_day & ~inside
    found = decided[outside]
    found = found[~batch.consented(found, p.exempt_scope)]
    texts = batch.local_iso(found)
    zones = batch.zone_names(found)
    days = batch.local["weekday"][found, 0].tolist()
    messages = [f"called at {text[11:16]} in {zone}, outside {_fmt(p.by_weekday[day])}"
                for text, zone, day in zip(texts, zones, days, strict=True)]
    evidence = [{"local_time": f"{text} {zone}", "zones": [zone], "windows": p.text, "outside_in": [zone]}
                for text, zone in zip(texts, zones, strict=True)]
    return decided, Found(found, messages, evidence)


def closed_days(batch: Batch, rule: Any, p: ClosedParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    decided = flagged[batch.exact[flagged]]
    found = decided[np.isin(batch.local["weekday"][decided, 0], list(p.days))]
    found = found[~batch.consented(found, p.exempt_scope)]
    closed = sorted(WEEKDAYS[d] for d in p.days)
    days = [WEEKDAYS[d] for d in batch.local["weekday"][found, 0].tolist()]
    messages = [f"called on a closed day ({name})" for name in days]
    evidence = [{**base, "weekday": [name], "closed_days": list(closed)}
                for base, name in zip(batch.clock_evidence(found), days, strict=True)]
    return decided, Found(found, messages, evidence)


def holiday(batch: Batch, rule: Any, p: HolidayParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    engine = batch.engine
    country = [profile[0] for profile in engine.numbers.profiles]
    known = np.array([bool(c) for c in country] or [False])[batch.rows.profile[flagged]]
    decided = flagged[batch.exact[flagged] & known]
    rows = batch.rows
    calendars: dict[tuple[int, int], str] = {}
    names: list[str] = []
    keys: list[str] = []
    for i, profile, region, day in zip(decided.tolist(), rows.profile[decided].tolist(),
                                       rows.region[decided].tolist(), batch.local["day"][decided, 0].tolist(),
                                       strict=True):
        key = calendars.get((profile, region))
        if key is None:
            key = calendars[(profile, region)] = calendar_key(
                country[profile], engine.regions.names[region],
                lambda i=i: engine.numbers.info(int(rows.key[i]), int(rows.profile[i])).us_state, p)
        keys.append(key)
        names.append(holiday_name(key, day))
    is_holiday = np.array([bool(name) for name in names], bool)
    found = decided[is_holiday]
    keep = ~batch.consented(found, p.exempt_scope)
    found = found[keep]
    picked = np.flatnonzero(is_holiday)[keep].tolist()
    days = batch.local["day"][found, 0].tolist()
    messages, evidence = [], []
    for base, k, day in zip(batch.clock_evidence(found), picked, days, strict=True):
        date = str(day_to_date(day))
        messages.append(f"called on a public holiday: {names[k]} ({date}, calendar {keys[k]})")
        evidence.append({**base, "holiday": names[k], "date": date, "calendar": keys[k]})
    return decided, Found(found, messages, evidence)


def frequency(batch: Batch, rule: Any, p: FrequencyParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    """`counted` walks a person's attempts newest first and stops at the first one outside the window:
    here, the earlier attempts after the last one outside the window, minus failed dials and other
    campaigns when the rule says so."""
    h = batch.history
    if h is None or p.states:
        return flagged[:0], _none(flagged)
    rows = batch.rows
    merged = h["merged"]
    pair_row, pair_at = h["pairs"]
    pick = np.zeros(len(rows), bool)
    pick[flagged] = True
    keep = pick[pair_row]
    pr, pj = pair_row[keep], pair_at[keep]
    order = np.lexsort((merged["pos"][pj], merged["ts"][pj], pr))
    pr, pj = pr[order], pj[order]
    tj, tk = merged["ts"][pj], rows.ts[pr]
    tied = np.zeros(len(rows), bool)
    same = (pr[1:] == pr[:-1]) & (tj[1:] == tj[:-1])
    tied[pr[1:][same]] = True
    decided = flagged[batch.exact[flagged] & ~tied[flagged]]
    on = ~tied[pr] & batch.exact[pr]
    pr, pj, tj, tk = pr[on], pj[on], tj[on], tk[on]
    valid = tj <= tk
    if p.window_days:
        first_day = batch.local["call_day"][pr] - p.window_days + 1
        outside = valid & (merged["day"][pj] < first_day)
    else:
        outside = valid & (tj <= tk - p.window_s)
    # the last pair outside the window, per row: counting starts after it
    index = np.arange(len(pr))
    last_outside = np.full(len(rows), -1, np.int64)
    backwards = np.flatnonzero(outside)[::-1]  # pairs are in row order: a row's last outside pair comes first here
    owners, first = np.unique(pr[backwards], return_index=True)
    last_outside[owners] = backwards[first]
    counts = valid & (index > last_outside[pr])
    if not p.count_failed:
        counts &= merged["disp"][pj] != FAILED
    if p.same_campaign:
        counts &= merged["camp"][pj] == rows.camp[pr]
    count = np.bincount(pr[counts], minlength=len(rows))
    breaks = count[decided] >= p.max_attempts
    if not p.count_failed:
        breaks &= rows.disp[decided] != FAILED
    found = decided[breaks]
    if p.window_days:
        window = f"{p.window_days} calendar days (local dates, day of the call included)"
    else:
        window = f"rolling {p.window_s / 3600:g} h"
    is_found = np.zeros(len(rows), bool)
    is_found[found] = True
    listed = is_found[pr] & counts
    lpr, lpj = pr[listed], pj[listed]
    distinct, inverse = np.unique(lpj, return_inverse=True)
    pasts = batch.engine.past_json(merged, distinct)
    items = [pasts[k] for k in inverse.reshape(-1).tolist()]
    bounds = np.searchsorted(lpr, found, side="left").tolist(), np.searchsorted(lpr, found, side="right").tolist()
    messages, evidence = [], []
    for (key, basis, _), lo, hi in zip(batch.person(found), *bounds, strict=True):
        n = hi - lo + 1
        messages.append(f"attempt {n} to this person within {window}; the cap is {p.max_attempts}")
        evidence.append({"count_including_this": n, "cap": p.max_attempts, "window": window, "person_key": key,
                         "person_key_basis": basis, "earlier_attempts": items[lo:hi]})
    return decided, Found(found, messages, evidence)


def _marks(batch: Batch, name: str, which: np.ndarray) -> tuple[np.ndarray, list[Past]]:
    """The refusal or opt-out before each row: an index into the returned distinct Pasts (-1: none)."""
    marks = batch.history[name][which]  # type: ignore[index]
    distinct, inverse = np.unique(marks, return_inverse=True)
    pasts = batch.engine._mark_pasts(batch.rows, distinct)
    index = np.arange(len(distinct))
    index[distinct == -1] = -1
    return index[inverse.reshape(-1)] if len(marks) else np.zeros(0, np.int64), pasts


def cooling_off(batch: Batch, rule: Any, p: CoolingParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    if batch.history is None:
        return flagged[:0], _none(flagged)
    decided = flagged[batch.exact[flagged]]
    mark, pasts = _marks(batch, "refusal", decided)
    bars = np.array([m is not None and m.disposition in p.dispositions for m in pasts] + [False], bool)
    mark_ts = np.array([np.nan if m is None else m.ts for m in pasts] + [np.nan], np.float64)
    mark_day = np.array([0 if m is None else m.day for m in pasts] + [0], np.int64)
    ts = batch.rows.ts[decided]
    live = bars[mark] & (mark_ts[mark] < ts)  # mark -1 reads the trailing "none" entry
    end = np.full(len(decided), -np.inf)
    if p.from_next_day:
        reopen = mark_day[mark] + p.days + 1
        zone = batch.local["zone"][decided, 0]
        pairs, inverse = np.unique(np.stack([zone[live], reopen[live]]), axis=1, return_inverse=True)
        names = batch.engine.zones.names
        times = np.array([wall_to_utc(names[z], d, 0) for z, d in pairs.T.tolist()], np.float64)
        end[live] = times[inverse.reshape(-1)] if live.any() else end[live]
    else:
        end[live] = mark_ts[mark][live] + p.days * 86400
    hits = np.flatnonzero(live & (ts < end))
    found = decided[hits]
    # what the finding says about each refusal, once per refusal
    said: dict[int, tuple[str, dict[str, object] | None]] = {}
    used = np.unique(mark[hits]).tolist()
    json_of = dict(zip(used, batch.engine.marks_json([pasts[m] for m in used]), strict=True))
    reopen_texts: dict[int, str] = {}
    texts: dict[float, str] = {}
    messages, evidence = [], []
    for start, stop, m, (key, basis, _) in zip(ts[hits].tolist(), end[hits].tolist(), mark[hits].tolist(),
                                               batch.person(found), strict=True):
        refusal = pasts[m]
        stop_text = texts.get(stop)
        if stop_text is None:
            stop_text = texts[stop] = utc_iso(stop)
        head = said.get(m)
        if head is None:
            if p.from_next_day:
                reopen = reopen_texts.get(refusal.day)
                if reopen is None:
                    reopen = reopen_texts[refusal.day] = str(day_to_date(refusal.day + p.days + 1))
                rule_text = f"{p.days} full calendar days: earliest recontact {reopen} 00:00"
            else:
                rule_text = f"{p.days} x 24 h: earliest recontact {stop_text}"
            head = said[m] = (f" days after a refusal ({refusal.disposition} on call {refusal.call_id}); {rule_text}",
                              json_of[m])
        messages.append(f"called {(start - refusal.ts) / 86400:.1f}{head[0]}")
        evidence.append({"refusal": head[1], "earliest_recontact_utc": stop_text, "person_key": key,
                         "person_key_basis": basis})
    return decided, Found(found, messages, evidence)


def objection(batch: Batch, rule: Any, p: ObjectionParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    """Opt-outs only: with list sources and list entries loaded, the check's own `evaluate` runs."""
    if batch.history is None or (p.list_sources and batch.engine.facts.oppositions):
        return flagged[:0], _none(flagged)
    decided = flagged[batch.exact[flagged]]
    mark, pasts = _marks(batch, "opt_out", decided)
    ends = np.array([np.inf if m is None or m.disposition not in p.dispositions else _grace_end(m.ts, p)
                     for m in pasts] + [np.inf], np.float64)
    hits = np.flatnonzero(ends[mark] <= batch.rows.ts[decided]).tolist()
    marks = [pasts[m] for m in mark[hits].tolist()]
    found = decided[np.array(hits, np.int64)]
    messages, evidence = [], []
    json_of = batch.engine.marks_json(marks)
    for opt_out, said, i, (key, basis, _) in zip(marks, json_of, found.tolist(), batch.person(found), strict=True):
        messages.append(f"called after the person objected (opt-out on call {opt_out.call_id}, "  # type: ignore[union-attr]
                        f"{local_iso(batch.zone(i), opt_out.ts)})")  # type: ignore[union-attr]
        evidence.append({"objection": said, "grace_days": p.grace_days, "person_key": key,
                         "person_key_basis": basis, "numbers_covered": "every number of the person"})
    return decided, Found(found, messages, evidence)


VERDICTS: dict[str, Verdict] = {"time_of_day": time_of_day, "closed_days": closed_days, "holiday": holiday,
                                "frequency": frequency, "cooling_off": cooling_off, "objection": objection}
