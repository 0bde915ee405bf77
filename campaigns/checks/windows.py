"""Calling windows, closed days and public holidays, judged in every candidate zone of the callee.

When a number maps to several zones the call must be inside the window in all of them (the most
restrictive reading, reference section 6). A number with no known zone is "not evaluated".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from campaigns.checks.base import Check, NotEvaluated, Outcome, days_of
from campaigns.model.calendars import (
    FR_COUNTRIES,
    REGIONAL_ONLY,
    french_calendar,
    holiday_name,
    regional_calendar,
)
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import PersonHistory
from campaigns.model.localtime import (
    WEEKDAYS,
    Local,
    day_to_date,
    local,
    local_iso,
    parse_windows,
    wall_to_utc,
)
from campaigns.model.records import Finding

Windows = tuple[tuple[int, int], ...]
NO_ZONE = NotEvaluated("callee time zone unknown (number maps to no zone; add a region or an override)")


@dataclass(frozen=True, slots=True)
class WindowParams:
    by_weekday: tuple[Windows, ...]  # index 0 = Monday; () = closed all day
    whole_call: bool
    exempt_scope: str
    text: str
    end_inclusive: bool = False  # a start exactly on a window's end (hh:mm:00) is inside: "after 9 p.m."


def format_windows(windows: Windows) -> str:
    """((600, 780), (840, 1200)) -> '10:00-13:00, 14:00-20:00' ('closed' when empty)."""
    return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows) or "closed"


def prepare_windows(params: Mapping[str, Any]) -> WindowParams:
    """`windows` (every day) or `windows_by_day` ({weekdays|mon..sun: [...]})."""
    if "windows_by_day" in params:
        per_day: list[Windows] = [()] * 7
        for key, items in params["windows_by_day"].items():
            days = range(5) if key == "weekdays" else sorted(days_of([key]))
            for day in days:
                per_day[day] = parse_windows(items or [])
    else:
        per_day = [parse_windows(params["windows"])] * 7
    if len(set(per_day)) == 1:
        text = f"every day {format_windows(per_day[0])}"
    else:
        text = "; ".join(f"{WEEKDAYS[d]} {format_windows(w)}" for d, w in enumerate(per_day))
    return WindowParams(tuple(per_day), params.get("window_edge", "start") == "whole_call",
                        str(params.get("exempt_consent_scope", "")), text, bool(params.get("end_inclusive", False)))


def on_an_end(windows: Windows, minute: int, ts: float) -> bool:
    """A start at second 0 of a window's end minute (21:00:00 is not "after 9 p.m.", 47 CFR 64.1200(c)(1));
    offsets are whole minutes, so the local second is the UTC one."""
    return ts % 60 == 0 and any(minute == end for _, end in windows)


def _inside(windows: Windows, minute: int) -> bool:
    return any(start <= minute < end for start, end in windows)


def has_scope_consent(call: Call, facts: Facts, scope: str) -> bool:
    """A consent of `scope`, given to the call's principal (or to any, when it names none) before the call
    and not withdrawn at its time."""
    if not scope:
        return False
    ts = call.attempt.ts
    principal = call.attempt.principal
    for consent in facts.consents_for(call.phone.e164, call.person_id):
        if consent.scope == scope and consent.principal in ("", principal) and consent.given_at.timestamp() <= ts and (
                consent.withdrawn_at is None or consent.withdrawn_at.timestamp() > ts):
            return True
    return False


def next_open(zone: str, ts: float, is_open_day: Callable[[int, int], Windows]) -> float | None:
    """Earliest epoch >= ts inside a window in `zone`; is_open_day(day, weekday) gives the windows."""
    here = local(zone, ts)
    for step in range(0, 40):
        day = here.day + step
        weekday = (day + 3) % 7
        for start, end in is_open_day(day, weekday):
            minute = max(start, here.minute if step == 0 else start)
            if minute < end:
                return max(ts, wall_to_utc(zone, day, minute))
    return None


# Message and evidence of each clock finding: written here once, called by the checks below and by the
# columnar engine's array verdicts (campaigns/engines/columnar/verdicts.py). local_time: Call.local_times().


def time_of_day_finding(outside: Sequence[tuple[str, str]], allowed: str, local_time: str, zones: list[str],
                        p: WindowParams) -> tuple[str, dict[str, Any]]:
    """outside: (HH:MM, zone) where the call is outside the windows; allowed: those of the first one's weekday."""
    where = ", ".join(f"{hhmm} in {zone}" for hhmm, zone in outside)
    return (f"called at {where}, outside {allowed}",
            {"local_time": local_time, "zones": zones, "windows": p.text, "outside_in": [zone for _, zone in outside]})


