"""After the calls: analyse stored recordings, then value and report the campaign.

Analysis runs after dialling, never during it, so it cannot disturb live call timing, and it
can be re-run on stored calls with a better model. It makes two passes per line: the first
teaches the line's fingerprint library every stretch of every call, the second labels each
call against the others (a recorded prompt repeats across calls, a live person never does),
so the first call of a campaign benefits as much as the last.

Segment -> transcribe -> score is one path for a stored call and for `mystery transcribe` (`hear`): the
same `transcribe_segments` turns speech segments into words, the same `score_heard` scores them.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine

from mystery.records import CallResult, Segment, Word
from mystery.store import repo
from mystery.transcribe.spans import SPEECH_LABELS, SpeechSpan

if TYPE_CHECKING:
    from mystery.audio.phases import AudioMeasures
    from mystery.score.checklist import Checklist
    from mystery.score.scorecard import Scorecard
    from mystery.transcribe.protocol import Transcript
    from mystery_core.settings import AsrSettings, Settings

REFINABLE = {"answered", "dropped"}
"""SIP outcomes that audio can refine (a busy or unanswered call has nothing to listen to)."""


@dataclass(frozen=True)
class ReportOutcome:
    html: Path
    summary: str


def apply_audio(result: CallResult, segments: tuple[Segment, ...], measures: AudioMeasures) -> CallResult:
    """The call with measures from audio replacing the SIP-based provisional ones. Pure."""
    m = measures
    outcome = result.outcome
    if outcome in REFINABLE and m.outcome in {"human", "voicemail", "ivr_dead_end", "abandoned_in_queue"}:
        outcome = m.outcome
    answered = result.time_to_answer_s is not None
    return dataclasses.replace(
        result,
        outcome=outcome,
        segments=segments,
        ivr_s=m.ivr_s if answered else None,
        hold_s=m.hold_s if answered else None,
        time_to_human_s=m.time_to_human_s,
        time_to_human_confidence=m.time_to_human_confidence,
        time_to_human_reasons=m.time_to_human_reasons,
        talk_s=m.talk_s if m.talk_s is not None else (0.0 if answered else None),
        talk_basis="audio",
        wait_basis="time_to_human",
    )


def analyse_recordings(calls: list[CallResult], fingerprints_dir: Path,
                       advance: Callable[[], None] = lambda: None) -> list[CallResult]:
    """Segment and measure every answered, recorded call; returns all calls (others unchanged).

    Calls are grouped by line: each line has its own fingerprint library under
    `fingerprints_dir/<line>`, which keeps what it learnt for the next campaign.
    """
    from mystery.audio.fingerprint import FingerprintLibrary
    from mystery.audio.phases import measure_phases
    from mystery.audio.segment import remember, segment_call
    from mystery.audio.wav import read_channels

    recorded = [(c, Path(c.recording)) for c in calls
                if c.recording and Path(c.recording).exists() and c.time_to_answer_s is not None]
    by_line: dict[str, list[tuple[CallResult, Path]]] = defaultdict(list)
    for call, recording in recorded:
        by_line[call.line].append((call, recording))
    analysed: dict[str, CallResult] = {}
    for line, line_recorded in by_line.items():
        library = FingerprintLibrary(fingerprints_dir / (line or "unknown"))
        audio = {c.call_id: read_channels(recording, "right") for c, recording in line_recorded}
        line_calls = [c for c, _ in line_recorded]
        for call in line_calls:  # pass 1: learn every stretch of every call
            ch = audio[call.call_id]
            remember(library, call.call_id, segment_call(ch.callee, ch.caller, library, call.call_id))
            advance()
        library.save()
        for call in line_calls:  # pass 2: label each call against the others
            ch = audio[call.call_id]
            analysis = segment_call(ch.callee, ch.caller, library, call.call_id)
            answer_s = max(0.0, (call.time_to_answer_s or 0.0) - call.recording_offset_s)
            measures = measure_phases(analysis.segments, ch.duration_s, call.recording_offset_s, answer_s,
                                      analysis.evidence)
            analysed[call.call_id] = apply_audio(call, tuple(analysis.segments), measures)
            advance()
    return [analysed.get(c.call_id, c) for c in calls]


def analyse_campaign(engine: Engine, settings: Settings, campaign_id: int, console: Console,
                     between_calls: Callable[[], None] = lambda: None) -> list[CallResult]:
    """Analyse a stored campaign's recordings (see analyse_recordings), store and return the calls.

    `between_calls` runs after each call's analysis: the command passes a wait for live calls, so
    an analysis that a new campaign's calls overtake pauses until they end."""
    calls = repo.load_calls(engine, campaign_id)
    work = 2 * sum(1 for c in calls if c.recording and c.time_to_answer_s is not None)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("analysing recordings", total=work)
        def advance() -> None:
            progress.advance(task)
            between_calls()

        results = analyse_recordings(calls, Path(settings.fingerprints_dir), advance)
    for before, after in zip(calls, results, strict=True):
        if after is not before:
            repo.replace_analysis(engine, after.call_id, after)
    return results


