"""Per-frame voicing of the live cue (mystery/dial/voicing.py) on signals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from mystery.dial.voicing import BEEP_SHARE, VOICED_R, analyse_frame, speech_score, summarise

T = np.arange(320) / 8000


def harmonic(f0: float) -> np.ndarray:
    return 3000 * (np.sin(2 * np.pi * f0 * T) + 0.5 * np.sin(4 * np.pi * f0 * T) + 0.3 * np.sin(6 * np.pi * f0 * T))


@pytest.mark.parametrize("f0", [80.0, 120.0, 180.0, 250.0, 320.0])
def test_a_voiced_frame_gets_its_pitch_not_an_octave_below(f0: float) -> None:
    x = harmonic(f0)
    v = analyse_frame(x[:160], x[160:], -20.0)
    assert v.harmonicity >= VOICED_R
    assert f0 == pytest.approx(v.pitch_hz, rel=0.03)


def test_a_beep_is_one_tone_and_white_noise_is_flat_and_unvoiced() -> None:
    beep = 8000 * np.sin(2 * np.pi * 1000 * T)
    assert analyse_frame(beep[:160], beep[160:], -12.0).tone_share >= BEEP_SHARE
    noise = np.random.default_rng(14).standard_normal(320) * 3000
    v = analyse_frame(noise[:160], noise[160:], -20.0)
    assert v.harmonicity < VOICED_R
    assert v.flatness > 0.3


def test_a_held_note_scores_below_a_gliding_voice_with_pauses() -> None:
    def frames(pitches: list[float], levels: list[float]) -> list:
        out: list = []
        for f0, level in zip(pitches, levels, strict=True):
            if level < -45:
                out.append(level)
                continue
            x = harmonic(f0)
            out.append(analyse_frame(x[:160], x[160:], level))
        return out

    note = frames([220.0] * 75, [-20.0] * 75)                      # 1.5 s of one steady note
    glide = [120.0 * (1 + 0.02 * (i % 10)) for i in range(75)]     # syllables: the pitch moves
    syllables = [-20.0 if (i // 10) % 2 == 0 else -60.0 for i in range(75)]
    assert speech_score(summarise(note)) < 0 < speech_score(summarise(frames(glide, syllables)))
    assert -1.0 == speech_score(summarise(note[:5]))                # a blip is never a voice