def closed_days_finding(weekdays: list[str], local_time: str, zones: list[str],
                        p: ClosedParams) -> tuple[str, dict[str, Any]]:
    """weekdays: the closed weekdays the call fell on (sorted names)."""
    return (f"called on a closed day ({', '.join(weekdays)})",
            {"local_time": local_time, "zones": zones, "weekday": weekdays,
             "closed_days": sorted(WEEKDAYS[d] for d in p.days)})


def holiday_finding(name: str, day: int, calendar: str, local_time: str, zones: list[str]) -> tuple[str, dict[str, Any]]:
    """name: the holiday; day: its local day number; calendar: the calendar key it comes from."""
    date = str(day_to_date(day))
    kind = "a regional public holiday" if calendar.endswith(REGIONAL_ONLY) else "a public holiday"
    return (f"called on {kind}: {name} ({date}, calendar {calendar})",
            {"local_time": local_time, "zones": zones, "holiday": name, "date": date, "calendar": calendar})


def eval_time_of_day(call: Call, rule: Any, p: WindowParams, history: PersonHistory | None,
                     facts: Facts) -> Outcome:
    if not call.locals:
        return NO_ZONE
    bad: list[Local] = []
    for here in call.locals:
        windows = p.by_weekday[here.weekday]
        if not windows:
            continue  # a closed day is the closed-days rule's finding, not this one's
        if not _inside(windows, here.minute):
            if not (p.end_inclusive and on_an_end(windows, here.minute, call.attempt.ts)):
                bad.append(here)
        elif p.whole_call and call.attempt.duration_s:
            end = local(here.zone, call.attempt.ts + call.attempt.duration_s)
            if end.day != here.day or not _inside(windows, max(end.minute - 1, here.minute)):
                bad.append(here)
    if not bad or has_scope_consent(call, facts, p.exempt_scope):
        return None
    ts = call.attempt.ts
    message, evidence = time_of_day_finding([(local_iso(z.zone, ts)[11:16], z.zone) for z in bad],
                                            format_windows(p.by_weekday[bad[0].weekday]), call.local_times(),
                                            [z.zone for z in call.locals], p)
    return Finding(rule.id, message, evidence)


def _latest_open(call: Call, open_day: Callable[[int, int], Windows]) -> float | None:
    """Next time the window is open in every candidate zone (each zone's next opening; the guard
    re-judges at the latest of them until all agree)."""
    ts = call.attempt.ts
    times = [next_open(z.zone, ts, open_day) for z in call.locals]
    known = [t for t in times if t is not None]
    return None if len(known) < len(times) else max(known)


def next_time_of_day(call: Call, rule: Any, p: WindowParams, history: PersonHistory | None,
                     facts: Facts) -> float | None:
    return _latest_open(call, lambda d, w: p.by_weekday[w])


@dataclass(frozen=True, slots=True)
class ClosedParams:
    days: frozenset[int]
    exempt_scope: str


def prepare_closed(params: Mapping[str, Any]) -> ClosedParams:
    return ClosedParams(days_of(params.get("days", ["sat", "sun"])), str(params.get("exempt_consent_scope", "")))