CLOSED_CUES = ("closed", "opening hours", "open every day", "open from", "office hours",
               "fermé", "fermés", "horaires d'ouverture", "nous sommes ouverts")
"""Words of a closed-hours message: an answered call that only heard recordings saying these is
`closed_message`, not an IVR dead end."""


def refine_with_words(call: CallResult) -> CallResult:
    """Outcomes the words decide: a recorded message saying the office is closed. Pure."""
    if call.outcome != "ivr_dead_end" or not call.words:
        return call
    text = " ".join(w.text.lower() for w in call.words)
    if any(cue in text for cue in CLOSED_CUES):
        return dataclasses.replace(call, outcome="closed_message")
    return call


def pick_transcriber(asr: AsrSettings, language: str) -> tuple[str, str] | tuple[None, str]:
    """(engine, note): the configured engine if it has a model for the language, else the other one."""
    from mystery.transcribe.models import ENGINES, resolve_model
    from mystery_core.errors import InputError

    preferred = asr.engine
    errors = []
    for engine in (preferred, *[e for e in ENGINES if e != preferred]):
        try:
            model = resolve_model(engine, language, Path(asr.model_dir), asr.models)
        except InputError as error:
            errors.append(error.problem)
            continue
        note = "" if engine == preferred else f" (no {preferred} model for {language!r})"
        return engine, f"{engine} model {model.name}{note}"
    return None, "; ".join(errors)


AUTO_PAD_S = 0.5
"""Spans around segments found on the fly (`HearingRequest.segments` None): a late boundary must not cut a
first word."""


@dataclass(frozen=True)
class HearingRequest:
    """One recording to transcribe, and score when a checklist is given (what `mystery transcribe` asks).

    segments: the speech to decode; None: segment the recording now, or decode the whole channel when
    `whole_file`. channel: left, right, caller, callee or mono (None: the callee of a stereo file, else
    mono). engine, language, model_dir, language_dirs, model: which speech model (see resolve_model).
    labels: segment labels that are transcribed. variables: override the checklist's."""

    recording: Path
    engine: str
    language: str
    model_dir: Path
    language_dirs: Mapping[str, str] = field(default_factory=dict)
    model: Path | None = None
    channel: str | None = None
    segments: tuple[Segment, ...] | None = None
    whole_file: bool = False
    labels: frozenset[str] = SPEECH_LABELS
    checklist: Checklist | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hearing:
    """What a recording said: the transcript and, against a checklist, the scorecard."""

    transcript: Transcript
    scorecard: Scorecard | None


def score_heard(checklist: Checklist, words: Iterable[Word], spans: Iterable[Segment | SpeechSpan],
                segments: Iterable[Segment], variables: Mapping[str, str] | None = None) -> Scorecard:
    """Score transcribed words: only words said in live-human `spans` count (all of them when there are
    none), and `within_s` limits start when the live person answered (the first live-human segment).

    The pipeline passes a call's segments as `spans`; `hear` passes the spans it decoded (padded, merged),
    as `mystery transcribe` always did."""
    from mystery.score.scorecard import live_words, score_call

    segments = tuple(segments)
    answer = next((s.start_s for s in segments if s.label == "live_human"), None)
    live = live_words(words, [(s.start_s, s.end_s, s.label) for s in spans])
    speech = [(s.start_s, s.end_s) for s in segments if s.label == "live_human"] or None
    return score_call(checklist, live, answer_s=answer, variables=variables, speech=speech)


def hear(request: HearingRequest) -> Hearing:
    """Segment -> transcribe -> score one recording. The channel and the model are checked before the slow
    part (segmentation, model loading, decoding)."""
    from mystery.transcribe.call import SEGMENT_PAD_S, transcribe_segments
    from mystery.transcribe.models import resolve_model
    from mystery.transcribe.recording import open_transcriber, read_channel, resolve_channel, segment_speech

    r = request
    resolve_channel(r.recording, r.channel)
    model = resolve_model(r.engine, r.language, r.model_dir, r.language_dirs, r.model)
    segments, pad_s = r.segments, SEGMENT_PAD_S
    if segments is None and not r.whole_file:
        segments, pad_s = tuple(segment_speech(r.recording, r.channel)), AUTO_PAD_S
    audio = read_channel(r.recording, r.channel)
    vocabulary = None
    if r.checklist is not None:  # the names of --var hotel=... staff=... reach the recogniser, as in a campaign
        from mystery.score.vocabulary import campaign_vocabulary

        vocabulary = campaign_vocabulary(r.checklist, [r.variables])
    transcript = transcribe_segments(open_transcriber(model, r.language, vocabulary=vocabulary), audio, segments,
                                     r.labels, pad_s)
    scorecard = None
    if r.checklist is not None:
        scorecard = score_heard(r.checklist, transcript.words, transcript.spans, segments or (), r.variables)
        if model.engine == "whisper" and vocabulary:  # the other hearings (mystery/score/hearings.py)
            from mystery.score.hearings import combine_hearings, recheck_misses
            from mystery.score.vocabulary import listening_vocabulary

            plain = transcribe_segments(open_transcriber(model, r.language), audio, segments, r.labels, pad_s)
            scorecard = combine_hearings(scorecard, score_heard(r.checklist, plain.words, plain.spans,
                                                                segments or (), r.variables))
            listening = listening_vocabulary(vocabulary, r.checklist, scorecard, r.variables)
            if listening:  # what both missed, listened for once more (mystery/score/hearings.py)
                again = transcribe_segments(open_transcriber(model, r.language, vocabulary=listening), audio,
                                            segments, r.labels, pad_s)
                scorecard = recheck_misses(scorecard, score_heard(r.checklist, again.words, again.spans,
                                                                  segments or (), r.variables))
    return Hearing(transcript, scorecard)


