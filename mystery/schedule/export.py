"""A calendar plan as CSV (a spreadsheet) or iCalendar (an account manager's calendar). Pure: text out.

The ICS file is written with `icalendar`: one event per call at its local start in the site's zone
(TZID, with the VTIMEZONE definitions the file needs), lasting the time it holds under the caps.
Its DTSTAMP is the moment the plan was made (the injected clock), so the same plan gives the same
bytes. Calls dialled at once (no windows) have no time and are left out of the ICS.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from mystery.schedule.calendar import CalendarPlan, PlannedCall
from mystery_core.csvcell import safe_cell

CSV_COLUMNS = ("number", "start_utc", "start_local", "timezone", "hour_of_week", "site", "line", "group", "label",
               "hold_s")


def _utc(call: PlannedCall) -> str:
    return "" if call.at is None else call.at.strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_csv(plan: CalendarPlan) -> str:
    """One row per call; a call dialled at once has empty start columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for call in plan.calls:
        local = call.local
        writer.writerow([
            call.number, _utc(call), "" if local is None else local.isoformat(), call.timezone,
            "" if call.hour_of_week is None else call.hour_of_week, safe_cell(call.site), safe_cell(call.line),
            call.group, safe_cell(call.label), f"{call.hold_s:g}",
        ])
    return buffer.getvalue()


def plan_ics(plan: CalendarPlan) -> bytes:
    """An iCalendar file with one VEVENT per scheduled call."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//mystery//campaign plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Mystery calls: {plan.scenario}")
    for call in plan.calls:
        local = call.local
        if local is None:
            continue
        event = Event()
        event.add("uid", f"{plan.scenario}-seed{plan.seed}-{call.number}@mystery")
        event.add("dtstamp", plan.made_at)
        event.add("dtstart", local)
        event.add("duration", timedelta(seconds=call.hold_s))
        event.add("summary", f"Mystery call {call.number}: {call.line}" + (f" ({call.site})" if call.site else ""))
        event.add("description", f"Call group {call.group}{': ' + call.label if call.label else ''}; "
                                 f"held {call.hold_s:g} s under the caps; seed {plan.seed}.")
        calendar.add_component(event)
    days = [call.at.date() for call in plan.calls if call.at is not None]
    if days:  # each VTIMEZONE only as long as the plan, not 1970-2038
        calendar.add_missing_timezones(first_date=min(days) - timedelta(days=1),
                                       last_date=max(days) + timedelta(days=1))
    return bytes(calendar.to_ical())