def eval_closed_days(call: Call, rule: Any, p: ClosedParams, history: PersonHistory | None,
                     facts: Facts) -> Outcome:
    if not call.locals:
        return NO_ZONE
    bad = [z for z in call.locals if z.weekday in p.days]
    if not bad or has_scope_consent(call, facts, p.exempt_scope):
        return None
    message, evidence = closed_days_finding(sorted({WEEKDAYS[z.weekday] for z in bad}), call.local_times(),
                                            [z.zone for z in call.locals], p)
    return Finding(rule.id, message, evidence)


def next_closed_days(call: Call, rule: Any, p: ClosedParams, history: PersonHistory | None,
                     facts: Facts) -> float | None:
    return _latest_open(call, lambda d, w: () if w in p.days else ((0, 1440),))


@dataclass(frozen=True, slots=True)
class HolidayParams:
    calendar: str  # "fr" or "country"
    alsace_moselle: str
    exempt_scope: str
    days: str = "all"  # all | national (L3133-1 for French callees) | regional (the days a region adds)


def prepare_holiday(params: Mapping[str, Any]) -> HolidayParams:
    mode = str(params.get("alsace_moselle", "by_region"))
    if mode not in {"by_region", "always", "never"}:
        raise ValueError(f"alsace_moselle: expected by_region, always or never, got {mode!r}")
    days = str(params.get("days", "all"))
    if days not in {"all", "national", "regional"}:
        raise ValueError(f"days: expected all, national or regional, got {days!r}")
    return HolidayParams(str(params.get("calendar", "fr")), mode, str(params.get("exempt_consent_scope", "")), days)


def calendar_for(call: Call, p: HolidayParams) -> str:
    return calendar_key(call.phone.country, call.region, lambda: call.phone.us_state, p)


def calendar_key(country: str, region: str, us_state: Callable[[], str], p: HolidayParams) -> str:
    """Holiday calendar of a callee from the number's country and the department / state (the columnar
    engine asks it once per distinct country and region); us_state() is called only when needed."""
    if p.calendar == "fr" and country in FR_COUNTRIES:
        if p.days == "national":
            return "FR"
        key = french_calendar(country, region, p.alsace_moselle)
        return key + REGIONAL_ONLY if p.days == "regional" else key
    if country == "US":
        state = region if len(region) == 2 else us_state()
        return f"US-{state}" if state else "US"
    return regional_calendar(country, region)


def eval_holiday(call: Call, rule: Any, p: HolidayParams, history: PersonHistory | None,
                 facts: Facts) -> Outcome:
    if not call.locals:
        return NO_ZONE
    if not call.phone.country:
        return NotEvaluated("callee country unknown")
    key = calendar_for(call, p)
    hits = [(z, holiday_name(key, z.day)) for z in call.locals]
    hits = [(z, name) for z, name in hits if name]
    if not hits or has_scope_consent(call, facts, p.exempt_scope):
        return None
    zone, name = hits[0]
    message, evidence = holiday_finding(name, zone.day, key, call.local_times(), [z.zone for z in call.locals])
    return Finding(rule.id, message, evidence)


def next_holiday(call: Call, rule: Any, p: HolidayParams, history: PersonHistory | None,
                 facts: Facts) -> float | None:
    key = calendar_for(call, p)
    return _latest_open(call, lambda d, w: () if holiday_name(key, d) else ((0, 1440),))


@dataclass(frozen=True, slots=True)
class StateRule:
    windows: WindowParams
    closed: frozenset[int]
    holidays: bool
    citation: str
    certainty: str
    wording: str = ""  # the statute's own words for the hours, which decide the boundaries below
    start_exclusive: bool = False  # a start exactly on a window's opening (hh:mm:00) is outside


