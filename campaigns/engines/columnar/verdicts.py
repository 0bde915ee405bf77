"""The common checks' verdicts, messages and evidence over arrays, for the rows where arrays are exact.

A million-row audit finds a quarter of a million violations. Building a `Call`, a `PersonHistory`
and running the check's `evaluate` for each costs about 25 us a violation, most of the audit. Here
the six checks that make nearly all findings (hours, closed days, holidays, frequency, refusal
cooling-off, objection) decide a block's rows at once, and build each finding's message and
evidence with campaigns/checks' own finding functions (the texts live there only), for the rows where
the array answer is exact: one candidate time zone, a whole-second start between 1990 and 2100 (what
`local_iso` formats itself), no two earlier attempts of the person with the same start (whose order
depends on the Ledger's sorts). The engine sends every other row through the check's own `evaluate`, and
tests/campaigns/test_columnar.py holds both paths to the row engine's output, field for field.
Evidence is read-only: an earlier attempt's or a refusal's dict is shared by the findings that list it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from campaigns.checks.frequency import FrequencyParams, frequency_evidence, frequency_message
from campaigns.checks.refusal import (
    CoolingParams,
    ObjectionParams,
    cooling_off_evidence,
    cooling_off_message,
    cooling_off_terms,
    grace_end,
    objection_evidence,
    objection_message,
)
from campaigns.checks.windows import (
    ClosedParams,
    HolidayParams,
    WindowParams,
    calendar_key,
    closed_days_finding,
    format_windows,
    holiday_finding,
    time_of_day_finding,
)
from campaigns.engines.columnar.columns import Names, Rows, object_array
from campaigns.engines.columnar.layouts import PURPOSES_ANY
from campaigns.model.calendars import holiday_name
from campaigns.model.facts import Facts
from campaigns.model.history import Past
from campaigns.model.localtime import (
    FAST_FROM,
    FAST_UNTIL,
    WEEKDAYS,
    local_isos,
    offset_tails,
    utc_isos,
    wall_texts,
    wall_to_utc,
)
from campaigns.model.records import DISPOSITIONS

if TYPE_CHECKING:
    from campaigns.engines.columnar.groups import Groups
    from campaigns.engines.columnar.people import People
    from campaigns.engines.columnar.suspects import Suspects

FAILED = DISPOSITIONS.index("failed")


@dataclass(slots=True)
class Found:
    """Violations of one rule: judged-row indices, and each one's message and evidence."""

    rows: np.ndarray
    messages: list[str]
    evidence: list[dict[str, Any]]
    local_times: list[str] | None = None  # Batch.local_iso(rows), when the verdict made it already
    persons: list[tuple[str, str, str]] | None = None  # Batch.person(rows), likewise


@dataclass(slots=True)
class Batch:
    """What the array checks read about the rows being judged (built once per judged batch)."""

    rows: Rows
    local: dict[str, Any]
    history: dict[str, Any] | None
    names: Names
    groups: Groups
    people: People
    suspects: Suspects
    facts: Facts
    exact: np.ndarray = field(init=False)
    """Rows whose clock has one zone and a whole-second start that local_iso formats from the offset."""

    def __post_init__(self) -> None:
        has = self.local["has"]
        ts = self.rows.ts
        offset = self.local["offset"][:, 0]
        single = has[:, 0] if has.shape[1] == 1 else has[:, 0] & ~has[:, 1:].any(axis=1)
        self.exact = single & (ts == np.trunc(ts)) & (ts >= FAST_FROM) & (ts < FAST_UNTIL) & (offset % 60 == 0)

    def local_iso(self, which: np.ndarray) -> list[str]:
        """local_iso(first zone, start) of exact rows."""
        ts = self.rows.ts[which].astype(np.int64)
        offset = self.local["offset"][which, 0]
        return wall_texts(ts + offset, offset_tails(offset))

    def local_iso_at(self, zones: np.ndarray, ts: np.ndarray) -> list[str]:
        """local_iso(zone, ts) of many (zone id, moment) pairs."""
        names = self.names.zones.names
        return local_isos([names[z] for z in zones.tolist()], ts)

    def zone_names(self, which: np.ndarray) -> list[str]:
        names = self.names.zones.names
        return [names[z] for z in self.local["zone"][which, 0].tolist()]

    def clock_texts(self, which: np.ndarray) -> tuple[list[str], list[str], list[str]]:
        """(local_iso of the rows, their zone, Call.local_times() of them): what clock findings name."""
        texts = self.local_iso(which)
        zones = self.zone_names(which)
        return texts, zones, [f"{text} {zone}" for text, zone in zip(texts, zones, strict=True)]

    def person(self, which: np.ndarray) -> list[tuple[str, str, str]]:
        """(person_key, basis, person_id) of each row, as Identity.key gives them."""
        return self.groups.people(self.rows.group[which])

    def consented(self, which: np.ndarray, scope: str) -> np.ndarray:
        """Rows holding a consent of `scope` at their start (has_scope_consent)."""
        if not scope or not self.facts.consents:
            return np.zeros(len(which), bool)
        return self.suspects.consented(self.rows.take(which), frozenset({scope}), None)


