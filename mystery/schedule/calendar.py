"""Scenario + seed + the present -> a calendar plan: when each call starts, in its site's local time.

A pure function (`plan_calendar`): the clock is a parameter, the randomness a seeded
`random.Random`, so the same scenario, seed and present give the same plan, to the second.

How calls are spread. Each call group's calls are first shared out between the hours of the week
by systematic sampling (a random start, then every `total / count` of the cumulative weights): an
hour of week gets the floor or the ceiling of `count x share`, where the share is its minutes in
the windows (`uniform`) or its entry in the call-volume table (`volume`), so the plan follows the
table to within one call per hour. Each call then takes a random minute of its hour of week (any
week of the campaign) and a random second. A call that would break a cap draws again in its hour,
then anywhere in its windows, and last the first minute that fits; when none does, the plan is
refused with the caps it is under.

Groups without windows are not on the calendar: their calls are dialled when the campaign
starts, as before schedules existed (`at` is None).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from zoneinfo import ZoneInfo

from mystery.scenario.load import CallGroup, Scenario
from mystery.scenario.volume import HOURS_PER_WEEK, default_hotel_profile
from mystery.schedule.caps import Caps
from mystery.schedule.slots import Run, open_runs
from mystery_core.errors import InputError

DRAWS_IN_HOUR = 64
DRAWS_ANYWHERE = 256


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One call of the plan.

    number: its place in the plan (time order, 1 first). group: index of its call group in the
    scenario. at: UTC start, None when dialled as soon as the campaign starts (no windows).
    hold_s: how long it holds its place under the caps. timezone: its site's zone ("" unscheduled).
    hour_of_week: local hour of week of `at` (Monday 00:00 = 0), the revenue model's bucket.
    """

    number: int
    group: int
    line: str
    site: str
    label: str
    at: datetime | None
    hold_s: float
    timezone: str
    hour_of_week: int | None

    @property
    def local(self) -> datetime | None:
        """The start in the site's local time."""
        return None if self.at is None else self.at.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True, slots=True)
class CalendarPlan:
    """The plan of a scenario: its calls in time order, made with `seed` at `made_at` (UTC)."""

    scenario: str
    seed: int
    made_at: datetime
    calls: tuple[PlannedCall, ...]


@dataclass(slots=True)
class _GroupSlots:
    """One group's open minutes, by hour of week, with the weights calls are shared out by."""

    runs: tuple[Run, ...]
    by_hour: dict[int, tuple[list[Run], list[int]]]   # hour -> runs, cumulative minutes
    weights: list[float]                               # per hour of week


def _group_slots(runs: tuple[Run, ...], distribution: str, volume: Sequence[float]) -> _GroupSlots:
    grouped: dict[int, list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.hour_of_week, []).append(run)
    by_hour = {h: (rs, list(accumulate(r.minutes for r in rs))) for h, rs in grouped.items()}
    minutes = [by_hour[h][1][-1] if h in by_hour else 0 for h in range(HOURS_PER_WEEK)]
    if distribution == "volume":
        weights = [volume[h] if minutes[h] else 0.0 for h in range(HOURS_PER_WEEK)]
    else:
        weights = [float(m) for m in minutes]
    return _GroupSlots(runs, by_hour, weights)


def share_out(weights: Sequence[float], count: int, rng: random.Random) -> list[int]:
    """`count` hours of week by systematic sampling: hour h gets floor or ceil of count x share(h)."""
    total = math.fsum(weights)
    cumulative = list(accumulate(weights))
    last = max(h for h, w in enumerate(weights) if w > 0)
    step = total / count
    start = rng.random() * step
    return [min(bisect_right(cumulative, start + k * step), last) for k in range(count)]


def _draw_in_hour(slots: _GroupSlots, hour: int, rng: random.Random) -> tuple[int, int]:
    """A random start in one hour of week, and the end of the run of open minutes it is in."""
    runs, cumulative = slots.by_hour[hour]
    pick = rng.randrange(cumulative[-1])
    i = bisect_right(cumulative, pick)
    minute = pick - (cumulative[i - 1] if i else 0)
    return runs[i].first_s + 60 * minute + rng.randrange(60), runs[i].first_s + 60 * runs[i].minutes


def _fitting(start: int, run_end: int, hold: float, site: str, line: str, caps: Caps) -> int | None:
    """`start` if the call fits there, else the first of the next few moments a placed call ends
    (before the run's end) where it fits: calls then follow each other instead of leaving gaps."""
    for candidate in (start, *caps.releases_between(start, run_end, 8)):
        if caps.fits(candidate, hold, site, line):
            return candidate
    return None