def prepare_states(params: Mapping[str, Any]) -> dict[str, StateRule]:
    """Each state's windows; `end_inclusive` / `start_exclusive` follow the state's own wording ("after 8 p.m."
    allows 20:00:00; "between the hours of 9 p.m. and 8 a.m." forbids both 21:00:00 and 08:00:00). Without
    them a start on the closing minute is a finding, the stricter reading for a text not checked."""
    out = {}
    for state, spec in params["states"].items():
        out[str(state)] = StateRule(prepare_windows(spec), days_of(spec.get("closed", [])),
                                    bool(spec.get("holidays", False)), str(spec.get("citation", "")),
                                    str(spec.get("certainty", "U")), str(spec.get("wording", "")),
                                    bool(spec.get("start_exclusive", False)))
    return out


def state_inside(spec: StateRule, windows: Windows, minute: int, ts: float) -> bool:
    """Whether a start at local `minute` (UTC epoch `ts`) is inside the state's windows, boundaries as its
    text reads them."""
    if _inside(windows, minute):
        return not (spec.start_exclusive and ts % 60 == 0 and any(minute == start for start, _ in windows))
    return spec.windows.end_inclusive and on_an_end(windows, minute, ts)


def eval_state_hours(call: Call, rule: Any, table: dict[str, StateRule], history: PersonHistory | None,
                     facts: Facts) -> Outcome:
    if call.phone.country != "US":
        return None
    state = call.region if len(call.region) == 2 else call.phone.us_state
    if not state:
        return NotEvaluated("field region absent and the number gives no US state")
    spec = table.get(state)
    if spec is None:
        return None
    if not call.locals:
        return NO_ZONE
    ts = call.attempt.ts
    key = f"US-{state}"
    problems = []
    for here in call.locals:
        if here.weekday in spec.closed:
            problems.append(f"{WEEKDAYS[here.weekday]} is closed in {state}")
        elif spec.holidays and holiday_name(key, here.day):
            problems.append(f"{holiday_name(key, here.day)} is a holiday in {state}")
        elif not state_inside(spec, spec.windows.by_weekday[here.weekday], here.minute, ts):
            problems.append(f"{local_iso(here.zone, ts)[11:19]} in {here.zone} is outside "
                            f"{format_windows(spec.windows.by_weekday[here.weekday])}")
    if not problems:
        return None
    evidence = {"local_time": call.local_times(), "zones": [z.zone for z in call.locals], "state": state,
                "state_citation": spec.citation, "state_certainty": spec.certainty, "windows": spec.windows.text,
                "closing_time_allowed": spec.windows.end_inclusive, "opening_time_allowed": not spec.start_exclusive}
    if spec.wording:
        evidence["state_wording"] = spec.wording
    return Finding(rule.id, f"{state}: " + "; ".join(problems), evidence)


def next_state_hours(call: Call, rule: Any, table: dict[str, StateRule], history: PersonHistory | None,
                     facts: Facts) -> float | None:
    state = call.region if len(call.region) == 2 else call.phone.us_state
    spec = table[state]
    key = f"US-{state}"

    def open_day(day: int, weekday: int) -> Windows:
        if weekday in spec.closed or (spec.holidays and holiday_name(key, day)):
            return ()
        return spec.windows.by_weekday[weekday]

    opens = _latest_open(call, open_day)
    if opens is not None and spec.start_exclusive and opens % 60 == 0:
        opens += 1  # "between 9 p.m. and 8 a.m.": 08:00:00 itself is still closed
    return opens


CHECKS = (
    Check("time_of_day", "call start (or whole call) inside the daily windows in every candidate zone",
          prepare_windows, eval_time_of_day, next_time_of_day, lambda p: not p.whole_call),
    Check("closed_days", "no call on the listed weekdays in any candidate zone", prepare_closed, eval_closed_days,
          next_closed_days, lambda p: True),
    Check("holiday", "no call on a public holiday of the callee's calendar", prepare_holiday, eval_holiday,
          next_holiday, lambda p: True),
    Check("state_hours", "US state windows, closed days and holidays that differ from the federal rule",
          prepare_states, eval_state_hours, next_state_hours, lambda p: True),
)
