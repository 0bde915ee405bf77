"""`plan_calendar`: a pure function of the scenario, the seed and the injected present. Calls start only
inside windows (never at a local time that does not exist, once at a time that occurs twice), never on
blackout days or holidays, never past a cap; the volume table is followed hour of week by hour of week."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mystery.scenario.load import Scenario
from mystery.scenario.plan import Account
from mystery.scenario.volume import default_hotel_profile
from mystery.schedule import schedule_calls
from mystery.schedule.calendar import plan_calendar
from mystery_core.errors import InputError
from tests.schedule.conftest import NOW, most_at_once, most_starts_in_a_second, span

Load = Callable[[str], Scenario]

NIGHT_AROUND_DST = """\
name: dst
concurrency: 50
sites:
  paris: {{timezone: Europe/Paris, concurrency: 50}}
  new-york: {{timezone: America/New_York, concurrency: 50}}
lines:
  paris: {{uri: "sip:+33140000000@trunk.example.net", site: paris}}
  new-york: {{uri: "sip:+12125550100@trunk.example.net", site: new-york}}
calls:
  - {{line: {line}, count: 400, max_seconds: 10}}
schedule:
  start: {day}
  end: {day}
  windows: [{{days: daily, hours: "00:00-05:00"}}]
"""


def local_wall(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@pytest.mark.parametrize(("line", "zone", "day", "gap_hour", "missing_minutes"), [
    ("paris", "Europe/Paris", "2026-03-29", 2, 60),        # 02:00 -> 03:00
    ("new-york", "America/New_York", "2026-03-08", 2, 60),  # 02:00 -> 03:00
])
def test_a_local_time_that_does_not_exist_is_skipped(scenario_from: Load, line: str, zone: str, day: str,
                                                     gap_hour: int, missing_minutes: int) -> None:
    plan = plan_calendar(scenario_from(NIGHT_AROUND_DST.format(line=line, day=day)), NOW, 1)
    walls = [local_wall(c.at, zone) for c in plan.calls if c.at]
    assert 400 == len(walls)
    assert [] == [w for w in walls if w.hour == gap_hour]
    # every start is a real local time of that day: its wall time round-trips through the zone
    for c in plan.calls:
        assert c.at is not None
        wall = local_wall(c.at, zone)
        assert date.fromisoformat(day) == wall.date() and wall.hour < 5
        assert c.at == wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    # the other hours are all used: 4 hours of window open, not 5
    assert {0, 1, 3, 4} == {w.hour for w in walls}
    assert 4 * 60 - missing_minutes < len({(w.hour, w.minute) for w in walls}) <= 4 * 60


@pytest.mark.parametrize(("line", "zone", "day", "first_utc", "second_utc"), [
    # Paris 2026-10-25: 02:00-03:00 happens at 00:00-01:00 UTC (CEST), then again at 01:00-02:00 UTC (CET)
    ("paris", "Europe/Paris", "2026-10-25", datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
     datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
    # New York 2026-11-01: 01:00-02:00 happens at 05:00-06:00 UTC (EDT), then at 06:00-07:00 UTC (EST)
    ("new-york", "America/New_York", "2026-11-01", datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
     datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
])
def test_a_local_time_that_occurs_twice_is_used_once(scenario_from: Load, line: str, zone: str, day: str,
                                                     first_utc: datetime, second_utc: datetime) -> None:
    plan = plan_calendar(scenario_from(NIGHT_AROUND_DST.format(line=line, day=day)), NOW, 1)
    starts = [c.at for c in plan.calls if c.at]
    assert 400 == len(starts)
    in_first = [t for t in starts if first_utc <= t < first_utc + timedelta(hours=1)]
    in_second = [t for t in starts if second_utc <= t < second_utc + timedelta(hours=1)]
    assert [] == in_second
    assert in_first  # the repeated hour is open, once: ~80 of 400 calls in 5 equal hours
    assert 5 == len({local_wall(t, zone).hour for t in starts})


def test_the_minutes_of_a_dst_day_are_counted_in_local_time() -> None:
    from mystery.scenario.calendar import Schedule, Window
    from mystery.schedule.slots import open_runs

    night = (Window(tuple(range(7)), 60, 240),)  # 01:00-04:00 local
    minutes = {day: sum(r.minutes for r in open_runs(Schedule(date.fromisoformat(day), date.fromisoformat(day),
                                                               night), zone))
               for day, zone in (("2026-03-29", "Europe/Paris"), ("2026-10-25", "Europe/Paris"),
                                 ("2026-03-08", "America/New_York"), ("2026-11-01", "America/New_York"),
                                 ("2026-03-30", "Europe/Paris"))}
    assert {"2026-03-29": 120, "2026-10-25": 180, "2026-03-08": 120, "2026-11-01": 180, "2026-03-30": 180} == minutes


HOTELS = """\
name: chain
concurrency: 3
trunk: {channels: 2, calls_per_second: 1}
schedule:
  start: 2026-03-23
  end: 2026-04-12
  windows:
    - {days: mon-fri, hours: "08:00-21:00"}
    - {days: sat-sun, hours: "09:00-18:00"}
  blackout: [2026-03-31, 2026-04-08..2026-04-09]
