"""Schedules, sites and caps as written in a scenario: zones given or told by the numbers, holidays,
and bad input as one error naming the file, the line and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mystery.scenario.load import Scenario, load_scenario
from mystery_core.errors import InputError

Load = Callable[[str], Scenario]

BASE = """\
name: chain
sites:
  paris: {holidays: FR}
lines:
  paris: {uri: "sip:+33140000000@trunk.example.net", site: paris}
  london: {uri: "sip:+442071234567@trunk.example.net"}
  desk: sip:desk@127.0.0.1:5080
calls:
  - {line: paris, count: 2}
  - line: london
    schedule: {windows: [{days: mon-fri, hours: "08:00-21:00"}]}
  - {line: desk}
schedule:
  start: 2026-03-23
  end: 2026-04-05
"""


def test_zones_come_from_the_site_or_from_the_numbers(scenario_from: Load) -> None:
    scenario = scenario_from(BASE)
    assert ("Europe/Paris", "+33140000000", "FR") == (
        scenario.sites["paris"].timezone, scenario.sites["paris"].timezone_from,
        scenario.sites["paris"].holidays_country)
    # a scheduled line without a site is a site of its own, in the zone of its number
    assert ("Europe/London", True) == (scenario.sites["london"].timezone, scenario.sites["london"].implicit)
    assert "london" == scenario.lines["london"].site
    # an unscheduled line without a site needs no zone, as before schedules existed
    assert "" == scenario.lines["desk"].site and "desk" not in scenario.sites
    assert 1 == scenario.sites["paris"].concurrency


def test_a_stored_scenario_gives_each_line_its_site_zone(scenario_from: Load) -> None:
    import json

    from mystery.scenario.sites import zones_by_line

    stored = json.loads(json.dumps(scenario_from(BASE).to_json()))  # what the store keeps
    assert {"paris": "Europe/Paris", "london": "Europe/London"} == zones_by_line(stored)
    assert "2026-03-23" == stored["schedule"]["start"]


@pytest.mark.parametrize(("change", "expected"), [
    (("paris: {holidays: FR}", "paris: {holidays: FR, timezone: Mars/Olympus}"),
     "scenario.yaml:3: sites.paris.timezone: unknown time zone 'Mars/Olympus'"),
    (("+33140000000", "+18005550100"),
     "scenario.yaml:3: sites.paris.timezone: not given and +18005550100 is ambiguous: it may be in America/Adak, "
     "America/Anchorage, America/Anguilla, America/Antigua and 38 more; set timezone"),
    (("+442071234567", "+18005550100"),
     "scenario.yaml:6: lines.london.uri: this line is scheduled but has no site, and +18005550100 is ambiguous: "
     "it may be in America/Adak, America/Anchorage, America/Anguilla, America/Antigua and 38 more; set timezone "
     "(or give it a site with one)"),
    (("  - {line: desk}", "  - {line: desk, schedule: {windows: [{days: sat, hours: \"10:00-12:00\"}]}}"),
     "scenario.yaml:7: lines.desk.uri: this line is scheduled but has no site, and cannot tell the time zone from "
     "'sip:desk@127.0.0.1:5080' (no +E.164 number in it); set timezone (or give it a site with one)"),
    (("holidays: FR", "holidays: XX"),
     "scenario.yaml:3: sites.paris.holidays.country: the holidays package has no calendar for country 'XX'"),
    (("holidays: FR", "holidays: {country: ES, subdivision: ZZ}"),
     "scenario.yaml:3: sites.paris.holidays.subdivision: ES has no subdivision 'ZZ' in the holidays package "
     "(known: AN, AR, AS, CB, CE, CL, CM, CN, CT, EX, GA, IB ...)"),
    (("site: paris}", "site: lyon}"),
     "scenario.yaml:5: lines.paris.site: unknown site 'lyon' (defined: paris)"),
    (("hours: \"08:00-21:00\"", "hours: 9am-5pm"),
     "scenario.yaml:11: calls[1].schedule.windows[0].hours: expected HH:MM-HH:MM within one day "
     "(e.g. 08:00-21:00), got '9am-5pm'"),
    (("hours: \"08:00-21:00\"", "hours: \"22:00-02:00\""),
     "scenario.yaml:11: calls[1].schedule.windows[0].hours: the end of '22:00-02:00' is not after its start "
     "(a window past midnight is two windows: 22:00-24:00 and 00:00-02:00 on the next days)"),
    (("days: mon-fri", "days: weekdays"),
     "scenario.yaml:11: calls[1].schedule.windows[0].days: expected days such as mon-fri, sat-sun or [mon, wed] "
     "(names mon, tue, wed, thu, fri, sat, sun), got 'weekdays'"),
    (("{days: mon-fri, hours: \"08:00-21:00\"}", "{days: mon-fri}"),
     "scenario.yaml:11: calls[1].schedule.windows[0]: missing 'hours'"),
    (("  end: 2026-04-05", "  end: 2026-03-01"),
     "scenario.yaml:15: schedule.end: the last day 2026-03-01 is before the first day 2026-03-23"),
    (("  end: 2026-04-05", "  end: 5 April"),
     "scenario.yaml:15: schedule.end: expected a day YYYY-MM-DD, got '5 April'"),
    (("  end: 2026-04-05", "  end: 2026-04-05\n  blackout: [2026-03-30, 2026-04-03..2026-04-01]"),
     "scenario.yaml:16: schedule.blackout[1]: expected a range from an earlier to a later day, "
     "got '2026-04-03..2026-04-01'"),
    (("  end: 2026-04-05", "  end: 2026-04-05\n  distribution: peak"),
     "scenario.yaml:16: schedule.distribution: expected one of uniform, volume, got 'peak'"),
    (("  end: 2026-04-05", "  end: 2026-04-05\n  volume: [1, 2, 3]"),
     "scenario.yaml:16: schedule.volume: expected 168 numbers (Monday 00:00 first)"),
    (("  end: 2026-04-05", "  end: 2026-04-05\n  windws: []"),
     "scenario.yaml:16: schedule.windws: unknown schedule field (known: blackout, distribution, end, start, "
     "volume, windows)"),
    (("  end: 2026-04-05\n", ""),
     "scenario.yaml:11: calls[1].schedule.end: no last day: set end in a schedule of the scenario, the site, "
     "the line or this call group"),
    (("  - {line: paris, count: 2}", "  - {line: paris, count: 2, max_seconds: 60, expected_seconds: 90}"),
     "scenario.yaml:9: calls[0].expected_seconds: expected at most max_seconds (60), got 90"),
    (("name: chain", "name: chain\ntrunk: {channels: 0}"),
     "scenario.yaml:2: trunk.channels: expected a whole number from 1 to 100000, got 0"),
    (("name: chain", "name: chain\nrevenue: {hourly_profile: [1, -1]}"),
     "scenario.yaml:2: revenue.hourly_profile: expected 168 numbers (Monday 00:00 first)"),
])
def test_bad_schedule_input_names_file_line_and_field(tmp_path: Path, change: tuple[str, str],
                                                      expected: str) -> None:
    old, new = change
    assert old in BASE
    path = tmp_path / "scenario.yaml"
    path.write_text(BASE.replace(old, new, 1))
    with pytest.raises(InputError) as error:
        load_scenario(path)
    assert f"{tmp_path}/{expected}" == str(error.value)
