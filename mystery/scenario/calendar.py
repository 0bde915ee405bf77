"""When calls may be placed: sampling windows, dates, blackouts and the distribution over them.

A schedule can be written on the scenario, a site, a line or a call group; every field is
optional at every level and the narrowest level that sets a field wins (`narrowest`), so a
group may change only its windows and keep the campaign's dates. Dates and hours are local to
the line's site (its time zone); the planner (`mystery/schedule/`) turns them into instants.

```yaml
schedule:
  start: 2026-03-23          # first day (local); default: the day the plan is made
  end: 2026-04-05            # last day, inclusive
  windows:                   # when a call may start
    - {days: mon-fri, hours: "08:00-21:00"}
    - {days: [sat, sun], hours: "09:00-18:00"}
  blackout: [2026-03-30, 2026-04-01..2026-04-03]
  distribution: volume       # uniform (default) or volume (weighted by the call-volume table)
  volume: [...]              # 168 numbers, Monday 00:00 first (default: revenue.hourly_profile)
```
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar

from pydantic import Field, PlainValidator, model_validator

from mystery.scenario.volume import volume_table
from mystery_core.validate import Invalid, Schema, nested, under

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DISTRIBUTIONS = ("uniform", "volume")
MAX_DAYS = 3 * 366
"""The longest schedule accepted (start to end): a campaign of weeks, not a typo's decades."""

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Window:
    """Calls may start on `days` (0 = Monday) from `start_minute` to before `end_minute` (local,
    minutes after midnight, end at most 1440). Calls may run past the end of the window."""

    days: tuple[int, ...]
    start_minute: int
    end_minute: int

    def describe(self) -> str:
        """`mon,tue 08:00-21:00`, as a person would write it."""
        def hhmm(minute: int) -> str:
            return f"{minute // 60:02d}:{minute % 60:02d}"

        return f"{','.join(DAY_NAMES[d] for d in self.days)} {hhmm(self.start_minute)}-{hhmm(self.end_minute)}"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A schedule as written at one level; None means "not set here" (a wider level decides).

    start, end: first and last local day (inclusive). windows: when calls may start. blackout:
    local days without calls. distribution: `uniform` over the windows' minutes, or `volume`:
    each hour of week gets its share of the `volume` table (168 shares, Monday 00:00 first).
    """

    start: date | None = None
    end: date | None = None
    windows: tuple[Window, ...] | None = None
    blackout: tuple[date, ...] | None = None
    distribution: str | None = None
    volume: tuple[float, ...] | None = None

    @property
    def scheduled(self) -> bool:
        """True when calls have windows, so they are placed on the calendar (else dialled at once)."""
        return bool(self.windows)


NO_SCHEDULE = Schedule()


def narrowest(*levels: Schedule) -> Schedule:
    """Field by field, the first level (narrowest first) that sets it."""
    values = {}
    for f in dataclasses.fields(Schedule):
        values[f.name] = next((getattr(s, f.name) for s in levels if getattr(s, f.name) is not None), None)
    return Schedule(**values)


def _day(raw: Any) -> date:
    if isinstance(raw, datetime):
        raise Invalid(f"expected a day YYYY-MM-DD without a time, got {raw.isoformat()!r}")
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Invalid(f"expected a day YYYY-MM-DD, got {raw!r}") from None


def _days_of_week(raw: Any) -> tuple[int, ...]:
    """`mon-fri`, `sat-sun`, `fri-mon` (wraps), `mon,wed`, [mon, wed], `daily`."""
    items = raw if isinstance(raw, list) else str(raw).replace(" ", "").lower().split(",")
    days: set[int] = set()
    for item in items:
        name = str(item).strip().lower()
        if name in ("daily", "all", "every day"):
            days.update(range(7))
            continue
        first, _, last = name.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise Invalid(f"expected days such as mon-fri, sat-sun or [mon, wed] (names {', '.join(DAY_NAMES)}), "
                          f"got {raw!r}")
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
    if not days:
        raise Invalid(f"expected at least one day, got {raw!r}")
    return tuple(sorted(days))


def _hours(raw: Any) -> tuple[int, int]:
    match = _HOURS.match(str(raw))
    expected = f"expected HH:MM-HH:MM within one day (e.g. 08:00-21:00), got {raw!r}"
    if not match:
        raise Invalid(expected)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise Invalid(expected)
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise Invalid(f"the end of {raw!r} is not after its start (a window past midnight is two windows: "
                      f"22:00-24:00 and 00:00-02:00 on the next days)")
    return start, end


class _Window(Schema):
    unknown_key: ClassVar[str] = "unknown window field (known: {known})"
    days: Annotated[tuple[int, ...], PlainValidator(_days_of_week)] = Field(None, validate_default=True)
    hours: Annotated[tuple[int, int], PlainValidator(_hours)] = Field(None, validate_default=True)


def _windows(raw: Any) -> tuple[Window, ...]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("expected a non-empty list of windows such as {days: mon-fri, hours: \"08:00-21:00\"}")
    windows = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Invalid(f"expected a window such as {{days: mon-fri, hours: \"08:00-21:00\"}}, got {item!r}", i)
        for key in ("days", "hours"):  # say which key is missing rather than "expected days ..., got None"
            if key not in item:
                raise Invalid(f"missing {key!r}", i)
        w = nested(_Window, item, None, i)
        windows.append(Window(w.days, w.hours[0], w.hours[1]))
    return tuple(windows)


def _blackout(raw: Any) -> tuple[date, ...]:
    """Days, or ranges `2026-04-01..2026-04-03` (both ends included)."""
    if not isinstance(raw, list):
        raise Invalid("expected a list of days (YYYY-MM-DD) or ranges YYYY-MM-DD..YYYY-MM-DD")
    days: list[date] = []
    for i, item in enumerate(raw):
        first, dots, last = str(item).partition("..") if isinstance(item, str) else (item, "", "")
        a = under(i, _day, first)
        b = under(i, _day, last) if dots else a
        if b < a or (b - a).days > MAX_DAYS:
            raise Invalid(f"expected a range from an earlier to a later day, got {item!r}", i)
        days.extend(a + timedelta(days=k) for k in range((b - a).days + 1))
    return tuple(sorted(set(days)))


def _distribution(raw: Any) -> str:
    if raw not in DISTRIBUTIONS:
        raise Invalid(f"expected one of {', '.join(DISTRIBUTIONS)}, got {raw!r}")
    return str(raw)


_UNSET = Field(None, validate_default=False)


class ScheduleSchema(Schema):
    """A `schedule:` mapping at any level (see the module docstring)."""

    unknown_key: ClassVar[str] = "unknown schedule field (known: {known})"
    start: Annotated[date | None, PlainValidator(_day)] = _UNSET
    end: Annotated[date | None, PlainValidator(_day)] = _UNSET
    windows: Annotated[tuple[Window, ...] | None, PlainValidator(_windows)] = _UNSET
    blackout: Annotated[tuple[date, ...] | None, PlainValidator(_blackout)] = _UNSET
    distribution: Annotated[str | None, PlainValidator(_distribution)] = _UNSET
    volume: Annotated[tuple[float, ...] | None, PlainValidator(volume_table)] = _UNSET

    @model_validator(mode="after")
    def _dates_in_order(self) -> ScheduleSchema:
        if self.start is not None and self.end is not None:
            if self.end < self.start:
                raise Invalid(f"the last day {self.end} is before the first day {self.start}", "end")
            if (self.end - self.start).days > MAX_DAYS:
                raise Invalid(f"expected at most {MAX_DAYS} days from start to end", "end")
        return self

    def schedule(self) -> Schedule:
        return Schedule(self.start, self.end, self.windows, self.blackout, self.distribution, self.volume)


def parse_schedule(raw: Any) -> Schedule:
    """A pydantic validator: a `schedule:` mapping (or nothing) -> Schedule; problems under their key."""
    if raw is None:
        return NO_SCHEDULE
    return nested(ScheduleSchema, raw, None).schedule()


ScheduleField = Annotated[Schedule, PlainValidator(parse_schedule)]