sites:
  paris: {timezone: Europe/Paris, holidays: FR}
  lyon: {holidays: {country: FR}}
  new-york: {timezone: America/New_York, holidays: {country: US, subdivision: NY}, concurrency: 2}
lines:
  paris-resa: {uri: "sip:+33140000000@trunk.example.net", site: paris}
  paris-desk: {uri: "sip:+33140000001@trunk.example.net", site: paris}
  lyon: {uri: "sip:+33472000000@trunk.example.net", site: lyon, concurrency: 1}
  new-york: {uri: "sip:+12125550100@trunk.example.net", site: new-york}
calls:
  - {line: paris-resa, count: 60, max_seconds: 300}
  - {line: paris-desk, count: 60, max_seconds: 300}
  - line: lyon
    count: 60
    max_seconds: 600
    expected_seconds: 240
    schedule: {windows: [{days: mon-sat, hours: "12:00-14:00"}]}
  - {line: new-york, count: 150, max_seconds: 900, schedule: {distribution: volume}}
"""


def test_calls_fall_only_inside_windows_outside_blackouts_and_holidays(scenario_from: Load) -> None:
    scenario = scenario_from(HOTELS)
    plan = plan_calendar(scenario, NOW, 11)
    assert 330 == len(plan.calls)
    assert {"paris": 120, "lyon": 60, "new-york": 150} == dict(Counter(c.site for c in plan.calls))
    blackout = {date(2026, 3, 31), date(2026, 4, 8), date(2026, 4, 9)}
    french_holidays = {date(2026, 4, 6)}  # Easter Monday
    for call in plan.calls:
        local = call.local
        assert local is not None and call.at is not None
        assert call.timezone == str(local.tzinfo)
        day, minute = local.date(), local.hour * 60 + local.minute
        assert date(2026, 3, 23) <= day <= date(2026, 4, 12)
        assert day not in blackout, call
        assert call.site == "new-york" or day not in french_holidays, call
        if call.line == "lyon":
            assert day.weekday() < 6 and 12 * 60 <= minute < 14 * 60, call   # the group's own windows
        elif day.weekday() < 5:
            assert 8 * 60 <= minute < 21 * 60, call
        else:
            assert 9 * 60 <= minute < 18 * 60, call
        assert call.hour_of_week == day.weekday() * 24 + local.hour
    # Good Friday 2026-04-03 is no US federal holiday; Easter Monday is French only
    assert any(c.local and c.local.date() == date(2026, 4, 6) for c in plan.calls if c.site == "new-york")


def test_no_cap_is_ever_exceeded(scenario_from: Load) -> None:
    scenario = scenario_from(HOTELS)
    plan = plan_calendar(scenario, NOW, 5)
    by_site: dict[str, list[tuple[float, float]]] = {}
    by_line: dict[str, list[tuple[float, float]]] = {}
    for call in plan.calls:
        by_site.setdefault(call.site, []).append(span(call))
        by_line.setdefault(call.line, []).append(span(call))
    assert {"paris": 1, "lyon": 1, "new-york": 2} == {s: most_at_once(v) for s, v in by_site.items()}
    assert 1 == most_at_once(by_line["lyon"])
    every = [span(c) for c in plan.calls]
    assert most_at_once(every) <= 2                    # trunk channels (2), under the campaign's 3
    assert 1 == most_starts_in_a_second(plan.calls)     # trunk: 1 call per second
    assert {600.0: 0, 240.0: 60} == {s: sum(1 for c in plan.calls if c.hold_s == s) for s in (600.0, 240.0)}


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(scenario_from: Load) -> None:
    scenario = scenario_from(HOTELS)
    first = plan_calendar(scenario, NOW, 42)
    assert first == plan_calendar(scenario, NOW, 42)
    assert first == plan_calendar(scenario_from(HOTELS), NOW, 42)  # read again from the file
    other = plan_calendar(scenario, NOW, 43)
    assert [c.at for c in first.calls] != [c.at for c in other.calls]
    assert 42 == first.seed and NOW == first.made_at


def test_the_scenario_seed_is_the_default_seed(scenario_from: Load) -> None:
    scenario = scenario_from(HOTELS + "seed: 42\n")
    assert plan_calendar(scenario, NOW) == plan_calendar(scenario, NOW, 42)


def test_the_present_is_injected_and_nothing_is_planned_before_it(scenario_from: Load) -> None:
    scenario = scenario_from(HOTELS.replace("  start: 2026-03-23\n", ""))
    now = datetime(2026, 3, 30, 14, 27, 30, tzinfo=UTC)
    plan = plan_calendar(scenario, now, 3)
    assert plan == plan_calendar(scenario, now, 3)
    assert min(c.at for c in plan.calls if c.at) >= now
    # without `start` the first day is the present's local day
    assert date(2026, 3, 30) == min(c.local.date() for c in plan.calls if c.local)


def test_the_narrowest_schedule_wins_field_by_field(scenario_from: Load) -> None:
    scenario = scenario_from(HOTELS.replace(
        "  lyon: {holidays: {country: FR}}",
        "  lyon: {holidays: {country: FR}, schedule: {start: 2026-04-01, windows: [{days: sun, hours: \"10:00-11:00\"}]}}"))
    lyon = next(g for g in scenario.groups if g.line == "lyon")
    resolved = scenario.group_schedule(lyon)
    assert date(2026, 4, 1) == resolved.start          # from the site
    assert date(2026, 4, 12) == resolved.end           # from the scenario
    assert "mon,tue,wed,thu,fri,sat 12:00-14:00" == resolved.windows[0].describe()  # the group's own
    paris = scenario.group_schedule(scenario.groups[0])
    assert (date(2026, 3, 23), 2) == (paris.start, len(paris.windows or ()))


def test_a_line_schedule_wins_over_its_site_and_loses_to_its_group(scenario_from: Load) -> None:
    text = HOTELS.replace(
        "  paris-desk: {uri: \"sip:+33140000001@trunk.example.net\", site: paris}",
        "  paris-desk: {uri: \"sip:+33140000001@trunk.example.net\", site: paris, "
        "schedule: {end: 2026-03-29, windows: [{days: sat, hours: \"10:00-12:00\"}]}}")
    scenario = scenario_from(text.replace("  - {line: paris-desk, count: 60, max_seconds: 300}",
                                          "  - {line: paris-desk, count: 6, max_seconds: 300}"))
    plan = plan_calendar(scenario, NOW, 9)
    desk = [c.local for c in plan.calls if c.line == "paris-desk"]
    assert 6 == len(desk)
    assert all(t is not None and t.date() == date(2026, 3, 28) and 10 <= t.hour < 12 for t in desk)
    group = scenario_from(text.replace("  - {line: paris-desk, count: 60, max_seconds: 300}",
                                       "  - {line: paris-desk, count: 6, schedule: {end: 2026-04-12}}"))
    assert date(2026, 4, 12) == group.group_schedule(group.groups[1]).end


def test_with_a_volume_table_each_hour_of_week_gets_its_share_of_1000_calls(scenario_from: Load) -> None:
    table = list(default_hotel_profile())
    table[24 * 2 + 10] *= 8          # Wednesday 10:00-11:00 ~ 9 % of the week's calls
    table[24 * 6 + 3] = 0.0          # nobody calls on Sunday at 03:00
    volume = ", ".join(f"{x:.6f}" for x in table)
    scenario = scenario_from(f"""\
