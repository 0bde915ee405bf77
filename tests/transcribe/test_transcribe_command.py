"""`mystery transcribe` from the command line: a two-channel call, the segmenter's JSON, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from console.cli import main
from mystery.transcribe.accuracy import word_error_rate
from tests.transcribe.conftest import RATE, asterisk_prompt, hold_music, write_wav


def stereo_call(tmp: Path) -> tuple[Path, float, float]:
    """Left: the caller (silence); right: hold music then an Asterisk prompt at 20 s."""
    prompt = asterisk_prompt("queue-thankyou")
    callee = hold_music(30.0)
    start = 20.0
    callee[int(start * RATE):int(start * RATE) + len(prompt)] = prompt
    stereo = np.stack([np.zeros_like(callee), callee], axis=1)
    return write_wav(tmp / "call.wav", stereo), start, start + len(prompt) / RATE


def heard_the_prompt(out: dict[str, object]) -> bool:
    """Whisper on CPU is not bit-for-bit repeatable ("patience" / "patients"): allow one word in five."""
    heard = " ".join(str(w["text"]) for w in out["words"])  # type: ignore[attr-defined]
    return word_error_rate("Thank you for your patience", heard)[0] <= 0.2


@pytest.mark.asr
def test_only_the_segmenters_speech_is_transcribed_from_the_callee_channel(
        tmp_workdir: Path, whisper_model: Path, asterisk_sounds: Path) -> None:
    wav, start, end = stereo_call(tmp_workdir)
    segments = [{"start_s": 0.0, "end_s": start, "label": "hold_music"},
                {"start_s": start, "end_s": end, "label": "announcement"},
                {"start_s": end, "end_s": 30.0, "label": "hold_music"}]
    (tmp_workdir / "segments.json").write_text(json.dumps({"segments": segments}))
    result = CliRunner().invoke(main, ["transcribe", str(wav), "--engine", "whisper", "--language", "en",
                                       "--segments", "segments.json", "--json"])
    assert 0 == result.exit_code, result.output
    out = json.loads(result.output)
    assert ("whisper", "whisper-tiny.en", "callee") == (out["engine"], out["model"], out["channel"])
    assert 1 == len(out["spans"]) and "announcement" == out["spans"][0]["label"]
    assert out["speech_s"] < 3.0 < 30.0 == pytest.approx(out["audio_s"])
    assert heard_the_prompt(out)
    assert all(start - 0.2 <= w["start_s"] <= w["end_s"] <= end + 0.2 for w in out["words"])
    assert all(0.0 < w["confidence"] <= 1.0 for w in out["words"])


def test_a_broken_segments_file_is_one_line_with_file_and_line(tmp_workdir: Path, asterisk_sounds: Path) -> None:
    wav, _, _ = stereo_call(tmp_workdir)
    (tmp_workdir / "segments.json").write_text('[\n  {"start_s": 1.0,\n   "end_s": }\n]\n')
    result = CliRunner().invoke(main, ["transcribe", str(wav), "--segments", "segments.json"])
    assert 2 == result.exit_code
    assert "error: segments.json:3: invalid JSON: Expecting value\n" == result.output


def test_a_segment_that_ends_before_it_starts_is_named(tmp_workdir: Path, asterisk_sounds: Path) -> None:
    wav, _, _ = stereo_call(tmp_workdir)
    (tmp_workdir / "segments.json").write_text(json.dumps([{"start_s": 1, "end_s": 3, "label": "live_human"},
                                                           {"start_s": 9, "end_s": 4, "label": "live_human"}]))
    result = CliRunner().invoke(main, ["transcribe", str(wav), "--segments", "segments.json"])
    assert 2 == result.exit_code
    assert "error: segments.json: segments[1].end_s: expected 0 <= start_s < end_s, got 9.0 .. 4.0\n" == result.output


def test_the_right_channel_of_a_mono_file_is_refused(tmp_workdir: Path) -> None:
    write_wav(tmp_workdir / "mono.wav", np.zeros(RATE, dtype=np.float32))
    result = CliRunner().invoke(main, ["transcribe", "mono.wav", "--channel", "right"])
    assert 2 == result.exit_code
    assert ("error: mono.wav: --channel: the file is mono; right needs a two-channel recording "
            "(use --channel mono)\n") == result.output


def test_a_missing_model_for_the_language_says_how_to_get_one(tmp_workdir: Path) -> None:
    write_wav(tmp_workdir / "mono.wav", np.zeros(RATE, dtype=np.float32))
    result = CliRunner().invoke(main, ["transcribe", "mono.wav", "--language", "fr", "--engine", "vosk"])
    assert 2 == result.exit_code
    assert result.output.startswith("error: --language: no vosk model for 'fr' in models/ or the settings; ")
    assert "mystery models install" in result.output


@pytest.mark.asr
def test_without_segments_the_segmenter_runs_and_the_hold_music_is_not_decoded(
        tmp_workdir: Path, whisper_model: Path, asterisk_sounds: Path) -> None:
    wav, start, end = stereo_call(tmp_workdir)
    result = CliRunner().invoke(main, ["transcribe", str(wav), "--engine", "whisper", "--language", "en", "--json"])
    assert 0 == result.exit_code, result.output
    out = json.loads(result.output)
    assert out["speech_s"] < 10.0  # of a 30 s call that is music except for one 1.6 s prompt
    assert any(s["start_s"] <= start + 0.5 and s["end_s"] >= end - 0.5 for s in out["spans"])
    assert heard_the_prompt(out)


def test_segments_and_whole_file_together_are_refused(tmp_workdir: Path) -> None:
    write_wav(tmp_workdir / "mono.wav", np.zeros(RATE, dtype=np.float32))
    Path("s.json").write_text("[]")
    result = CliRunner().invoke(main, ["transcribe", "mono.wav", "--segments", "s.json", "--whole-file"])
    assert 2 == result.exit_code
    assert "--segments and --whole-file cannot be combined" in result.output


@pytest.mark.asr
def test_a_calls_json_gives_the_recording_and_its_segments(
        tmp_workdir: Path, whisper_model: Path, asterisk_sounds: Path) -> None:
    wav, start, end = stereo_call(tmp_workdir)
    call = {"call_id": "c1", "target_uri": "sip:desk@127.0.0.1", "outcome": "human",
            "started_at": "2026-11-23T18:00:00Z", "recording": wav.name, "recording_offset_s": 0.4,
            "segments": [{"start_s": 0.0, "end_s": start, "label": "hold_music", "confidence": 0.9},
                         {"start_s": start, "end_s": end, "label": "announcement", "confidence": 0.9}]}
    Path("call.json").write_text(json.dumps(call))
    result = CliRunner().invoke(main, ["transcribe", "call.json", "--engine", "whisper", "--language", "en", "--json"])
    assert 0 == result.exit_code, result.output
    out = json.loads(result.output)
    assert [("announcement", pytest.approx(start - 0.15))] == [(s["label"], s["start_s"]) for s in out["spans"]]
    assert heard_the_prompt(out)


def test_a_call_without_recording_is_one_line(tmp_workdir: Path) -> None:
    Path("call.json").write_text(json.dumps({"call_id": "c2", "target_uri": "sip:x@127.0.0.1", "outcome": "busy",
                                             "started_at": "2026-11-23T18:00:00Z"}))
    result = CliRunner().invoke(main, ["transcribe", "call.json"])
    assert 2 == result.exit_code
    assert ("error: call.json: recording: the call has no recording (it was not answered, or not recorded)\n"
            == result.output)


def test_only_words_said_in_live_human_segments_are_scored_from_the_answer(tmp_path: Path) -> None:
    """The scoring step shared by `mystery transcribe --checklist` and the campaign pipeline."""
    from mystery.pipeline.process import score_heard
    from mystery.records import Segment, Word
    from mystery.score.checklist import load_checklist

    path = tmp_path / "bible.yaml"
    path.write_text("checklist: x\nitems:\n  - id: greeting\n    rules:\n      - phrases: ['grand hotel']\n")
    checklist = load_checklist(path)
    segments = [Segment(0.0, 4.0, "ivr_prompt"), Segment(10.0, 15.0, "live_human")]
    ivr = [Word(1.0, 1.5, "grand"), Word(1.5, 2.0, "hotel"), Word(11.0, 11.5, "hello")]
    card = score_heard(checklist, ivr, segments, segments)
    assert (10.0, False) == (card.answer_s, card.verdicts[0].passed)
    live = [Word(11.0, 11.5, "grand"), Word(11.5, 12.0, "hotel")]
    assert score_heard(checklist, live, segments, segments).verdicts[0].passed
    assert score_heard(checklist, ivr, [], []).verdicts[0].passed  # no live-human segment: every word counts