def _place(slots: _GroupSlots, hour: int, group: CallGroup, site: str, caps: Caps, rng: random.Random
           ) -> tuple[int, int] | None:
    """A start (UTC epoch seconds) and its hour of week that keep every cap, or None."""
    hold = group.planned_seconds
    for _ in range(DRAWS_IN_HOUR):
        found = _fitting(*_draw_in_hour(slots, hour, rng), hold, site, group.line, caps)
        if found is not None:
            return found, hour
    for _ in range(DRAWS_ANYWHERE):
        where = rng.choices(range(HOURS_PER_WEEK), weights=slots.weights)[0]
        found = _fitting(*_draw_in_hour(slots, where, rng), hold, site, group.line, caps)
        if found is not None:
            return found, where
    # the windows are nearly full: the first start that still fits, at a whole minute or where a call ends
    for run in slots.runs:
        if not slots.weights[run.hour_of_week]:
            continue
        end = run.first_s + 60 * run.minutes
        for start in sorted({*range(run.first_s, end, 60), *caps.releases_between(run.first_s, end)}):
            if caps.fits(start, hold, site, group.line):
                return start, run.hour_of_week
    return None


def _caps(scenario: Scenario) -> Caps:
    return Caps(
        site_limits={name: site.concurrency for name, site in scenario.sites.items()},
        line_limits={name: line.concurrency for name, line in scenario.lines.items() if line.concurrency},
        global_limit=scenario.concurrency,
        trunk_channels=scenario.trunk_channels,
        calls_per_second=scenario.trunk_calls_per_second,
    )


def plan_calendar(scenario: Scenario, now: datetime, seed: int | None = None) -> CalendarPlan:
    """The calendar plan of `scenario` made at `now` (an aware datetime) with `seed` (default: the
    scenario's). Raises InputError, naming the call group, when its windows leave no minute or no
    room under the caps."""
    if now.tzinfo is None:
        raise ValueError("plan_calendar needs an aware `now` (UTC)")
    seed = scenario.seed if seed is None else seed
    rng = random.Random(seed)
    caps = _caps(scenario)
    cache: dict[tuple[object, ...], tuple[Run, ...]] = {}
    queues: list[list[tuple[int, int]]] = []   # per group: (group index, hour of week) to place
    group_slots: dict[int, _GroupSlots] = {}
    unscheduled: list[list[int]] = []
    for i, group in enumerate(scenario.groups):
        schedule = scenario.group_schedule(group)
        if not schedule.scheduled:
            unscheduled.append([i] * group.count)
            continue
        site = scenario.sites[scenario.lines[group.line].site]
        key = (schedule, site.timezone, site.holidays_country, site.holidays_subdivision)
        if key not in cache:
            cache[key] = open_runs(schedule, site.timezone, site.holidays_country, site.holidays_subdivision, now)
        volume = schedule.volume or scenario.volume or default_hotel_profile()
        slots = _group_slots(cache[key], schedule.distribution or "uniform", volume)
        if not any(slots.weights):
            problem = ("no minute left to call in: the windows, dates, blackouts, holidays and the present "
                       f"({now.astimezone(UTC):%Y-%m-%d %H:%M} UTC) leave none")
            if slots.runs:
                problem = "the call-volume table is 0 in every hour of week the windows open"
            raise InputError(group.where, f"calls[{i}].schedule", problem)
        group_slots[i] = slots
        hours = share_out(slots.weights, group.count, rng)
        rng.shuffle(hours)
        queues.append([(i, h) for h in hours])

    placed: list[tuple[int, int, int]] = []   # (start, group, hour of week)
    for k in range(max((len(q) for q in queues), default=0)):  # groups in turn: none takes all the room
        for queue in queues:
            if k >= len(queue):
                continue
            i, hour = queue[k]
            group = scenario.groups[i]
            site_name = scenario.lines[group.line].site
            found = _place(group_slots[i], hour, group, site_name, caps, rng)
            if found is None:
                raise InputError(group.where, f"calls[{i}].count", (
                    f"cannot place call {sum(1 for p in placed if p[1] == i) + 1} of {group.count}: the windows "
                    f"leave no room under the caps ({caps.describe(site_name, group.line)}; each call held "
                    f"{group.planned_seconds:g} s); widen the windows or the dates, lower count, raise a cap, "
                    "or set expected_seconds"))
            caps.add(found[0], group.planned_seconds, site_name, group.line)
            placed.append((found[0], i, found[1]))

    calls: list[PlannedCall] = []
    for i in _interleave(unscheduled):
        group = scenario.groups[i]
        calls.append(PlannedCall(len(calls) + 1, i, group.line, scenario.lines[group.line].site, group.label,
                                 None, group.planned_seconds, "", None))
    for start, i, hour in sorted(placed):
        group = scenario.groups[i]
        site = scenario.sites[scenario.lines[group.line].site]
        calls.append(PlannedCall(len(calls) + 1, i, group.line, site.name, group.label,
                                 datetime.fromtimestamp(start, UTC), group.planned_seconds, site.timezone, hour))
    return CalendarPlan(scenario.name, seed, now.astimezone(UTC), tuple(calls))


def _interleave(queues: list[list[int]]) -> list[int]:
    """Round robin over the groups, as `schedule_calls` orders calls dialled at once."""
    ordered = []
    queues = [list(q) for q in queues]
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop())
    return ordered
