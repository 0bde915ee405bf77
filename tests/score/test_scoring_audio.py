"""One real audio path: espeak-ng English agent lines in a two-channel call -> Whisper tiny.en on
the callee channel (speech spans only) -> the hotel checklist -> the expected verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from console.cli import main
from tests.score.conftest import HOTEL_BOOKING
from tests.transcribe.conftest import RATE, hold_music, speak, write_wav

pytestmark = [pytest.mark.asr, pytest.mark.slow]

AGENT = (  # upsell and contact details are left out on purpose
    "Good morning, Grand Hotel, Maria speaking, how can I help you?",
    "Yes, we have a double room available for those dates.",
    "It is one hundred and twenty euros per night.",
    "Thank you for your call, have a nice day, goodbye.",
)
CALLER = (
    "Hello, I would like to book a room for next weekend.",
    "How much is it?",
    "Perfect, thank you.",
)


def build_call(tmp: Path) -> tuple[Path, list[dict[str, object]]]:
    """Hold music, then the conversation; segments are known by construction."""
    hold_s = 20.0
    callee = [hold_music(hold_s)]
    caller = [np.zeros(int(hold_s * RATE), np.float32)]
    segments: list[dict[str, object]] = [{"start_s": 0.0, "end_s": hold_s, "label": "hold_music"}]
    t = hold_s
    for i, line in enumerate(AGENT):
        said = speak(line, voice="en-us", speed=155)
        callee.append(said)
        caller.append(np.zeros_like(said))
        segments.append({"start_s": t, "end_s": t + len(said) / RATE, "label": "live_human"})
        t += len(said) / RATE
        if i < len(CALLER):
            asked = speak(CALLER[i], voice="en-gb", speed=165) * 0.7
            pause = np.zeros(int(0.4 * RATE), np.float32)
            caller += [pause, asked, pause]
            callee += [np.zeros(len(asked) + 2 * len(pause), np.float32)]
            t += (len(asked) + 2 * len(pause)) / RATE
    stereo = np.stack([np.concatenate(caller), np.concatenate(callee)], axis=1)
    return write_wav(tmp / "call.wav", stereo), segments


def test_spoken_agent_lines_are_transcribed_and_scored_with_the_expected_verdicts(
        tmp_workdir: Path, whisper_model: Path) -> None:
    wav, segments = build_call(tmp_workdir)
    Path("segments.json").write_text(json.dumps(segments))
    result = CliRunner().invoke(main, ["transcribe", str(wav), "--engine", "whisper", "--language", "en",
                                       "--segments", "segments.json", "--checklist", str(HOTEL_BOOKING), "--json"])
    assert 0 == result.exit_code, result.output
    out = json.loads(result.output)
    verdicts = {v["item"]: v for v in out["score"]["verdicts"]}
    assert {"greeting": True, "agent_name": True, "availability": True, "rate": True, "upsell": False,
            "contact_details": False, "closing": True} == {k: v["passed"] for k, v in verdicts.items()}
    assert pytest.approx(100 * 5 / 7, abs=0.1) == out["score"]["score_pct"]
    answer = segments[1]["start_s"]
    assert pytest.approx(answer) == out["score"]["answer_s"]
    assert answer - 0.3 <= verdicts["greeting"]["at_s"] < answer + 2.0  # span padding: 0.15 s
    assert "grand hotel" in verdicts["greeting"]["quote"].lower()
    assert verdicts["rate"]["at_s"] > verdicts["availability"]["at_s"] > verdicts["greeting"]["at_s"]
    assert all(v["reason"] for v in verdicts.values())
    assert all(w["channel"] == "callee" and w["start_s"] >= 20.0 - 0.15 for w in out["words"])  # no hold music words


def test_a_stored_call_is_transcribed_from_its_segments_and_scored(tmp_path: Path, whisper_model: Path) -> None:
    from mystery.records import CallResult, Segment
    from mystery.score.checklist import find_checklist, load_checklist
    from mystery.score.scorecard import score_recorded_call
    from mystery.transcribe.call import CallTranscription

    wav, segments = build_call(tmp_path)
    call = CallResult("c1", "sip:reservations@127.0.0.1", "human", "2026-11-23T18:00:00Z", line="reservations",
                      recording=str(wav), segments=tuple(Segment(s["start_s"], s["end_s"], s["label"])  # type: ignore[arg-type]
                                                         for s in segments))
    transcribed = CallTranscription("whisper", tmp_path / "models")(call, "en")
    assert transcribed.words and all(w.channel == "callee" for w in transcribed.words)
    card = score_recorded_call(load_checklist(find_checklist("hotel_booking")), transcribed)
    assert ("upsell", "contact_details") == card.missed
    assert pytest.approx(segments[1]["start_s"]) == card.answer_s
    stored = card.to_json()["verdicts"]
    assert {"item", "passed", "at_s", "quote"} <= set(stored[0])  # what store.repo.save_scores takes
