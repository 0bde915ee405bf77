"""How sure a time to a person is: the grade follows the evidence behind it (pure rules)."""

from __future__ import annotations

import dataclasses

from mystery.audio.confidence import Evidence, rate_time_to_human

TURN_TAKING = Evidence(have_caller=True, caller_spoke=True, line_history=12, human_rule="turn-taking with the caller",
                       start_margin=6.0, start_touches=False, positional_speech=0, answered_speech=False)


def test_a_person_found_by_turn_taking_on_a_known_line_is_high_with_no_reasons():
    assert ("high", ()) == dataclasses.astuple(rate_time_to_human(TURN_TAKING))


def test_a_person_found_only_because_they_spoke_again_to_a_silent_caller_is_low():
    rated = rate_time_to_human(dataclasses.replace(TURN_TAKING, caller_spoke=False,
                                                   human_rule="speaks again to a silent caller"))
    assert "low" == rated.level
    assert "the caller never spoke: turn-taking cannot be checked" in rated.reasons
    assert "person found only by weak evidence (speaks again to a silent caller)" in rated.reasons


def test_a_mono_recording_cannot_be_high():
    rated = rate_time_to_human(dataclasses.replace(TURN_TAKING, have_caller=False, caller_spoke=False))
    assert "medium" == rated.level
    assert ("no caller channel: turn-taking cannot be checked",) == rated.reasons


def test_a_hesitant_classifier_or_a_start_right_after_music_lowers_the_grade():
    hesitant = rate_time_to_human(dataclasses.replace(TURN_TAKING, start_margin=0.5))
    assert ("medium", ("the sound classifier hesitates where the person starts",)) == dataclasses.astuple(hesitant)
    both = rate_time_to_human(dataclasses.replace(TURN_TAKING, start_margin=0.5, start_touches=True))
    assert "low" == both.level


def test_the_first_call_on_a_line_is_said_but_costs_nothing_when_turn_taking_found_the_person():
    first = rate_time_to_human(dataclasses.replace(TURN_TAKING, line_history=0))
    assert "high" == first.level
    positional = rate_time_to_human(dataclasses.replace(TURN_TAKING, line_history=0, human_rule="something else"))
    assert "medium" == positional.level
    assert "person found by something else with no earlier calls on the line" in positional.reasons


def test_no_person_is_sure_only_when_no_speech_was_called_a_recording_by_position_alone():
    nobody = dataclasses.replace(TURN_TAKING, human_rule=None, start_margin=None)
    assert "high" == rate_time_to_human(nobody).level
    unsure = rate_time_to_human(dataclasses.replace(nobody, caller_spoke=False, positional_speech=2))
    assert "low" == unsure.level
    assert "2 stretch(es) of speech called a recording by position only" in unsure.reasons
    answered = rate_time_to_human(dataclasses.replace(nobody, positional_speech=1, answered_speech=True))
    assert "low" == answered.level
    assert "the caller answered speech that was called a recording" in answered.reasons
