"""`mystery campaign plan SCENARIO`: the same plan as a table, CSV or ICS, reproducible with --seed and
--now."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from console.cli import main

SCENARIO = """\
name: chain
sites:
  paris: {timezone: Europe/Paris}
lines:
  paris: {uri: "sip:+33140000000@trunk.example.net", site: paris}
  new-york: {uri: "sip:+12125550100@trunk.example.net"}
  desk: sip:desk@127.0.0.1:5080
calls:
  - {line: paris, count: 6, label: booking}
  - line: new-york
    count: 4
    schedule: {windows: [{days: sat-sun, hours: "10:00-16:00"}]}
  - {line: desk, count: 2}
schedule:
  start: 2026-10-19
  end: 2026-11-01
"""
SITE_WINDOWS = "  paris: {timezone: Europe/Paris, schedule: {windows: [{days: mon-fri, hours: \"09:00-18:00\"}]}}"


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "chain.yaml"
    path.write_text(SCENARIO.replace("  paris: {timezone: Europe/Paris}", SITE_WINDOWS))
    return path


def plan(*args: str) -> Result:
    return CliRunner().invoke(main, ["campaign", "plan", *args])


def test_csv_lists_every_call_in_its_site_zone(scenario_file: Path) -> None:
    result = plan(str(scenario_file), "--seed", "7", "--now", "2026-10-01T00:00Z", "--format", "csv")
    assert 0 == result.exit_code, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert 12 == len(rows)
    assert [("", "desk")] * 2 == [(r["start_utc"], r["line"]) for r in rows[:2]]  # dialled at once
    for row in rows[2:]:
        local = datetime.fromisoformat(row["start_local"])
        assert local == datetime.fromisoformat(row["start_utc"].replace("Z", "+00:00")).astimezone(
            ZoneInfo(row["timezone"]))
        assert {"paris": "Europe/Paris", "new-york": "America/New_York"}[row["line"]] == row["timezone"]
        if row["line"] == "new-york":
            assert local.weekday() >= 5 and 10 <= local.hour < 16
        else:
            assert local.weekday() < 5 and 9 <= local.hour < 18 and "booking" == row["label"]
    assert result.stdout == plan(str(scenario_file), "--seed", "7", "--now", "2026-10-01T00:00Z",
                                 "--format", "csv").stdout
    assert result.stdout != plan(str(scenario_file), "--seed", "8", "--now", "2026-10-01T00:00Z",
                                 "--format", "csv").stdout


def test_ics_opens_as_a_calendar_with_one_event_per_timed_call(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.ics"
    result = plan(str(scenario_file), "--seed", "7", "--now", "2026-10-01T00:00Z", "--format", "ics",
                  "--output", str(out))
    assert 0 == result.exit_code, result.output
    calendar = Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert 10 == len(events)   # the two calls dialled at once have no time
    assert {"Europe/Paris", "America/New_York"} == {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert {"Europe/Paris", "America/New_York"} == {str(e["DTSTART"].dt.tzinfo) for e in events}
    assert {f"chain-seed7-{n}@mystery" for n in range(3, 13)} == {str(e["UID"]) for e in events}
    csv_rows = list(csv.DictReader(io.StringIO(plan(str(scenario_file), "--seed", "7", "--now",
                                                    "2026-10-01T00:00Z", "--format", "csv").stdout)))
    assert sorted(r["start_utc"] for r in csv_rows if r["start_utc"]) == sorted(
        e["DTSTART"].dt.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ") for e in events)
    # the same plan gives the same bytes: DTSTAMP is the injected present, not the clock
    again = tmp_path / "again.ics"
    plan(str(scenario_file), "--seed", "7", "--now", "2026-10-01T00:00Z", "--format", "ics", "--output", str(again))
    assert out.read_bytes() == again.read_bytes()


def test_the_table_shows_local_times_and_calls_dialled_at_once(scenario_file: Path) -> None:
    result = plan(str(scenario_file), "--now", "2026-10-01T00:00Z")
    assert 0 == result.exit_code, result.output
    assert "right away" in result.stdout and "Plan of chain (seed 1" in result.stdout
    assert "CEST" in result.stdout and ("EDT" in result.stdout or "EST" in result.stdout)


def test_a_bad_now_or_plan_is_one_error_line(scenario_file: Path, tmp_path: Path) -> None:
    result = plan(str(scenario_file), "--now", "yesterday")
    assert (2, "error: --now: expected an ISO 8601 time such as 2026-03-01T09:00Z, got 'yesterday'\n") == (
        result.exit_code, result.stderr)
    late = plan(str(scenario_file), "--now", "2026-11-02T00:00Z")
    assert 2 == late.exit_code
    assert late.stderr.startswith(f"error: {scenario_file}:9: calls[0].schedule: no minute left to call in")