name: volume
concurrency: 60
sites:
  paris: {{timezone: Europe/Paris, concurrency: 30}}
lines:
  paris: {{uri: "sip:+33140000000@trunk.example.net", site: paris}}
calls:
  - {{line: paris, count: 1000, max_seconds: 60}}
schedule:
  start: 2026-03-16
  end: 2026-04-12
  windows: [{{days: daily, hours: "00:00-24:00"}}]
  distribution: volume
revenue:
  hourly_profile: [{volume}]
""")
    plan = plan_calendar(scenario, NOW, 2026)
    counts = Counter(c.hour_of_week for c in plan.calls)
    shares = [x / sum(table) for x in table]
    worst = max(abs(counts.get(h, 0) / 1000 - shares[h]) for h in range(168))
    assert worst <= 0.02, worst
    assert 0 == counts.get(24 * 6 + 3, 0)
    assert counts[24 * 2 + 10] >= 80
    # the hour of week the plan records is the one the revenue model computes from the start time
    from mystery.revenue.loss import hour_of_week

    assert all(c.hour_of_week == hour_of_week(c.at.isoformat(), "Europe/Paris") for c in plan.calls if c.at)


def test_a_scenario_without_windows_is_dialled_at_once_as_before(scenario_from: Load) -> None:
    scenario = scenario_from("""\