def transcribe_and_score(engine: Engine, settings: Settings, campaign_id: int, console: Console,
                         between_calls: Callable[[], None] = lambda: None) -> list[CallResult]:
    """Transcribe the speech of every analysed call, refine outcomes, score agents; store all of it
    (`between_calls` after each call, as in analyse_campaign)."""
    from mystery.score.checklist import find_checklist, load_checklist
    from mystery.score.hearings import combine_hearings, recheck_misses
    from mystery.score.vocabulary import campaign_vocabulary, listening_vocabulary
    from mystery.transcribe.call import CallTranscription

    row = repo.find_campaign(engine, str(campaign_id))
    scenario = row["scenario"] or {}
    lines = scenario.get("lines", {})
    calls = repo.load_calls(engine, campaign_id)
    todo = [c for c in calls if c.segments and c.recording]
    checklist = None
    if scenario.get("checklist"):
        base = Path(row["scenario_path"]).parent if row["scenario_path"] else None
        checklist = load_checklist(find_checklist(scenario["checklist"], base))
    asr = settings.asr
    vocabulary = campaign_vocabulary(checklist, [scenario.get("variables", {}),
                                                 *(spec.get("variables", {}) for spec in lines.values())])
    transcribers: dict[str, CallTranscription | None] = {}
    plain: dict[str, CallTranscription | None] = {}
    done: dict[str, CallResult] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("transcribing speech", total=len(todo))
        for call in todo:
            language = lines.get(call.line, {}).get("language", asr.language)
            if language not in transcribers:
                chosen, note = pick_transcriber(asr, language)
                console.print(f"transcription ({language}): {note if chosen else 'skipped: ' + note}")
                transcribers[language] = None if chosen is None else CallTranscription(
                    chosen, Path(asr.model_dir), asr.models, vocabulary=vocabulary)
                # the second hearing, without the vocabulary, only where the engine uses one
                plain[language] = None if chosen != "whisper" or not vocabulary or checklist is None else (
                    CallTranscription(chosen, Path(asr.model_dir), asr.models))
            transcriber = transcribers[language]
            updated = refine_with_words(transcriber(call, language)) if transcriber else call
            repo.replace_analysis(engine, call.call_id, updated)
            if checklist is not None and updated.outcome == "human":
                variables = {**scenario.get("variables", {}), **lines.get(call.line, {}).get("variables", {})}
                card = score_heard(checklist, updated.words, updated.segments, updated.segments, variables)
                second = plain.get(language)
                if second is not None:  # two hearings: mystery/score/hearings.py
                    other = second(call, language).words
                    card = combine_hearings(card, score_heard(checklist, other, updated.segments,
                                                              updated.segments, variables))
                    listening = listening_vocabulary(vocabulary, checklist, card, variables)
                    if listening:  # what both missed, listened for once more (mystery/score/hearings.py)
                        listen = CallTranscription(second.engine, Path(asr.model_dir), asr.models,
                                                   vocabulary=listening)
                        card = recheck_misses(card, score_heard(checklist, listen(call, language).words,
                                                                updated.segments, updated.segments, variables))
                repo.save_scores(engine, call.call_id, card.to_json()["verdicts"])
            done[call.call_id] = updated
            progress.advance(task)
            between_calls()
    return [done.get(c.call_id, c) for c in calls]


def process_campaign(engine: Engine, settings: Settings, campaign_id: int, console: Console,
                     between_calls: Callable[[], None] = lambda: None) -> list[CallResult]:
    """Everything after the calls: audio analysis, then transcripts, outcomes from words, scores."""
    analyse_campaign(engine, settings, campaign_id, console, between_calls)
    return transcribe_and_score(engine, settings, campaign_id, console, between_calls)


def report_campaign(engine: Engine, settings: Settings, campaign_id: int, out_dir: Path) -> ReportOutcome:
    """Write the HTML/CSV report of a stored campaign and store its revenue estimate."""
    from mystery.report.build import estimate_line, report_from_store

    files = report_from_store(engine, str(campaign_id), out_dir, Path(settings.reports_dir),
                              Path(settings.recordings_dir))
    return ReportOutcome(files.html, estimate_line(files.context.estimate))
