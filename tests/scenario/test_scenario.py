"""Scenario files: valid ones become interleaved call plans; bad ones name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mystery.scenario.load import load_scenario
from mystery.scenario.plan import Account
from mystery.schedule import schedule_calls
from mystery_core.errors import InputError

SCENARIO = """\
name: grand-hotel
client: Grand Hotel
concurrency: 2
lines:
  reservations: {uri: "sip:reservations@127.0.0.1:5080", language: en}
  switchboard: sip:main@127.0.0.1:5080
calls:
  - line: reservations
    count: 3
    steps:
      - {action: dtmf, value: "1", on: prompt_ended, offset_s: 0.3}
      - {action: say, value: "Do you have a room?", on: human_reached}
  - line: switchboard
    count: 1
    max_seconds: 40
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def test_a_valid_scenario_is_read_with_its_steps(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, SCENARIO))
    assert 4 == scenario.total_calls
    assert ("dtmf", "prompt_ended", 0.3) == (scenario.groups[0].steps[0].action, scenario.groups[0].steps[0].on,
                                             scenario.groups[0].steps[0].offset_s)
    assert "sip:main@127.0.0.1:5080" == scenario.lines["switchboard"].uri


def test_a_call_group_may_ask_not_to_follow_redirects(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, SCENARIO + "    follow_redirects: false\n"))
    plans = schedule_calls(scenario, tmp_path / "rec", Account(), "nov")
    assert [True, False, True, True] == [p.follow_redirects for p in plans]


def test_calls_are_interleaved_across_lines(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, SCENARIO))
    plans = schedule_calls(scenario, tmp_path / "rec", Account(), "nov")
    assert ["reservations", "switchboard", "reservations", "reservations"] == [p.line for p in plans]
    assert ["nov-0001", "nov-0002", "nov-0003", "nov-0004"] == [p.call_id for p in plans]
    assert 40.0 == plans[1].max_seconds
    assert str(tmp_path / "rec" / "nov") == plans[0].recordings_dir


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (SCENARIO.replace("count: 3", "count: three"),
         "scenario.yaml:9: calls[0].count: expected a whole number from 1 to 10000, got 'three'"),
        (SCENARIO.replace('value: "1"', 'value: "1x"'),
         "scenario.yaml:11: calls[0].steps[0].value: expected DTMF digits 0-9 * # A-D, got '1x'"),
        (SCENARIO.replace("line: switchboard", "line: spa"),
         "scenario.yaml:13: calls[1].line: unknown line 'spa' (defined: reservations, switchboard)"),
        (SCENARIO.replace("sip:main@127.0.0.1:5080", "tel:123"),
         "scenario.yaml:6: lines.switchboard.uri: not a SIP URI: 'tel:123' (expected sip:user@host[:port])"),
        (SCENARIO.replace("concurrency: 2", "concurency: 2"),
         "scenario.yaml:3: concurency: unknown field"),
        ("name: x\nlines: [\n", "scenario.yaml:3: invalid YAML"),
        (SCENARIO.replace("max_seconds: 40", "max_seconds: .inf"),
         "scenario.yaml:15: calls[1].max_seconds: expected a positive number of seconds, got inf"),
        (SCENARIO.replace("max_seconds: 40", "max_seconds: 90000"),
         "scenario.yaml:15: calls[1].max_seconds: expected a number of seconds > 0 and <= 86400, got 90000"),
    ],
)
def test_a_broken_scenario_names_file_line_and_field(tmp_path: Path, broken: str, expected: str) -> None:
    with pytest.raises(InputError) as error:
        load_scenario(write(tmp_path, broken))
    assert str(error.value).startswith(str(tmp_path / expected))
