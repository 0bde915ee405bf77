"""The revenue model takes each call's hour of week in its own site's zone, read from the scenario the
store keeps with the campaign (a real SQLite file, and the real PostgreSQL); lines without a site keep the model's `timezone`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mystery.records import CallResult
from mystery.report.build import campaign_assumptions, campaign_zones, estimate_campaign, write_report
from mystery.revenue.assumptions import apply_overrides
from mystery.scenario.load import Scenario
from mystery.store import repo
from mystery_core.store.engine import make_engine, migrate

SCENARIO = """\
name: two-hotels
sites:
  paris: {timezone: Europe/Paris}
  new-york: {timezone: America/New_York}
lines:
  paris: {uri: "sip:+33140000000@trunk.example.net", site: paris}
  new-york: {uri: "sip:+12125550100@trunk.example.net", site: new-york}
  desk: sip:desk@127.0.0.1:5080
calls:
  - {line: paris}
  - {line: new-york}
  - {line: desk}
"""
AT = "2026-03-23T14:00:00Z"   # a Monday: 15:00 in Paris, 10:00 in New York (EDT since 8 March)


def test_each_call_is_weighed_in_its_own_site_zone(scenario_from: Callable[[str], Scenario], database_url: str,
                                                   tmp_path: Path) -> None:
    scenario = scenario_from(SCENARIO)
    engine = make_engine(database_url)
    migrate(engine)
    campaign_id = repo.create_campaign(engine, "two-hotels", scenario.to_json(), scenario.path)
    for n, line in enumerate(("paris", "new-york", "desk")):
        repo.save_call(engine, CallResult(f"c{n}", scenario.lines[line].uri, "no_answer", AT, line=line),
                       campaign_id)
    row = repo.find_campaign(engine, "two-hotels")
    calls = repo.load_calls(engine, campaign_id)
    engine.dispose()
    assert {"paris": "Europe/Paris", "new-york": "America/New_York"} == campaign_zones(row)

    # a profile with traffic only on Monday 10:00, 13:00 and 15:00: the coverage says which hours were sampled
    profile = [0.0] * 168
    profile[10], profile[13], profile[15] = 0.25, 0.25, 0.5
    assumptions = apply_overrides(campaign_assumptions(row), {"hourly_profile": profile, "timezone": "Asia/Tokyo"},
                                  "test")
    estimate, _ = estimate_campaign(calls, {}, assumptions, campaign_zones(row))
    assert estimate is not None
    # Paris 15:00 (0.5) + New York 10:00 (0.25); the desk line in Tokyo is 23:00 (0.0)
    assert 0.75 == estimate.profile_coverage
    one_zone, _ = estimate_campaign(calls, {}, assumptions)   # before sites: every call in Tokyo, 23:00
    assert one_zone is not None and 0.0 == one_zone.profile_coverage

    files = write_report(row, calls, {}, assumptions, tmp_path / "report", generated_at="now")
    local = {r.line: r.started_local for r in files.context.calls}
    assert {"paris": "Mon 23 Mar 15:00", "new-york": "Mon 23 Mar 10:00", "desk": "Mon 23 Mar 23:00"} == local