name: plain
lines:
  reservations: sip:reservations@127.0.0.1:5080
  switchboard: sip:main@127.0.0.1:5080
calls:
  - {line: reservations, count: 3}
  - {line: switchboard, count: 1}
""")
    assert not scenario.scheduled and {} == scenario.sites
    plan = plan_calendar(scenario, NOW, 1)
    assert [None] * 4 == [c.at for c in plan.calls]
    plans = schedule_calls(scenario, Path("rec"), Account(), "x")
    assert [p.line for p in plans] == [c.line for c in plan.calls]


def test_windows_too_full_for_the_caps_are_one_error_naming_the_group(scenario_from: Load) -> None:
    scenario = scenario_from("""\
name: full
sites: {paris: {timezone: Europe/Paris}}
lines:
  paris: {uri: "sip:+33140000000@trunk.example.net", site: paris}
calls:
  - line: paris
    count: 31
    max_seconds: 120
    schedule:
      start: 2026-03-16
      end: 2026-03-16
      windows: [{days: mon, hours: "09:00-10:00"}]
""")
    with pytest.raises(InputError) as error:
        plan_calendar(scenario, NOW, 1)
    where, problem = str(error.value).split(": calls[0].count: ")
    assert where.endswith("scenario.yaml:6")
    assert problem.startswith("cannot place call ") and problem.endswith(
        " of 31: the windows leave no room under the caps (site paris: 1 at once, campaign: 4 at once; each call "
        "held 120 s); widen the windows or the dates, lower count, raise a cap, or set expected_seconds")
    # an hour holds 30 calls of 2 minutes one after the other; random starts waste some room, not most
    half = scenario_from(Path(scenario.path).read_text().replace("count: 31", "count: 20"))
    assert 20 == len(plan_calendar(half, NOW, 1).calls)


def test_windows_with_no_minute_left_are_one_error(scenario_from: Load) -> None:
    scenario = scenario_from("""\
name: past
sites: {paris: {timezone: Europe/Paris}}
lines:
  paris: {uri: "sip:+33140000000@trunk.example.net", site: paris}
calls:
  - line: paris
    schedule: {start: 2026-03-16, end: 2026-03-17, windows: [{days: mon-tue, hours: "09:00-10:00"}]}
""")
    with pytest.raises(InputError) as error:
        plan_calendar(scenario, datetime(2026, 3, 18, tzinfo=UTC), 1)
    assert str(error.value).endswith(
        "scenario.yaml:6: calls[0].schedule: no minute left to call in: the windows, dates, blackouts, holidays "
        "and the present (2026-03-18 00:00 UTC) leave none")
