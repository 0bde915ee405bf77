"""Landmark fingerprints: recordings match across calls (G.711, other framing), people do not."""

from __future__ import annotations

import numpy as np

from mystery.audio.features import frame_features
from mystery.audio.fingerprint import FingerprintLibrary, landmarks
from mystery.audio.synthetic import asterisk_sound, g711_round_trip, speak

from .conftest import needs_tools

pytestmark = needs_tools


def marks_of(x):
    power = frame_features(x).power
    return landmarks(power), len(power)


def place(x, offset_samples, total_s=8.0, gain=1.0):
    out = np.zeros(int(total_s * 8000), np.float32)
    out[offset_samples: offset_samples + len(x)] = x[: len(out) - offset_samples] * gain
    return g711_round_trip(out + np.random.default_rng(offset_samples).standard_normal(len(out)) * 1e-3)


def test_same_prompt_matches_at_another_offset_and_level_after_g711():
    prompt = asterisk_sound("pls-hold-while-try")
    library = FingerprintLibrary()
    marks, n = marks_of(place(prompt, 1000))
    library.add("call-1", "announcement", marks, n, 0)
    query, _ = marks_of(place(prompt, 8000 * 3 + 77, gain=0.4))   # 77 samples: not on the 20 ms grid
    found = library.match(query, exclude_call="call-2")
    assert found and "call-1" == found[0].item.call_id
    # the match is located where the prompt is in the query
    assert abs(found[0].start_frame * 0.02 - 3.0) < 0.6


def test_different_words_and_voices_never_match():
    library = FingerprintLibrary()
    a, n = marks_of(place(speak("Good morning, Grand Hotel, Maria speaking, how can I help you?", "en", "f3"), 800))
    library.add("call-1", "live_human", a, n, 0)
    b, _ = marks_of(place(speak("Hello, Seaside Inn, this is John, what can I do for you today?", "en-us", "m2"), 800))
    assert [] == library.match(b, exclude_call="call-2")


def test_a_call_never_matches_itself_when_excluded():
    prompt = asterisk_sound("queue-periodic-announce")
    library = FingerprintLibrary()
    marks, n = marks_of(place(prompt, 0, total_s=9))
    library.add("call-1", "announcement", marks, n, 0)
    assert [] == library.match(marks, exclude_call="call-1")
    assert library.match(marks, exclude_call="other")


def test_library_survives_a_round_trip_through_its_directory(tmp_path):
    prompt = asterisk_sound("vm-nobodyavail")
    library = FingerprintLibrary(tmp_path / "line")
    marks, n = marks_of(place(prompt, 400, total_s=4))
    library.add("call-1", "voicemail_greeting", marks, n, 0)
    library.mark_repeated(0)
    library.save()
    reloaded = FingerprintLibrary(tmp_path / "line")
    assert 1 == len(reloaded)
    assert reloaded.items[0].repeated
    assert reloaded.match(marks, exclude_call="call-2")
