"""A schedule in one site's calendar -> the instants a call may start, as runs of whole minutes.

Pure: the zone rules come from the tz database, the holidays from the `holidays` package, the
present from the caller (`not_before`). Local days and hours become UTC here and nowhere else:

- a local minute that does not exist (the hour skipped when clocks go forward) is skipped;
- a local minute that occurs twice (clocks go back) is used once, at its first occurrence;
- a run never crosses a local hour, so each run has one hour of week (Monday 00:00 = 0), the
  bucket the revenue model weighs calls by.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from mystery.scenario.calendar import Schedule, Window


@dataclass(frozen=True, slots=True)
class Run:
    """`minutes` consecutive minutes from `first_s` (UTC epoch seconds), all in local hour of week
    `hour_of_week` of local day `day`."""

    hour_of_week: int
    first_s: int
    minutes: int
    day: date


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str, years: tuple[int, ...]) -> frozenset[date]:
    if not country:
        return frozenset()
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=years))


def holidays_between(country: str, subdivision: str, first: date, last: date) -> frozenset[date]:
    """The public holidays of a country (and subdivision) from `first` to `last`."""
    return _holidays(country, subdivision, tuple(range(first.year, last.year + 1)))


def first_instant(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of local `day` + `minute`: None when it does not exist, the first one when
    it occurs twice (fold=0 is the earlier offset)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None  # in the gap: the round trip lands an hour later
    return instant


def _changes_offset(day: date, zone: ZoneInfo) -> bool:
    """True when the zone's UTC offset changes during local `day` (a DST day, or any other change)."""
    start = datetime.combine(day, time())
    end = start + timedelta(days=1)
    return bool(start.replace(tzinfo=zone).utcoffset() != end.replace(tzinfo=zone).utcoffset()
                or start.replace(tzinfo=zone).utcoffset() != start.replace(tzinfo=zone, fold=1).utcoffset())


def _minute_ranges(windows: tuple[Window, ...], weekday: int) -> list[tuple[int, int]]:
    """The union of the windows of one weekday, as sorted, disjoint [start, end) minutes."""
    spans = sorted((w.start_minute, w.end_minute) for w in windows if weekday in w.days)
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _hour_pieces(a: int, b: int) -> Iterator[tuple[int, int]]:
    while a < b:
        end = min(b, (a // 60 + 1) * 60)
        yield a, end
        a = end


def _runs_of_day(day: date, windows: tuple[Window, ...], zone: ZoneInfo) -> Iterator[Run]:
    irregular = _changes_offset(day, zone)
    base = day.weekday() * 24
    for a, b in _minute_ranges(windows, day.weekday()):
        for p, q in _hour_pieces(a, b):
            how = base + p // 60
            if not irregular:
                first = first_instant(day, p, zone)
                assert first is not None  # an ordinary day has every minute once
                yield Run(how, int(first.timestamp()), q - p, day)
                continue
            run_start, run_len = None, 0  # minute by minute, on the few days the offset changes
            for m in range(p, q):
                instant = first_instant(day, m, zone)
                s = None if instant is None else int(instant.timestamp())
                if s is not None and run_start is not None and s == run_start + 60 * run_len:
                    run_len += 1
                    continue
                if run_start is not None:
                    yield Run(how, run_start, run_len, day)
                run_start, run_len = (s, 1) if s is not None else (None, 0)
            if run_start is not None:
                yield Run(how, run_start, run_len, day)


def open_runs(schedule: Schedule, zone: str, holidays_country: str = "", holidays_subdivision: str = "",
              not_before: datetime | None = None) -> tuple[Run, ...]:
    """Every minute a call may start under `schedule` in `zone`, in time order: the windows' minutes
    of each day from start to end, except blackout days, public holidays and minutes before
    `not_before` (the injected present; it also gives the first day when `start` is not set)."""
    if not schedule.windows or schedule.end is None:
        return ()
    tz = ZoneInfo(zone)
    first = schedule.start or (not_before.astimezone(tz).date() if not_before else schedule.end)
    if first > schedule.end:
        return ()
    closed = set(schedule.blackout or ()) | holidays_between(holidays_country, holidays_subdivision, first,
                                                             schedule.end)
    floor = int(-(-not_before.timestamp() // 60) * 60) if not_before else None  # the next whole minute
    runs = []
    for k in range((schedule.end - first).days + 1):
        day = first + timedelta(days=k)
        if day in closed:
            continue
        for run in _runs_of_day(day, schedule.windows, tz):
            if floor is not None and run.first_s + 60 * run.minutes <= floor:
                continue
            if floor is not None and run.first_s < floor:
                skipped = (floor - run.first_s) // 60
                run = Run(run.hour_of_week, run.first_s + 60 * skipped, run.minutes - skipped, run.day)
            runs.append(run)
    return tuple(sorted(runs, key=lambda r: r.first_s))