Verdict = Callable[[Batch, Any, Any, np.ndarray], tuple[np.ndarray, Found]]
"""(batch, rule, prepared params, flagged rows) -> (rows decided here, violations among them)."""


def _none(which: np.ndarray) -> Found:
    return Found(which[:0], [], [])


def _unzip(pairs: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[dict[str, Any]]]:
    """(message, evidence) pairs of the checks' finding functions -> the messages, the evidence."""
    return [message for message, _ in pairs], [evidence for _, evidence in pairs]


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
            if p.end_inclusive:  # on_an_end: second 0 of the end minute
                inside |= (minute == end) & (batch.rows.ts[decided] % 60 == 0)
        outside |= on_day & ~inside
    found = decided[outside]
    found = found[~batch.consented(found, p.exempt_scope)]
    texts, zones, local_times = batch.clock_texts(found)
    days = batch.local["weekday"][found, 0].tolist()
    allowed = [format_windows(windows) for windows in p.by_weekday]
    messages, evidence = _unzip([time_of_day_finding(((text[11:16], zone),), allowed[day], local_time, [zone], p)
                                 for text, zone, local_time, day in zip(texts, zones, local_times, days, strict=True)])
    return decided, Found(found, messages, evidence, texts)


def closed_days(batch: Batch, rule: Any, p: ClosedParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    decided = flagged[batch.exact[flagged]]
    found = decided[np.isin(batch.local["weekday"][decided, 0], list(p.days))]
    found = found[~batch.consented(found, p.exempt_scope)]
    days = [WEEKDAYS[d] for d in batch.local["weekday"][found, 0].tolist()]
    texts, zones, local_times = batch.clock_texts(found)
    messages, evidence = _unzip([closed_days_finding([name], local_time, [zone], p)
                                 for name, zone, local_time in zip(days, zones, local_times, strict=True)])
    return decided, Found(found, messages, evidence, texts)


def holiday(batch: Batch, rule: Any, p: HolidayParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    numbers = batch.names.numbers
    country = [profile[0] for profile in numbers.profiles]
    known = np.array([bool(c) for c in country] or [False])[batch.rows.profile[flagged]]
    decided = flagged[batch.exact[flagged] & known]
    rows = batch.rows
    calendars: dict[tuple[int, int], str] = {}
    names: list[str] = []
    keys: list[str] = []

    def us_state(row: int) -> str:
        return numbers.info(int(rows.key[row]), int(rows.profile[row])).us_state

    for i, profile, region, day in zip(decided.tolist(), rows.profile[decided].tolist(),
                                       rows.region[decided].tolist(), batch.local["day"][decided, 0].tolist(),
                                       strict=True):
        key = calendars.get((profile, region))
        if key is None:
            key = calendars[(profile, region)] = calendar_key(
                country[profile], batch.names.regions.names[region], partial(us_state, i), p)
        keys.append(key)
        names.append(holiday_name(key, day))
    is_holiday = np.array([bool(name) for name in names], bool)
    found = decided[is_holiday]
    keep = ~batch.consented(found, p.exempt_scope)
    found = found[keep]
    picked = np.flatnonzero(is_holiday)[keep].tolist()
    days = batch.local["day"][found, 0].tolist()
    texts, zones, local_times = batch.clock_texts(found)
    messages, evidence = _unzip([holiday_finding(names[k], day, keys[k], local_time, [zone])
                                 for k, day, zone, local_time in zip(picked, days, zones, local_times, strict=True)])
    return decided, Found(found, messages, evidence, texts)


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
    order = history_order(pr, pj, merged)
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
    if p.purposes:
        counts &= np.isin(merged["purpose"][pj], [PURPOSES_ANY.index(x) for x in p.purposes if x in PURPOSES_ANY])
    count = np.bincount(pr[counts], minlength=len(rows))
    breaks = count[decided] >= p.max_attempts
    if not p.count_failed:
        breaks &= rows.disp[decided] != FAILED
    found = decided[breaks]
    is_found = np.zeros(len(rows), bool)
    is_found[found] = True
    listed = is_found[pr] & counts
    lpr, lpj = pr[listed], pj[listed]
    distinct, inverse = np.unique(lpj, return_inverse=True)
    items = batch.people.past_json(merged, distinct)[inverse.reshape(-1)].tolist()
    low, high = np.searchsorted(lpr, found, side="left"), np.searchsorted(lpr, found, side="right")
    counts = (high - low + 1).tolist()
    said = {n: frequency_message(n, p) for n in set(counts)}
    messages = [said[n] for n in counts]
    persons = batch.person(found)
    evidence = [frequency_evidence(n, p, key, basis, items[lo:hi])
                for n, (key, basis, _), lo, hi in zip(counts, persons, low.tolist(), high.tolist(), strict=True)]
    return decided, Found(found, messages, evidence, persons=persons)


def history_order(pr: np.ndarray, pj: np.ndarray, merged: dict[str, np.ndarray]) -> np.ndarray:
    """Order of (row, earlier attempt) pairs by row, then the attempt's start and position: the order a
    person's list holds them. The store holds attempts in judging order and a row's pairs are all of its
    group, so ordering by (row, store index) gives (row, position); that is the answer wherever starts
    rise with positions, as they do but for late rows. The pairs come one sorted run per step back, which
    a stable sort merges cheaply; the rare rows with a start out of order are sorted again."""
    if not len(pr):
        return np.zeros(0, np.int64)
    order = np.argsort(pr * len(merged["ts"]) + pj, kind="stable")
    sorted_rows, starts = pr[order], merged["ts"][pj[order]]
    backwards = (sorted_rows[1:] == sorted_rows[:-1]) & (starts[1:] < starts[:-1])
    if backwards.any():
        redo = np.zeros(int(pr.max()) + 1, bool)
        redo[sorted_rows[1:][backwards]] = True
        spans = np.flatnonzero(redo[sorted_rows])  # the pairs of those rows: a contiguous run each
        part = order[spans]
        order[spans] = part[np.lexsort((merged["pos"][pj[part]], merged["ts"][pj[part]], pr[part]))]
    return order


def _marks(batch: Batch, marks: np.ndarray) -> tuple[np.ndarray, list[Past | None]]:
    """The refusal or opt-out before each row (`marks`, from the history): an index into the returned
    distinct Pasts (-1: none)."""
    distinct, inverse = np.unique(marks, return_inverse=True)
    pasts = batch.people.mark_pasts(batch.rows, batch.local["call_day"], distinct)
    index = np.arange(len(distinct))
    index[distinct == -1] = -1
    return index[inverse.reshape(-1)] if len(marks) else np.zeros(0, np.int64), pasts


def _marked(pasts: list[Past | None], used: np.ndarray) -> list[Past]:
    """The Pasts at `used`: marks that made findings, so none of them is "none"."""
    out = []
    for m in used.tolist():
        past = pasts[m]
        if past is None:
            raise AssertionError(f"a finding without its mark (distinct mark {m})")
        out.append(past)
    return out


def cooling_off(batch: Batch, rule: Any, p: CoolingParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    if batch.history is None:
        return flagged[:0], _none(flagged)
    decided = flagged[batch.exact[flagged]]
    mark, pasts = _marks(batch, batch.history["refusal"][decided])
    bars = np.array([m is not None and m.disposition in p.dispositions for m in pasts] + [False], bool)
    mark_ts = np.array([np.nan if m is None else m.ts for m in pasts] + [np.nan], np.float64)
    mark_day = np.array([0 if m is None else m.day for m in pasts] + [0], np.int64)
    ts = batch.rows.ts[decided]
    live = bars[mark] & (mark_ts[mark] < ts)  # mark -1 reads the trailing "none" entry
    end = np.full(len(decided), -np.inf)
    if p.from_next_day:
        reopen = mark_day[mark] + p.days + 1
        zone = batch.local["zone"][decided, 0]
        if live.any():
            low = int(reopen[live].min())  # (zone, day) packed in one integer: a plain sort, not a row-wise one
            pairs, inverse = np.unique((zone[live].astype(np.int64) << 32) | (reopen[live] - low),
                                       return_inverse=True)
            names = batch.names.zones.names
            times = np.array([wall_to_utc(names[pair >> 32], (pair & 0xFFFFFFFF) + low, 0) for pair in pairs.tolist()],
                             np.float64)
            end[live] = times[inverse.reshape(-1)]
    else:
        end[live] = mark_ts[mark][live] + p.days * 86400
    hits = np.flatnonzero(live & (ts < end))
    found = decided[hits]
    # what the finding says about each refusal, once per refusal, and about each end once per end
    used = np.unique(mark[hits])
    refusals = _marked(pasts, used)
    stops, stop_at = np.unique(end[hits], return_inverse=True)
    stop_texts = object_array(utc_isos(stops))[stop_at.reshape(-1)].tolist()
    terms = object_array([cooling_off_terms(refusal, p) for refusal in refusals])  # once per refusal
    place = np.searchsorted(used, mark[hits])
    days = ((ts[hits] - mark_ts[mark[hits]]) / 86400).tolist()
    messages = [cooling_off_message(d, said) for d, said in zip(days, terms[place].tolist(), strict=True)]
    persons = batch.person(found)
    evidence = [cooling_off_evidence(said, stop_text, key, basis)
                for said, stop_text, (key, basis, _) in zip(object_array(batch.people.marks_json(refusals))[place].tolist(),
                                                             stop_texts, persons, strict=True)]
    return decided, Found(found, messages, evidence, persons=persons)


def objection(batch: Batch, rule: Any, p: ObjectionParams, flagged: np.ndarray) -> tuple[np.ndarray, Found]:
    """Opt-outs only: with list sources and list entries loaded, the check's own `evaluate` runs."""
    if batch.history is None or (p.list_sources and batch.facts.oppositions):
        return flagged[:0], _none(flagged)
    decided = flagged[batch.exact[flagged]]
    mark, pasts = _marks(batch, batch.history["opt_out"][decided])
    ends = np.array([np.inf if m is None or m.disposition not in p.dispositions else grace_end(m.ts, p)
                     for m in pasts] + [np.inf], np.float64)
    hits = np.flatnonzero(ends[mark] <= batch.rows.ts[decided])
    found = decided[hits]
    # each opt-out's evidence once, gathered for its findings; its time in each finding's callee zone
    used, place = np.unique(mark[hits], return_inverse=True)
    marks = _marked(pasts, used)
    said = object_array(batch.people.marks_json(marks))[place.reshape(-1)].tolist()
    calls = object_array([m.call_id for m in marks])[place.reshape(-1)].tolist()
    mark_ts = np.array([m.ts for m in marks], np.float64)[place.reshape(-1)]
    when = batch.local_iso_at(batch.local["zone"][found, 0], mark_ts)
    messages = [objection_message(call, text) for call, text in zip(calls, when, strict=True)]
    persons = batch.person(found)
    evidence = [objection_evidence(objection, p, key, basis) for objection, (key, basis, _) in zip(said, persons,
                                                                                                    strict=True)]
    return decided, Found(found, messages, evidence, persons=persons)


VERDICTS: dict[str, Verdict] = {"time_of_day": time_of_day, "closed_days": closed_days, "holiday": holiday,
                                "frequency": frequency, "cooling_off": cooling_off, "objection": objection}
