"""Checklist files: the example loads, and every mistake is one line `file:line: field: problem`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from console.cli import main
from mystery.score.checklist import load_checklist
from mystery_core.errors import InputError
from tests.score.conftest import HOTEL_BOOKING

GOOD_ITEM = """\
  - id: greeting
    title: Greeting
    rules:
      - phrases: ["good morning"]
"""


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bible.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_checklist(path)
    return str(error.value).replace(str(tmp_path) + "/", "")


def test_the_example_hotel_checklist_has_the_seven_items_of_the_brief() -> None:
    checklist = load_checklist(HOTEL_BOOKING)
    assert ["greeting", "agent_name", "availability", "rate", "upsell", "contact_details", "closing"] == [
        i.id for i in checklist.items]
    assert (("hotel", "Grand Hotel"), ("staff", "")) == checklist.variables
    assert ("all", 15.0) == (checklist.items[0].require, checklist.items[0].within_s)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n  - id: a\n    rules: [\n"
    assert error_of(tmp_path, text).startswith("bible.yaml:5: invalid YAML: ")


def test_an_unknown_item_field_names_its_line(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n" + GOOD_ITEM + "  - id: rate\n    rulez:\n      - keywords: [euros]\n"
    assert ("bible.yaml:8: items[1].rulez: unknown field (expected id, match, rules, speaker, title, "
            "weight, within_s)") == error_of(tmp_path, text)


def test_an_invalid_regex_names_the_pattern(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n" + GOOD_ITEM + "  - id: rate\n    rules:\n      - regex: '(euros'\n"
    assert ("bible.yaml:9: items[1].rules[0].regex[0]: invalid regular expression: "
            "missing ), unterminated subpattern at position 0") == error_of(tmp_path, text)


def test_a_rule_with_two_kinds_is_refused(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n  - id: a\n    rules:\n      - keywords: [a]\n        regex: b\n"
    assert ("bible.yaml:5: items[0].rules[0]: expected exactly one of keywords, phrases, regex, names, "
            "got ['keywords', 'regex']") == error_of(tmp_path, text)


def test_a_bad_time_limit_and_a_bad_speaker_are_named(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n  - id: a\n    within_s: soon\n    rules: [{keywords: [a]}]\n"
    assert "bible.yaml:4: items[0].within_s: expected a positive number of seconds, got 'soon'" == error_of(
        tmp_path, text)
    text = "checklist: x\nitems:\n  - id: a\n    speaker: robot\n    rules: [{keywords: [a]}]\n"
    assert "bible.yaml:4: items[0].speaker: expected one of agent, caller, any, got 'robot'" == error_of(
        tmp_path, text)


def test_duplicate_ids_point_at_the_second(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n" + GOOD_ITEM + GOOD_ITEM
    assert "bible.yaml:7: items[1].id: duplicate id 'greeting' (first at items[0])" == error_of(tmp_path, text)


def test_fuzzy_score_out_of_range_is_named(tmp_path: Path) -> None:
    text = "checklist: x\nitems:\n  - id: a\n    rules:\n      - phrases: [hello]\n        min_score: 120\n"
    assert "bible.yaml:6: items[0].rules[0].min_score: expected a number in (0, 100], got 120" == error_of(
        tmp_path, text)


def test_an_undefined_variable_is_reported_at_scoring_time_with_its_rule_line(tmp_path: Path) -> None:
    from mystery.records import Word
    from mystery.score.scorecard import score_call

    path = tmp_path / "bible.yaml"
    path.write_text("checklist: x\nitems:\n  - id: a\n    rules:\n      - phrases: ['{hotel}']\n")
    with pytest.raises(InputError) as error:
        score_call(load_checklist(path), [Word(0, 1, "hello")])
    assert (f"{path}:5: phrases: unknown variable {{hotel}}: define it under variables: or pass it for the "
            "line (--var hotel=...)") == str(error.value)


def test_the_command_line_prints_the_error_and_exits_2(tmp_workdir: Path) -> None:
    import numpy as np
    import soundfile

    soundfile.write("silence.wav", np.zeros(8000, dtype=np.float32), 8000)
    Path("bible.yaml").write_text("checklist: x\nitems: []\n")
    result = CliRunner().invoke(main, ["transcribe", "silence.wav", "--segments", "none.json"])
    assert 2 == result.exit_code
    Path("none.json").write_text("[]")
    result = CliRunner().invoke(main, ["transcribe", "silence.wav", "--segments", "none.json",
                                       "--checklist", "bible.yaml"])
    assert 2 == result.exit_code
    assert "error: bible.yaml:2: items: expected a non-empty list of items, got []\n" == result.output
